//===- TrigReduction.cpp - f32 sin, cos, tan exact for every argument -----===//
//
// GLSL's Sin, Cos and Tan reduce their argument with a few bits of pi: on
// lavapipe sin(1e9) was off by up to 2.0 (and Vulkan requires nothing outside
// [-pi, pi]). Here f32 `math.sin`, `math.cos` and `math.tan` become an exact
// reduction and a polynomial:
//
// - x = m * 2^e (m the 24-bit significand of |x|). x * 2/pi mod 4 needs only
//   the bits of 2/pi from position e - 1 on: those before contribute
//   multiples of 4. So 96 bits of 2/pi are taken from a table at that
//   position and multiplied by m in three 32 x 24-bit products (i64); the
//   quadrant q is bits 94..95 of the sum, the 62 bits below are the
//   fraction (Payne and Hanek's reduction, exact for the whole f32 range);
// - rounded to the nearest quadrant, the fraction times pi/2 is
//   r in [-pi/4, pi/4], computed in f64 where the device has it (else f32);
// - sin r and cos r are their Taylor series (to r^15 in f64, r^12 in f32;
//   the remainder is below 2^-55 resp. 2^-33 of the result), combined by q;
//   tan is their quotient, rounded to f32 once.
//
// |x| < pi/4 skips the reduction; inf and NaN give NaN. Float operations are
// marked exact (NoContraction) so that the driver keeps their rounding.
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/emitter/KiteThreadToSPIRV.h"
#include "backends/spirv/emitter/ShapedArithmetic.h"
#include "dialects/KiteThread/AccurateMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"

#include <cmath>

using namespace mlir;
using mlir::kitespirv::ShapedArithmetic;

/// floor(2/pi * 2^224) in 32-bit words, most significant first, after a
/// zero word for the positions before the binary point.
static constexpr uint32_t kTwoOverPi[8] = {0x00000000, 0xa2f9836e, 0x4e441529,
                                           0xfc2757d1, 0xf534ddc0, 0xdb629599,
                                           0x3c439041, 0xfe5163ab};

namespace {
/// sin and cos of |x| (in f64 where the device has it), and whether x is
/// negative or not finite.
struct Reduced {
  Value sinAbs, cosAbs, negative, notFinite;
};
} // namespace

/// Taylor coefficients of sin(r)/r and cos(r) in r^2, up to r^(2n).
static SmallVector<double> series(bool sine, int terms) {
  SmallVector<double> c;
  double factorial = 1;
  int k = sine ? 1 : 0;
  for (int i = 0; i < terms; ++i, k += 2) {
    factorial = 1;
    for (int j = 2; j <= k; ++j)
      factorial *= j;
    c.push_back((i % 2 ? -1.0 : 1.0) / factorial);
  }
  return c;
}

static Reduced reduce(ShapedArithmetic &e, Value x, bool float64) {
  OpBuilder &b = e.b;
  Type i32 = b.getI32Type(), f32 = b.getF32Type();
  Type wide = float64 ? Type(b.getF64Type()) : f32;
  using P = arith::CmpIPredicate;

  Value bits = arith::BitcastOp::create(b, e.loc, e.of(i32), x);
  Value magnitude = e.andI(bits, e.i32(0x7fffffff));
  Value biased = e.shr(magnitude, e.i32(23));
  Value m = e.orI(e.andI(magnitude, e.i32(0x7fffff)), e.i32(0x800000));
  // Bits of 2/pi from position e - 1 = biased - 151 on; the table's bit 0
  // is position -31.
  Value offset =
      arith::MaxSIOp::create(b, e.loc, e.add(biased, e.i32(-120)), e.i32(0));
  Value word = e.shr(offset, e.i32(5)), shift = e.andI(offset, e.i32(31));
  SmallVector<Value> w;
  for (int k = 0; k < 4; ++k) {
    Value v = e.i32(static_cast<int32_t>(kTwoOverPi[k]));
    for (int j = 1; j <= 4; ++j)
      v = e.select(e.cmp(P::eq, word, e.i32(j)),
                   e.i32(static_cast<int32_t>(kTwoOverPi[j + k])), v);
    w.push_back(e.ext(v));
  }
  Value shift64 = e.ext(shift), low32 = e.i64(0xffffffff);
  auto window = [&](Value high, Value low) { // 32 bits at `shift`
    Value pair = e.orI(e.shl(high, e.i64(32)), low);
    return e.andI(e.shr(e.shl(pair, shift64), e.i64(32)), low32);
  };
  Value m64 = e.ext(m);
  Value p0 = e.mulI(m64, window(w[0], w[1]));
  Value p1 = e.mulI(m64, window(w[1], w[2]));
  Value p2 = e.mulI(m64, window(w[2], w[3]));
  Value mid = e.add(p1, e.shr(p2, e.i64(32)));
  Value hi = e.add(p0, e.shr(mid, e.i64(32)));
  Value quadrant = e.andI(e.shr(hi, e.i64(30)), e.i64(3));
  Value fraction = e.orI(e.shl(e.andI(hi, e.i64((1ll << 30) - 1)), e.i64(32)),
                         e.andI(mid, low32));
  // Round to the nearest quadrant: the fraction becomes [-1/2, 1/2).
  Value upper = e.cmp(P::uge, fraction, e.i64(1ll << 61));
  quadrant = e.select(upper, e.add(quadrant, e.i64(1)), quadrant);
  fraction = e.select(upper, e.add(fraction, e.i64(-(1ll << 62))), fraction);
  Value r = e.mulF(arith::SIToFPOp::create(b, e.loc, e.of(wide), fraction),
                   e.f(wide, std::ldexp(M_PI_2, -62)));

  // |x| < pi/4 (and zeros, subnormals) needs no reduction.
  Value small = e.cmp(P::ult, magnitude, e.i32(0x3f490fdb)); // pi/4 in f32
  Value absX = arith::BitcastOp::create(b, e.loc, e.of(f32), magnitude);
  if (float64)
    absX = arith::ExtFOp::create(b, e.loc, e.of(wide), absX);
  r = e.select(small, absX, r);
  quadrant = e.select(small, e.i64(0), quadrant);

  Value r2 = e.mulF(r, r);
  int terms = float64 ? 8 : 6;
  Value s = e.mulF(r, e.horner(r2, series(true, terms), wide));
  Value c = e.horner(r2, series(false, terms + 1), wide);
  // sin|x| by quadrant: s, c, -s, -c; cos|x|: c, -s, -c, s.
  Value q1 = e.cmp(P::eq, e.andI(quadrant, e.i64(1)), e.i64(1));
  Value q2 = e.cmp(P::eq, e.andI(quadrant, e.i64(2)), e.i64(2));
  Value q12 = e.cmp(P::eq, e.andI(e.add(quadrant, e.i64(1)), e.i64(2)),
                    e.i64(2)); // q = 1 or 2
  Value sinAbs = e.select(q1, c, s), cosAbs = e.select(q1, s, c);
  sinAbs = e.select(q2, e.neg(sinAbs), sinAbs);
  cosAbs = e.select(q12, e.neg(cosAbs), cosAbs);
  return {sinAbs, cosAbs, e.cmp(P::slt, bits, e.i32(0)),
          e.cmp(P::uge, magnitude, e.i32(0x7f800000))};
}

void mlir::kitespirv::reduceTrigArguments(ModuleOp module, bool float64) {
  SmallVector<Operation *> ops;
  module.walk([&](Operation *op) {
    if (isa<math::SinOp, math::CosOp, math::TanOp>(op) &&
        getElementTypeOrSelf(op->getResult(0).getType()).isF32())
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    OpBuilder b(op);
    std::optional<SmallVector<int64_t>> shape;
    if (auto vector = dyn_cast<VectorType>(op->getResult(0).getType()))
      shape = llvm::to_vector(vector.getShape());
    ShapedArithmetic e{b, kitethread::exactLocation(op->getLoc()), shape};
    Reduced reduced = reduce(e, op->getOperand(0), float64);
    // sin and tan are odd, cos even; rounded to f32 once, at the end.
    Value result = reduced.cosAbs;
    if (isa<math::TanOp>(op))
      result = arith::DivFOp::create(b, e.loc, reduced.sinAbs, reduced.cosAbs);
    else if (isa<math::SinOp>(op))
      result = reduced.sinAbs;
    if (!isa<math::CosOp>(op))
      result = e.select(reduced.negative, e.neg(result), result);
    Type f32 = e.of(b.getF32Type());
    if (result.getType() != f32)
      result = arith::TruncFOp::create(b, e.loc, f32, result);
    result = e.select(reduced.notFinite, e.f(b.getF32Type(), NAN), result);
    op->getResult(0).replaceAllUsesWith(result);
    op->erase();
  }
}
