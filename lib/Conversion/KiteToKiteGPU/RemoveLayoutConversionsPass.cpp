//===- RemoveLayoutConversionsPass.cpp - drop needless convert_layout -----===//
//
// Conversions are moved towards the values they convert until they meet
// another conversion (and fold with it) or a value that is as cheap to build
// in any layout (a splat, a range, a constant). Ops that the move passes are
// rebuilt in the converted layout next to the originals, which die when the
// conversion was their only use. A value with other uses is rebuilt only if
// that adds no conversion.
//
// A loop-carried value converted to one layout in every iteration and
// updated by one element-wise op is carried in that layout
// (CarryInConvertedLayout: `ptrs += BLOCK` in the load's layout).
//
// Conversely, a loaded value converted to another layout keeps the load's
// layout (chosen by kitegpu-coalesce for its memory accesses) when all that
// uses it can compute in it: element-wise ops, reductions to scalars, and
// further conversions (softmax: load, max, subtract, exp, sum, divide,
// store, all in the load's layout, with no conversion left).
//
//===----------------------------------------------------------------------===//
#include "dialects/Kite/KiteOps.h"
#include "dialects/KiteGPU/KiteGPUOps.h"
#include "lib/Conversion/KiteToKiteGPU/GatherLayouts.h"
#include "lib/Conversion/KiteToKiteGPU/JoinSplitLayouts.h"
#include "lib/Conversion/KiteToKiteGPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/SetVector.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include <functional>

namespace mlir::kitegpu {
#define GEN_PASS_DEF_KITEGPUREMOVELAYOUTCONVERSIONS
#include "lib/Conversion/KiteToKiteGPU/Passes.h.inc"
} // namespace mlir::kitegpu

using namespace mlir;
using namespace mlir::kitegpu;

namespace {

/// How deep a chain of ops a conversion is moved through at once.
constexpr int kMaxDepth = 16;

/// Rewrites per op of the module before the pass stops (a safety net: a
/// softmax or a matmul takes fewer than two per op).
constexpr int64_t kRewritesPerOp = 64;

bool isCheapSource(Operation *op) {
  return isa<kite::SplatOp, kite::MakeRangeOp, arith::ConstantOp>(op);
}

/// Ops that compute in any layout: element-wise ones, broadcast and
/// expand_dims (whose source layout follows from the result's).
bool isMovable(Operation *op) {
  if (op->getNumResults() != 1 || !isMemoryEffectFree(op) ||
      op->getNumRegions() != 0)
    return false;
  if (isa<kite::BroadcastOp, kite::ExpandDimsOp, kite::AddPtrOp, kite::FpToFpOp,
          kite::BitcastOp, kite::PtrToIntOp, kite::IntToPtrOp>(op))
    return true;
  return op->hasTrait<OpTrait::Elementwise>();
}

/// Whether `value` can be rebuilt in another layout by moving conversions
/// up to cheap sources or other conversions. Other conversions are only
/// met along single-use ops, where moving past an op removes one.
bool canRebuild(Value value, int depth, bool allowConverts) {
  Operation *op = value.getDefiningOp();
  if (!op)
    return false;
  if (isa<ConvertLayoutOp>(op))
    return allowConverts;
  if (isCheapSource(op))
    return true;
  if (depth == 0 || !isMovable(op))
    return false;
  allowConverts = allowConverts && op->hasOneUse();
  return llvm::all_of(op->getOperands(), [&](Value operand) {
    return !getLayout(operand.getType()) ||
           canRebuild(operand, depth - 1, allowConverts);
  });
}

/// The layout operand `operand` of `op` needs for `op` to produce `layout`.
Type operandTypeFor(Operation *op, Value operand, Attribute layout) {
  if (auto expand = dyn_cast<kite::ExpandDimsOp>(op))
    layout = SliceLayoutAttr::get(op->getContext(), expand.getAxis(),
                                  cast<DistributedLayoutAttr>(layout));
  return withLayout(operand.getType(), layout);
}

/// convert(splat x), convert(make_range), convert(constant): build the value
/// in the target layout instead.
struct RebuildCheapSource : OpRewritePattern<ConvertLayoutOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvertLayoutOp convert,
                                PatternRewriter &rewriter) const override {
    Operation *src = convert.getSrc().getDefiningOp();
    if (!src || !isCheapSource(src))
      return failure();
    if (auto constant = dyn_cast<arith::ConstantOp>(src)) {
      auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
      if (!dense)
        return failure();
      rewriter.setInsertionPointAfter(src);
      rewriter.replaceOp(
          convert, arith::ConstantOp::create(rewriter, src->getLoc(),
                                             dense.reshape(convert.getType())));
      return success();
    }
    rewriter.setInsertionPointAfter(src);
    Operation *copy = rewriter.clone(*src);
    copy->getResult(0).setType(convert.getType());
    rewriter.replaceOp(convert, copy->getResults());
    return success();
  }
};

/// convert(op(a, b)) -> op(convert(a), convert(b)) for movable ops whose
/// operands can be rebuilt in the new layout.
struct MoveConvertUp : OpRewritePattern<ConvertLayoutOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvertLayoutOp convert,
                                PatternRewriter &rewriter) const override {
    Operation *src = convert.getSrc().getDefiningOp();
    if (!src || !isMovable(src) ||
        !canRebuild(convert.getSrc(), kMaxDepth, /*allowConverts=*/true))
      return failure();
    Attribute layout = convert.getType().getEncoding();
    rewriter.setInsertionPointAfter(src);
    IRMapping mapping;
    for (Value operand : src->getOperands()) {
      if (!getLayout(operand.getType()))
        continue;
      Type type = operandTypeFor(src, operand, layout);
      mapping.map(operand, ConvertLayoutOp::create(rewriter, convert.getLoc(),
                                                   type, operand));
    }
    Operation *copy = rewriter.clone(*src, mapping);
    copy->getResult(0).setType(convert.getType());
    rewriter.replaceOp(convert, copy->getResults());
    // Erased now, not by the driver later: while it lives, its operands have
    // one use too many, and the patterns that count uses (canRebuild's
    // single-use chains) would judge them by a state about to change.
    if (src->use_empty())
      rewriter.eraseOp(src);
    return success();
  }
};

/// How deep a chain of element-wise ops from cheap sources is rebuilt in
/// another layout (Philox's ten rounds for kl.rand are about 90 deep).
constexpr int kMaxCheapDepth = 512;

/// Whether `value` is as cheap in `layout`: built from splats, ranges,
/// constants and conversions from `layout` by element-wise ops. `known`
/// memoizes the answer per value: such chains share subexpressions, and
/// walking them as trees would take exponential time.
bool cheapIn(Value value, Attribute layout, int depth,
             llvm::DenseMap<Value, bool> &known) {
  if (!getLayout(value.getType()))
    return true;
  Operation *def = value.getDefiningOp();
  if (!def)
    return false;
  if (auto convert = dyn_cast<ConvertLayoutOp>(def))
    return getLayout(convert.getSrc().getType()) == layout;
  if (isCheapSource(def))
    return true;
  if (depth == 0 || !isMovable(def) ||
      isa<kite::BroadcastOp, kite::ExpandDimsOp>(def))
    return false;
  auto [it, inserted] = known.try_emplace(value, false);
  if (!inserted)
    return it->second;
  bool cheap = llvm::all_of(def->getOperands(), [&](Value operand) {
    return cheapIn(operand, layout, depth - 1, known);
  });
  known[value] = cheap;
  return cheap;
}

bool cheapIn(Value value, Attribute layout) {
  llvm::DenseMap<Value, bool> known;
  return cheapIn(value, layout, kMaxCheapDepth, known);
}

/// The ops downstream of `root` (a convert_layout of a load), in program
/// order, if all of them can compute in the load's layout: element-wise ops
/// of one shape, reductions to scalars, and conversions and joins, where
/// the slice ends. Their other tensor operands must be as cheap in that layout
/// (cheapIn).
std::optional<SmallVector<Operation *>> forwardSlice(ConvertLayoutOp root,
                                                     Attribute layout) {
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
      // A join ends the slice as well: it joins in the layout's join layout
      // (JoinSplitLayouts.h) and its result is converted.
      if (isa<kite::JoinOp>(user) && isa<BlockedLayoutAttr>(layout)) {
        slice.insert(user);
        continue;
      }
      if (auto reduce = dyn_cast<kite::ReduceOp>(user)) {
        if (llvm::any_of(reduce.getResultTypes(),
                         [](Type t) { return isa<RankedTensorType>(t); }))
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
    if (isa<ConvertLayoutOp>(op))
      continue;
    for (Value operand : op->getOperands()) {
      if (!values.contains(operand) && !cheapIn(operand, layout))
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
/// and the conversion goes (see the file comment). The layouts of join,
/// split and reshape results (pairs held in threads, JoinSplitLayouts.h)
/// are kept the same way.
struct KeepLoadLayout : OpRewritePattern<ConvertLayoutOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvertLayoutOp convert,
                                PatternRewriter &rewriter) const override {
    if (!isa_and_nonnull<kite::LoadOp, kite::JoinOp, kite::SplitOp,
                         kite::ReshapeOp>(convert.getSrc().getDefiningOp()))
      return failure();
    Attribute layout = getLayout(convert.getSrc().getType());
    std::optional<SmallVector<Operation *>> slice =
        forwardSlice(convert, layout);
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
      if (isa<kite::ReduceOp>(op)) {
        rewriter.replaceOp(op, copy->getResults());
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

/// op(convert(x)) -> convert(op(x)) where op narrows its elements (truncf,
/// trunci, fp8 conversions): the conversion then moves fewer bytes through
/// workgroup memory (a matmul's f32 accumulator converted for its store
/// after it is rounded to f16: half of it).
struct ConvertAfterNarrowing : OpRewritePattern<ConvertLayoutOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConvertLayoutOp convert,
                                PatternRewriter &rewriter) const override {
    if (!convert->hasOneUse())
      return failure();
    Operation *user = *convert->getUsers().begin();
    // Same block: never into a loop the conversion was outside of.
    if (!isMovable(user) || user->getNumOperands() != 1 ||
        user->getBlock() != convert->getBlock() ||
        isa<kite::BroadcastOp, kite::ExpandDimsOp>(user))
      return failure();
    // Bits in workgroup memory: i1 is kept as i32, bf16 and fp8 as f32.
    auto bits = [](Type type) {
      Type element = getElementTypeOrSelf(type);
      if (element.isInteger(1) ||
          isa<BFloat16Type, Float8E4M3FNType, Float8E5M2Type>(element))
        return 32u;
      return element.isIntOrFloat() ? element.getIntOrFloatBitWidth() : 64u;
    };
    if (bits(user->getResult(0).getType()) >= bits(convert.getType()))
      return failure();
    // A conversion that MoveConvertUp takes on up to where it folds away
    // stays above the op: moving it down here would undo that move, and the
    // two would take turns for ever.
    Value src = convert.getSrc();
    if (canRebuild(src, kMaxDepth, /*allowConverts=*/true))
      return failure();
    rewriter.setInsertionPoint(user);
    IRMapping mapping;
    mapping.map(convert.getResult(), src);
    Operation *narrowed = rewriter.clone(*user, mapping);
    narrowed->getResult(0).setType(
        withLayout(user->getResult(0).getType(), getLayout(src.getType())));
    rewriter.replaceOp(user,
                       ConvertLayoutOp::create(rewriter, user->getLoc(),
                                               user->getResult(0).getType(),
                                               narrowed->getResult(0)));
    rewriter.eraseOp(convert);
    return success();
  }
};

/// dot(convert(a), convert(b), c) -> dot(a, b, c): the FMA dot stores its
/// operands to workgroup memory from whatever blocked layout they have
/// (DotToThreads.cpp), so a conversion before it is one more trip through
/// workgroup memory for nothing.
struct DotTakesOperandsAsTheyAre : OpRewritePattern<kite::DotOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(kite::DotOp dot,
                                PatternRewriter &rewriter) const override {
    bool changed = false;
    for (OpOperand &operand : dot->getOpOperands().take_front(2)) {
      auto convert = operand.get().getDefiningOp<ConvertLayoutOp>();
      if (!convert ||
          !isa<BlockedLayoutAttr>(getLayout(convert.getSrc().getType())))
        continue;
      rewriter.modifyOpInPlace(dot, [&] { operand.set(convert.getSrc()); });
      changed = true;
    }
    return success(changed);
  }
};

struct RemoveLayoutConversionsPass
    : mlir::kitegpu::impl::KiteGPURemoveLayoutConversionsBase<
          RemoveLayoutConversionsPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RebuildCheapSource, MoveConvertUp, KeepLoadLayout,
                 CarryInConvertedLayout, DotTakesOperandsAsTheyAre,
                 ConvertAfterNarrowing>(&getContext());
    populateJoinSplitLayoutPatterns(patterns);
    populateGatherLayoutPatterns(patterns);
    (void)rewriteToFixedPoint(std::move(patterns));
  }

  /// Every pattern removes a conversion, moves one towards where it folds or
  /// makes it narrower, and none undoes another's move, so the rewrite
  /// reaches a fixed point. The bound is a safety net: each rewrite leaves a
  /// valid program, so if it is ever reached the conversions left are kept,
  /// with a warning, and the compilation goes on.
  LogicalResult rewriteToFixedPoint(RewritePatternSet &&patterns) {
    // A cycle within one round would never end the round: rewrites are
    // bounded too, at many times what a kernel needs.
    int64_t ops = 0;
    getOperation().walk([&](Operation *) { ++ops; });
    GreedyRewriteConfig config;
    config.setMaxIterations(maxIterations);
    config.setMaxNumRewrites(kRewritesPerOp * ops);
    if (succeeded(
            applyPatternsGreedily(getOperation(), std::move(patterns), config)))
      return success();
    getOperation().walk([&](FunctionOpInterface function) {
      function.emitWarning()
          << "kitegpu-remove-layout-conversions stopped after "
          << static_cast<int64_t>(maxIterations)
          << " rounds without reaching a fixed point; the conversions "
             "left in '"
          << function.getName() << "' are kept";
    });
    return failure();
  }
};

} // namespace
