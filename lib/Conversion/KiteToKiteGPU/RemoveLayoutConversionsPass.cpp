//===- RemoveLayoutConversionsPass.cpp - drop needless convert_layout -----===//
//
// Conversions are moved towards the values they convert until they meet
// another conversion (and fold with it) or a value that is as cheap to build
// in any layout (a splat, a range, a constant). Ops that the move passes are
// rebuilt in the converted layout next to the originals, which die when the
// conversion was their only use. A value with other uses is rebuilt only if
// that adds no conversion.
//
//===----------------------------------------------------------------------===//
#include "dialects/Kite/KiteOps.h"
#include "dialects/KiteGPU/KiteGPUOps.h"
#include "lib/Conversion/KiteToKiteGPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::kitegpu {
#define GEN_PASS_DEF_KITEGPUREMOVELAYOUTCONVERSIONS
#include "lib/Conversion/KiteToKiteGPU/Passes.h.inc"
} // namespace mlir::kitegpu

using namespace mlir;
using namespace mlir::kitegpu;

namespace {

/// How deep a chain of ops a conversion is moved through at once.
constexpr int kMaxDepth = 16;

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
    return success();
  }
};

struct RemoveLayoutConversionsPass
    : mlir::kitegpu::impl::KiteGPURemoveLayoutConversionsBase<
          RemoveLayoutConversionsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<RebuildCheapSource, MoveConvertUp>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns)))) {
      getOperation().emitError(
          "kitegpu-remove-layout-conversions did not converge");
      signalPassFailure();
    }
  }
};

} // namespace
