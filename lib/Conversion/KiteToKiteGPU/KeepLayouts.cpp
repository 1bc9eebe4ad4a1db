//===- KeepLayouts.cpp - values that keep the layout they have ------------===//
#include "lib/Conversion/KiteToKiteGPU/KeepLayouts.h"
#include "dialects/Kite/KiteOps.h"
#include "dialects/KiteGPU/KiteGPUOps.h"
#include "dialects/KiteGPU/MmaTiling.h"
#include "lib/Conversion/KiteToKiteGPU/ConvertibleValues.h"
#include "lib/Conversion/KiteToKiteGPU/JoinSplitLayouts.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/SetVector.h"

#include <functional>
#include <optional>

using namespace mlir;
using namespace mlir::kitegpu;

namespace {

/// The ops downstream of `root` (a convert_layout of a load), in program
/// order, if all of them can compute in the load's layout: element-wise ops
/// of one shape, reductions to scalars, and conversions and joins, where
/// the slice ends. Their other tensor operands must be as cheap in that layout
/// (cheapIn).
/// A block of rows or columns: broadcast(expand_dims(v)) of a 1-D v (a
/// row max subtracted from every element). It is rebuilt in another layout
/// by converting v, which moves a vector instead of the block.
bool isBroadcastVector(Value value) {
  auto broadcast = value.getDefiningOp<kite::BroadcastOp>();
  auto expand = broadcast
                    ? broadcast.getSrc().getDefiningOp<kite::ExpandDimsOp>()
                    : kite::ExpandDimsOp();
  return expand && expand.getSrc().getType().getRank() == 1;
}

/// `value` past the conversions that define it.
Value skipConversions(Value value) {
  while (auto convert = value.getDefiningOp<ConvertLayoutOp>())
    value = convert.getSrc();
  return value;
}

/// The layout of [..., K / S, S] whose threads hold the elements that
/// `layout`'s hold of [..., K], where a thread's runs along K are whole
/// groups (its size per thread along K a multiple of S): S in the thread,
/// the runs' groups along K / S. Null otherwise. (Groups split over
/// adjacent lanes would work as well, but MXFP8 on sm_80 measured 3% more
/// K-loop instructions there: 16 codes per vector load, then extracted
/// byte by byte.)
BlockedLayoutAttr getGroupedLayout(BlockedLayoutAttr layout, int64_t group) {
  unsigned last = layout.getSizePerThread_().size() - 1;
  int64_t spt = layout.getSizePerThread_()[last];
  if (spt % group != 0)
    return {};
  SmallVector<unsigned> sizes(layout.getSizePerThread_()),
      threads(layout.getThreadsPerWarp_()), warps(layout.getWarpsPerCTA_());
  sizes[last] = spt / group;
  sizes.push_back(group);
  threads.push_back(1);
  warps.push_back(1);
  // S just faster than K / S, where K was.
  SmallVector<unsigned> order;
  for (unsigned d : layout.getOrder_()) {
    if (d == last)
      order.push_back(last + 1);
    order.push_back(d);
  }
  return BlockedLayoutAttr::get(layout.getContext(), sizes, threads, warps,
                                order);
}

/// A value per group spread over its group: reshape(broadcast(expand_dims(
/// v))) from v [..., G] through [..., G, 1] and [..., G, S] to [..., G S]
/// (a scale per 32 or 128 elements of K), conversions between them aside.
/// Where a blocked `layout`'s threads hold whole groups (getGroupedLayout),
/// it is rebuilt in `layout` by converting v, which
/// moves G values per row instead of the block: [..., G, S] in `grouped`
/// keeps every element in its thread.
struct GroupBroadcast {
  kite::ExpandDimsOp expand;
  kite::BroadcastOp broadcast;
  kite::ReshapeOp reshape;
  BlockedLayoutAttr grouped;
  explicit operator bool() const { return bool(grouped); }
};
GroupBroadcast matchGroupBroadcast(Value value, Attribute layout) {
  auto blocked = dyn_cast<BlockedLayoutAttr>(layout);
  auto reshape = value.getDefiningOp<kite::ReshapeOp>();
  if (!blocked || !reshape)
    return {};
  auto broadcast =
      skipConversions(reshape.getSrc()).getDefiningOp<kite::BroadcastOp>();
  auto expand = broadcast ? skipConversions(broadcast.getSrc())
                                .getDefiningOp<kite::ExpandDimsOp>()
                          : kite::ExpandDimsOp();
  if (!expand)
    return {};
  // [..., G, S] -> [..., G S]: only the last two dimensions merge.
  RankedTensorType spread = broadcast.getType();
  ArrayRef<int64_t> wide = spread.getShape(),
                    merged = reshape.getType().getShape();
  if (expand.getAxis() != spread.getRank() - 1 ||
      merged.size() + 1 != wide.size() ||
      merged.drop_back() != wide.drop_back(2) ||
      merged.back() != wide[wide.size() - 2] * wide.back())
    return {};
  return {expand, broadcast, reshape,
          getGroupedLayout(blocked, spread.getShape().back())};
}

bool isGroupBroadcastIn(Value value, Attribute layout) {
  return bool(matchGroupBroadcast(value, layout));
}

/// Whether `value` is rebuilt in `layout` without converting a block:
/// cheap in it (cheapIn), a broadcast vector, or element-wise ops of such
/// values (a causal mask built from broadcast row and column indices).
bool rebuildableIn(Value value, Attribute layout, int depth = 8) {
  if (!getLayout(value.getType()) || cheapIn(value, layout) ||
      isBroadcastVector(value) || isGroupBroadcastIn(value, layout))
    return true;
  Operation *def = value.getDefiningOp();
  if (!def || depth == 0 || def->getNumResults() != 1 || !isMovable(def) ||
      isa<kite::BroadcastOp, kite::ExpandDimsOp, ConvertLayoutOp>(def))
    return false;
  return llvm::all_of(def->getOperands(), [&](Value operand) {
    return rebuildableIn(operand, layout, depth - 1);
  });
}

/// expand_dims(v) of a vector v rebuilt in `layout`: v converted to the
/// slice of `layout` it needs (from the value a conversion of it converts).
Value rebuildExpandedVector(PatternRewriter &rewriter, kite::ExpandDimsOp expand,
                            Attribute layout) {
  Value vector = expand.getSrc();
  if (auto from = vector.getDefiningOp<ConvertLayoutOp>())
    vector = from.getSrc();
  auto sliceLayout =
      SliceLayoutAttr::get(rewriter.getContext(), expand.getAxis(),
                           cast<DistributedLayoutAttr>(layout));
  Type vectorType = withLayout(vector.getType(), sliceLayout);
  if (vector.getType() != vectorType)
    vector = ConvertLayoutOp::create(rewriter, expand.getLoc(), vectorType,
                                     vector);
  return kite::ExpandDimsOp::create(rewriter, expand.getLoc(),
                                    withLayout(expand.getType(), layout),
                                    vector, expand.getAxis());
}

std::optional<SmallVector<Operation *>> forwardSlice(ConvertLayoutOp root,
                                                     Attribute layout,
                                                     bool allowRowOps) {
  llvm::SetVector<Operation *> slice;
  llvm::DenseSet<Value> values{root.getResult()};
  SmallVector<Value> work{root.getResult()};
  auto shape = cast<RankedTensorType>(root.getType()).getShape();
  while (!work.empty()) {
    Value value = work.pop_back_val();
    for (Operation *user : value.getUsers()) {
      if (slice.contains(user))
        continue;
      if (slice.size() >= 64)
        return std::nullopt;
      if (isa<ConvertLayoutOp>(user)) {
        slice.insert(user);
        continue;
      }
      // A dot takes its a and b in any layout (it stages them, or reads
      // the accumulators of the dot that made them from registers): the
      // slice ends there. Its c keeps the dot's layout.
      if (auto dot = dyn_cast<kite::DotOp>(user)) {
        if (dot.getC() == value)
          return std::nullopt;
        // Nor does a conversion of a to the accumulators' layout of the
        // dot's warps go: the dot reads those registers as A fragments.
        std::optional<int64_t> warpsM =
            getMmaAccumulatorWarpsM(root.getType().getEncoding());
        if (value == root.getResult() && dot.getA() == value && warpsM &&
            warpsM == getMmaAccumulatorWarpsM(dot.getType().getEncoding()))
          return std::nullopt;
        slice.insert(user);
        continue;
      }
      // A join ends the slice as well: it joins in the layout's join layout
      // (JoinSplitLayouts.h) and its result is converted.
      if (isa<kite::JoinOp>(user) && isa<BlockedLayoutAttr>(layout)) {
        slice.insert(user);
        continue;
      }
      // A reduction ends the slice; one to a tensor (a row max) reduces in
      // the layout and converts its result (a vector, not the block) back.
      if (auto reduce = dyn_cast<kite::ReduceOp>(user)) {
        if (llvm::any_of(reduce.getResultTypes(),
                         [](Type t) { return isa<RankedTensorType>(t); }) &&
            !allowRowOps)
          return std::nullopt;
        slice.insert(user);
        continue;
      }
      auto type = user->getNumResults() == 1
                      ? dyn_cast<RankedTensorType>(user->getResult(0).getType())
                      : RankedTensorType();
      if (!isMovable(user) ||
          isa<kite::BroadcastOp, kite::ExpandDimsOp>(user) || !type ||
          type.getShape() != shape)
        return std::nullopt;
      slice.insert(user);
      values.insert(user->getResult(0));
      work.push_back(user->getResult(0));
    }
  }
  for (Operation *op : slice) {
    if (isa<ConvertLayoutOp, kite::DotOp>(op))
      continue;
    for (Value operand : op->getOperands()) {
      if (!values.contains(operand) && !cheapIn(operand, layout) &&
          !isGroupBroadcastIn(operand, layout) &&
          !(allowRowOps && rebuildableIn(operand, layout)))
        return std::nullopt;
    }
  }
  // Program order (definitions before uses).
  SmallVector<Operation *> ordered;
  root->getParentOfType<FunctionOpInterface>()->walk<WalkOrder::PreOrder>(
      [&](Operation *op) {
        if (slice.contains(op))
          ordered.push_back(op);
      });
  return ordered;
}

/// convert(load) whose users can all compute in the load's layout: they do,
/// and the conversion goes (see the file comment). So for convert(dot): the
/// accumulators' layout is kept by the element-wise epilogue, or by the P
/// that a second dot reads from registers. The layouts of join,
/// split and reshape results (pairs held in threads, JoinSplitLayouts.h)
/// are kept the same way.
struct KeepLoadLayout : OpRewritePattern<ConvertLayoutOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvertLayoutOp convert,
                                PatternRewriter &rewriter) const override {
    if (!isa_and_nonnull<kite::LoadOp, kite::JoinOp, kite::SplitOp,
                         kite::ReshapeOp, kite::DotOp>(
            convert.getSrc().getDefiningOp()))
      return failure();
    Attribute layout = getLayout(convert.getSrc().getType());
    // The accumulators' layout of a dot is worth row reductions and
    // broadcasts converted as vectors (attention's softmax).
    bool fromDot = isa<kite::DotOp>(convert.getSrc().getDefiningOp());
    std::optional<SmallVector<Operation *>> slice =
        forwardSlice(convert, layout, fromDot);
    if (!slice)
      return failure();
    IRMapping mapping;
    mapping.map(convert.getResult(), convert.getSrc());
    // An operand outside the slice, rebuilt in `layout` (cheapIn) before
    // `user`; each value once.
    std::function<Value(Value, Operation *)> operandFor =
        [&](Value operand, Operation *user) -> Value {
      if (mapping.contains(operand) || !getLayout(operand.getType()))
        return mapping.lookupOrDefault(operand);
      Operation *def = operand.getDefiningOp();
      if (auto from = dyn_cast<ConvertLayoutOp>(def))
        return from.getSrc();
      // A value per group: its groups converted, spread in `layout`.
      if (GroupBroadcast group = matchGroupBroadcast(operand, layout)) {
        rewriter.setInsertionPoint(user);
        Value expanded =
            rebuildExpandedVector(rewriter, group.expand, group.grouped);
        Location loc = group.reshape.getLoc();
        Value spread = kite::BroadcastOp::create(
            rewriter, loc,
            withLayout(group.broadcast.getType(), group.grouped), expanded);
        Value rebuilt = kite::ReshapeOp::create(
            rewriter, loc, withLayout(group.reshape.getType(), layout),
            spread);
        mapping.map(operand, rebuilt);
        return rebuilt;
      }
      // expand_dims of a vector: the vector converted to the slice of
      // `layout` it needs.
      if (auto expand = dyn_cast<kite::ExpandDimsOp>(def)) {
        rewriter.setInsertionPoint(user);
        Value expanded = rebuildExpandedVector(rewriter, expand, layout);
        mapping.map(operand, expanded);
        return expanded;
      }
      IRMapping local;
      for (Value inner : def->getOperands())
        local.map(inner, operandFor(inner, user));
      rewriter.setInsertionPoint(user);
      Operation *copy = rewriter.clone(*def, local);
      copy->getResult(0).setType(withLayout(operand.getType(), layout));
      if (auto constant = dyn_cast<arith::ConstantOp>(copy)) {
        auto dense = cast<DenseElementsAttr>(constant.getValue());
        constant.setValueAttr(
            dense.reshape(cast<ShapedType>(copy->getResult(0).getType())));
      }
      mapping.map(operand, copy->getResult(0));
      return copy->getResult(0);
    };
    SmallVector<Operation *> dead;
    for (Operation *op : *slice) {
      if (auto dot = dyn_cast<kite::DotOp>(op)) {
        rewriter.modifyOpInPlace(dot, [&] {
          for (OpOperand &operand : dot->getOpOperands())
            operand.set(mapping.lookupOrDefault(operand.get()));
        });
        continue;
      }
      if (auto terminal = dyn_cast<ConvertLayoutOp>(op)) {
        Value src = mapping.lookup(terminal.getSrc());
        rewriter.setInsertionPoint(terminal);
        Value replacement =
            src.getType() == terminal.getType()
                ? src
                : ConvertLayoutOp::create(rewriter, terminal.getLoc(),
                                          terminal.getType(), src)
                      .getResult();
        rewriter.replaceOp(terminal, replacement);
        continue;
      }
      IRMapping local;
      for (Value operand : op->getOperands())
        local.map(operand, operandFor(operand, op));
      rewriter.setInsertionPoint(op);
      Operation *copy = rewriter.clone(*op, local);
      if (auto join = dyn_cast<kite::JoinOp>(op)) {
        copy->getResult(0).setType(withLayout(
            join.getType(), getJoinLayout(cast<BlockedLayoutAttr>(layout))));
        rewriter.replaceOpWithNewOp<ConvertLayoutOp>(op, join.getType(),
                                                     copy->getResult(0));
        continue;
      }
      if (auto reduce = dyn_cast<kite::ReduceOp>(op)) {
        // Tensor results in the slice of the layout, converted back.
        SmallVector<Value> results;
        rewriter.setInsertionPointAfter(copy);
        for (auto [old, result] :
             llvm::zip_equal(op->getResults(), copy->getResults())) {
          auto type = dyn_cast<RankedTensorType>(old.getType());
          if (!type) {
            results.push_back(result);
            continue;
          }
          result.setType(withLayout(
              type, SliceLayoutAttr::get(rewriter.getContext(),
                                         reduce.getAxis(),
                                         cast<DistributedLayoutAttr>(layout))));
          results.push_back(
              ConvertLayoutOp::create(rewriter, op->getLoc(), type, result));
        }
        rewriter.replaceOp(op, results);
        continue;
      }
      copy->getResult(0).setType(
          withLayout(op->getResult(0).getType(), layout));
      mapping.map(op->getResult(0), copy->getResult(0));
      dead.push_back(op);
    }
    for (Operation *op : llvm::reverse(dead))
      rewriter.eraseOp(op);
    rewriter.eraseOp(convert);
    return success();
  }
};

/// A loop-carried value that every iteration converts to one layout, and
/// updates with one element-wise op (`ptrs += BLOCK`, `acc = acc * s`):
/// it is carried in that layout instead. Its initial value is converted
/// once, before the loop; the update is rebuilt in the layout (its other
/// operands must be as cheap in it: splats, ranges, constants); the loop's
/// result is converted back after the loop. The conversions in the loop
/// go: a pointer tensor that kitegpu-coalesce converted for its load each
/// iteration now is in the load's layout.
struct CarryInConvertedLayout : OpRewritePattern<ConvertLayoutOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvertLayoutOp convert,
                                PatternRewriter &rewriter) const override {
    auto arg = dyn_cast<BlockArgument>(convert.getSrc());
    auto loop = arg ? dyn_cast<scf::ForOp>(arg.getOwner()->getParentOp())
                    : scf::ForOp();
    if (!loop || arg.getArgNumber() == 0)
      return failure(); // not an iter_arg (the induction variable is 0)
    unsigned index = arg.getArgNumber() - 1;
    auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
    Operation *update = yield.getOperand(index).getDefiningOp();
    Attribute layout = convert.getType().getEncoding();
    // The update may also be a conversion back from the layout (a dot's
    // accumulator: convert to the dot's layout, dot, convert back).
    auto back = dyn_cast_or_null<ConvertLayoutOp>(update);
    bool updateIsBack = back && getLayout(back.getSrc().getType()) == layout;
    // Uses: conversions to the layout, and the update, used by the yield only.
    if (!update || !update->hasOneUse() ||
        update->getParentOp() != loop.getOperation() ||
        (!updateIsBack && (!isMovable(update) ||
                           isa<kite::BroadcastOp, kite::ExpandDimsOp>(update))))
      return failure();
    for (OpOperand &use : arg.getUses()) {
      Operation *user = use.getOwner();
      if (user == update)
        continue;
      auto other = dyn_cast<ConvertLayoutOp>(user);
      if (!other || other.getType().getEncoding() != layout)
        return failure();
    }
    if (!updateIsBack)
      for (Value operand : update->getOperands())
        if (operand != arg && !cheapIn(operand, layout))
          return failure();

    Type oldType = arg.getType(), newType = convert.getType();
    // The initial value, converted once.
    rewriter.setInsertionPoint(loop);
    Value init = ConvertLayoutOp::create(rewriter, loop.getLoc(), newType,
                                         loop.getInitArgs()[index]);
    // The update, rebuilt in the layout (or the value it converted back).
    Value updated;
    if (updateIsBack) {
      updated = back.getSrc();
    } else {
      rewriter.setInsertionPoint(update);
      IRMapping mapping;
      for (Value operand : update->getOperands())
        if (operand != arg && getLayout(operand.getType()))
          mapping.map(operand,
                      ConvertLayoutOp::create(
                          rewriter, update->getLoc(),
                          withLayout(operand.getType(), layout), operand));
      Operation *rebuilt = rewriter.clone(*update, mapping);
      rebuilt->getResult(0).setType(newType);
      updated = rebuilt->getResult(0);
    }
    // Retype the loop-carried value; its conversions become the value.
    rewriter.modifyOpInPlace(loop, [&] {
      loop.getInitArgsMutable()[index].set(init);
      arg.setType(newType);
      loop.getResult(index).setType(newType);
    });
    rewriter.modifyOpInPlace(yield, [&] { yield->setOperand(index, updated); });
    rewriter.eraseOp(update);
    for (OpOperand &use : llvm::make_early_inc_range(arg.getUses()))
      if (auto other = dyn_cast<ConvertLayoutOp>(use.getOwner()))
        rewriter.replaceOp(other, arg);
    // Uses after the loop see the old layout.
    rewriter.setInsertionPointAfter(loop);
    Value result = loop.getResult(index);
    if (!result.use_empty()) {
      auto back =
          ConvertLayoutOp::create(rewriter, loop.getLoc(), oldType, result);
      rewriter.replaceAllUsesExcept(result, back, back);
    }
    return success();
  }
};

/// convert(f(arg, ...)) where f is element-wise, `arg` a value an scf.for
/// carries (and f its only use), and f's other operands are cheap in the
/// target layout or broadcast vectors: f computes in the target layout on
/// convert(arg), which CarryInConvertedLayout then carries in it. So an
/// attention loop's `acc * alpha[:, None]` before `dot(p, v, acc)` keeps the
/// accumulator in the dot's layout across iterations.
struct ConvertCarriedValueFirst : OpRewritePattern<ConvertLayoutOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvertLayoutOp convert,
                                PatternRewriter &rewriter) const override {
    Operation *def = convert.getSrc().getDefiningOp();
    if (!def || !def->hasOneUse() || def->getNumResults() != 1 ||
        !def->hasTrait<OpTrait::Elementwise>() || !isMovable(def))
      return failure();
    Attribute layout = convert.getType().getEncoding();
    BlockArgument carried;
    for (Value operand : def->getOperands()) {
      auto arg = dyn_cast<BlockArgument>(operand);
      if (arg && arg.getArgNumber() > 0 && arg.hasOneUse() &&
          isa<scf::ForOp>(arg.getOwner()->getParentOp()) && !carried) {
        carried = arg;
        continue;
      }
      if (getLayout(operand.getType()) && !cheapIn(operand, layout) &&
          !isBroadcastVector(operand))
        return failure();
    }
    if (!carried)
      return failure();
    rewriter.setInsertionPoint(def);
    IRMapping mapping;
    for (Value operand : def->getOperands()) {
      if (!getLayout(operand.getType()) || mapping.contains(operand))
        continue;
      Type type = withLayout(operand.getType(), layout);
      if (operand != carried && isBroadcastVector(operand)) {
        auto broadcast = operand.getDefiningOp<kite::BroadcastOp>();
        Value expanded = rebuildExpandedVector(
            rewriter, broadcast.getSrc().getDefiningOp<kite::ExpandDimsOp>(),
            layout);
        mapping.map(operand, kite::BroadcastOp::create(
                                 rewriter, broadcast.getLoc(), type, expanded));
        continue;
      }
      mapping.map(operand, ConvertLayoutOp::create(rewriter, convert.getLoc(),
                                                   type, operand));
    }
    Operation *copy = rewriter.clone(*def, mapping);
    copy->getResult(0).setType(convert.getType());
    rewriter.replaceOp(convert, copy->getResults());
    rewriter.eraseOp(def);
    return success();
  }
};

} // namespace

void mlir::kitegpu::populateKeepLayoutPatterns(RewritePatternSet &patterns) {
  patterns.add<KeepLoadLayout, CarryInConvertedLayout,
               ConvertCarriedValueFirst>(patterns.getContext());
}
