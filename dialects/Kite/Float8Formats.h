//===- Float8Formats.h - the 8-bit float formats Kite computes with -------===//
//
// Every 8-bit float format Kite supports, described by its fields, so that
// the verifiers, the tensor-core planner and the software conversions
// (lib/Conversion/KiteGPUToThreads/EmulatedFloats.cpp) derive what they need
// from one table instead of a list of types each:
//
//   MLIR type     Triton          exp man bias  inf  NaN      -0   largest
//   f8E4M3FN      float8e4nv        4   3    7   no  s.1111.111 yes   448
//   f8E5M2        float8e5          5   2   15  yes  s.11111.mm yes 57344
//   f8E4M3FNUZ    float8e4b8        4   3    8   no  0x80       no    240
//   f8E5M2FNUZ    float8e5b16       5   2   16   no  0x80       no  57344
//   f8E8M0FNU     (none)            8   0  127   no  0xFF    unsigned 2^127
//
// f8E8M0FNU is the OCP MX scale format (ml_dtypes' float8_e8m0fnu): no sign
// bit, no zero and no subnormals; code c is 2^(c - 127).
//
// The header needs no MLIR (mlir::Type is only declared): cuda-sim, which
// links no MLIR code of its own, converts with Float8Format::encode and
// decode too (backends/nvptx/sim/PtxFloat.cpp).
//===----------------------------------------------------------------------===//
#ifndef KITE_DIALECTS_KITE_FLOAT8FORMATS_H
#define KITE_DIALECTS_KITE_FLOAT8FORMATS_H

#include <cstdint>

namespace mlir {
class Type;
} // namespace mlir

namespace mlir::kite {

/// Where a format keeps its NaN.
enum class Float8NaN {
  /// IEEE-like: the largest exponent with a non-zero mantissa (f8E5M2).
  IEEE,
  /// Exponent and mantissa all ones, either sign (f8E4M3FN: "finite").
  AllOnes,
  /// The code of negative zero, 0x80, alone: no -0 and one NaN ("fnuz").
  NegativeZero,
};

struct Float8Format {
  unsigned exponentBits, mantissaBits;
  int bias;
  Float8NaN nan;
  /// An MX scale (f8E8M0FNU): unsigned powers of two, no zero.
  bool isScale = false;

  /// The largest finite magnitude's code (sign bit clear).
  unsigned getMaxCode() const;
  /// The NaN code a conversion produces for a positive NaN.
  unsigned getNaNCode() const;
  /// The largest finite magnitude.
  float getMaxValue() const;
  /// The smallest normal magnitude: 2^(1 - bias).
  float getMinNormal() const;

  /// The code of `x` rounded to nearest-even, as the thread lowering's
  /// software conversion computes it (EmulatedFloats.cpp) and Triton
  /// converts: finite magnitudes past the largest finite value saturate to
  /// it, and so do infinities except in the fnuz formats, which have none
  /// and make them NaN; NaN is getNaNCode() with x's sign (fnuz: 0x80);
  /// -0 and negative values that round to zero are +0 in the fnuz formats.
  /// Not for the scale format.
  uint8_t encode(float x) const;
  /// The value of `code`, exactly; a NaN code is the quiet NaN 0x7FC00000
  /// with the code's sign bit (fnuz: positive), as the software decoder
  /// gives. Not for the scale format.
  float decode(uint8_t code) const;
};

/// The formats by name: what getFloat8Format returns for f8E4M3FN, f8E5M2,
/// f8E4M3FNUZ, f8E5M2FNUZ and f8E8M0FNU.
extern const Float8Format kFloat8E4M3FN, kFloat8E5M2, kFloat8E4M3FNUZ,
    kFloat8E5M2FNUZ, kFloat8E8M0FNU;

/// The format of `type`, or null when it is no 8-bit float Kite supports.
const Float8Format *getFloat8Format(Type type);

/// The formats a conversion may round toward zero to: those with a signed
/// zero, where the next code toward zero is one less in sign-magnitude.
/// (Triton rounds to the fnuz formats only to nearest-even, and has no
/// e8m0 type.)
bool allowsRoundingTowardZero(Type type);

} // namespace mlir::kite

#endif // KITE_DIALECTS_KITE_FLOAT8FORMATS_H
