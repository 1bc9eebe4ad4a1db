//===- Float8Formats.cpp - the 8-bit float formats Kite computes with -----===//
#include "dialects/Kite/Float8Formats.h"

#include "mlir/IR/BuiltinTypes.h"

#include <cmath>

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

const Float8Format *mlir::kite::getFloat8Format(Type type) {
  static constexpr Float8Format kE4M3FN{4, 3, 7, Float8NaN::AllOnes};
  static constexpr Float8Format kE5M2{5, 2, 15, Float8NaN::IEEE};
  static constexpr Float8Format kE4M3FNUZ{4, 3, 8, Float8NaN::NegativeZero};
  static constexpr Float8Format kE5M2FNUZ{5, 2, 16, Float8NaN::NegativeZero};
  static constexpr Float8Format kE8M0FNU{8, 0, 127, Float8NaN::AllOnes,
                                         /*isScale=*/true};
  if (isa<Float8E4M3FNType>(type))
    return &kE4M3FN;
  if (isa<Float8E5M2Type>(type))
    return &kE5M2;
  if (isa<Float8E4M3FNUZType>(type))
    return &kE4M3FNUZ;
  if (isa<Float8E5M2FNUZType>(type))
    return &kE5M2FNUZ;
  if (isa<Float8E8M0FNUType>(type))
    return &kE8M0FNU;
  return nullptr;
}

bool mlir::kite::allowsRoundingTowardZero(Type type) {
  const Float8Format *format = getFloat8Format(type);
  return !format ||
         (format->nan != Float8NaN::NegativeZero && !format->isScale);
}
