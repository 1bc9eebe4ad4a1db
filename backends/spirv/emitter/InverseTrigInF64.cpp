//===- InverseTrigInF64.cpp - f32 atan, asin, acos through f64 -----------===//
//
// MLIR's f32 polynomials (what Vulkan kernels used, GLSL's own being
// looser) were up to 36 ulp off for atan near 0.65 and 6.8 ulp for asin on
// lavapipe. Where the device has float64, f32 atan, asin and acos are
// computed there from one atan series and rounded once:
//
//   a = |x|; a > 1: atan a = pi/2 - atan(1/a);
//   a > tan(pi/8): atan a = pi/4 + atan((a - 1)/(a + 1));
//   |t| <= tan(pi/8): atan t = t - t^3/3 + t^5/5 - ... to t^25 (the rest is
//   below 2^-38 of the result); the sign of x (and -0) is copied back.
//   asin x = atan(x / sqrt((1 - x)(1 + x)))   (x = +-1: atan(+-inf))
//   acos x = 2 atan(sqrt((1 - x) / (1 + x)))  (x = -1: 2 atan(inf) = pi)
//
// Both products are exact enough in f64 for an f32 x; outside [-1, 1] the
// square root's argument is negative and the result NaN, as C's.
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/emitter/KiteThreadToSPIRV.h"
#include "dialects/KiteThread/AccurateMath.h"
#include "dialects/KiteThread/FloatConstant.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"

#include <cmath>

using namespace mlir;

namespace {

/// f64 arithmetic at one op's place, in its shape (scalar or vector).
struct F64Builder {
  OpBuilder &b;
  Location loc;
  Type f64;

  Value c(double v) const { return kitethread::floatConstant(b, loc, f64, v); }
  Value gt(Value x, double v) const {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, c(v));
  }
  Value add(Value x, Value y) const { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) const { return arith::SubFOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) const { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) const { return arith::DivFOp::create(b, loc, x, y); }
  Value select(Value cond, Value x, Value y) const {
    return arith::SelectOp::create(b, loc, cond, x, y);
  }
  Value sqrt(Value x) const { return math::SqrtOp::create(b, loc, x); }

  /// atan |x| (NaN for NaN, pi/2 for inf), to 2^-38 of the result.
  Value atanOfMagnitude(Value x) const {
    Value a = math::AbsFOp::create(b, loc, x);
    Value big = gt(a, 1.0);
    Value a1 = select(big, div(c(1.0), a), a);
    Value mid = gt(a1, std::tan(M_PI / 8));
    Value t = select(mid, div(sub(a1, c(1.0)), add(a1, c(1.0))), a1);
    Value t2 = mul(t, t);
    Value series = c(1.0 / 25);
    for (int k = 11; k >= 0; --k)
      series = add(c((k % 2 ? -1.0 : 1.0) / (2 * k + 1)), mul(t2, series));
    Value r = mul(t, series);
    r = select(mid, add(c(M_PI_4), r), r);
    return select(big, sub(c(M_PI_2), r), r);
  }
};

} // namespace

void mlir::kitespirv::inverseTrigInFloat64(ModuleOp module) {
  SmallVector<Operation *> ops;
  module.walk([&](Operation *op) {
    if (isa<math::AtanOp, math::AsinOp, math::AcosOp>(op) &&
        getElementTypeOrSelf(op->getResult(0).getType()).isF32())
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    OpBuilder b(op);
    Location loc = kitethread::exactLocation(op->getLoc());
    Type f32 = op->getResult(0).getType(), f64 = b.getF64Type();
    if (auto vector = dyn_cast<VectorType>(f32))
      f64 = VectorType::get(vector.getShape(), f64);
    F64Builder f{b, loc, f64};
    Value x = op->getOperand(0);
    Value wide = arith::ExtFOp::create(b, loc, f64, x);
    Value result;
    if (isa<math::AcosOp>(op)) {
      Value ratio = f.div(f.sub(f.c(1.0), wide), f.add(f.c(1.0), wide));
      result = arith::TruncFOp::create(
          b, loc, f32, f.mul(f.c(2.0), f.atanOfMagnitude(f.sqrt(ratio))));
    } else {
      Value t = wide;
      if (isa<math::AsinOp>(op))
        t = f.div(wide, f.sqrt(f.mul(f.sub(f.c(1.0), wide), f.add(f.c(1.0), wide))));
      Value rounded = arith::TruncFOp::create(b, loc, f32, f.atanOfMagnitude(t));
      result = math::CopySignOp::create(b, loc, rounded, x);
    }
    op->getResult(0).replaceAllUsesWith(result);
    op->erase();
  }
}
