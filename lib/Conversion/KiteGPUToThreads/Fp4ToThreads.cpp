//===- Fp4ToThreads.cpp - e2m1 codes decoded one or two at a time ---------===//
//
// kite.fp4_to_fp decodes the low or high nibble of each byte, exactly. An
// e2m1 code is a sign, two exponent bits e (bias 1) and a mantissa bit f:
// e > 0 is (1 + f/2) * 2^(e-1), e = 0 is f/2 (the subnormal 0.5).
//
// One register at a time (any target): the f32 bits of a normal value are
// (m + 252) << 22 with m = 2e + f, and m = 0, 1 are 0 and 0.5 (0x3F000000)
// by a select. On NVIDIA targets, whose f32 multiply keeps subnormals, the
// code's bits placed as an f32's sign, exponent and mantissa bits are the
// value times 2^-126: one multiply by 2^126 replaces the select.
//
// Two at a time into a bf16x2 word (emitFp4PairWord, for a tensor-core
// fragment or a staged operand): the same placement in each half of the
// word, then one bf16x2 multiply by 2^126 (bf16 subnormals are kept too)
// and, for a scaled decode, one by the scale pair. Both are exact
// (products of a 2-bit significand by powers of two) unless the scale
// itself is not a power of two, where the multiply is bf16's rounding of
// the product, as the bf16 value the chain computes.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "dialects/Kite/KiteOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::kitegpu;

/// The byte `code` (i8 or wider) as i32, shifted so that the nibble
/// wanted is its low four bits (the bits above are left as they are).
static Value nibbleBits(OpBuilder &b, Location loc, Value code, bool high) {
  Type i32 = b.getI32Type();
  Value bits = code;
  if (bits.getType() != i32)
    bits = arith::ExtUIOp::create(b, loc, i32, bits);
  if (high)
    bits = arith::ShRUIOp::create(b, loc, bits, createI32(b, loc, 4));
  return bits;
}

Value mlir::kitegpu::emitFp4ToF32(OpBuilder &b, Location loc, Value code,
                                  bool high, const ThreadGrid &grid) {
  Value c = nibbleBits(b, loc, code, high);
  auto i32 = [&](int64_t value) { return createI32(b, loc, value); };
  Value sign = arith::ShLIOp::create(
      b, loc, arith::AndIOp::create(b, loc, c, i32(8)), i32(28));
  Type f32 = b.getF32Type();
  if (grid.tensorCores > 0) {
    Value placed = arith::AndIOp::create(
        b, loc, arith::ShLIOp::create(b, loc, c, i32(22)), i32(0x01C00000));
    Value scaled = arith::BitcastOp::create(
        b, loc, f32, arith::OrIOp::create(b, loc, placed, sign));
    return arith::MulFOp::create(
        b, loc, scaled,
        arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0x1p126f)));
  }
  Value magnitude = arith::AndIOp::create(b, loc, c, i32(7));
  Value normal = arith::ShLIOp::create(
      b, loc, arith::AddIOp::create(b, loc, magnitude, i32(252)), i32(22));
  Value small = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                      magnitude, i32(2));
  Value half = arith::MulIOp::create(b, loc, magnitude, i32(0x3F000000));
  Value bits = arith::SelectOp::create(b, loc, small, half, normal);
  return arith::BitcastOp::create(b, loc, f32,
                                  arith::OrIOp::create(b, loc, bits, sign));
}

Value mlir::kitegpu::emitFp4Register(OpBuilder &b, Location loc, Value code,
                                     bool high, Type type,
                                     const ThreadGrid &grid) {
  Value value = emitFp4ToF32(b, loc, code, high, grid);
  if (type != value.getType()) // f16, exact
    value = arith::TruncFOp::create(b, loc, type, value);
  return value;
}

Value mlir::kitegpu::emitFp4PairWord(OpBuilder &b, Location loc, Value low,
                                     bool lowHigh, Value high, bool highHigh,
                                     Value scalePair) {
  auto i32 = [&](int64_t value) { return createI32(b, loc, value); };
  // The two codes in bits 0-3 and 16-19 (one byte's nibbles: one multiply).
  Value both;
  if (low == high && !lowHigh && highHigh) {
    both = arith::MulIOp::create(b, loc, nibbleBits(b, loc, low, false),
                                 i32(0x1001));
  } else {
    Value upper = arith::ShLIOp::create(
        b, loc, nibbleBits(b, loc, high, highHigh), i32(16));
    Value lower = arith::AndIOp::create(
        b, loc, nibbleBits(b, loc, low, lowHigh), i32(0xF));
    both = arith::OrIOp::create(b, loc, lower, upper);
  }
  // Each half: sign at bit 15, e and f at bits 6-8 (exponent field e,
  // mantissa's top bit f): the value times 2^-126.
  Value magnitude = arith::AndIOp::create(
      b, loc, arith::ShLIOp::create(b, loc, both, i32(6)), i32(0x01C001C0));
  Value sign = arith::AndIOp::create(
      b, loc, arith::ShLIOp::create(b, loc, both, i32(12)),
      i32(int32_t(0x80008000u)));
  Value word = arith::OrIOp::create(b, loc, magnitude, sign);
  auto pairType = VectorType::get({2}, b.getBF16Type());
  Value pair = vector::BitCastOp::create(
      b, loc, pairType,
      vector::BroadcastOp::create(b, loc, VectorType::get({1}, b.getI32Type()),
                                  word));
  Value unit = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(pairType, b.getFloatAttr(b.getBF16Type(), 0x1p126)));
  pair = arith::MulFOp::create(b, loc, pair, unit);
  if (scalePair)
    pair = arith::MulFOp::create(
        b, loc, pair,
        vector::BitCastOp::create(
            b, loc, pairType,
            vector::BroadcastOp::create(
                b, loc, VectorType::get({1}, b.getI32Type()), scalePair)));
  Value result = vector::BitCastOp::create(
      b, loc, VectorType::get({1}, b.getI32Type()), pair);
  return vector::ExtractOp::create(b, loc, result, int64_t(0));
}

Value mlir::kitegpu::emitBF16Pair(OpBuilder &b, Location loc, Value value) {
  // An f32 register holding a bf16 value: its high 16 bits, in both halves.
  auto i32 = [&](int64_t v) { return createI32(b, loc, v); };
  Value bits = arith::BitcastOp::create(b, loc, b.getI32Type(), value);
  Value top = arith::AndIOp::create(b, loc, bits, i32(int32_t(0xFFFF0000u)));
  return arith::OrIOp::create(
      b, loc, top, arith::ShRUIOp::create(b, loc, bits, i32(16)));
}

namespace {

struct Fp4ToFpToThreads : ThreadPattern<kite::Fp4ToFpOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(kite::Fp4ToFpOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<Type> types;
    if (failed(getTypeConverter()->convertType(op.getType(), types)))
      return failure();
    SmallVector<Value> results;
    for (auto [code, type] : llvm::zip_equal(adaptor.getCodes(), types))
      results.push_back(emitFp4Register(rewriter, op.getLoc(), code,
                                        op.getHigh(), type, grid));
    rewriter.replaceOpWithMultiple(op, {results});
    return success();
  }
};

} // namespace

void mlir::kitegpu::populateFp4ToThreads(const TypeConverter &converter,
                                         const ThreadGrid &grid,
                                         RewritePatternSet &patterns) {
  patterns.add<Fp4ToFpToThreads>(converter, patterns.getContext(), grid);
}
