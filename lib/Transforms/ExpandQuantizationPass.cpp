//===- ExpandQuantizationPass.cpp - kite-expand-quantization --------------===//
//
// kite.quantize and kite.dequantize become the f32 arithmetic they stand
// for. This runs after the passes that read them (kite-quantize-dot), at the
// start of the layout stage, so that the `kite` stage still shows them.
//
//===----------------------------------------------------------------------===//
#include "dialects/Kite/KiteOps.h"
#include "lib/Transforms/Passes.h"
#include "lib/Transforms/QuantizationUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::kite {
#define GEN_PASS_DEF_KITEEXPANDQUANTIZATION
#include "lib/Transforms/Passes.h.inc"
} // namespace mlir::kite

using namespace mlir;
using namespace mlir::kite;

namespace {

Value constantLike(OpBuilder &b, Location loc, Value like, double value) {
  auto type = cast<ShapedType>(like.getType());
  return arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(type,
                             b.getFloatAttr(type.getElementType(), value)));
}

struct ExpandQuantize : OpRewritePattern<QuantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(QuantizeOp op,
                                PatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value scale =
        toF32(b, loc, expandToShape(b, loc, op.getScale(), type.getShape()));
    Value value =
        arith::DivFOp::create(b, loc, toF32(b, loc, op.getSrc()), scale);
    if (auto format = dyn_cast<FloatType>(type.getElementType())) {
      double largest =
          APFloat::getLargest(format.getFloatSemantics()).convertToDouble();
      // minimumf/maximumf keep NaN, which the conversion keeps too.
      value = arith::MinimumFOp::create(b, loc, value,
                                        constantLike(b, loc, value, largest));
      value = arith::MaximumFOp::create(b, loc, value,
                                        constantLike(b, loc, value, -largest));
      b.replaceOpWithNewOp<FpToFpOp>(op, type, value, RoundingModeAttr());
      return success();
    }
    value = math::RoundEvenOp::create(b, loc, value);
    Value zero = constantLike(b, loc, value, 0.0);
    if (Value point = op.getZeroPoint()) {
      zero = toF32(b, loc, expandToShape(b, loc, point, type.getShape()));
      value = arith::AddFOp::create(b, loc, value, zero);
    }
    Value isNan =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, value, value);
    value = arith::SelectOp::create(b, loc, isNan, zero, value);
    value = arith::MaxNumFOp::create(
        b, loc, value,
        constantLike(b, loc, value, double(int64_t(*op.getMin()))));
    value = arith::MinNumFOp::create(
        b, loc, value,
        constantLike(b, loc, value, double(int64_t(*op.getMax()))));
    // Through i32, so that [0, 255] reaches an i8 as its bits. The verifier
    // takes integers of 2 to 16 bits (exact in f32 and in i32), so there is
    // always a trunci left.
    Value whole =
        arith::FPToSIOp::create(b, loc, type.clone(b.getI32Type()), value);
    b.replaceOpWithNewOp<arith::TruncIOp>(op, type, whole);
    return success();
  }
};

struct ExpandDequantize : OpRewritePattern<DequantizeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DequantizeOp op,
                                PatternRewriter &b) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value value = toF32(b, loc, op.getSrc(), op.getIsUnsigned());
    if (Value point = op.getZeroPoint())
      value = arith::SubFOp::create(
          b, loc, value,
          toF32(b, loc, expandToShape(b, loc, point, type.getShape())));
    Value scale =
        toF32(b, loc, expandToShape(b, loc, op.getScale(), type.getShape()));
    value = arith::MulFOp::create(b, loc, value, scale);
    if (type.getElementType().isF32())
      b.replaceOp(op, value);
    else if (type.getElementType().getIntOrFloatBitWidth() < 32)
      b.replaceOpWithNewOp<arith::TruncFOp>(op, type, value);
    else
      b.replaceOpWithNewOp<arith::ExtFOp>(op, type, value);
    return success();
  }
};

struct KiteExpandQuantization
    : kite::impl::KiteExpandQuantizationBase<KiteExpandQuantization> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<ExpandQuantize, ExpandDequantize>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
