//===- SubnormalMath.cpp - f32 exp and log, subnormals included ----------===//
//
// lavapipe's Exp and Exp2 return 0 where the result is subnormal (exp(-98)
// is 2.6e-43), and its Log and Log2 read a subnormal argument's exponent as
// if it were normal (log(1e-45) came out -88.0, not -103.3); its Exp was 63
// ulp off at -86 and its Log 3,000 ulp near 1 (Vulkan allows 3 + 2|x| ulp
// and 2^-21 absolute). The interpreter and NVIDIA keep subnormals, and
// multiplying by a power of two is exact on lavapipe. So for f32:
//
// - exp(x) = exp(x + 32) * e^-32 and exp2(x) = exp2(x + 32) * 2^-32 where
//   the result is subnormal (x + 32 is exact there: same binade or below);
// - log(x) = log(x * 2^32) - 32 ln 2 and log2(x) = log2(x * 2^32) - 32 where
//   x is subnormal (x * 2^32 is exact and normal);
// - exp, log and log2 themselves are MLIR's polynomial approximations (as
//   for the accurate formulas): within 5, 1.1 and 1.5 ulp over the f32
//   range on lavapipe; exp2 stays GLSL's (3 ulp).
//
// The ops are marked exact (NoContraction) so that the driver keeps them.
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/emitter/KiteThreadToSPIRV.h"
#include "dialects/KiteThread/AccurateMath.h"
#include "dialects/KiteThread/FloatConstant.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"

#include <cmath>

using namespace mlir;

void mlir::kitespirv::keepSubnormalsInExpAndLog(ModuleOp module) {
  SmallVector<Operation *> ops;
  module.walk([&](Operation *op) {
    if (isa<math::ExpOp, math::Exp2Op, math::LogOp, math::Log2Op>(op) &&
        getElementTypeOrSelf(op->getResult(0).getType()).isF32() &&
        !kitethread::isExactLocation(op->getLoc()))
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    OpBuilder b(op);
    Location loc = kitethread::exactLocation(op->getLoc());
    Type type = op->getResult(0).getType();
    auto constant = [&](double v) {
      return kitethread::floatConstant(b, loc, type, v);
    };
    Value x = op->getOperand(0);
    bool isExp = isa<math::ExpOp, math::Exp2Op>(op);
    bool natural = isa<math::ExpOp, math::LogOp>(op);
    // exp: results below 2^-126, i.e. x < ln 2^-126 (resp. -126 for exp2);
    // log: 0 < x < 2^-126.
    double edge = natural ? -126 * M_LN2 : -126;
    auto compare = [&](arith::CmpFPredicate p, Value v, double c) -> Value {
      return arith::CmpFOp::create(b, loc, p, v, constant(c));
    };
    Value scaled, shifted;
    if (isExp) {
      scaled = compare(arith::CmpFPredicate::OLT, x, edge);
      shifted = arith::AddFOp::create(b, loc, x, constant(32));
    } else {
      scaled = arith::AndIOp::create(
          b, loc, compare(arith::CmpFPredicate::OGT, x, 0),
          compare(arith::CmpFPredicate::OLT, x, std::ldexp(1.0, -126)));
      shifted = arith::MulFOp::create(b, loc, x, constant(std::ldexp(1.0, 32)));
    }
    IRMapping argument;
    argument.map(x, arith::SelectOp::create(b, loc, scaled, shifted, x));
    Operation *inner = b.clone(*op, argument);
    // exp, log and log2 are expanded as MLIR's polynomials (prepareMath's
    // exact expansions), exp2 stays GLSL's.
    inner->setLoc(isa<math::Exp2Op>(op) ? op->getLoc() : loc);
    Value r = inner->getResult(0);
    Value fixed;
    if (isExp)
      fixed = arith::MulFOp::create(
          b, loc, r,
          constant(natural ? std::exp(-32.0) : std::ldexp(1.0, -32)));
    else
      fixed =
          arith::SubFOp::create(b, loc, r, constant(natural ? 32 * M_LN2 : 32));
    op->getResult(0).replaceAllUsesWith(
        arith::SelectOp::create(b, loc, scaled, fixed, r).getResult());
    op->erase();
  }
}
