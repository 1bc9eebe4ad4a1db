//===- PtxFloat.h - the narrow float formats of PTX as bits -----*- C++ -*-===//
//
// f16, bf16, tf32 and fp8 (e4m3, e5m2) values travel through the simulator
// as raw bits; these convert them to and from float with the rounding PTX's
// cvt names.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_BACKENDS_NVPTX_SIM_PTXFLOAT_H
#define KITE_BACKENDS_NVPTX_SIM_PTXFLOAT_H

#include <cstdint>
#include <cstring>

namespace kite::sim {

inline float bitsToFloat(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}
inline uint32_t floatToBits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}
inline double bitsToDouble(uint64_t b) {
  double d;
  std::memcpy(&d, &b, 8);
  return d;
}
inline uint64_t doubleToBits(double d) {
  uint64_t b;
  std::memcpy(&b, &d, 8);
  return b;
}

float halfToFloat(uint16_t h);
/// Round to nearest even (rz: toward zero); NaN stays NaN, overflow inf.
uint16_t floatToHalf(float f, bool towardZero = false);
inline float bf16ToFloat(uint16_t h) { return bitsToFloat(uint32_t(h) << 16); }
uint16_t floatToBf16(float f, bool towardZero = false);
/// `d` as a float rounded to odd: inexact results keep the lost bits' trace
/// in the last bit, so rounding that float again to half or bfloat16 (far
/// fewer bits) rounds as `d` itself would, never twice.
float roundToOddFloat(double d);
/// cvt.rna.tf32.f32: round to 10 mantissa bits, ties away from zero.
uint32_t floatToTf32(float f);
/// cvt.rn.bf16.f32 (rz: cvt.rz): as floatToBf16, but a NaN is the canonical
/// NaN 0x7FFF. The PTX ISA does not say which NaN cvt gives; the canonical
/// one makes code that relies on a NaN's sign or payload fail here.
uint16_t cvtFloatToBf16(float f, bool towardZero);
/// cvt.rn.satfinite.{e4m3x2,e5m2x2}.f32, one value (`e5m2` picks the
/// format): nearest-even; a magnitude past the largest finite value,
/// infinity included, is that value with f's sign; NaN is the canonical
/// 0x7F (the ISA: "NaN in the destination format").
uint8_t floatToFp8(float f, bool e5m2);
/// cvt.rn.f16x2.{e4m3x2,e5m2x2}, one code: exact (every e4m3 and e5m2
/// value is an f16 value); a NaN code is the canonical f16 NaN 0x7FFF.
uint16_t fp8ToHalf(uint8_t code, bool e5m2);

} // namespace kite::sim

#endif // KITE_BACKENDS_NVPTX_SIM_PTXFLOAT_H
