//===- ShapedArithmetic.h - arith ops of one shape at one place -*- C++ -*-===//
//
// The emitter's own math expansions (TrigReduction.cpp, InverseTrigInF64.cpp)
// build scalar or vector arithmetic in the shape of the op they replace.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_BACKENDS_SPIRV_EMITTER_SHAPEDARITHMETIC_H
#define KITE_BACKENDS_SPIRV_EMITTER_SHAPEDARITHMETIC_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/STLExtras.h"

#include <optional>

namespace mlir::kitespirv {

/// Scalar or vector arithmetic of one shape at one place.
struct ShapedArithmetic {
  OpBuilder &b;
  Location loc;
  std::optional<SmallVector<int64_t>> shape;

  Type of(Type element) const {
    return shape ? Type(VectorType::get(*shape, element)) : element;
  }
  Value constant(Type element, Attribute value) {
    Type type = of(element);
    if (shape)
      value = DenseElementsAttr::get(cast<ShapedType>(type), value);
    return arith::ConstantOp::create(b, loc, cast<TypedAttr>(value));
  }
  Value i32(int64_t v) {
    return constant(b.getI32Type(), b.getI32IntegerAttr(v));
  }
  Value i64(int64_t v) {
    return constant(b.getI64Type(), b.getI64IntegerAttr(v));
  }
  Value f(Type element, double v) {
    return constant(element, b.getFloatAttr(element, v));
  }
  Value add(Value x, Value y) {
    return isa<FloatType>(getElementTypeOrSelf(x.getType()))
               ? arith::AddFOp::create(b, loc, x, y).getResult()
               : arith::AddIOp::create(b, loc, x, y).getResult();
  }
  Value mulF(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value mulI(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value andI(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value orI(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value shl(Value x, Value y) { return arith::ShLIOp::create(b, loc, x, y); }
  Value shr(Value x, Value y) { return arith::ShRUIOp::create(b, loc, x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  Value ext(Value x) {
    return arith::ExtUIOp::create(b, loc, of(b.getI64Type()), x);
  }
  Value neg(Value x) { return arith::NegFOp::create(b, loc, x); }
  Value subF(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value divF(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value cmpF(arith::CmpFPredicate p, Value x, Value y) {
    return arith::CmpFOp::create(b, loc, p, x, y);
  }
  Value sqrt(Value x) { return math::SqrtOp::create(b, loc, x); }
  Value absF(Value x) { return math::AbsFOp::create(b, loc, x); }
  /// c[0] + x * (c[1] + x * (...)).
  Value horner(Value x, ArrayRef<double> c, Type element) {
    Value acc = f(element, c.back());
    for (double coefficient : llvm::reverse(c.drop_back()))
      acc = add(f(element, coefficient), mulF(x, acc));
    return acc;
  }
};

} // namespace mlir::kitespirv

#endif // KITE_BACKENDS_SPIRV_EMITTER_SHAPEDARITHMETIC_H
