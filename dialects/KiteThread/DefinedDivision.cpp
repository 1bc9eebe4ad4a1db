//===- DefinedDivision.cpp - integer division that is never undefined -----===//
//
// LLVM's sdiv/udiv/srem/urem, and SPIR-V's OpSDiv/OpUDiv/OpSRem/OpUMod,
// are undefined behaviour for a zero divisor and for INT_MIN / -1. A
// masked-off lane divides by its load's `other` (0) all the time, and the
// optimizer uses the UB: it concluded that lanes reaching such a division
// are unmasked and dropped the store's mask, so that an `x // y` kernel
// stored past the end of its output on NVIDIA (found by cuda-sim). Both
// emitters run this first: the divisor becomes 1 where it is 0, and where
// a signed division would overflow, so x / 0 is x and x % 0 is 0 (Triton
// leaves both unspecified), and INT_MIN / -1 wraps to INT_MIN as PTX's
// div.s32 does.
//
//===----------------------------------------------------------------------===//
#include "dialects/KiteThread/AccurateMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;

namespace {

Value splatInt(OpBuilder &b, Location loc, Type type, const APInt &value) {
  Type element = getElementTypeOrSelf(type);
  if (auto shaped = dyn_cast<ShapedType>(type))
    return b.create<arith::ConstantOp>(
        loc, DenseElementsAttr::get(shaped, b.getIntegerAttr(element, value)));
  return b.create<arith::ConstantOp>(loc, b.getIntegerAttr(element, value));
}

void defineOne(Operation *op, bool isSigned) {
  OpBuilder b(op);
  Location loc = op->getLoc();
  Value x = op->getOperand(0), d = op->getOperand(1);
  Type type = d.getType();
  unsigned width = getElementTypeOrSelf(type).getIntOrFloatBitWidth();
  Value zero = splatInt(b, loc, type, APInt(width, 0));
  Value one = splatInt(b, loc, type, APInt(width, 1));
  Value unsafe = b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, d, zero);
  if (isSigned && width > 1) {
    Value minusOne = splatInt(b, loc, type, APInt::getAllOnes(width));
    Value min = splatInt(b, loc, type, APInt::getSignedMinValue(width));
    Value overflow = b.create<arith::AndIOp>(
        loc, b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, d, minusOne),
        b.create<arith::CmpIOp>(loc, arith::CmpIPredicate::eq, x, min));
    unsafe = b.create<arith::OrIOp>(loc, unsafe, overflow);
  }
  Value safe = b.create<arith::SelectOp>(loc, unsafe, one, d);
  op->setOperand(1, safe);
}

bool constantSafe(Value divisor, bool isSigned) {
  APInt value;
  DenseIntElementsAttr dense;
  Attribute attr;
  if (!matchPattern(divisor, m_Constant(&attr)))
    return false;
  auto safeValue = [&](const APInt &v) {
    return !v.isZero() && !(isSigned && v.isAllOnes());
  };
  if (auto integer = dyn_cast<IntegerAttr>(attr))
    return safeValue(integer.getValue());
  if (auto elements = dyn_cast<DenseIntElementsAttr>(attr)) {
    for (const APInt &v : elements.getValues<APInt>())
      if (!safeValue(v))
        return false;
    return true;
  }
  return false;
}

} // namespace

void mlir::kitethread::defineIntegerDivision(ModuleOp module) {
  module.walk([](Operation *op) {
    bool isSigned = isa<arith::DivSIOp, arith::RemSIOp, arith::CeilDivSIOp,
                        arith::FloorDivSIOp>(op);
    bool isUnsigned = isa<arith::DivUIOp, arith::RemUIOp, arith::CeilDivUIOp>(op);
    if ((isSigned || isUnsigned) && !constantSafe(op->getOperand(1), isSigned))
      defineOne(op, isSigned);
  });
}
