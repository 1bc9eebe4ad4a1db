//===- PtxFloat.cpp - f16, bf16, tf32 and fp8 bits ------------------------===//
//
// fp8 rounds as Kite's software conversions do (dialects/Kite/Float8Formats:
// Float8Format::encode and decode, whose saturation is cvt's .satfinite);
// only NaN differs, which PTX leaves to the hardware.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/sim/PtxFloat.h"

#include "dialects/Kite/Float8Formats.h"

#include <cmath>

using namespace kite::sim;

float kite::sim::halfToFloat(uint16_t h) {
  uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exponent = (h >> 10) & 0x1f, mantissa = h & 0x3ff;
  if (exponent == 0x1f)
    return bitsToFloat(sign | 0x7f800000 | (mantissa << 13));
  if (exponent == 0) {
    float v = std::ldexp(float(mantissa), -24);
    return sign ? -v : v;
  }
  return bitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

uint16_t kite::sim::floatToHalf(float f, bool towardZero) {
  uint32_t bits = floatToBits(f);
  uint16_t sign = uint16_t((bits >> 16) & 0x8000);
  if (std::isnan(f))
    return uint16_t(sign | 0x7e00 | ((bits >> 13) & 0x3ff));
  float a = std::fabs(f);
  if (std::isinf(a))
    return uint16_t(sign | 0x7c00);
  // Scale so that the half's last mantissa bit is 1, round there.
  int exponent;
  std::frexp(a, &exponent); // a = m * 2^exponent, m in [0.5, 1)
  int quantum = std::max(exponent - 11, -24);
  double scaled = std::ldexp(double(a), -quantum);
  double rounded = towardZero ? std::trunc(scaled) : std::nearbyint(scaled);
  double value = std::ldexp(rounded, quantum);
  if (value >= 65520.0 || (towardZero && value > 65504.0))
    return uint16_t(sign | (towardZero ? 0x7bff : 0x7c00));
  if (value == 0)
    return sign;
  int e;
  std::frexp(value, &e);
  if (e - 1 < -14) // subnormal
    return uint16_t(sign | uint16_t(std::ldexp(value, 24)));
  uint32_t m = uint32_t(std::ldexp(value, -(e - 1) + 10)) & 0x3ff;
  return uint16_t(sign | (uint16_t(e - 1 + 15) << 10) | m);
}

uint16_t kite::sim::floatToBf16(float f, bool towardZero) {
  uint32_t bits = floatToBits(f);
  if (std::isnan(f))
    return uint16_t((bits >> 16) | 0x40);
  if (towardZero)
    return uint16_t(bits >> 16);
  uint32_t rounding = 0x7fff + ((bits >> 16) & 1);
  return uint16_t((bits + rounding) >> 16);
}

uint32_t kite::sim::floatToTf32(float f) {
  uint32_t bits = floatToBits(f);
  if (std::isnan(f) || std::isinf(f))
    return bits & 0xffffe000u;
  return (bits + 0x1000u) & 0xffffe000u;
}

float kite::sim::roundToOddFloat(double d) {
  float f = float(d);
  if (double(f) == d || !std::isfinite(d))
    return f;
  uint32_t bits = floatToBits(f);
  if ((bits & 1) == 0) // step to the odd neighbour on d's side
    bits += std::fabs(double(f)) < std::fabs(d) ? 1 : -1;
  return bitsToFloat(bits);
}

uint16_t kite::sim::cvtFloatToBf16(float f, bool towardZero) {
  return std::isnan(f) ? 0x7fff : floatToBf16(f, towardZero);
}

static const mlir::kite::Float8Format &fp8Format(bool e5m2) {
  return e5m2 ? mlir::kite::kFloat8E5M2 : mlir::kite::kFloat8E4M3FN;
}

uint8_t kite::sim::floatToFp8(float f, bool e5m2) {
  return std::isnan(f) ? 0x7f : fp8Format(e5m2).encode(f);
}

uint16_t kite::sim::fp8ToHalf(uint8_t code, bool e5m2) {
  float value = fp8Format(e5m2).decode(code);
  return std::isnan(value) ? 0x7fff : floatToHalf(value);
}
