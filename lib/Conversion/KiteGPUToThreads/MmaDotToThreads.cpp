//===- MmaDotToThreads.cpp - kite.dot on mma.sync -------------------------===//
//
// On targets with tensor cores (ThreadGrid::tensorCores: NVIDIA sm_80 and
// later), a dot is computed by kitethread.mma_sync when its operands have an
// instruction (chooseMma) and its shape allows a grid of warps_m x warps_n
// = num_warps warps, each owning an (M / warps_m) x (N / warps_n) block of
// 16x8 tiles:
//
//   operands        instruction        staged as
//   f16, bf16       m16n8k16           themselves
//   f32 ("tf32")    m16n8k8 tf32       f32 (the low 13 bits are ignored)
//   i8              m16n8k32 s8        i8, i32 accumulators (saturating)
//   fp8, sm_89+     m16n8k32 e4m3/e5m2 their bits
//   fp8, sm_80-88   m16n8k16 f16       f16 (exact)
//
// Both operands are staged K-contiguous in workgroup memory, A as M x K and
// B as N x K, so that every fragment is two 16-byte chunks of a row, which
// ldmatrix delivers for all element widths: one ldmatrix.x4 per 16 rows of
// A, one per 16 columns of B (x2 for a lone 8) per K step. The 16-byte
// chunks of a row are swizzled (chunk ^ (row / perPhase) % maxPhase, with
// perPhase rows filling 128 bytes) so that the eight rows an ldmatrix phase
// reads fall in distinct banks. The K steps are unrolled: every fragment
// address is then a per-lane base plus a constant. The accumulators start
// from c (moved to the tiles' layout through a workgroup buffer, unless it
// is all zeros); the results go back to the layout of c through another.
//
// Rounding: the sum starts from c and runs in f32 (an f16 accumulator is
// rounded once, at the end), but each mma.sync adds its products in the
// tensor core's own order and internal precision (PTX leaves both to the
// implementation), so results may differ from the FMA loop's in the last
// bits of f32; tf32 keeps 10 bits of each operand's mantissa.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "dialects/KiteThread/KiteThreadOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::kitegpu;

static constexpr int64_t kTileM = 16, kTileN = 8, kChunkBytes = 16;

/// The mma operand type for operands of `input`, and the type they are
/// staged as, on a target of compute capability `arch`; none where the
/// operands have no instruction.
static std::optional<std::pair<Type, Type>>
getMmaOperandTypes(Type input, StringRef precision, int64_t arch) {
  MLIRContext *context = input.getContext();
  if (input.isF16() || input.isBF16() || input.isSignlessInteger(8))
    return std::pair{input, input};
  if (input.isF32() && precision == "tf32")
    return std::pair{Type(FloatTF32Type::get(context)), input};
  if (isa<Float8E4M3FNType, Float8E5M2Type>(input))
    return arch >= 89 ? std::pair{input, input}
                      : std::pair{Type(Float16Type::get(context)),
                                  Type(Float16Type::get(context))};
  return std::nullopt;
}

std::optional<MmaPlan> mlir::kitegpu::chooseMma(kite::DotOp op,
                                                const ThreadGrid &grid) {
  RankedTensorType a = op.getA().getType(), b = op.getB().getType(),
                   c = op.getC().getType();
  Type acc = c.getElementType();
  if (!grid.tensorCores || grid.threadsPerWarp != 32 || a.getRank() != 2 ||
      (!acc.isF32() && !acc.isF16() && !acc.isSignlessInteger(32)))
    return std::nullopt;
  auto types = getMmaOperandTypes(a.getElementType(), op.getInputPrecision(),
                                  grid.tensorCores);
  if (!types)
    return std::nullopt;
  auto [abType, staged] = *types;
  int64_t M = a.getDimSize(0), K = a.getDimSize(1), N = b.getDimSize(1);
  // Two 16-byte chunks of a row per instruction.
  int64_t vec = kChunkBytes / getElementBytes(staged);
  if (!llvm::isPowerOf2_64(M) || !llvm::isPowerOf2_64(N) ||
      !llvm::isPowerOf2_64(K) || K < 2 * vec)
    return std::nullopt;
  // Of the grids that divide the block, the one whose warps read the fewest
  // fragment registers per K step (4 per row of tiles, 2 per column).
  std::optional<MmaPlan> best;
  for (int64_t warpsM = 1; warpsM <= grid.numWarps; warpsM *= 2) {
    int64_t warpsN = grid.numWarps / warpsM;
    if (M % (kTileM * warpsM) || N % (kTileN * warpsN))
      continue;
    MmaPlan plan{abType,        staged, 2 * vec, warpsM, warpsN,
                 M / (kTileM * warpsM), N / (kTileN * warpsN)};
    auto cost = [](const MmaPlan &p) { return 4 * p.tilesM + 2 * p.tilesN; };
    if (!best || cost(plan) < cost(*best))
      best = plan;
  }
  return best;
}

int64_t mlir::kitegpu::getMmaWorkgroupBytes(kite::DotOp op,
                                            const MmaPlan &plan) {
  RankedTensorType a = op.getA().getType(), c = op.getC().getType();
  int64_t M = a.getDimSize(0), K = a.getDimSize(1), N = c.getDimSize(1);
  // The operands, then (reusing their memory) the f32 or i32 tiles.
  return std::max(getWorkgroupBytes(plan.staged, (M + N) * K), M * N * 4);
}

namespace {
/// Index arithmetic in i32. Indices are non-negative and small, so it says
/// it does not wrap: LLVM then folds the constant parts into the address
/// offsets of the loads.
struct IndexBuilder {
  OpBuilder &b;
  Location loc;

  static constexpr arith::IntegerOverflowFlags kNoWrap =
      arith::IntegerOverflowFlags::nsw | arith::IntegerOverflowFlags::nuw;
  Value i32(int64_t value) { return createI32(b, loc, value); }
  Value add(Value x, int64_t y) { return y ? add(x, i32(y)) : x; }
  Value add(Value x, Value y) {
    return arith::AddIOp::create(b, loc, x, y, kNoWrap);
  }
  Value mul(Value x, int64_t y) {
    return y == 1 ? x : arith::MulIOp::create(b, loc, x, i32(y), kNoWrap);
  }
  Value div(Value x, int64_t y) {
    return y == 1 ? x : arith::DivUIOp::create(b, loc, x, i32(y));
  }
  Value rem(Value x, int64_t y) {
    return arith::RemUIOp::create(b, loc, x, i32(y));
  }
  Value bitXor(Value x, Value y) {
    return arith::XOrIOp::create(b, loc, x, y);
  }
};

/// A K-contiguous operand in workgroup memory: `rows` rows of K elements,
/// their 16-byte chunks swizzled.
struct SwizzledOperand {
  Value buffer;
  int64_t K, vec, perPhase, maxPhase;

  SwizzledOperand(Value buffer, int64_t K, int64_t vec)
      : buffer(buffer), K(K), vec(vec) {
    int64_t rowBytes = K * (kChunkBytes / vec);
    perPhase = std::max<int64_t>(1, 128 / rowBytes);
    maxPhase = 8 / perPhase;
  }
  /// The element index of (row, k).
  Value index(IndexBuilder &e, Value row, Value k) const {
    Value phase = e.rem(e.div(row, perPhase), maxPhase);
    Value chunk = e.bitXor(e.div(k, vec), phase);
    return e.add(e.add(e.mul(row, K), e.mul(chunk, vec)), e.rem(k, vec));
  }
  /// The index lane `lane` gives an ldmatrix of the chunk pair of K step
  /// `step` in rows `firstRow` + (0..15): matrix j = lane / 8 is rows
  /// (j & rowBit ? 8 : 0) + 0..7 at chunk 2 * step + (j & chunkBit ? 1 : 0).
  /// firstRow is a multiple of 8, so the phase is the lane's row in 8.
  Value ldmatrixIndex(IndexBuilder &e, Value firstRow, Value lane,
                      int64_t step, int64_t rowBit, int64_t chunkBit) const {
    Value matrix = e.div(lane, 8), row8 = e.rem(lane, 8);
    auto bit = [&](int64_t mask) {
      Value set = arith::AndIOp::create(e.b, e.loc, matrix, e.i32(mask));
      return mask == 1 ? set : e.div(set, mask);
    };
    Value row = e.add(e.add(firstRow, row8), e.mul(bit(rowBit), 8));
    Value chunk = e.add(bit(chunkBit), 2 * step);
    Value phase = e.div(row8, perPhase);
    return e.add(e.mul(row, K), e.mul(e.bitXor(chunk, phase), vec));
  }
};
} // namespace

/// Stores registers `regs` of `type` (rows x K, or K x rows when
/// `transposed`) as `staged` elements of a new swizzled K-contiguous buffer.
static SwizzledOperand stageOperand(IndexBuilder &e, RankedTensorType type,
                                    ValueRange regs, bool transposed,
                                    Type staged, const ThreadGrid &grid) {
  int64_t K = type.getDimSize(transposed ? 0 : 1);
  int64_t rows = type.getDimSize(transposed ? 1 : 0);
  Type input = type.getElementType();
  SwizzledOperand operand(allocWorkgroup(e.b, e.loc, staged, rows * K), K,
                          kChunkBytes / getElementBytes(staged));
  for (auto [value, coords] :
       llvm::zip_equal(regs, emitRegisterCoords(e.b, e.loc, type, grid))) {
    Value row = coords[transposed ? 1 : 0], k = coords[transposed ? 0 : 1];
    // fp8 widened to f16 where the target has no fp8 mma (exact).
    if (staged != input && !isa<Float8E4M3FNType, Float8E5M2Type>(staged))
      value = arith::TruncFOp::create(e.b, e.loc, staged, value);
    storeWorkgroup(e.b, e.loc, staged, value, operand.buffer,
                   operand.index(e, row, k));
  }
  return operand;
}

SmallVector<Value> mlir::kitegpu::emitMmaDot(OpBuilder &b, Location loc,
                                             kite::DotOp op,
                                             const MmaPlan &plan,
                                             ValueRange aRegs, ValueRange bRegs,
                                             ValueRange cRegs,
                                             const ThreadGrid &grid) {
  RankedTensorType aType = op.getA().getType(), bType = op.getB().getType(),
                   cType = op.getC().getType();
  Type acc = cType.getElementType();
  Type accum = acc.isSignlessInteger(32) ? acc : Type(b.getF32Type());
  IndexBuilder e{b, loc};
  int64_t M = aType.getDimSize(0), K = aType.getDimSize(1),
          N = bType.getDimSize(1);

  // The warp's block, and the lane's place in a tile: group = lane / 4 picks
  // the rows of C, quad = lane % 4 its pairs of columns.
  Value thread = emitThreadId(b, loc);
  Value warp = e.div(thread, 32), lane = e.rem(thread, 32);
  Value group = e.div(lane, 4), quad = e.mul(e.rem(lane, 4), 2);
  Value warpRow = e.mul(e.div(warp, plan.warpsN), plan.tilesM * kTileM);
  Value warpCol = e.mul(e.rem(warp, plan.warpsN), plan.tilesN * kTileN);
  // The row-major index of accumulator register `r` of tile (tm, tn): c0, c1
  // on the group's row, c2, c3 eight rows down.
  Value cRow = e.add(warpRow, group), cCol = e.add(warpCol, quad);
  auto tileIndex = [&](int64_t tm, int64_t tn, int64_t r) {
    Value row = e.add(cRow, tm * kTileM + (r < 2 ? 0 : 8));
    return e.add(e.mul(row, N), e.add(cCol, tn * kTileN + r % 2));
  };
  int64_t numTiles = plan.tilesM * plan.tilesN;

  // c is the accumulators' start, moved to the tiles' layout through
  // workgroup memory; all zeros (a dot without acc) need no move.
  SmallVector<Value> accs;
  if (llvm::all_of(cRegs, [](Value v) {
        return matchPattern(v, m_AnyZeroFloat()) || matchPattern(v, m_Zero());
      })) {
    accs.assign(numTiles * 4, arith::ConstantOp::create(
                                  b, loc, b.getZeroAttr(accum)));
  } else {
    Value bufC = allocWorkgroup(b, loc, accum, M * N);
    for (auto [value, coords] :
         llvm::zip_equal(cRegs, emitRegisterCoords(b, loc, cType, grid))) {
      Value c = value.getType() == accum
                    ? value
                    : arith::ExtFOp::create(b, loc, accum, value).getResult();
      storeWorkgroup(b, loc, accum, c, bufC,
                     emitLinearIndex(b, loc, coords, {M, N}));
    }
    gpu::BarrierOp::create(b, loc);
    for (int64_t tile = 0; tile < numTiles; ++tile)
      for (int64_t r = 0; r < 4; ++r)
        accs.push_back(loadWorkgroup(b, loc, accum, bufC,
                                     tileIndex(tile / plan.tilesN,
                                               tile % plan.tilesN, r)));
    // Every warp has its c before the operands may take its memory.
    gpu::BarrierOp::create(b, loc);
  }
  SwizzledOperand opA = stageOperand(e, aType, aRegs, /*transposed=*/false,
                                     plan.staged, grid);
  SwizzledOperand opB = stageOperand(e, bType, bRegs, /*transposed=*/true,
                                     plan.staged, grid);
  gpu::BarrierOp::create(b, loc);

  auto ldmatrix = [&](const SwizzledOperand &operand, Value index,
                      int64_t count) {
    SmallVector<Type> words(count, b.getI32Type());
    return kitethread::LdmatrixOp::create(b, loc, words, operand.buffer, index,
                                          count)
        .getWords();
  };
  // A: matrices (rows 0-7, chunk 0), (8-15, 0), (0-7, 1), (8-15, 1) are
  // a0..a3. B: (cols 0-7, chunk 0), (0-7, 1) are b0, b1 of one tile; x4
  // reads the next tile's as words 2, 3.
  int64_t bCount = plan.tilesN > 1 ? 4 : 2;
  for (int64_t step = 0; step < K / plan.k; ++step) {
    SmallVector<SmallVector<Value>> aFrags, bFrags;
    for (int64_t tm = 0; tm < plan.tilesM; ++tm)
      aFrags.push_back(ldmatrix(
          opA,
          opA.ldmatrixIndex(e, e.add(warpRow, tm * kTileM), lane, step,
                            /*rowBit=*/1, /*chunkBit=*/2),
          4));
    for (int64_t tn = 0; tn < plan.tilesN; tn += bCount / 2) {
      auto words =
          ldmatrix(opB,
                   opB.ldmatrixIndex(e, e.add(warpCol, tn * kTileN), lane, step,
                                     /*rowBit=*/2, /*chunkBit=*/1),
                   bCount);
      for (int64_t t = 0; t < bCount / 2; ++t)
        bFrags.push_back({words[2 * t], words[2 * t + 1]});
    }
    SmallVector<Value> next;
    for (int64_t tile = 0; tile < numTiles; ++tile) {
      auto mma = kitethread::MmaSyncOp::create(
          b, loc, SmallVector<Type>(4, accum), TypeAttr::get(plan.abType),
          aFrags[tile / plan.tilesN], bFrags[tile % plan.tilesN],
          ArrayRef<Value>(accs).slice(tile * 4, 4));
      llvm::append_range(next, mma.getResults());
    }
    accs = next;
  }
  // Every warp has read A and B before the tiles may take their memory.
  gpu::BarrierOp::create(b, loc);

  Value bufD = allocWorkgroup(b, loc, accum, M * N);
  for (int64_t tile = 0; tile < numTiles; ++tile)
    for (int64_t r = 0; r < 4; ++r)
      storeWorkgroup(b, loc, accum, accs[tile * 4 + r], bufD,
                     tileIndex(tile / plan.tilesN, tile % plan.tilesN, r));
  gpu::BarrierOp::create(b, loc);

  SmallVector<Value> results;
  for (SmallVector<Value> &coords : emitRegisterCoords(b, loc, cType, grid)) {
    Value d = loadWorkgroup(b, loc, accum, bufD,
                            emitLinearIndex(b, loc, coords, {M, N}));
    results.push_back(
        acc == accum ? d : arith::TruncFOp::create(b, loc, acc, d).getResult());
  }
  // Every thread has read the tiles before another op reuses the memory.
  gpu::BarrierOp::create(b, loc);
  return results;
}
