//===- EmulatedFloats.cpp - bf16 and fp8 in f32 registers -----------------===//
//
// Neither Vulkan nor NVPTX computes in bfloat16 or the fp8 formats
// (dialects/Kite/Float8Formats.h: f8E4M3FN, f8E5M2, f8E4M3FNUZ,
// f8E5M2FNUZ), so their values live in f32 registers that hold a value of
// the format, rounded after every operation as the interpreter does
// (python/kite/interpreter/numerics.py), and in memory as their raw bits
// (i16, i8). The conversions are integer bit manipulation derived from the
// format's fields, the same on every backend:
//
// - f32 -> fp8 rounds to nearest-even; finite magnitudes beyond the largest
//   finite value saturate to it, as Triton's conversions do (NVIDIA's
//   cvt.rn.satfinite; the fnuz formats as Triton's AMD backend and ONNX's
//   saturating cast). Infinities saturate too, except in the fnuz formats,
//   which have no infinity and make them NaN. NaN is the format's NaN (with
//   x's sign where the format has signed NaNs); -0 and negative values that
//   round to zero are +0 in the fnuz formats, which have no -0;
// - fp8 -> f32 is exact (subnormals included; e5m2 has infinities).
//
// Targets with hardware conversions (NVIDIA, ThreadGrid: f32 <-> e4m3 and
// e5m2 from sm_89, f32 -> bf16 from sm_80) get them where the lowering
// converts the registers of one op together (the ValueRange functions:
// element-wise results, fp_to_fp, global loads and stores, the loads of
// layout conversions, gathers and local_load from workgroup memory), two
// registers per instruction (kitethread.cvt_pack, cvt_unpack; a last odd
// register pairs with zero), with the software path's results bit for bit:
//
// - PTX's cvt.rn.satfinite.{e4m3x2,e5m2x2}.f32 rounds to nearest-even and
//   makes a magnitude past the largest finite value, infinities included,
//   that value with its sign: the software encoder's results for every
//   number. For NaN the ISA only says "NaN of the format", so a select puts
//   the software encoder's code there (the format's NaN with x's sign);
// - cvt.rn.f16x2.{e4m3x2,e5m2x2} is exact, and so is f16 -> f32; a NaN code
//   gets the software decoder's NaN (0x7FC00000 with the code's sign) by a
//   select, since neither cvt promises a NaN's sign or payload;
// - cvt.rn.bf16x2.f32 rounds as the integer rounding does (overflow to
//   inf); NaN, which PTX leaves open, becomes 0x7FC0 by a select;
//   bf16 -> f32 stays a shift.
//
// Rounding toward zero, the fnuz formats, e8m0 and constants stay software
// (constants fold), as do the conversions of single registers (stores to
// workgroup memory, whose values mostly have their bits already,
// reductions' combines, the dots' staging). A decoded value remembers its
// bits either way (kDecodedAttr), so that storing it again costs nothing.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "dialects/Kite/Float8Formats.h"
#include "dialects/KiteThread/KiteThreadOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace mlir::kitegpu;
using kite::Float8Format;
using kite::Float8NaN;
using kite::getFloat8Format;

// bfloat16: the high half of an f32, rounded to nearest-even (NaN stays a
// quiet NaN).
/// The f32 bits of `x` rounded to bf16 precision (low 16 bits zero).
static Value emitRoundedBits(OpBuilder &b, Location loc, Value x) {
  Type i32 = b.getI32Type();
  auto c = [&](int64_t v) { return arith::ConstantIntOp::create(b, loc, v, 32); };
  Value bits = arith::BitcastOp::create(b, loc, i32, x);
  Value lsb = arith::AndIOp::create(
      b, loc, arith::ShRUIOp::create(b, loc, bits, c(16)), c(1));
  Value rounded = arith::AddIOp::create(
      b, loc, bits, arith::AddIOp::create(b, loc, lsb, c(0x7FFF)));
  rounded = arith::AndIOp::create(b, loc, rounded, c(0xFFFF0000));
  Value isNaN =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, x, x);
  return arith::SelectOp::create(b, loc, isNaN, c(0x7FC00000), rounded);
}

static Value emitRoundToBF16(OpBuilder &b, Location loc, Value x) {
  return arith::BitcastOp::create(b, loc, b.getF32Type(),
                                  emitRoundedBits(b, loc, x));
}

static Value emitBF16Bits(OpBuilder &b, Location loc, Value x) {
  Value high = arith::ShRUIOp::create(
      b, loc, emitRoundedBits(b, loc, x),
      arith::ConstantIntOp::create(b, loc, 16, 32));
  return arith::TruncIOp::create(b, loc, b.getI16Type(), high);
}

/// The attribute on the last op of a decoder (emitEmulatedToF32), which
/// lets emitEmulatedBits take the bits it decoded instead of encoding the
/// value again: a staged or stored fp8 or bf16 value that was just loaded
/// costs nothing.
static constexpr StringLiteral kDecodedAttr = kDecodedAttrName;

/// `value`, decoded from bits of `type`.
static Value markDecoded(Value value, Type type) {
  value.getDefiningOp()->setAttr(kDecodedAttr, TypeAttr::get(type));
  return value;
}

static Value emitBF16ToF32(OpBuilder &b, Location loc, Value bits) {
  Value wide = arith::ExtUIOp::create(b, loc, b.getI32Type(), bits);
  wide = arith::ShLIOp::create(b, loc, wide,
                               arith::ConstantIntOp::create(b, loc, 16, 32));
  return arith::BitcastOp::create(b, loc, b.getF32Type(), wide);
}

namespace {

/// i32 arithmetic helpers.
struct I32 {
  OpBuilder &b;
  Location loc;
  Value c(int64_t v) { return arith::ConstantIntOp::create(b, loc, v, 32); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value andi(Value x, int64_t m) { return arith::AndIOp::create(b, loc, x, c(m)); }
  Value ori(Value x, Value y) { return arith::OrIOp::create(b, loc, x, y); }
  Value shl(Value x, Value s) { return arith::ShLIOp::create(b, loc, x, s); }
  Value shr(Value x, Value s) { return arith::ShRUIOp::create(b, loc, x, s); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value select(Value cond, Value x, Value y) {
    return arith::SelectOp::create(b, loc, cond, x, y);
  }
  Value bits(float value) {
    uint32_t raw;
    std::memcpy(&raw, &value, 4);
    return c(raw);
  }
};

/// The fp8 code (i8) of f32 `x`.
Value encodeFp8(OpBuilder &b, Location loc, Value x, const Float8Format &f) {
  I32 i{b, loc};
  using P = arith::CmpIPredicate;
  Value bits = arith::BitcastOp::create(b, loc, b.getI32Type(), x);
  Value sign = i.shr(i.andi(bits, 0x80000000), i.c(24));
  Value abs = i.andi(bits, 0x7FFFFFFF);
  int shift = 23 - int(f.mantissaBits);

  // Normal: round the f32 mantissa to mantissaBits (nearest-even; a carry
  // moves into the exponent), then rebias the exponent.
  Value lsb = i.andi(i.shr(abs, i.c(shift)), 1);
  Value rounded = i.add(abs, i.add(i.c((1 << (shift - 1)) - 1), lsb));
  Value normal = i.sub(i.shr(rounded, i.c(shift)),
                       i.c(int64_t(127 - f.bias) << f.mantissaBits));

  // Subnormal: the significand (implicit bit set) shifted right by k,
  // rounded to nearest-even, where k puts its unit at 2^(1-bias-mantissa).
  Value significand = i.ori(i.andi(abs, 0x7FFFFF), i.c(0x800000));
  Value exponent = i.shr(abs, i.c(23));
  Value k = i.sub(i.c(151 - f.bias - int(f.mantissaBits)), exponent);
  k = i.select(i.cmp(P::ugt, k, i.c(31)), i.c(31), k);
  k = i.select(i.cmp(P::ult, k, i.c(1)), i.c(1), k);
  Value quotient = i.shr(significand, k);
  Value remainder = i.sub(significand, i.shl(quotient, k));
  Value half = i.shl(i.c(1), i.sub(k, i.c(1)));
  Value roundUp = arith::OrIOp::create(
      b, loc, i.cmp(P::ugt, remainder, half),
      arith::AndIOp::create(b, loc, i.cmp(P::eq, remainder, half),
                            i.cmp(P::ne, i.andi(quotient, 1), i.c(0))));
  Value subnormal =
      i.add(quotient, arith::ExtUIOp::create(b, loc, b.getI32Type(), roundUp));

  Value code =
      i.select(i.cmp(P::ult, abs, i.bits(f.getMinNormal())), subnormal, normal);
  code = i.select(i.cmp(P::uge, abs, i.bits(f.getMaxValue())),
                  i.c(f.getMaxCode()), code);
  if (f.nan == Float8NaN::NegativeZero) {
    // No -0 (0x80 is NaN): a zero stays +0; no infinity: it becomes NaN.
    sign = i.select(i.cmp(P::eq, code, i.c(0)), i.c(0), sign);
    code = i.select(i.cmp(P::uge, abs, i.c(0x7F800000)), i.c(f.getNaNCode()),
                    i.ori(code, sign));
  } else {
    code = i.select(i.cmp(P::ugt, abs, i.c(0x7F800000)), i.c(f.getNaNCode()),
                    code);
    code = i.ori(code, sign);
  }
  return arith::TruncIOp::create(b, loc, b.getI8Type(), code);
}

/// The f32 value of fp8 code `code` (i8).
Value decodeFp8(OpBuilder &b, Location loc, Value code, const Float8Format &f) {
  I32 i{b, loc};
  using P = arith::CmpIPredicate;
  Value c = arith::ExtUIOp::create(b, loc, b.getI32Type(), code);
  Value sign = i.shl(i.andi(c, 0x80), i.c(24));
  Value e = i.andi(i.shr(c, i.c(f.mantissaBits)), (1 << f.exponentBits) - 1);
  Value m = i.andi(c, (1 << f.mantissaBits) - 1);
  Value normal = i.ori(i.shl(i.add(e, i.c(127 - f.bias)), i.c(23)),
                       i.shl(m, i.c(23 - f.mantissaBits)));
  // m · 2^(1 - bias - mantissaBits), exact in f32.
  Value scaled = arith::MulFOp::create(
      b, loc, arith::UIToFPOp::create(b, loc, b.getF32Type(), m),
      arith::ConstantOp::create(
          b, loc,
          b.getF32FloatAttr(std::ldexp(1.0f, 1 - f.bias - int(f.mantissaBits)))));
  Value subnormal = arith::BitcastOp::create(b, loc, b.getI32Type(), scaled);
  Value bits = i.select(i.cmp(P::eq, e, i.c(0)), subnormal, normal);
  int maxExponent = (1 << f.exponentBits) - 1;
  switch (f.nan) {
  case Float8NaN::IEEE: {
    Value special = i.select(i.cmp(P::eq, m, i.c(0)), i.c(0x7F800000),
                             i.c(0x7FC00000));
    bits = i.select(i.cmp(P::eq, e, i.c(maxExponent)), special, bits);
    break;
  }
  case Float8NaN::AllOnes:
    bits = i.select(i.cmp(P::eq, i.andi(c, 0x7F), i.c(f.getNaNCode())),
                    i.c(0x7FC00000), bits);
    break;
  case Float8NaN::NegativeZero: // 0x80: NaN's bits, or'd with the sign below
    bits = i.select(i.cmp(P::eq, c, i.c(0x80)), i.c(0x7FC00000), bits);
    break;
  }
  return arith::BitcastOp::create(b, loc, b.getF32Type(), i.ori(bits, sign));
}

/// The e8m0 code of f32 `x` (i8), as ml_dtypes rounds to float8_e8m0fnu:
/// the f32 exponent field is the code (both biases are 127), one more when
/// the mantissa is at least half (ties up); below 2^-127, 2^-127; zero,
/// negative values, overflow, infinities and NaN are NaN (0xFF).
Value encodeScale(OpBuilder &b, Location loc, Value x) {
  I32 i{b, loc};
  using P = arith::CmpIPredicate;
  Value bits = arith::BitcastOp::create(b, loc, b.getI32Type(), x);
  Value exponent = i.shr(bits, i.c(23)); // the sign bit makes it >= 256
  Value mantissa = i.andi(bits, 0x7FFFFF);
  Value up = arith::ExtUIOp::create(
      b, loc, b.getI32Type(), i.cmp(P::uge, mantissa, i.c(0x400000)));
  Value code = i.add(exponent, up);
  // f32 subnormals: 2^-126 from 1.5 * 2^-127 up, else 2^-127.
  Value tiny = arith::ExtUIOp::create(
      b, loc, b.getI32Type(), i.cmp(P::uge, mantissa, i.c(0x600000)));
  code = i.select(i.cmp(P::eq, exponent, i.c(0)), tiny, code);
  Value nan = arith::OrIOp::create(b, loc, i.cmp(P::eq, bits, i.c(0)),
                                   i.cmp(P::uge, code, i.c(0xFF)));
  code = i.select(nan, i.c(0xFF), code);
  return arith::TruncIOp::create(b, loc, b.getI8Type(), code);
}

/// The f32 value of e8m0 code `code` (i8): 2^(code - 127), exactly (code 0
/// is the f32 subnormal 2^-127), NaN for 0xFF.
Value decodeScale(OpBuilder &b, Location loc, Value code) {
  I32 i{b, loc};
  using P = arith::CmpIPredicate;
  Value c = arith::ExtUIOp::create(b, loc, b.getI32Type(), code);
  Value bits = i.shl(c, i.c(23));
  bits = i.select(i.cmp(P::eq, c, i.c(0)), i.c(0x400000), bits);
  bits = i.select(i.cmp(P::eq, c, i.c(0xFF)), i.c(0x7FC00000), bits);
  return arith::BitcastOp::create(b, loc, b.getF32Type(), bits);
}

/// The code of `type` that emitHardwareToF32 widened to `value`:
/// extf(extract(cvt_unpack(or(extui(code0), shl(extui(code1), 8))), half)).
Value getHardwareDecodedCode(Value value, Type type) {
  auto widen = value.getDefiningOp<arith::ExtFOp>();
  auto extract = widen ? widen.getIn().getDefiningOp<vector::ExtractOp>()
                       : vector::ExtractOp();
  auto unpack = extract ? extract.getSource()
                              .getDefiningOp<kitethread::CvtUnpackOp>()
                        : kitethread::CvtUnpackOp();
  auto orOp = unpack ? unpack.getPacked().getDefiningOp<arith::OrIOp>()
                     : arith::OrIOp();
  if (!orOp || extract.getStaticPosition().size() != 1)
    return {};
  Value part = orOp.getLhs();
  if (extract.getStaticPosition()[0] == 1) {
    auto shift = orOp.getRhs().getDefiningOp<arith::ShLIOp>();
    if (!shift)
      return {};
    part = shift.getLhs();
  }
  auto ext = part.getDefiningOp<arith::ExtUIOp>();
  if (!ext || ext.getIn().getType() != getEmulatedBitsType(type))
    return {};
  return ext.getIn();
}

/// The bits of `type` that `x` was decoded from by the decoders above, or
/// null. bf16: bitcast(shl(extui(bits), 16)); fp8: bitcast(or(_, sign)),
/// sign = shl(and(extui(code), 0x80), 24), or in hardware
/// (emitHardwareToF32) the widened cvt_unpack, alone where a NaN's bits are
/// free, else the false value of the select that fixes a NaN's bits.
Value getDecodedBits(Value x, Type type) {
  Operation *op = x.getDefiningOp();
  auto decoded = op ? op->getAttrOfType<TypeAttr>(kDecodedAttr) : nullptr;
  if (!decoded || decoded.getValue() != type)
    return {};
  if (isa<arith::ExtFOp>(op))
    return getHardwareDecodedCode(x, type);
  if (auto select = dyn_cast<arith::SelectOp>(op))
    return getHardwareDecodedCode(select.getFalseValue(), type);
  auto cast = dyn_cast<arith::BitcastOp>(op);
  if (!cast)
    return {};
  Value word = cast.getIn();
  if (!type.isBF16()) {
    auto orOp = word.getDefiningOp<arith::OrIOp>();
    auto sign = orOp ? orOp.getRhs().getDefiningOp<arith::ShLIOp>()
                     : arith::ShLIOp();
    auto andOp = sign ? sign.getLhs().getDefiningOp<arith::AndIOp>()
                      : arith::AndIOp();
    if (!andOp)
      return {};
    word = andOp.getLhs();
  } else {
    auto shift = word.getDefiningOp<arith::ShLIOp>();
    if (!shift)
      return {};
    word = shift.getLhs();
  }
  auto ext = word.getDefiningOp<arith::ExtUIOp>();
  if (!ext || ext.getIn().getType() != getEmulatedBitsType(type))
    return {};
  return ext.getIn();
}

//===- Hardware conversions -----------------------------------------------===//

/// Whether f32 -> `type` to nearest-even has an instruction on `grid`'s
/// target (kitethread.cvt_pack).
bool hasHardwareEncoder(Type type, const ThreadGrid &grid) {
  if (type.isBF16())
    return grid.hasBF16Conversions();
  return isa<Float8E4M3FNType, Float8E5M2Type>(type) &&
         grid.hasFp8Conversions();
}

/// Whether `type` -> f32 has one (kitethread.cvt_unpack; bf16 is a shift).
bool hasHardwareDecoder(Type type, const ThreadGrid &grid) {
  return isa<Float8E4M3FNType, Float8E5M2Type>(type) &&
         grid.hasFp8Conversions();
}

bool isConstant(Value value) { return matchPattern(value, m_Constant()); }

/// The software encoder's bits for NaN `x`: bf16 0x7FC0; fp8 the format's
/// NaN code with x's sign, which is the top byte of a NaN's f32 bits
/// (sign, then seven exponent ones) with the bits below the NaN code's
/// cleared (e4m3fn: 0x7F | sign; e5m2: 0x7E | sign).
Value emitSoftwareNaNBits(OpBuilder &b, Location loc, Value x, Type type) {
  if (type.isBF16())
    return arith::ConstantIntOp::create(b, loc, 0x7FC0, 16);
  I32 i{b, loc};
  Value top =
      i.shr(arith::BitcastOp::create(b, loc, b.getI32Type(), x), i.c(24));
  unsigned mask = 0x80 | getFloat8Format(type)->getNaNCode();
  if (mask != 0xFF)
    top = i.andi(top, mask);
  return arith::TruncIOp::create(b, loc, b.getI8Type(), top);
}

/// The bits of `xs` rounded to `type` by kitethread.cvt_pack, two at a time.
SmallVector<Value> emitHardwareBits(OpBuilder &b, Location loc, ValueRange xs,
                                    Type type, NaNBits nan) {
  Type bitsType = getEmulatedBitsType(type);
  unsigned width = bitsType.getIntOrFloatBitWidth();
  Type packedType = b.getIntegerType(2 * width);
  SmallVector<Value> bits;
  for (size_t k = 0; k < xs.size(); k += 2) {
    Value pair[2] = {xs[k], k + 1 < xs.size()
                                ? xs[k + 1]
                                : arith::ConstantOp::create(
                                      b, loc, b.getF32FloatAttr(0.0f))
                                      .getResult()};
    Value packed = kitethread::CvtPackOp::create(
        b, loc, packedType, TypeAttr::get(type), pair[0], pair[1]);
    for (unsigned half = 0; half < 2 && k + half < xs.size(); ++half) {
      Value part = packed;
      if (half)
        part = arith::ShRUIOp::create(
            b, loc, packed,
            arith::ConstantIntOp::create(b, loc, packedType, width));
      part = arith::TruncIOp::create(b, loc, bitsType, part);
      if (nan == NaNBits::Free) {
        bits.push_back(part);
        continue;
      }
      Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO,
                                          pair[half], pair[half]);
      bits.push_back(arith::SelectOp::create(
          b, loc, isNaN, emitSoftwareNaNBits(b, loc, pair[half], type),
          part));
    }
  }
  return bits;
}

/// The f32 values of fp8 `codes` by kitethread.cvt_unpack, two at a time,
/// then f16 -> f32; a NaN code's value is the software decoder's.
SmallVector<Value> emitHardwareToF32(OpBuilder &b, Location loc,
                                     ValueRange codes, Type type,
                                     NaNBits nan) {
  I32 i{b, loc};
  Type i16 = b.getI16Type(), f32 = b.getF32Type();
  auto pairType = VectorType::get({2}, b.getF16Type());
  SmallVector<Value> values;
  for (size_t k = 0; k < codes.size(); k += 2) {
    Value pair[2] = {codes[k], k + 1 < codes.size()
                                   ? codes[k + 1]
                                   : arith::ConstantIntOp::create(b, loc, 0, 8)
                                         .getResult()};
    Value packed = arith::OrIOp::create(
        b, loc, arith::ExtUIOp::create(b, loc, i16, pair[0]),
        arith::ShLIOp::create(b, loc,
                              arith::ExtUIOp::create(b, loc, i16, pair[1]),
                              arith::ConstantIntOp::create(b, loc, 8, 16)));
    Value halves = kitethread::CvtUnpackOp::create(
        b, loc, pairType, TypeAttr::get(type), packed);
    for (unsigned half = 0; half < 2 && k + half < codes.size(); ++half) {
      Value value = arith::ExtFOp::create(
          b, loc, f32,
          vector::ExtractOp::create(b, loc, halves, int64_t(half)).getResult());
      if (nan == NaNBits::Free) {
        values.push_back(markDecoded(value, type));
        continue;
      }
      // 0x7FC00000 | code << 24: the code's sign; the rest of a NaN code's
      // byte is ones where 0x7FC00000 has them.
      Value softwareNaN = arith::BitcastOp::create(
          b, loc, f32,
          arith::OrIOp::create(
              b, loc,
              i.shl(arith::ExtUIOp::create(b, loc, b.getI32Type(), pair[half]),
                    i.c(24)),
              i.c(0x7FC00000)));
      Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO,
                                          value, value);
      values.push_back(markDecoded(
          arith::SelectOp::create(b, loc, isNaN, softwareNaN, value), type));
    }
  }
  return values;
}

} // namespace

SmallVector<Value> mlir::kitegpu::emitEmulatedBits(OpBuilder &b, Location loc,
                                                   ValueRange xs, Type type,
                                                   const ThreadGrid &grid,
                                                   NaNBits nan) {
  SmallVector<Value> bits(xs.size()), inHardware;
  SmallVector<size_t> indices;
  for (auto [index, x] : llvm::enumerate(xs)) {
    if (Value decoded = getDecodedBits(x, type)) {
      bits[index] = decoded;
    } else if (hasHardwareEncoder(type, grid) && !isConstant(x)) {
      inHardware.push_back(x);
      indices.push_back(index);
    } else {
      bits[index] = emitEmulatedBits(b, loc, x, type);
    }
  }
  for (auto [index, value] :
       llvm::zip_equal(indices, emitHardwareBits(b, loc, inHardware, type, nan)))
    bits[index] = value;
  return bits;
}

SmallVector<Value> mlir::kitegpu::emitEmulatedToF32(OpBuilder &b, Location loc,
                                                    ValueRange bits, Type type,
                                                    const ThreadGrid &grid,
                                                    NaNBits nan) {
  SmallVector<Value> values(bits.size()), inHardware;
  SmallVector<size_t> indices;
  for (auto [index, code] : llvm::enumerate(bits)) {
    if (hasHardwareDecoder(type, grid) && !isConstant(code)) {
      inHardware.push_back(code);
      indices.push_back(index);
    } else {
      values[index] = emitEmulatedToF32(b, loc, code, type);
    }
  }
  for (auto [index, value] :
       llvm::zip_equal(indices, emitHardwareToF32(b, loc, inHardware, type, nan)))
    values[index] = value;
  return values;
}

SmallVector<Value>
mlir::kitegpu::emitRoundToEmulated(OpBuilder &b, Location loc, ValueRange xs,
                                   Type type, const ThreadGrid &grid,
                                   bool towardZero, NaNBits nan) {
  SmallVector<Value> values;
  if (towardZero || !hasHardwareEncoder(type, grid)) {
    for (Value x : xs)
      values.push_back(emitRoundToEmulated(b, loc, x, type, towardZero));
    return values;
  }
  return emitEmulatedToF32(b, loc,
                           emitEmulatedBits(b, loc, xs, type, grid, nan), type,
                           grid, nan);
}

Value mlir::kitegpu::emitEmulatedBits(OpBuilder &b, Location loc, Value x,
                                      Type type) {
  if (Value bits = getDecodedBits(x, type))
    return bits;
  if (const Float8Format *format = getFloat8Format(type))
    return format->isScale ? encodeScale(b, loc, x)
                           : encodeFp8(b, loc, x, *format);
  return emitBF16Bits(b, loc, x);
}

Value mlir::kitegpu::emitEmulatedToF32(OpBuilder &b, Location loc, Value bits,
                                       Type type) {
  if (const Float8Format *format = getFloat8Format(type))
    return markDecoded(format->isScale ? decodeScale(b, loc, bits)
                                       : decodeFp8(b, loc, bits, *format),
                       type);
  return markDecoded(emitBF16ToF32(b, loc, bits), type);
}

Value mlir::kitegpu::emitRoundToEmulated(OpBuilder &b, Location loc, Value x,
                                         Type type, bool towardZero) {
  if (!towardZero && type.isBF16())
    return emitRoundToBF16(b, loc, x);
  Value bits = emitEmulatedBits(b, loc, x, type);
  if (towardZero) {
    // Rounded away from zero: the code below (sign-magnitude) is the next
    // value toward zero (kite.fp_to_fp's verifier keeps the fnuz formats,
    // whose 0x80 is NaN, away from here).
    assert(kite::allowsRoundingTowardZero(type) && "no rtz to this format");
    Value nearest = emitEmulatedToF32(b, loc, bits, type);
    Value tooBig = arith::CmpFOp::create(
        b, loc, arith::CmpFPredicate::OGT,
        math::AbsFOp::create(b, loc, nearest), math::AbsFOp::create(b, loc, x));
    Value lower = arith::SubIOp::create(
        b, loc, bits,
        arith::ConstantIntOp::create(b, loc, 1,
                                     bits.getType().getIntOrFloatBitWidth()));
    bits = arith::SelectOp::create(b, loc, tooBig, lower, bits);
  }
  return emitEmulatedToF32(b, loc, bits, type);
}
