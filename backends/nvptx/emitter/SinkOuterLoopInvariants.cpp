//===- SinkOuterLoopInvariants.cpp - undo LICM where it costs registers ---===//
//
// LLVM's loop-invariant code motion hoists every invariant out of every
// loop. Around a loop that contains another (a persistent matmul's loop over
// tiles around its K loop), that hoists the per-tile prologue's and
// epilogue's address arithmetic (the first stages' shared and global
// addresses, their masks, the store offsets) out of the tile loop: each
// result is then live through the whole tile loop, K loop included, where
// the accumulators already take most of the registers. ptxas does not move
// them back.
//
// This pass sinks such computations back into the outer loop, to the block
// that dominates their uses, when every use is in the outer loop's own
// blocks (not in an inner loop, not after the loop) and when doing so frees
// more values than it newly keeps alive: a group of cheap instructions
// (integer arithmetic, compares, selects, casts, address arithmetic, special
// register reads) moves together, and is sunk only if the values it leaves
// live through the loop (its operands from outside it that nothing else in
// the loop uses) are fewer than the values it stops keeping live. They are
// then recomputed once per outer iteration: a handful of instructions per
// tile, against a K loop of hundreds.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/emitter/SinkOuterLoopInvariants.h"

#include "llvm/ADT/SetVector.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/IntrinsicsNVPTX.h"

using namespace llvm;

namespace {

bool isSpecialRegisterRead(const Instruction &inst) {
  const auto *call = dyn_cast<IntrinsicInst>(&inst);
  if (!call)
    return false;
  switch (call->getIntrinsicID()) {
  case Intrinsic::nvvm_read_ptx_sreg_tid_x:
  case Intrinsic::nvvm_read_ptx_sreg_tid_y:
  case Intrinsic::nvvm_read_ptx_sreg_tid_z:
  case Intrinsic::nvvm_read_ptx_sreg_ctaid_x:
  case Intrinsic::nvvm_read_ptx_sreg_ctaid_y:
  case Intrinsic::nvvm_read_ptx_sreg_ctaid_z:
  case Intrinsic::nvvm_read_ptx_sreg_ntid_x:
  case Intrinsic::nvvm_read_ptx_sreg_nctaid_x:
  case Intrinsic::nvvm_read_ptx_sreg_nctaid_y:
  case Intrinsic::nvvm_read_ptx_sreg_nctaid_z:
    return true;
  default:
    return false;
  }
}

/// Pure and about as cheap as keeping the value in a register.
bool isCheap(const Instruction &inst) {
  if (isSpecialRegisterRead(inst))
    return true;
  if (const auto *binary = dyn_cast<BinaryOperator>(&inst)) {
    switch (binary->getOpcode()) {
    case Instruction::Add:
    case Instruction::Sub:
    case Instruction::Mul:
    case Instruction::Shl:
    case Instruction::LShr:
    case Instruction::AShr:
    case Instruction::And:
    case Instruction::Or:
    case Instruction::Xor:
      return !binary->getType()->isVectorTy();
    default:
      return false;
    }
  }
  return isa<ICmpInst, SelectInst, CastInst, GetElementPtrInst>(inst) &&
         !inst.getType()->isVectorTy() && !isa<FPTruncInst, FPExtInst>(inst);
}

/// The block where a use reads its value: a phi's incoming block.
BasicBlock *useBlock(const Use &use) {
  auto *user = cast<Instruction>(use.getUser());
  if (auto *phi = dyn_cast<PHINode>(user))
    return phi->getIncomingBlock(use);
  return user->getParent();
}

class Sinker {
public:
  Sinker(Function &function, DominatorTree &dominators, LoopInfo &loops)
      : function(function), dominators(dominators), loops(loops) {}

  bool run() {
    bool changed = false;
    SmallVector<Loop *> work(loops.begin(), loops.end());
    while (!work.empty()) {
      Loop *loop = work.pop_back_val();
      work.append(loop->begin(), loop->end());
      if (!loop->getSubLoops().empty())
        changed |= sinkInto(*loop);
    }
    return changed;
  }

private:
  /// Every use of `value` is by `group`, in `loop`'s own blocks (not an
  /// inner loop's), or before the loop (in a block that dominates it): a
  /// copy of it in the loop can serve the loop's uses.
  bool servesOnlyLoopLevel(const Value &value, const Loop &loop,
                           const SetVector<Instruction *> &group) const {
    bool readInLoop = false;
    for (const Use &use : value.uses()) {
      auto *user = cast<Instruction>(use.getUser());
      BasicBlock *block = useBlock(use);
      if (group.contains(user) || loops.getLoopFor(block) == &loop) {
        readInLoop = true;
        continue;
      }
      if (loop.contains(block) ||
          !dominators.dominates(block, loop.getHeader()))
        return false;
    }
    return readInLoop;
  }

  /// Some use of `value` inside `loop` is not by `group`: the value is live
  /// through the loop whatever the group does.
  bool liveInLoopAnyway(const Value &value, const Loop &loop,
                        const SetVector<Instruction *> &group) const {
    for (const Use &use : value.uses()) {
      auto *user = cast<Instruction>(use.getUser());
      if (!group.contains(user) && loop.contains(useBlock(use)))
        return true;
    }
    return false;
  }

  /// Values live through `loop` that sinking `group` would leave live (its
  /// outside operands nothing else in the loop reads) minus those it frees
  /// (the members the loop read, which it will read from the copies).
  int pressureChange(const SetVector<Instruction *> &group,
                     const Loop &loop) const {
    int change = 0;
    SmallPtrSet<Value *, 8> leaves;
    for (Instruction *member : group) {
      for (const Use &use : member->uses())
        if (!group.contains(cast<Instruction>(use.getUser())) &&
            loop.contains(useBlock(use))) {
          --change;
          break;
        }
      for (Value *operand : member->operands())
        if ((isa<Instruction>(operand) || isa<Argument>(operand)) &&
            !group.contains(dyn_cast<Instruction>(operand)) &&
            !liveInLoopAnyway(*operand, loop, group) &&
            leaves.insert(operand).second)
          ++change;
    }
    return change;
  }

  /// Puts `inst` (moved, or a copy where code before the loop reads it
  /// too) in the block of `loop` that dominates its uses there, before the
  /// first of them in that block.
  void place(Instruction *inst, const Loop &loop) {
    SmallVector<Use *> inLoop;
    bool readBefore = false;
    for (Use &use : inst->uses()) {
      if (loop.contains(useBlock(use)))
        inLoop.push_back(&use);
      else
        readBefore = true;
    }
    if (inLoop.empty())
      return;
    BasicBlock *target = useBlock(*inLoop.front());
    for (Use *use : inLoop)
      target = dominators.findNearestCommonDominator(target, useBlock(*use));
    Instruction *before = target->getTerminator();
    for (Instruction &candidate : *target)
      if (!isa<PHINode>(candidate) &&
          llvm::any_of(inLoop, [&](Use *use) {
            return use->getUser() == &candidate;
          })) {
        before = &candidate;
        break;
      }
    Instruction *placed = inst;
    if (readBefore) {
      placed = inst->clone();
      placed->setName(inst->getName());
      for (Use *use : inLoop)
        use->set(placed);
      placed->insertBefore(before->getIterator());
    } else {
      inst->moveBefore(before->getIterator());
    }
  }

  bool sinkInto(Loop &loop) {
    // What may move (or be copied): cheap instructions outside the loop
    // that dominate it and are read only in its own blocks, before it, or
    // by each other (the largest such set: drop any member with another use
    // until none has one).
    SetVector<Instruction *> movable;
    for (BasicBlock &block : function) {
      if (loop.contains(&block) ||
          !dominators.dominates(&block, loop.getHeader()))
        continue;
      for (Instruction &inst : block)
        if (isCheap(inst) && !inst.use_empty())
          movable.insert(&inst);
    }
    for (bool dropped = true; dropped;) {
      dropped = false;
      for (Instruction *inst : SmallVector<Instruction *>(movable.begin(),
                                                         movable.end()))
        if (!servesOnlyLoopLevel(*inst, loop, movable)) {
          movable.remove(inst);
          dropped = true;
        }
    }
    // Moved in groups that share operands: sinking a value frees a
    // register only if its neighbours that read the same operand move too.
    bool changed = false;
    SmallPtrSet<Instruction *, 32> grouped;
    for (Instruction *seed : movable) {
      if (grouped.contains(seed))
        continue;
      SetVector<Instruction *> group;
      group.insert(seed);
      for (unsigned i = 0; i < group.size(); ++i) {
        Instruction *member = group[i];
        for (Value *operand : member->operands())
          if (auto *inst = dyn_cast<Instruction>(operand))
            if (movable.contains(inst))
              group.insert(inst);
        for (User *user : member->users())
          if (movable.contains(cast<Instruction>(user)))
            group.insert(cast<Instruction>(user));
        // Members reading the same outside operand belong together.
        for (Value *operand : member->operands())
          if (isa<Instruction>(operand) || isa<Argument>(operand))
            for (User *user : operand->users())
              if (auto *inst = dyn_cast<Instruction>(user);
                  inst && movable.contains(inst))
                group.insert(inst);
      }
      grouped.insert(group.begin(), group.end());
      if (pressureChange(group, loop) >= 0)
        continue;
      for (Instruction *member : topologicalUsersFirst(group))
        place(member, loop);
      changed = true;
    }
    return changed;
  }

  /// The group's members with every member after its users within it.
  static SmallVector<Instruction *>
  topologicalUsersFirst(const SetVector<Instruction *> &group) {
    SmallVector<Instruction *> order;
    SmallPtrSet<Instruction *, 16> done;
    // A member is ready when all its users in the group are placed.
    while (order.size() < group.size())
      for (Instruction *member : group) {
        if (done.contains(member))
          continue;
        bool ready = llvm::all_of(member->users(), [&](User *user) {
          auto *inst = cast<Instruction>(user);
          return !group.contains(inst) || done.contains(inst);
        });
        if (ready) {
          done.insert(member);
          order.push_back(member);
        }
      }
    return order;
  }

  Function &function;
  DominatorTree &dominators;
  LoopInfo &loops;
};

} // namespace

PreservedAnalyses
mlir::kitenvptx::SinkOuterLoopInvariantsPass::run(Function &function,
                                           FunctionAnalysisManager &analyses) {
  auto &dominators = analyses.getResult<DominatorTreeAnalysis>(function);
  auto &loops = analyses.getResult<LoopAnalysis>(function);
  if (!Sinker(function, dominators, loops).run())
    return PreservedAnalyses::all();
  PreservedAnalyses kept;
  kept.preserveSet<CFGAnalyses>();
  return kept;
}
