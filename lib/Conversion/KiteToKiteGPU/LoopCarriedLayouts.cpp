//===- LoopCarriedLayouts.cpp - carry values in the layout their uses want ===//
//
// A pattern of kitegpu-remove-layout-conversions. A value an scf.for
// carries, with the element-wise ops that update it each iteration, forms a
// group whose layout only the conversions at its edges see: those from
// other layouts into it (a reduction's result combined with it) and those
// out of it (to broadcast it back over a block). Flash attention's running
// max and sum are such groups: carried in the default 1-D layout they
// change layout four times an iteration, each a round trip through shared
// memory; carried in the layout of the rows' reductions, not once.
//
// The pattern gives the group the layout that leaves the fewest
// conversions in the loop (ties keep the current one, so it never undoes
// itself): the carried values, their updates and the loop's results
// change type; conversions into the group from that layout vanish, others
// convert to it; constants and values from outside the loop are converted
// (constants fold, values from outside once, before the loop); after the
// loop its results are converted back for their users.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteToKiteGPU/LoopCarriedLayouts.h"

#include "dialects/KiteGPU/KiteGPUOps.h"
#include "lib/Conversion/KiteToKiteGPU/ConvertibleValues.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::kitegpu;

namespace {

/// The values of one group, what feeds it and what reads it.
struct Group {
  /// Its values, in the order found; all of one shape and layout.
  llvm::SetVector<Value> values;
  /// The element-wise ops that compute its values.
  llvm::SetVector<Operation *> ops;
  /// Its values that are conversions from other layouts.
  SmallVector<ConvertLayoutOp> entries;
  /// Conversions of its values to other layouts.
  llvm::SetVector<Operation *> exits;
  /// Operands of its ops from outside it that any layout suits (constants,
  /// splats, values defined before the loop).
  SmallVector<OpOperand *> free;
  /// The loop's iter_args in it.
  SmallVector<unsigned> carried;
};

class GroupFinder {
public:
  GroupFinder(scf::ForOp loop, RankedTensorType type)
      : loop(loop), body(loop.getBody()), type(type) {}

  /// The group of `arg`, or failure where a value of it has a use or a
  /// definition that is not element-wise in the loop's body.
  FailureOr<Group> find(BlockArgument arg) {
    push(arg);
    while (!work.empty()) {
      Value value = work.pop_back_val();
      if (failed(visitDefinition(value)) || failed(visitUses(value)))
        return failure();
    }
    return std::move(group);
  }

private:
  bool sameShape(Value value) {
    auto other = dyn_cast<RankedTensorType>(value.getType());
    return other && other.getShape() == type.getShape() &&
           other.getEncoding() == type.getEncoding();
  }

  void push(Value value) {
    if (group.values.insert(value))
      work.push_back(value);
  }

  LogicalResult visitDefinition(Value value) {
    if (!sameShape(value))
      return failure();
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      if (arg.getOwner() != body || arg.getArgNumber() == 0)
        return failure();
      unsigned index = arg.getArgNumber() - 1;
      group.carried.push_back(index);
      push(body->getTerminator()->getOperand(index));
      return success();
    }
    Operation *op = value.getDefiningOp();
    if (op->getBlock() != body)
      return failure();
    if (auto convert = dyn_cast<ConvertLayoutOp>(op)) {
      group.entries.push_back(convert);
      return success();
    }
    if (!op->hasTrait<OpTrait::Elementwise>() || !isMovable(op) ||
        op->getNumResults() != 1)
      return failure();
    group.ops.insert(op);
    for (OpOperand &operand : op->getOpOperands()) {
      Value input = operand.get();
      if (!isa<RankedTensorType>(input.getType()))
        continue; // a scalar
      Operation *def = input.getDefiningOp();
      if ((def && isCheapSource(def)) ||
          (!isa<BlockArgument>(input) && !loop->isAncestor(def))) {
        group.free.push_back(&operand);
        continue;
      }
      push(input);
    }
    return success();
  }

  LogicalResult visitUses(Value value) {
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (user == body->getTerminator()) {
        push(body->getArgument(use.getOperandNumber() + 1));
        continue;
      }
      if (user->getBlock() != body)
        return failure();
      if (isa<ConvertLayoutOp>(user)) {
        group.exits.insert(user);
        continue;
      }
      if (user->getNumResults() != 1)
        return failure();
      push(user->getResult(0));
    }
    return success();
  }

  scf::ForOp loop;
  Block *body;
  RankedTensorType type;
  Group group;
  SmallVector<Value> work;
};

/// Conversions in the loop if the group had `layout`.
int64_t countConversions(const Group &group, Attribute layout) {
  int64_t count = 0;
  for (ConvertLayoutOp entry : group.entries)
    count += entry.getSrc().getType().getEncoding() != layout;
  for (Operation *exit : group.exits)
    count += cast<ConvertLayoutOp>(exit).getType().getEncoding() != layout;
  return count;
}

struct CarryInCheapestLayout : OpRewritePattern<scf::ForOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(scf::ForOp loop,
                                PatternRewriter &rewriter) const override {
    for (BlockArgument arg : loop.getRegionIterArgs()) {
      auto type = dyn_cast<RankedTensorType>(arg.getType());
      if (!type || !getLayout(type))
        continue;
      FailureOr<Group> group = GroupFinder(loop, type).find(arg);
      if (failed(group))
        continue;
      Attribute current = type.getEncoding(), best = current;
      int64_t fewest = countConversions(*group, current);
      auto consider = [&](Attribute layout) {
        int64_t count = countConversions(*group, layout);
        if (count < fewest) {
          fewest = count;
          best = layout;
        }
      };
      for (ConvertLayoutOp entry : group->entries)
        consider(entry.getSrc().getType().getEncoding());
      for (Operation *exit : group->exits)
        consider(cast<ConvertLayoutOp>(exit).getType().getEncoding());
      if (best == current)
        continue;
      retype(loop, *group, best, rewriter);
      return success();
    }
    return failure();
  }

  static void retype(scf::ForOp loop, const Group &group, Attribute layout,
                     PatternRewriter &rewriter) {
    auto retyped = [&](Type type) { return withLayout(type, layout); };
    // Operands any layout suits: converted (constants fold; values from
    // outside the loop once, before it).
    for (OpOperand *operand : group.free) {
      Value input = operand->get();
      Operation *user = operand->getOwner();
      if (loop->isAncestor(input.getDefiningOp()))
        rewriter.setInsertionPoint(user);
      else
        rewriter.setInsertionPoint(loop);
      Value converted = ConvertLayoutOp::create(
          rewriter, user->getLoc(), retyped(input.getType()), input);
      rewriter.modifyOpInPlace(user, [&] { operand->set(converted); });
    }
    // Conversions into the group: from the layout, gone; from others, to it.
    for (ConvertLayoutOp entry : group.entries) {
      if (entry.getSrc().getType().getEncoding() == layout) {
        rewriter.replaceOp(entry, entry.getSrc());
        continue;
      }
      rewriter.modifyOpInPlace(entry, [&] {
        entry.getResult().setType(retyped(entry.getType()));
      });
    }
    for (Operation *op : group.ops)
      rewriter.modifyOpInPlace(op, [&] {
        op->getResult(0).setType(retyped(op->getResult(0).getType()));
      });
    // The carried values, their initial values and the loop's results.
    Block *body = loop.getBody();
    for (unsigned index : group.carried) {
      Value init = loop.getInitArgs()[index];
      Type oldType = init.getType(), newType = retyped(oldType);
      rewriter.setInsertionPoint(loop);
      Value converted =
          ConvertLayoutOp::create(rewriter, loop.getLoc(), newType, init);
      Value result = loop.getResult(index);
      rewriter.modifyOpInPlace(loop, [&] {
        loop.getInitArgsMutable()[index].set(converted);
        body->getArgument(index + 1).setType(newType);
        result.setType(newType);
      });
      if (!result.use_empty()) {
        rewriter.setInsertionPointAfter(loop);
        auto back =
            ConvertLayoutOp::create(rewriter, loop.getLoc(), oldType, result);
        rewriter.replaceAllUsesExcept(result, back, back);
      }
    }
    // Conversions out of the group to the layout are the values now.
    for (Operation *exit : group.exits) {
      auto convert = cast<ConvertLayoutOp>(exit);
      if (convert.getType().getEncoding() == layout)
        rewriter.replaceOp(convert, convert.getSrc());
    }
  }
};

} // namespace

void mlir::kitegpu::populateLoopCarriedLayoutPatterns(
    RewritePatternSet &patterns) {
  patterns.add<CarryInCheapestLayout>(patterns.getContext());
}
