//===- RemoveLayoutConversionsPass.cpp - drop needless convert_layout -----===//
//
// Conversions are moved towards the values they convert until they meet
// another conversion (and fold with it) or a value that is as cheap to build
// in any layout (a splat, a range, a constant). Ops that the move passes are
// rebuilt in the converted layout next to the originals, which die when the
// conversion was their only use. A value with other uses is rebuilt only if
// that adds no conversion.
//
// Conversely, the patterns of KeepLayouts.h move conversions down, away
// from loads and loop-carried values whose layouts are worth keeping; those
// of JoinSplitLayouts.h and GatherLayouts.h handle join, split, reshape
// and gather. How the rewrite reaches a fixed point: at the pass, below.
//
//===----------------------------------------------------------------------===//
#include "dialects/Kite/Float8Formats.h"
#include "dialects/Kite/KiteOps.h"
#include "dialects/KiteGPU/KiteGPUOps.h"
#include "dialects/KiteGPU/MmaTiling.h"
#include "lib/Conversion/KiteToKiteGPU/ConvertibleValues.h"
#include "lib/Conversion/KiteToKiteGPU/GatherLayouts.h"
#include "lib/Conversion/KiteToKiteGPU/JoinSplitLayouts.h"
#include "lib/Conversion/KiteToKiteGPU/KeepLayouts.h"
#include "lib/Conversion/KiteToKiteGPU/LoopCarriedLayouts.h"
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

/// trans(convert(x)) -> convert(trans(x)), x in a blocked layout and the
/// conversion used by the transpose alone: the transpose is free in x's
/// permuted layout, and the conversion, now of its result, meets what
/// reads it (a dot takes its operands as they are). A transposed load
/// keeps its coalesced layout, so a dot of `kl.trans(kl.load(...))` stages
/// its runs with vector stores. No pattern moves a conversion back above
/// a transpose.
struct TransposeBeforeConversion : OpRewritePattern<kite::TransOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(kite::TransOp trans,
                                PatternRewriter &rewriter) const override {
    auto convert = trans.getSrc().getDefiningOp<ConvertLayoutOp>();
    if (!convert || !convert->hasOneUse())
      return failure();
    auto layout =
        dyn_cast<BlockedLayoutAttr>(convert.getSrc().getType().getEncoding());
    if (!layout)
      return failure();
    auto type = withLayout(trans.getType(),
                           getPermutedLayout(layout, trans.getOrder()));
    Value transposed = kite::TransOp::create(
        rewriter, trans.getLoc(), type, convert.getSrc(), trans.getOrder());
    rewriter.replaceOpWithNewOp<ConvertLayoutOp>(trans, trans.getType(),
                                                 transposed);
    rewriter.eraseOp(convert);
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
      if (element.isInteger(1) || element.isBF16() ||
          kite::getFloat8Format(element))
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
      // A conversion to the accumulators' layout of the dot's warps is
      // deliberate: the dot reads those registers as its A fragments.
      if (operand.getOperandNumber() == 0 &&
          getMmaAccumulatorWarpsM(convert.getType().getEncoding()) &&
          getMmaAccumulatorWarpsM(convert.getType().getEncoding()) ==
              getMmaAccumulatorWarpsM(dot.getType().getEncoding()))
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
    patterns.add<RebuildCheapSource, MoveConvertUp, DotTakesOperandsAsTheyAre,
                 ConvertAfterNarrowing, TransposeBeforeConversion>(
        &getContext());
    populateKeepLayoutPatterns(patterns);
    populateJoinSplitLayoutPatterns(patterns);
    populateGatherLayoutPatterns(patterns);
    populateLoopCarriedLayoutPatterns(patterns);
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
