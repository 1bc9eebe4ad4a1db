//===- ExpandQuantizationPass.cpp - kite-expand-quantization --------------===//
//
// kite.quantize and kite.dequantize become the f32 arithmetic they stand
// for. This runs after the passes that read them (kite-quantize-dot), at the
// start of the layout stage, so that the `kite` stage still shows them.
//
//===----------------------------------------------------------------------===//
#include "dialects/Kite/KiteOps.h"
#include "lib/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::kite {
#define GEN_PASS_DEF_KITEEXPANDQUANTIZATION
#include "lib/Transforms/Passes.h.inc"
} // namespace mlir::kite

using namespace mlir;
using namespace mlir::kite;

namespace {

/// `scale` (a scalar or a block-scaled tensor) repeated to `shape`: a group
/// of G along a dimension becomes expand_dims, broadcast and reshape, which
/// is the repeat-interleave a kernel would write by hand.
Value expandToShape(OpBuilder &b, Location loc, Value scale,
                    ArrayRef<int64_t> shape) {
  Type elem = getElementTypeOrSelf(scale.getType());
  auto full = RankedTensorType::get(shape, elem);
  auto scales = dyn_cast<RankedTensorType>(scale.getType());
  if (!scales)
    return SplatOp::create(b, loc, full, scale);
  if (scales.getShape() == shape)
    return scale;
  // [S0, S1] -> [S0, 1, S1, 1] -> [S0, G0, S1, G1] -> [S0*G0, S1*G1], with
  // the unit groups (and size-1 dimensions, which broadcast) left out.
  SmallVector<int64_t> broadcast;
  Value value = scale;
  int64_t axis = 0;
  for (auto [part, whole] : llvm::zip(scales.getShape(), shape)) {
    ++axis;
    broadcast.push_back(part == 1 ? whole : part);
    if (part == 1 || part == whole)
      continue;
    broadcast.push_back(whole / part);
    SmallVector<int64_t> expanded(
        cast<RankedTensorType>(value.getType()).getShape());
    expanded.insert(expanded.begin() + axis, 1);
    value = ExpandDimsOp::create(b, loc, RankedTensorType::get(expanded, elem),
                                 value, axis++);
  }
  value = BroadcastOp::create(b, loc, RankedTensorType::get(broadcast, elem),
                              value);
  if (broadcast.size() != shape.size())
    value = ReshapeOp::create(b, loc, full, value);
  return value;
}

Value toF32(OpBuilder &b, Location loc, Value value, bool isUnsigned = false) {
  Type elem = getElementTypeOrSelf(value.getType());
  Type f32 = b.getF32Type();
  if (elem == f32)
    return value;
  Type type = cast<ShapedType>(value.getType()).clone(f32);
  if (isa<IntegerType>(elem))
    return isUnsigned
               ? arith::UIToFPOp::create(b, loc, type, value).getResult()
               : arith::SIToFPOp::create(b, loc, type, value).getResult();
  if (elem.getIntOrFloatBitWidth() == 8)
    return FpToFpOp::create(b, loc, type, value, RoundingModeAttr());
  // f64 data (or scales) are rounded to f32 first: the arithmetic is f32's.
  if (elem.getIntOrFloatBitWidth() > 32)
    return arith::TruncFOp::create(b, loc, type, value);
  return arith::ExtFOp::create(b, loc, type, value);
}

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
    // Through i32, so that [0, 255] reaches an i8 as its bits (the verifier
    // keeps the range within 16 bits, exact in f32 and in i32).
    Value whole =
        arith::FPToSIOp::create(b, loc, type.clone(b.getI32Type()), value);
    if (type.getElementType().isInteger(32))
      b.replaceOp(op, whole);
    else
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
