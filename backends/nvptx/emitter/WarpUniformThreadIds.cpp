//===- WarpUniformThreadIds.cpp - warp indices ptxas sees as uniform ------===//
//
// ptxas keeps a value in a uniform register (one per warp, not one per
// thread) only where it can prove every thread of the warp holds the same
// value. A warp's index, tid.x / 32, is such a value, but computed from
// %tid.x it is not proven so: every thread keeps its own copy, and so does
// everything computed from it (the warpgroup offsets in wgmma's operand
// descriptors, a warp's rows). Triton reads the warp index through a shuffle
// from lane 0, whose result ptxas knows is the warp's.
//
// This pass does the same for every use of %tid.x whose demanded bits
// (LLVM's DemandedBits) are all above the lane's 5: it reads lane 0's
// %tid.x instead (`shfl.sync.idx` of %tid.x from lane 0, once, at the
// kernel's entry, where every thread of the warp is active). For those bits
// lane 0's value is every lane's own, so the results are the same (blocks
// are whole warps: Kite launches num_warps x 32 threads in x).
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/emitter/WarpUniformThreadIds.h"

#include "llvm/Analysis/DemandedBits.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/IntrinsicsNVPTX.h"

using namespace llvm;

PreservedAnalyses
mlir::kitenvptx::WarpUniformThreadIdsPass::run(Function &function,
                                              FunctionAnalysisManager &analyses) {
  SmallVector<IntrinsicInst *> reads;
  for (Instruction &inst : instructions(function))
    if (auto *call = dyn_cast<IntrinsicInst>(&inst))
      if (call->getIntrinsicID() == Intrinsic::nvvm_read_ptx_sreg_tid_x)
        reads.push_back(call);
  if (reads.empty())
    return PreservedAnalyses::all();
  DemandedBits &demanded = analyses.getResult<DemandedBitsAnalysis>(function);
  SmallVector<Use *> warpUses;
  for (IntrinsicInst *read : reads)
    for (Use &use : read->uses()) {
      // DemandedBits answers for integer instructions only (a store or a
      // call, printf's, reads every bit).
      if (!use.getUser()->getType()->isIntegerTy())
        continue;
      APInt bits = demanded.getDemandedBits(&use);
      if (!bits.isZero() && bits.countr_zero() >= 5)
        warpUses.push_back(&use);
    }
  if (warpUses.empty())
    return PreservedAnalyses::all();
  // Lane 0's %tid.x, read at the entry, where the whole warp is active.
  IRBuilder<> b(&*function.getEntryBlock().getFirstInsertionPt());
  Module *module = function.getParent();
  Value *tid = b.CreateCall(Intrinsic::getOrInsertDeclaration(
      module, Intrinsic::nvvm_read_ptx_sreg_tid_x));
  Value *laneZero = b.CreateCall(
      Intrinsic::getOrInsertDeclaration(module,
                                        Intrinsic::nvvm_shfl_sync_idx_i32),
      {b.getInt32(-1), tid, b.getInt32(0), b.getInt32(31)}, "warp.tid");
  for (Use *use : warpUses)
    use->set(laneZero);
  PreservedAnalyses kept;
  kept.preserveSet<CFGAnalyses>();
  return kept;
}
