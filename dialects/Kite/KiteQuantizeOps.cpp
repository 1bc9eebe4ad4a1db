//===- KiteQuantizeOps.cpp - kite.quantize and kite.dequantize ------------===//
//
// Both ops take "block scaled" scales: a scalar, or a tensor of the source's
// rank whose every dimension divides the source's (per tensor, per row, per
// column, per group of K).
//
//===----------------------------------------------------------------------===//
#include "dialects/Kite/KiteOps.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::kite;

static LogicalResult verifyScales(Operation *op, RankedTensorType src,
                                  Value scale, Value zeroPoint) {
  if (auto scales = dyn_cast<RankedTensorType>(scale.getType())) {
    if (scales.getRank() != src.getRank())
      return op->emitOpError()
             << "scale " << scales << " must be a scalar or have the rank of "
             << src;
    for (auto [dim, full, part] :
         llvm::enumerate(src.getShape(), scales.getShape()))
      if (full % part != 0)
        return op->emitOpError()
               << "scale dimension " << dim << " (" << part
               << ") does not divide the source's (" << full << ")";
  }
  if (!zeroPoint)
    return success();
  if (!getElementTypeOrSelf(zeroPoint.getType()).isInteger(32))
    return op->emitOpError()
           << "zero point must hold i32, got " << zeroPoint.getType();
  auto pointShape = dyn_cast<RankedTensorType>(zeroPoint.getType());
  auto scaleShape = dyn_cast<RankedTensorType>(scale.getType());
  if (bool(pointShape) != bool(scaleShape) ||
      (pointShape && pointShape.getShape() != scaleShape.getShape()))
    return op->emitOpError()
           << "zero point " << zeroPoint.getType()
           << " must have the scale's shape (" << scale.getType() << ")";
  return success();
}

LogicalResult QuantizeOp::verify() {
  auto src = cast<RankedTensorType>(getSrc().getType());
  if (failed(verifySameShape(*this, "source", src, "result", getType())) ||
      failed(verifyScales(*this, src, getScale(), getZeroPoint())))
    return failure();
  Type elem = getElementTypeOrSelf(getType());
  if (isa<FloatType>(elem)) {
    if (elem.getIntOrFloatBitWidth() != 8)
      return emitOpError() << "quantizes to integers or 8-bit floats, not "
                           << elem;
    if (getZeroPoint() || getMin() || getMax())
      return emitOpError() << "to " << elem
                           << " takes no zero point, min or max";
    return success();
  }
  // f32 holds every integer of 16 bits exactly, not every one of 32.
  unsigned bits = elem.getIntOrFloatBitWidth();
  if (bits > 16 || bits < 2)
    return emitOpError() << "quantizes to integers of 2 to 16 bits, not "
                         << elem;
  if (!getMin() || !getMax())
    return emitOpError() << "to " << elem << " needs min and max";
  int64_t lo = int64_t(*getMin()), hi = int64_t(*getMax());
  int64_t signedLo = -(int64_t(1) << (bits - 1));
  int64_t unsignedHi = (int64_t(1) << bits) - 1;
  bool fitsSigned = lo >= signedLo && hi <= -signedLo - 1;
  bool fitsUnsigned = lo >= 0 && hi <= unsignedHi;
  if (lo > hi || !(fitsSigned || fitsUnsigned))
    return emitOpError() << "range [" << lo << ", " << hi << "] does not fit "
                         << elem;
  return success();
}

LogicalResult DequantizeOp::verify() {
  auto src = cast<RankedTensorType>(getSrc().getType());
  if (failed(verifySameShape(*this, "source", src, "result", getType())) ||
      failed(verifyScales(*this, src, getScale(), getZeroPoint())))
    return failure();
  Type elem = src.getElementType();
  if (getElementTypeOrSelf(getType()) !=
      getElementTypeOrSelf(getScale().getType()))
    return emitOpError() << "result " << getType()
                         << " must have the scale's element type";
  if (isa<FloatType>(elem) && (getZeroPoint() || getIsUnsigned()))
    return emitOpError() << "of " << elem
                         << " takes no zero point and is not unsigned";
  if (!isa<FloatType, IntegerType>(elem) || elem.getIntOrFloatBitWidth() > 32)
    return emitOpError() << "dequantizes integers up to 32 bits or floats, not "
                         << elem;
  return success();
}
