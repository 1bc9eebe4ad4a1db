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
#include "backends/spirv/emitter/ShapedArithmetic.h"
#include "dialects/KiteThread/AccurateMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"

#include <cmath>

using namespace mlir;

/// atan |x| in f64 (NaN for NaN, pi/2 for inf), to 2^-38 of the result.
static Value atanOfMagnitude(kitespirv::ShapedArithmetic &e, Value x) {
  Type f64 = e.b.getF64Type();
  auto c = [&](double v) { return e.f(f64, v); };
  auto gt = [&](Value v, double bound) {
    return e.cmpF(arith::CmpFPredicate::OGT, v, c(bound));
  };
  Value a = e.absF(x);
  Value big = gt(a, 1.0);
  Value a1 = e.select(big, e.divF(c(1.0), a), a);
  Value mid = gt(a1, std::tan(M_PI / 8));
  Value t = e.select(mid, e.divF(e.subF(a1, c(1.0)), e.add(a1, c(1.0))), a1);
  SmallVector<double> coefficients; // 1 - t^2/3 + t^4/5 - ... in t^2
  for (int k = 0; k <= 12; ++k)
    coefficients.push_back((k % 2 ? -1.0 : 1.0) / (2 * k + 1));
  Value r = e.mulF(t, e.horner(e.mulF(t, t), coefficients, f64));
  r = e.select(mid, e.add(c(M_PI_4), r), r);
  return e.select(big, e.subF(c(M_PI_2), r), r);
}

void mlir::kitespirv::inverseTrigInFloat64(ModuleOp module) {
  SmallVector<Operation *> ops;
  module.walk([&](Operation *op) {
    if (isa<math::AtanOp, math::AsinOp, math::AcosOp>(op) &&
        getElementTypeOrSelf(op->getResult(0).getType()).isF32())
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    OpBuilder b(op);
    std::optional<SmallVector<int64_t>> shape;
    Type f32 = op->getResult(0).getType();
    if (auto vector = dyn_cast<VectorType>(f32))
      shape = llvm::to_vector(vector.getShape());
    kitespirv::ShapedArithmetic e{b, kitethread::exactLocation(op->getLoc()), shape};
    Type f64 = b.getF64Type();
    auto c = [&](double v) { return e.f(f64, v); };
    Value x = op->getOperand(0);
    Value wide = arith::ExtFOp::create(b, e.loc, e.of(f64), x);
    Value result;
    if (isa<math::AcosOp>(op)) {
      Value ratio = e.divF(e.subF(c(1.0), wide), e.add(c(1.0), wide));
      result = arith::TruncFOp::create(
          b, e.loc, f32, e.mulF(c(2.0), atanOfMagnitude(e, e.sqrt(ratio))));
    } else {
      Value t = wide;
      if (isa<math::AsinOp>(op))
        t = e.divF(wide, e.sqrt(e.mulF(e.subF(c(1.0), wide), e.add(c(1.0), wide))));
      Value rounded = arith::TruncFOp::create(b, e.loc, f32, atanOfMagnitude(e, t));
      result = math::CopySignOp::create(b, e.loc, rounded, x);
    }
    op->getResult(0).replaceAllUsesWith(result);
    op->erase();
  }
}
