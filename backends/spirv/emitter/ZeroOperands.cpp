//===- ZeroOperands.cpp - float ops on a literal zero, computed exactly ---===//
//
// Mesa's NIR folds float arithmetic on a literal +0.0 as if signed zeros,
// infinities and NaNs did not exist, whatever the module's execution modes
// say (lavapipe 25.0.7, f32 and f64): `x + 0.0` became x (-0.0 stayed -0.0),
// `0.0 - x` became -x, `0.0 / x` became 0.0 (0/0 must be NaN), `x / 0.0`
// became NaN (it is +-inf for x != 0), f64 `x % 0.0` became x and
// `-0.0 % x` lost its sign. Ops on a
// runtime zero, and on -0.0, are exact. Here each such op becomes the IEEE
// result written as comparisons and selects, which leave the driver nothing
// to fold wrongly; the cost is a compare and a select or two, and only where
// a kernel names the constant.
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/emitter/KiteThreadToSPIRV.h"
#include "dialects/KiteThread/FloatConstant.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/Matchers.h"

#include <limits>

using namespace mlir;

namespace {
struct Exact {
  OpBuilder &b;
  Location loc;
  Type type;

  Value constant(double value) {
    return kitethread::floatConstant(b, loc, type, value);
  }
  Value compare(arith::CmpFPredicate predicate, Value x, double value) {
    return arith::CmpFOp::create(b, loc, predicate, x, constant(value));
  }
  Value select(Value condition, Value x, Value y) {
    return arith::SelectOp::create(b, loc, condition, x, y);
  }
  /// x == 0 (either sign) or x is NaN.
  Value zeroOrNaN(Value x) { return compare(arith::CmpFPredicate::UEQ, x, 0); }
  Value negative(Value x) { return compare(arith::CmpFPredicate::OLT, x, 0); }

  /// x + 0.0: x, except -0.0 + 0.0 = +0.0.
  Value plusZero(Value x) {
    return select(compare(arith::CmpFPredicate::OEQ, x, 0), constant(0.0), x);
  }
  /// 0.0 - x: -x, except 0.0 - 0.0 = +0.0.
  Value zeroMinus(Value x) {
    return select(compare(arith::CmpFPredicate::OEQ, x, 0), constant(0.0),
                  arith::NegFOp::create(b, loc, x));
  }
  /// x / 0.0: NaN for 0 and NaN, else infinity with x's sign.
  Value overZero(Value x) {
    double inf = std::numeric_limits<double>::infinity();
    return select(zeroOrNaN(x), constant(std::nan("")),
                  select(negative(x), constant(-inf), constant(inf)));
  }
  /// 0.0 / x: NaN for 0 and NaN, else zero with x's sign (0 / -inf = -0.0).
  Value zeroOver(Value x) {
    return select(zeroOrNaN(x), constant(std::nan("")),
                  select(negative(x), constant(-0.0), constant(0.0)));
  }
  /// +-0.0 % x: NaN for 0 and NaN, else the dividend, sign included.
  Value zeroRemainder(Value x, double zero) {
    return select(zeroOrNaN(x), constant(std::nan("")), constant(zero));
  }
};

bool isPositiveZero(Value v) { return matchPattern(v, m_PosZeroFloat()); }
bool isNegativeZero(Value v) { return matchPattern(v, m_NegZeroFloat()); }

/// The exact replacement of `op`, or null where the driver gets it right.
Value exactResult(Operation *op, OpBuilder &b) {
  if (op->getNumOperands() != 2 || op->getNumResults() != 1)
    return {};
  Value lhs = op->getOperand(0), rhs = op->getOperand(1);
  Exact exact{b, op->getLoc(), op->getResult(0).getType()};
  if (isa<arith::AddFOp>(op)) {
    if (isPositiveZero(rhs))
      return exact.plusZero(lhs);
    if (isPositiveZero(lhs))
      return exact.plusZero(rhs);
  } else if (isa<arith::SubFOp>(op)) {
    if (isNegativeZero(rhs)) // x - (-0.0) = x + 0.0
      return exact.plusZero(lhs);
    if (isPositiveZero(lhs))
      return exact.zeroMinus(rhs);
  } else if (isa<arith::DivFOp>(op)) {
    if (isPositiveZero(rhs))
      return exact.overZero(lhs);
    if (isPositiveZero(lhs))
      return exact.zeroOver(rhs);
  } else if (isa<arith::RemFOp>(op)) {
    if (isPositiveZero(rhs) || isNegativeZero(rhs)) // always NaN
      return exact.constant(std::nan(""));
    if (isPositiveZero(lhs))
      return exact.zeroRemainder(rhs, 0.0);
    if (isNegativeZero(lhs))
      return exact.zeroRemainder(rhs, -0.0);
  }
  return {};
}
} // namespace

void mlir::kitespirv::computeZeroOperandsExactly(ModuleOp module) {
  SmallVector<Operation *> candidates;
  module.walk([&](Operation *op) {
    if (isa<arith::AddFOp, arith::SubFOp, arith::DivFOp, arith::RemFOp>(op))
      candidates.push_back(op);
  });
  for (Operation *op : candidates) {
    OpBuilder b(op);
    if (Value exact = exactResult(op, b)) {
      op->getResult(0).replaceAllUsesWith(exact);
      op->erase();
    }
  }
}
