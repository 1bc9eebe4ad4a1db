//===- AtanInF64.cpp - f32 atan through an f64 series ---------------------===//
//
// MLIR's f32 atan polynomial (what Vulkan kernels used, GLSL's Atan being
// looser) was up to 36 ulp off near 0.65 on lavapipe. Where the device has
// float64, f32 atan is computed there and rounded once:
//
//   a = |x|; a > 1: atan a = pi/2 - atan(1/a);
//   a > tan(pi/8): atan a = pi/4 + atan((a - 1)/(a + 1));
//   |t| <= tan(pi/8): atan t = t - t^3/3 + t^5/5 - ... to t^25 (the rest is
//   below 2^-38 of the result); the sign of x (and -0) is copied back.
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

void mlir::kitespirv::atanInFloat64(ModuleOp module) {
  SmallVector<math::AtanOp> ops;
  module.walk([&](math::AtanOp op) {
    if (getElementTypeOrSelf(op.getType()).isF32())
      ops.push_back(op);
  });
  for (math::AtanOp op : ops) {
    OpBuilder b(op);
    Location loc = kitethread::exactLocation(op.getLoc());
    Type f32 = op.getType(), f64 = b.getF64Type();
    if (auto vector = dyn_cast<VectorType>(f32))
      f64 = VectorType::get(vector.getShape(), f64);
    auto c = [&](double v) {
      return kitethread::floatConstant(b, loc, f64, v);
    };
    auto gt = [&](Value x, double v) -> Value {
      return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, c(v));
    };
    auto add = [&](Value x, Value y) -> Value {
      return arith::AddFOp::create(b, loc, x, y);
    };
    auto sub = [&](Value x, Value y) -> Value {
      return arith::SubFOp::create(b, loc, x, y);
    };
    auto mul = [&](Value x, Value y) -> Value {
      return arith::MulFOp::create(b, loc, x, y);
    };
    auto div = [&](Value x, Value y) -> Value {
      return arith::DivFOp::create(b, loc, x, y);
    };
    auto select = [&](Value cond, Value x, Value y) -> Value {
      return arith::SelectOp::create(b, loc, cond, x, y);
    };

    Value a = arith::ExtFOp::create(
        b, loc, f64, math::AbsFOp::create(b, loc, op.getOperand()).getResult());
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
    r = select(big, sub(c(M_PI_2), r), r);
    Value rounded = arith::TruncFOp::create(b, loc, f32, r);
    op.replaceAllUsesWith(
        math::CopySignOp::create(b, loc, rounded, op.getOperand()).getResult());
    op.erase();
  }
}
