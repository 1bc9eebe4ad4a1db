//===- AccurateMath.cpp - f32 math without textbook-formula losses --------===//
//
// Vulkan lets GLSL.std.450's functions be as inaccurate as their textbook
// formulas, and lavapipe's are: Log(1+x) for log1p and Exp(x)-1 for expm1
// lose everything below 1e-7, (e^x - e^-x)/2 loses sinh and tanh for small
// x, Asinh/Acosh overflow from 1e19, and Pow is undefined for x <= 0; MLIR's
// expansions, which the NVPTX emitter uses where there is no libdevice, are
// the same formulas. On f32 (f16 arrives here widened to f32) these become
// formulas that keep full precision, built from log, exp, sqrt and the pow
// of |x|:
//
// - log1p and expm1: MLIR's polynomial approximations, log(u)·x/(u - 1)
//   with u = 1 + x and (u - 1)·x/log(u) with u = e^x over a log that is
//   accurate near 1 (GLSL's is only to 2^-21 there);
// - sinh(x) = sign · (e + e / (e + 1)) / 2, tanh(x) = sign · e' / (e' + 2),
//   with e = expm1(|x|), e' = expm1(2|x|);
// - asinh(x) = sign · log1p(a + a² / (1 + sqrt(1 + a²))), log(a) + ln 2
//   past 2^12; acosh(x) = log1p(t + sqrt(2t + t²)), t = x - 1, likewise;
//   atanh(x) = sign · log1p(2a / (1 - a)) / 2;
// - pow(x, y) = ±|x|^y with C's special cases: a negative x needs an integer
//   y (else NaN) and is negative for odd y; zero and infinite x, y = 0 and
//   x = 1 follow C99 Annex F.
//
// The formulas only work if every operation rounds as written: a driver
// may otherwise simplify (1 + x) - 1 to x (Mesa does, for instructions not
// marked exact). Their ops get the location name "kite.exact", and after the
// conversion the SPIR-V emitter decorates their instructions NoContraction,
// which Vulkan drivers honour as "compute exactly this" (LLVM reassociates
// nothing without fast-math flags).
//
//===----------------------------------------------------------------------===//
#include "dialects/KiteThread/AccurateMath.h"
#include "dialects/KiteThread/FloatConstant.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;

static constexpr llvm::StringLiteral kExactLocation = "kite.exact";

namespace {
/// Builds f32 scalar or vector arithmetic at one place.
struct F32Builder {
  OpBuilder &b;
  Location loc;
  Type type;

  Value c(double v) { return kitethread::floatConstant(b, loc, type, v); }
  Value add(Value x, Value y) { return arith::AddFOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubFOp::create(b, loc, x, y); }
  Value neg(Value x) { return arith::NegFOp::create(b, loc, x); }
  Value mul(Value x, Value y) { return arith::MulFOp::create(b, loc, x, y); }
  Value div(Value x, Value y) { return arith::DivFOp::create(b, loc, x, y); }
  Value abs(Value x) { return math::AbsFOp::create(b, loc, x); }
  Value log(Value x) { return math::LogOp::create(b, loc, x); }
  Value exp(Value x) { return math::ExpOp::create(b, loc, x); }
  Value sqrt(Value x) { return math::SqrtOp::create(b, loc, x); }
  Value floor(Value x) { return math::FloorOp::create(b, loc, x); }
  Value rem(Value x, Value y) { return arith::RemFOp::create(b, loc, x, y); }
  Value copysign(Value x, Value y) {
    return math::CopySignOp::create(b, loc, x, y);
  }
  Value cmp(arith::CmpFPredicate p, Value x, Value y) {
    return arith::CmpFOp::create(b, loc, p, x, y);
  }
  Value eq(Value x, Value y) { return cmp(arith::CmpFPredicate::OEQ, x, y); }
  Value lt(Value x, Value y) { return cmp(arith::CmpFPredicate::OLT, x, y); }
  Value gt(Value x, Value y) { return cmp(arith::CmpFPredicate::OGT, x, y); }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, loc, c, x, y);
  }
  Value andI(Value x, Value y) { return arith::AndIOp::create(b, loc, x, y); }
  Value orI(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }

  // MLIR's polynomial approximations (expanded after this, with this
  // location): log(u)·x/(u - 1) and (u - 1)·x/log(u) over their own log,
  // accurate near 1 where GLSL's Log is only accurate to 2^-21.
  Value log1p(Value x) { return math::Log1pOp::create(b, loc, x); }
  Value expm1(Value x) { return math::ExpM1Op::create(b, loc, x); }
  /// log(a) + ln 2 where a > 2^12 (a² would lose or overflow), else `near`.
  Value largeLog(Value a, Value near) {
    return select(gt(a, c(4096)), add(log(a), c(0.69314718055994531)), near);
  }
};
} // namespace

static Value rewrite(F32Builder &f, Operation *op) {
  Value x = op->getOperand(0);
  if (isa<math::SinhOp>(op)) {
    Value e = f.expm1(f.abs(x));
    Value s = f.mul(f.c(0.5), f.add(e, f.div(e, f.add(e, f.c(1)))));
    return f.copysign(f.select(f.eq(e, f.c(INFINITY)), e, s), x);
  }
  if (isa<math::TanhOp>(op)) {
    Value e = f.expm1(f.mul(f.c(2), f.abs(x)));
    Value t = f.div(e, f.add(e, f.c(2)));
    return f.copysign(f.select(f.eq(e, f.c(INFINITY)), f.c(1), t), x);
  }
  if (isa<math::AsinhOp>(op)) {
    Value a = f.abs(x), a2 = f.mul(a, a);
    Value near =
        f.log1p(f.add(a, f.div(a2, f.add(f.c(1), f.sqrt(f.add(f.c(1), a2))))));
    return f.copysign(f.largeLog(a, near), x);
  }
  if (isa<math::AcoshOp>(op)) {
    Value t = f.sub(x, f.c(1));
    Value near = f.log1p(f.add(t, f.sqrt(f.add(f.mul(f.c(2), t), f.mul(t, t)))));
    return f.largeLog(x, near);
  }
  if (isa<math::AtanhOp>(op)) {
    Value a = f.abs(x);
    Value r = f.mul(f.c(0.5), f.log1p(f.div(f.mul(f.c(2), a), f.sub(f.c(1), a))));
    return f.copysign(r, x);
  }
  // pow(x, y): GLSL Pow of |x| (defined for |x| > 0), then C's rules.
  Value y = op->getOperand(1);
  Value ax = f.abs(x), ay = f.abs(y);
  Value magnitude = math::PowFOp::create(f.b, f.loc, ax, y);
  Value isInt = f.eq(f.floor(y), y);
  Value isOdd = f.andI(isInt, f.eq(f.rem(ay, f.c(2)), f.c(1)));
  Value negative = f.lt(f.copysign(f.c(1), x), f.c(0)); // -0.0 too
  Value flip = f.andI(negative, isOdd);
  // |x| = 0: 0 for y > 0, inf for y < 0; |x| = inf: the other way round.
  Value zero = f.eq(ax, f.c(0)), inf = f.eq(ax, f.c(INFINITY));
  Value edge = f.select(f.gt(y, f.c(0)), f.select(zero, f.c(0), f.c(INFINITY)),
                        f.select(zero, f.c(INFINITY), f.c(0)));
  magnitude = f.select(f.orI(zero, inf), edge, magnitude);
  // -magnitude, not 0 - magnitude: pow(-0.0, 3) is -0.0.
  Value r = f.select(flip, f.neg(magnitude), magnitude);
  // A finite negative x needs an integer y.
  Value nan = f.c(NAN);
  r = f.select(f.andI(f.lt(x, f.c(0)), f.andI(f.lt(ax, f.c(INFINITY)),
                                              f.cmp(arith::CmpFPredicate::UNE,
                                                    f.floor(y), y))),
               nan, r);
  // y = 0 and x = 1 give 1, even with a NaN on the other side, and so does
  // x = -1 with an infinite y.
  Value one = f.orI(f.orI(f.eq(y, f.c(0)), f.eq(x, f.c(1))),
                    f.andI(f.eq(ax, f.c(1)), f.eq(ay, f.c(INFINITY))));
  return f.select(one, f.c(1), r);
}

void mlir::kitethread::rewriteLooseMath(ModuleOp module) {
  SmallVector<Operation *> ops;
  module.walk([&](Operation *op) {
    if (!isa<math::Log1pOp, math::ExpM1Op, math::SinhOp, math::TanhOp,
             math::AsinhOp, math::AcoshOp, math::AtanhOp, math::PowFOp>(op))
      return;
    if (getElementTypeOrSelf(op->getResult(0).getType()).isF32())
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    OpBuilder b(op);
    Location exact = NameLoc::get(b.getStringAttr(kExactLocation), op->getLoc());
    if (isa<math::Log1pOp, math::ExpM1Op>(op)) {
      op->setLoc(exact); // the polynomial expansion inherits it
      continue;
    }
    F32Builder f{b, exact, op->getResult(0).getType()};
    op->getResult(0).replaceAllUsesWith(rewrite(f, op));
    op->erase();
  }
}

Location mlir::kitethread::exactLocation(Location loc) {
  return NameLoc::get(StringAttr::get(loc.getContext(), kExactLocation), loc);
}

bool mlir::kitethread::isExactLocation(Location loc) {
  auto name = dyn_cast<NameLoc>(loc);
  return name && name.getName() == kExactLocation;
}

