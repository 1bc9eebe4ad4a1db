//===- FloatRemainder.cpp - `x % y` on floats as C's fmod, exactly
//---------===//
//
// A float remainder is always representable, so fmod has one right answer.
// Vulkan's FRem is computed by Mesa as x - y * trunc(x / y), and LLVM's
// NVPTX backend lowers frem to fma(-trunc(x / y), y, x): off by up to 1e-3
// relative for |x / y| near 1e4 in f32 and wholly wrong beyond 2^24, +0.0
// where the answer is -0.0 (-0.0 % 1.0), and on Vulkan NaN for x % inf (x).
// Both emitters run this before their conversion.
//
// Where the device has float64, f16 and f32 remainders are computed there
// by reducing |x| with |y| scaled by 2^(28 k), k from 10 down to 0: each
// step's quotient is below 2^29, so quotient * scaled divisor (24 + 29 bits)
// and the new remainder (it fits 24 bits) are exact in f64, and the rounded
// division is off by at most one, which one correction either way repairs.
// Eleven steps cover the whole f32 exponent range (2^-149 to 2^128). The
// result takes x's sign and is rounded back, exactly.
//
// f64 remainders (and f32 without float64) keep the target's formula, with
// the special values put right: NaN for an infinite or NaN x or a zero or
// NaN y, x for an infinite y, and a zero result with x's sign.
//
//===----------------------------------------------------------------------===//
#include "dialects/KiteThread/AccurateMath.h"
#include "dialects/KiteThread/FloatConstant.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>
#include <limits>

using namespace mlir;

/// Steps of 2^28 that span f32's exponents (and f16's) from the smallest
/// subnormal divisor to the largest dividend.
static constexpr int kReductionSteps = 11;
static constexpr int kBitsPerStep = 28;

namespace {
struct Remainder {
  OpBuilder &b;
  Location loc;

  Value constant(Type type, double value) {
    return kitethread::floatConstant(b, loc, type, value);
  }
  Value compare(arith::CmpFPredicate predicate, Value x, Value y) {
    return arith::CmpFOp::create(b, loc, predicate, x, y);
  }
  Value select(Value condition, Value x, Value y) {
    return arith::SelectOp::create(b, loc, condition, x, y);
  }
  Value abs(Value x) { return math::AbsFOp::create(b, loc, x); }

  /// |x| mod |y| for finite x and non-zero finite y, both f64 holding f32
  /// (or f16) values.
  Value exactMagnitude(Value x, Value y) {
    Type type = x.getType();
    Value r = abs(x), divisor = abs(y);
    for (int k = kReductionSteps - 1; k >= 0; --k) {
      Value s = arith::MulFOp::create(
          b, loc, divisor, constant(type, std::ldexp(1.0, kBitsPerStep * k)));
      // r and s are >= 0, so floor is trunc.
      Value q =
          math::FloorOp::create(b, loc, arith::DivFOp::create(b, loc, r, s));
      r = arith::SubFOp::create(b, loc, r, arith::MulFOp::create(b, loc, q, s));
      Value zero = constant(type, 0.0);
      r = select(compare(arith::CmpFPredicate::OLT, r, zero),
                 arith::AddFOp::create(b, loc, r, s), r);
      r = select(compare(arith::CmpFPredicate::OGE, r, s),
                 arith::SubFOp::create(b, loc, r, s), r);
    }
    return r;
  }

  /// The IEEE special cases around `finite` (the remainder for finite x and
  /// non-zero finite y), and a zero result with x's sign.
  Value withSpecials(Value x, Value y, Value finite) {
    Type type = x.getType();
    double inf = std::numeric_limits<double>::infinity();
    Value infinity = constant(type, inf);
    Value zero = constant(type, 0.0);
    // x * 0.0 is a zero with x's sign for finite x.
    Value signedZero = arith::MulFOp::create(b, loc, x, zero);
    Value result = select(compare(arith::CmpFPredicate::OEQ, finite, zero),
                          signedZero, finite);
    Value yInfinite = compare(arith::CmpFPredicate::OEQ, abs(y), infinity);
    result = select(yInfinite, x, result);
    Value invalid = arith::OrIOp::create(
        b, loc, compare(arith::CmpFPredicate::UEQ, abs(x), infinity),
        compare(arith::CmpFPredicate::UEQ, y, zero));
    return select(invalid, constant(type, std::nan("")), result);
  }
};
} // namespace

void mlir::kitethread::exactFloatRemainders(ModuleOp module, bool float64) {
  SmallVector<arith::RemFOp> remainders;
  module.walk([&](arith::RemFOp op) { remainders.push_back(op); });
  for (arith::RemFOp op : remainders) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Remainder rem{b, loc};
    Value x = op.getLhs(), y = op.getRhs();
    Type type = op.getType();
    Type element = getElementTypeOrSelf(type);
    Value finite;
    if (float64 && !element.isF64()) {
      Type wide = Float64Type::get(b.getContext());
      if (auto shaped = dyn_cast<ShapedType>(type))
        wide = shaped.clone(wide);
      Value xw = arith::ExtFOp::create(b, loc, wide, x);
      Value yw = arith::ExtFOp::create(b, loc, wide, y);
      Value magnitude = rem.exactMagnitude(xw, yw);
      Value negative =
          rem.compare(arith::CmpFPredicate::OLT, xw, rem.constant(wide, 0.0));
      Value signed_ = rem.select(
          negative, arith::NegFOp::create(b, loc, magnitude), magnitude);
      finite = arith::TruncFOp::create(b, loc, type, signed_);
    } else {
      // The target's formula, kept as an op that the conversion lowers.
      finite = arith::RemFOp::create(b, loc, x, y);
    }
    Value result = rem.withSpecials(x, y, finite);
    op.replaceAllUsesWith(result);
    op.erase();
  }
}
