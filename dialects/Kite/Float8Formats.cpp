//===- Float8Formats.cpp - the 8-bit float formats Kite computes with -----===//
#include "dialects/Kite/Float8Formats.h"

#include "mlir/IR/BuiltinTypes.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::kite;

unsigned Float8Format::getMaxCode() const {
  unsigned allOnes = (1u << (exponentBits + mantissaBits)) - 1;
  switch (nan) {
  case Float8NaN::IEEE: // the exponent below infinity's, mantissa all ones
    return allOnes - (1u << mantissaBits);
  case Float8NaN::AllOnes:
    return allOnes - 1;
  case Float8NaN::NegativeZero:
    return allOnes;
  }
  return allOnes;
}

unsigned Float8Format::getNaNCode() const {
  switch (nan) {
  case Float8NaN::IEEE: // quiet: the mantissa's top bit
    return ((1u << exponentBits) - 1) << mantissaBits |
           1u << (mantissaBits - 1);
  case Float8NaN::AllOnes:
    return (1u << (exponentBits + mantissaBits)) - 1;
  case Float8NaN::NegativeZero:
    return 0x80;
  }
  return 0x80;
}

float Float8Format::getMaxValue() const {
  unsigned code = getMaxCode();
  int exponent = int(code >> mantissaBits) - bias;
  float significand = 1.0f + float(code & ((1u << mantissaBits) - 1)) /
                                 float(1u << mantissaBits);
  return std::ldexp(significand, exponent);
}

float Float8Format::getMinNormal() const { return std::ldexp(1.0f, 1 - bias); }

uint8_t Float8Format::encode(float x) const {
  assert(!isScale && "the scale format rounds otherwise");
  bool fnuz = nan == Float8NaN::NegativeZero;
  unsigned sign = std::signbit(x) ? 0x80 : 0;
  if (std::isnan(x) || (fnuz && std::isinf(x)))
    return uint8_t(fnuz ? 0x80 : getNaNCode() | sign);
  double magnitude = std::fabs(double(x));
  unsigned code = magnitude == 0 ? 0 : getMaxCode();
  if (magnitude != 0 && magnitude < getMaxValue()) {
    // The quantum of x's binade (subnormals: of the lowest), x in quanta
    // rounded to even (the host's default rounding). With the implicit bit
    // counted in `steps`, the code is (exponent field - 1) << mantissa plus
    // steps: a carry out of the mantissa moves into the exponent, and a
    // subnormal's code is its steps.
    int exponent;
    std::frexp(magnitude, &exponent); // magnitude in [2^(e-1), 2^e)
    exponent = std::max(exponent - 1, 1 - bias);
    double steps = std::nearbyint(
        std::ldexp(magnitude, int(mantissaBits) - exponent));
    code = (unsigned(exponent + bias - 1) << mantissaBits) + unsigned(steps);
    code = std::min(code, getMaxCode());
  }
  if (fnuz && code == 0)
    sign = 0;
  return uint8_t(code | sign);
}

float Float8Format::decode(uint8_t code) const {
  assert(!isScale && "the scale format decodes otherwise");
  uint32_t sign = uint32_t(code & 0x80) << 24;
  unsigned magnitude = code & 0x7F;
  unsigned exponent = magnitude >> mantissaBits;
  unsigned mantissa = magnitude & ((1u << mantissaBits) - 1);
  bool isNaN = false, isInf = false;
  switch (nan) {
  case Float8NaN::IEEE:
    isNaN = exponent == (1u << exponentBits) - 1 && mantissa;
    isInf = exponent == (1u << exponentBits) - 1 && !mantissa;
    break;
  case Float8NaN::AllOnes:
    isNaN = magnitude == getNaNCode();
    break;
  case Float8NaN::NegativeZero:
    isNaN = code == 0x80;
    sign = 0;
    break;
  }
  uint32_t bits = sign | (isNaN ? 0x7FC00000u : 0x7F800000u);
  if (!isNaN && !isInf) {
    // mantissa (plus the implicit bit of a normal value) in quanta of
    // 2^(1 - bias - mantissaBits), shifted up by the exponent above 1.
    int shift = exponent ? int(exponent) - 1 : 0;
    float value = std::ldexp(
        float(mantissa + (exponent ? 1u << mantissaBits : 0)),
        1 - bias - int(mantissaBits) + shift);
    std::memcpy(&bits, &value, 4);
    bits |= sign;
  }
  float result;
  std::memcpy(&result, &bits, 4);
  return result;
}

const Float8Format mlir::kite::kFloat8E4M3FN{4, 3, 7, Float8NaN::AllOnes};
const Float8Format mlir::kite::kFloat8E5M2{5, 2, 15, Float8NaN::IEEE};
const Float8Format mlir::kite::kFloat8E4M3FNUZ{4, 3, 8,
                                               Float8NaN::NegativeZero};
const Float8Format mlir::kite::kFloat8E5M2FNUZ{5, 2, 16,
                                               Float8NaN::NegativeZero};
const Float8Format mlir::kite::kFloat8E8M0FNU{8, 0, 127, Float8NaN::AllOnes,
                                              /*isScale=*/true};

const Float8Format *mlir::kite::getFloat8Format(Type type) {
  if (isa<Float8E4M3FNType>(type))
    return &kFloat8E4M3FN;
  if (isa<Float8E5M2Type>(type))
    return &kFloat8E5M2;
  if (isa<Float8E4M3FNUZType>(type))
    return &kFloat8E4M3FNUZ;
  if (isa<Float8E5M2FNUZType>(type))
    return &kFloat8E5M2FNUZ;
  if (isa<Float8E8M0FNUType>(type))
    return &kFloat8E8M0FNU;
  return nullptr;
}

bool mlir::kite::allowsRoundingTowardZero(Type type) {
  const Float8Format *format = getFloat8Format(type);
  return !format ||
         (format->nan != Float8NaN::NegativeZero && !format->isScale);
}
