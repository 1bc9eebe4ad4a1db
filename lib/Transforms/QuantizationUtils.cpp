//===- QuantizationUtils.cpp - scales and f32 for quantization ------------===//
//
// The helpers kite-quantize-dot and kite-expand-quantization share
// (QuantizationUtils.h).
//
//===----------------------------------------------------------------------===//
#include "lib/Transforms/QuantizationUtils.h"

#include "dialects/Kite/KiteOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::kite;

Value mlir::kite::expandToShape(OpBuilder &b, Location loc, Value scale,
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

Value mlir::kite::toF32(OpBuilder &b, Location loc, Value value,
                        bool isUnsigned) {
  Type elem = getElementTypeOrSelf(value.getType());
  Type f32 = b.getF32Type();
  if (elem == f32)
    return value;
  auto shaped = dyn_cast<ShapedType>(value.getType());
  Type type = shaped ? Type(shaped.clone(f32)) : f32;
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
