//===- FloatConstant.cpp - float constants for rewrites of float ops ------===//
#include "dialects/KiteThread/FloatConstant.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;

Value kitethread::floatConstant(OpBuilder &b, Location loc, Type type,
                                double value) {
  auto element = cast<FloatType>(getElementTypeOrSelf(type));
  TypedAttr attr = b.getFloatAttr(element, value);
  if (auto shaped = dyn_cast<ShapedType>(type))
    attr = DenseElementsAttr::get(shaped, attr);
  return arith::ConstantOp::create(b, loc, attr);
}
