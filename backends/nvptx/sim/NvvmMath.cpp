//===- NvvmMath.cpp - NVVM's arithmetic intrinsics on the host ------------===//
//
// Built with -frounding-math: each directed-rounding operation switches the
// host's rounding mode around one operation on volatile operands, so that
// the compiler neither folds nor moves it.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/sim/NvvmMath.h"

#include "llvm/ADT/StringMap.h"

#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

using namespace kite::sim;

namespace {

template <typename T> T flush(T x) {
  // .ftz: subnormal inputs and results become zero of the same sign.
  return std::fpclassify(x) == FP_SUBNORMAL ? std::copysign(T(0), x) : x;
}

enum Round { RN, RZ, RM, RP };
int hostMode(Round r) {
  return r == RN   ? FE_TONEAREST
         : r == RZ ? FE_TOWARDZERO
         : r == RM ? FE_DOWNWARD
                   : FE_UPWARD;
}

/// Runs `op` in rounding mode `r`.
template <typename F> auto rounded(Round r, F op) {
  int saved = std::fegetround();
  std::fesetround(hostMode(r));
  auto result = op();
  std::fesetround(saved);
  return result;
}

template <typename T, Round R, bool Ftz> T add(T a, T b) {
  volatile T x = Ftz ? flush(a) : a, y = Ftz ? flush(b) : b;
  T r = rounded(R, [&] { return T(x + y); });
  return Ftz ? flush(r) : r;
}
template <typename T, Round R, bool Ftz> T mul(T a, T b) {
  volatile T x = Ftz ? flush(a) : a, y = Ftz ? flush(b) : b;
  T r = rounded(R, [&] { return T(x * y); });
  return Ftz ? flush(r) : r;
}
template <typename T, Round R, bool Ftz> T div(T a, T b) {
  volatile T x = Ftz ? flush(a) : a, y = Ftz ? flush(b) : b;
  T r = rounded(R, [&] { return T(x / y); });
  return Ftz ? flush(r) : r;
}
template <typename T, Round R, bool Ftz> T fma(T a, T b, T c) {
  volatile T x = Ftz ? flush(a) : a, y = Ftz ? flush(b) : b,
             z = Ftz ? flush(c) : c;
  T r = rounded(R, [&] { return std::fma(T(x), T(y), T(z)); });
  return Ftz ? flush(r) : r;
}
template <typename T, Round R, bool Ftz> T rcp(T a) {
  return div<T, R, Ftz>(T(1), a);
}
template <typename T, Round R, bool Ftz> T sqrtr(T a) {
  volatile T x = Ftz ? flush(a) : a;
  T r = rounded(R, [&] { return std::sqrt(T(x)); });
  return Ftz ? flush(r) : r;
}

// The approximate instructions: the correctly rounded result is within the
// ISA's error bound; the special values are the ISA's.
template <bool Ftz> float ex2(float a) {
  float x = Ftz ? flush(a) : a;
  float r = std::exp2(x);
  return Ftz ? flush(r) : r;
}
template <bool Ftz> float lg2(float a) {
  float x = Ftz ? flush(a) : a; // lg2(±0) = -inf, lg2(negative) = NaN
  return std::log2(x);
}
template <typename T, bool Ftz> T rsqrt(T a) {
  T x = Ftz ? flush(a) : a; // rsqrt(±0) = ±inf, rsqrt(+inf) = +0
  if (x == T(0))
    return std::copysign(std::numeric_limits<T>::infinity(), x);
  T r = T(1) / std::sqrt(x);
  return Ftz ? flush(r) : r;
}
template <typename T, bool Ftz> T rcpApprox(T a) {
  T x = Ftz ? flush(a) : a;
  T r = T(1) / x;
  return Ftz ? flush(r) : r;
}
template <bool Ftz> float sqrtApprox(float a) {
  float x = Ftz ? flush(a) : a;
  return std::sqrt(x);
}
template <bool Ftz, bool FullRange> float divApprox(float a, float b) {
  float x = Ftz ? flush(a) : a, y = Ftz ? flush(b) : b;
  // div.approx is a * (1/b): for 2^126 < |b| < 2^128, 1/b is below the
  // normal range and flushes to 0, so a finite a gives 0 and an infinite
  // one NaN. div.full scales its operands and keeps the whole range.
  if (!FullRange && std::fabs(y) > 0x1p126f && std::isfinite(y))
    return x * std::copysign(0.0f, y);
  float r = x / y;
  return Ftz ? flush(r) : r;
}
template <bool Ftz> float sinApprox(float a) {
  return std::sin(Ftz ? flush(a) : a);
}
template <bool Ftz> float cosApprox(float a) {
  return std::cos(Ftz ? flush(a) : a);
}
float tanhApprox(float a) { return std::tanh(a); }

template <typename T, bool Ftz> T fmin(T a, T b) {
  T x = Ftz ? flush(a) : a, y = Ftz ? flush(b) : b;
  if (std::isnan(x))
    return y;
  if (std::isnan(y))
    return x;
  if (x == 0 && y == 0)
    return std::signbit(x) ? x : y; // -0 < +0
  return x < y ? x : y;
}
template <typename T, bool Ftz> T fmax(T a, T b) {
  T x = Ftz ? flush(a) : a, y = Ftz ? flush(b) : b;
  if (std::isnan(x))
    return y;
  if (std::isnan(y))
    return x;
  if (x == 0 && y == 0)
    return std::signbit(x) ? y : x;
  return x > y ? x : y;
}
template <typename T, bool Ftz> T fabsT(T a) {
  return std::fabs(Ftz ? flush(a) : a);
}
template <typename T, bool Ftz> T saturate(T a) {
  T x = Ftz ? flush(a) : a;
  if (std::isnan(x))
    return T(0);
  return x < T(0) ? T(0) : x > T(1) ? T(1) : x;
}
// round.f: to the nearest integer, halves away from zero (cvt.rni is even;
// this is what libdevice's roundf needs).
template <typename T> T roundAway(T a) { return std::round(a); }
template <typename T> T truncT(T a) { return std::trunc(a); }
template <typename T> T floorT(T a) { return std::floor(a); }
template <typename T> T ceilT(T a) { return std::ceil(a); }

// Float to integer: cvt.<r>i.s32.f32 rounds, then saturates; NaN gives 0.
template <typename I, typename T, Round R> I toInt(T a) {
  if (std::isnan(a))
    return 0;
  T r = rounded(R, [&] {
    volatile T x = a;
    return std::nearbyint(T(x));
  });
  if (r <= T(std::numeric_limits<I>::min()))
    return std::numeric_limits<I>::min();
  if (r >= T(std::numeric_limits<I>::max()))
    return std::numeric_limits<I>::max();
  return I(r);
}
// Integer to float with a rounding mode.
template <typename T, typename I, Round R> T fromInt(I a) {
  return rounded(R, [&] {
    volatile I x = a;
    return T(x);
  });
}
template <typename T, Round R> float d2f(double a) {
  return rounded(R, [&] {
    volatile double x = a;
    return float(x);
  });
}

int32_t d2iHi(double a) {
  uint64_t bits;
  std::memcpy(&bits, &a, 8);
  return int32_t(bits >> 32);
}
int32_t d2iLo(double a) {
  uint64_t bits;
  std::memcpy(&bits, &a, 8);
  return int32_t(uint32_t(bits));
}
double lohiI2d(int32_t lo, int32_t hi) {
  uint64_t bits = (uint64_t(uint32_t(hi)) << 32) | uint32_t(lo);
  double r;
  std::memcpy(&r, &bits, 8);
  return r;
}
int32_t mulhiI(int32_t a, int32_t b) {
  return int32_t((int64_t(a) * int64_t(b)) >> 32);
}
uint32_t mulhiUi(uint32_t a, uint32_t b) {
  return uint32_t((uint64_t(a) * uint64_t(b)) >> 32);
}
int64_t mulhiLl(int64_t a, int64_t b) {
  return int64_t((__int128(a) * __int128(b)) >> 64);
}
uint64_t mulhiUll(uint64_t a, uint64_t b) {
  return uint64_t((unsigned __int128)a * b >> 64);
}
int32_t mul24I(int32_t a, int32_t b) {
  return int32_t(int64_t(a << 8 >> 8) * int64_t(b << 8 >> 8));
}
uint32_t mul24Ui(uint32_t a, uint32_t b) {
  return (a & 0xffffff) * (b & 0xffffff);
}
uint32_t sadU(uint32_t a, uint32_t b, uint32_t c) {
  return (a > b ? a - b : b - a) + c;
}
int32_t sadI(int32_t a, int32_t b, int32_t c) {
  return int32_t(a > b ? uint32_t(a) - uint32_t(b)
                       : uint32_t(b) - uint32_t(a)) +
         c;
}
uint32_t prmt(uint32_t a, uint32_t b, uint32_t selector) {
  uint64_t bytes = (uint64_t(b) << 32) | a;
  uint32_t r = 0;
  for (int i = 0; i < 4; ++i) {
    uint32_t s = (selector >> (4 * i)) & 0xf;
    uint32_t byte = uint32_t(bytes >> (8 * (s & 7))) & 0xff;
    if (s & 8) // replicate the sign bit of the byte
      byte = (byte & 0x80) ? 0xff : 0;
    r |= byte << (8 * i);
  }
  return r;
}

const llvm::StringMap<void *> &table() {
  static const llvm::StringMap<void *> functions = [] {
    llvm::StringMap<void *> m;
#define FN(name, fn) m[name] = reinterpret_cast<void *>(fn)
#define ROUNDED(op, fn)                                                        \
  FN(op ".rn.f", (fn<float, RN, false>));                                      \
  FN(op ".rz.f", (fn<float, RZ, false>));                                      \
  FN(op ".rm.f", (fn<float, RM, false>));                                      \
  FN(op ".rp.f", (fn<float, RP, false>));                                      \
  FN(op ".rn.ftz.f", (fn<float, RN, true>));                                   \
  FN(op ".rz.ftz.f", (fn<float, RZ, true>));                                   \
  FN(op ".rm.ftz.f", (fn<float, RM, true>));                                   \
  FN(op ".rp.ftz.f", (fn<float, RP, true>));                                   \
  FN(op ".rn.d", (fn<double, RN, false>));                                     \
  FN(op ".rz.d", (fn<double, RZ, false>));                                     \
  FN(op ".rm.d", (fn<double, RM, false>));                                     \
  FN(op ".rp.d", (fn<double, RP, false>))
    ROUNDED("add", add);
    ROUNDED("mul", mul);
    ROUNDED("div", div);
    ROUNDED("fma", fma);
    ROUNDED("rcp", rcp);
    ROUNDED("sqrt", sqrtr);
    FN("sqrt.f", (sqrtr<float, RN, false>));
    FN("ex2.approx.f32", ex2<false>);
    FN("ex2.approx.ftz.f32", ex2<true>);
    FN("ex2.approx.f", ex2<false>);
    FN("ex2.approx.ftz.f", ex2<true>);
    FN("ex2.approx.d", static_cast<double (*)(double)>(std::exp2));
    FN("lg2.approx.f", lg2<false>);
    FN("lg2.approx.ftz.f", lg2<true>);
    FN("lg2.approx.d", static_cast<double (*)(double)>(std::log2));
    FN("rsqrt.approx.f", (rsqrt<float, false>));
    FN("rsqrt.approx.ftz.f", (rsqrt<float, true>));
    FN("rsqrt.approx.d", (rsqrt<double, false>));
    FN("rsqrt.approx.ftz.d", (rsqrt<double, true>));
    FN("rcp.approx.ftz.f", (rcpApprox<float, true>));
    FN("rcp.approx.ftz.d", (rcpApprox<double, true>));
    FN("sqrt.approx.f", sqrtApprox<false>);
    FN("sqrt.approx.ftz.f", sqrtApprox<true>);
    FN("div.approx.f", (divApprox<false, false>));
    FN("div.approx.ftz.f", (divApprox<true, false>));
    FN("div.full", (divApprox<false, true>));
    FN("div.full.ftz", (divApprox<true, true>));
    FN("sin.approx.f", sinApprox<false>);
    FN("sin.approx.ftz.f", sinApprox<true>);
    FN("cos.approx.f", cosApprox<false>);
    FN("cos.approx.ftz.f", cosApprox<true>);
    FN("tanh.approx.f32", tanhApprox);
    FN("fmin.f", (fmin<float, false>));
    FN("fmin.ftz.f", (fmin<float, true>));
    FN("fmin.d", (fmin<double, false>));
    FN("fmax.f", (fmax<float, false>));
    FN("fmax.ftz.f", (fmax<float, true>));
    FN("fmax.d", (fmax<double, false>));
    FN("fabs.f32", (fabsT<float, false>));
    FN("fabs.ftz.f32", (fabsT<float, true>));
    FN("fabs.f64", (fabsT<double, false>));
    FN("fabs.f", (fabsT<float, false>));
    FN("fabs.ftz.f", (fabsT<float, true>));
    FN("fabs.d", (fabsT<double, false>));
    FN("saturate.f", (saturate<float, false>));
    FN("saturate.ftz.f", (saturate<float, true>));
    FN("saturate.d", (saturate<double, false>));
    FN("round.f", roundAway<float>);
    FN("round.ftz.f", roundAway<float>);
    FN("round.d", roundAway<double>);
    FN("trunc.f", truncT<float>);
    FN("trunc.ftz.f", truncT<float>);
    FN("trunc.d", truncT<double>);
    FN("floor.f", floorT<float>);
    FN("floor.ftz.f", floorT<float>);
    FN("floor.d", floorT<double>);
    FN("ceil.f", ceilT<float>);
    FN("ceil.ftz.f", ceilT<float>);
    FN("ceil.d", ceilT<double>);
#define TO_INT(prefix, I, T)                                                   \
  FN(prefix ".rn", (toInt<I, T, RN>));                                         \
  FN(prefix ".rz", (toInt<I, T, RZ>));                                         \
  FN(prefix ".rm", (toInt<I, T, RM>));                                         \
  FN(prefix ".rp", (toInt<I, T, RP>));                                         \
  FN(prefix ".rn.ftz", (toInt<I, T, RN>));                                     \
  FN(prefix ".rz.ftz", (toInt<I, T, RZ>));                                     \
  FN(prefix ".rm.ftz", (toInt<I, T, RM>));                                     \
  FN(prefix ".rp.ftz", (toInt<I, T, RP>))
    TO_INT("f2i", int32_t, float);
    TO_INT("f2ui", uint32_t, float);
    TO_INT("d2i", int32_t, double);
    TO_INT("d2ui", uint32_t, double);
    TO_INT("f2ll", int64_t, float);
    TO_INT("f2ull", uint64_t, float);
    TO_INT("d2ll", int64_t, double);
    TO_INT("d2ull", uint64_t, double);
#define FROM_INT(prefix, T, I)                                                 \
  FN(prefix ".rn", (fromInt<T, I, RN>));                                       \
  FN(prefix ".rz", (fromInt<T, I, RZ>));                                       \
  FN(prefix ".rm", (fromInt<T, I, RM>));                                       \
  FN(prefix ".rp", (fromInt<T, I, RP>))
    FROM_INT("i2f", float, int32_t);
    FROM_INT("ui2f", float, uint32_t);
    FROM_INT("i2d", double, int32_t);
    FROM_INT("ui2d", double, uint32_t);
    FROM_INT("ll2f", float, int64_t);
    FROM_INT("ull2f", float, uint64_t);
    FROM_INT("ll2d", double, int64_t);
    FROM_INT("ull2d", double, uint64_t);
    FN("d2f.rn", (d2f<float, RN>));
    FN("d2f.rz", (d2f<float, RZ>));
    FN("d2f.rm", (d2f<float, RM>));
    FN("d2f.rp", (d2f<float, RP>));
    FN("d2f.rn.ftz", (d2f<float, RN>));
    FN("d2f.rz.ftz", (d2f<float, RZ>));
    FN("d2i.hi", d2iHi);
    FN("d2i.lo", d2iLo);
    FN("lohi.i2d", lohiI2d);
    FN("mulhi.i", mulhiI);
    FN("mulhi.ui", mulhiUi);
    FN("mulhi.ll", mulhiLl);
    FN("mulhi.ull", mulhiUll);
    FN("mul24.i", mul24I);
    FN("mul24.ui", mul24Ui);
    FN("sad.i", sadI);
    FN("sad.ui", sadU);
    FN("prmt", prmt);
#undef FN
    return m;
  }();
  return functions;
}

} // namespace

void *kite::sim::nvvmMathFunction(llvm::StringRef intrinsic) {
  auto found = table().find(intrinsic);
  return found == table().end() ? nullptr : found->second;
}
