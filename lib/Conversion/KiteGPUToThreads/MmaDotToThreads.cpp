//===- MmaDotToThreads.cpp - kite.dot on mma.sync m16n8k16 ----------------===//
//
// On targets with tensor cores (ThreadGrid::tensorCores: NVIDIA sm_80 and
// later), a dot of f16 or bf16 operands is computed by
// kitethread.mma_sync m16n8k16 instead of DotToThreads' FMA loop, when its
// shape allows a grid of warps_m x warps_n = num_warps warps, each owning
// an (M / warps_m) x (N / warps_n) block of 16x8 tiles, and K is a multiple
// of 16. The operands are staged row-major in workgroup memory as for the
// FMA loop; per K step of 16 (unrolled) every lane reads its fragments of
// A (4 registers) and B (2) in the PTX ISA's layout for m16n8k16, two
// 16-bit elements packed per 32-bit register (plain shared loads, no
// ldmatrix yet), and keeps 4 f32 accumulators per tile. The accumulators
// start from c (moved to the tiles' layout through a row-major f32
// workgroup buffer, unless it is all zeros); the results go back to the
// layout of c through another, converted to the accumulator type.
//
// Rounding: like the FMA loop, the sum starts from c and runs in f32 (an
// f16 accumulator is rounded once, at the end), but each mma.sync adds its
// 16 products in the tensor core's own order and internal precision
// (PTX leaves both to the implementation), so results may differ from the
// FMA loop's in the last bits of f32.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "dialects/KiteThread/KiteThreadOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::kitegpu;

static constexpr int64_t kTileM = 16, kTileN = 8, kTileK = 16;

std::optional<MmaWarps> mlir::kitegpu::chooseMmaWarps(RankedTensorType a,
                                                      RankedTensorType b,
                                                      RankedTensorType c,
                                                      const ThreadGrid &grid) {
  Type input = a.getElementType(), acc = c.getElementType();
  if (!grid.tensorCores || grid.threadsPerWarp != 32 || a.getRank() != 2 ||
      (!input.isF16() && !input.isBF16()) || (!acc.isF32() && !acc.isF16()))
    return std::nullopt;
  int64_t M = a.getDimSize(0), K = a.getDimSize(1), N = b.getDimSize(1);
  if (K % kTileK)
    return std::nullopt;
  // Of the grids that divide the block, the one whose warps read the fewest
  // fragment registers per K step (4 per row of tiles, 2 per column).
  std::optional<MmaWarps> best;
  for (int64_t warpsM = 1; warpsM <= grid.numWarps; warpsM *= 2) {
    int64_t warpsN = grid.numWarps / warpsM;
    if (M % (kTileM * warpsM) || N % (kTileN * warpsN))
      continue;
    MmaWarps warps{warpsM, warpsN, M / (kTileM * warpsM),
                   N / (kTileN * warpsN)};
    auto cost = [](const MmaWarps &w) { return 4 * w.tilesM + 2 * w.tilesN; };
    if (!best || cost(warps) < cost(*best))
      best = warps;
  }
  return best;
}

namespace {
/// The reads and arithmetic of one dot, in i32 index arithmetic. Indices
/// are non-negative and small, so the arithmetic says it does not wrap:
/// LLVM then folds the constant parts into the loads' address offsets.
struct MmaEmitter {
  OpBuilder &b;
  Location loc;
  int64_t M, N, K;

  static constexpr arith::IntegerOverflowFlags kNoWrap =
      arith::IntegerOverflowFlags::nsw | arith::IntegerOverflowFlags::nuw;
  Value i32(int64_t value) { return createI32(b, loc, value); }
  Value add(Value x, int64_t y) { return y ? add(x, i32(y)) : x; }
  Value add(Value x, Value y) {
    return arith::AddIOp::create(b, loc, x, y, kNoWrap);
  }
  Value mul(Value x, int64_t y) {
    return arith::MulIOp::create(b, loc, x, i32(y), kNoWrap);
  }
  Value index(Value row, Value col, int64_t cols) {
    return add(mul(row, cols), col);
  }

  /// The 16 bits of a staged f16 or bf16 element, zero-extended to i32.
  Value loadBits(Value buffer, Value linear) {
    Value i = arith::IndexCastUIOp::create(b, loc, b.getIndexType(), linear);
    Value value = memref::LoadOp::create(b, loc, buffer, i);
    if (!value.getType().isInteger(16))
      value = arith::BitcastOp::create(b, loc, b.getI16Type(), value);
    return arith::ExtUIOp::create(b, loc, b.getI32Type(), value);
  }
  /// Two elements in one register, the first in the low half (PTX's .f16x2).
  Value pack(Value buffer, Value first, Value second) {
    Value high =
        arith::ShLIOp::create(b, loc, loadBits(buffer, second), i32(16));
    return arith::OrIOp::create(b, loc, loadBits(buffer, first), high);
  }
};
} // namespace

SmallVector<Value> mlir::kitegpu::emitMmaDot(
    OpBuilder &b, Location loc, kite::DotOp op, const MmaWarps &warps,
    ValueRange aRegs, ValueRange bRegs, ValueRange cRegs,
    function_ref<Value(RankedTensorType, ValueRange)> stage,
    const ThreadGrid &grid) {
  RankedTensorType aType = op.getA().getType(), bType = op.getB().getType(),
                   cType = op.getC().getType();
  Type input = aType.getElementType(), acc = cType.getElementType();
  Type f32 = b.getF32Type();
  MmaEmitter e{b, loc, aType.getDimSize(0), cType.getDimSize(1),
               aType.getDimSize(1)};
  int64_t M = e.M, N = e.N, K = e.K;

  // The warp's block, and the lane's place in a tile: group = lane / 4 picks
  // rows (of A, C) or the column (of B), quad = lane % 4 pairs of columns.
  Value thread = emitThreadId(b, loc);
  Value warp = arith::DivUIOp::create(b, loc, thread, e.i32(32));
  Value lane = arith::RemUIOp::create(b, loc, thread, e.i32(32));
  Value group = arith::DivUIOp::create(b, loc, lane, e.i32(4));
  Value quad = e.mul(arith::RemUIOp::create(b, loc, lane, e.i32(4)), 2);
  Value warpM = arith::DivUIOp::create(b, loc, warp, e.i32(warps.warpsN));
  Value warpN = arith::RemUIOp::create(b, loc, warp, e.i32(warps.warpsN));
  Value rowBase = e.add(e.mul(warpM, warps.tilesM * kTileM), group);
  Value colBase = e.mul(warpN, warps.tilesN * kTileN);
  SmallVector<Value> rows, bCols, cCols; // per tile row / column
  for (int64_t t = 0; t < warps.tilesM; ++t)
    rows.push_back(e.add(rowBase, t * kTileM));
  for (int64_t t = 0; t < warps.tilesN; ++t) {
    Value tileCol = e.add(colBase, t * kTileN);
    bCols.push_back(e.add(tileCol, group));
    cCols.push_back(e.add(tileCol, quad));
  }
  // The row-major index of accumulator register `r` of tile (tm, tn): c0, c1
  // on the group's row, c2, c3 eight rows down.
  auto tileIndex = [&](int64_t tm, int64_t tn, int64_t r) {
    return e.index(e.add(rows[tm], r < 2 ? 0 : 8), e.add(cCols[tn], r % 2), N);
  };
  int64_t numTiles = warps.tilesM * warps.tilesN;

  // c is the accumulators' start, moved to the tiles' layout through
  // workgroup memory (as f32); all zeros (a dot without acc) need no move.
  SmallVector<Value> init;
  if (llvm::all_of(cRegs,
                   [](Value v) { return matchPattern(v, m_AnyZeroFloat()); })) {
    init.assign(numTiles * 4,
                arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0)));
  } else {
    Value bufC = allocWorkgroup(b, loc, f32, M * N);
    for (auto [value, coords] :
         llvm::zip_equal(cRegs, emitRegisterCoords(b, loc, cType, grid))) {
      Value c = value.getType() == f32
                    ? value
                    : arith::ExtFOp::create(b, loc, f32, value).getResult();
      storeWorkgroup(b, loc, f32, c, bufC,
                     emitLinearIndex(b, loc, coords, {M, N}));
    }
    gpu::BarrierOp::create(b, loc);
    for (int64_t tm = 0; tm < warps.tilesM; ++tm)
      for (int64_t tn = 0; tn < warps.tilesN; ++tn)
        for (int64_t r = 0; r < 4; ++r)
          init.push_back(
              loadWorkgroup(b, loc, f32, bufC, tileIndex(tm, tn, r)));
    // Every warp has its c before the operands may take its memory.
    gpu::BarrierOp::create(b, loc);
  }
  Value bufA = stage(aType, aRegs);
  Value bufB = stage(bType, bRegs);
  gpu::BarrierOp::create(b, loc);

  // The K steps unrolled: every fragment address is then a per-thread base
  // plus a constant, which the loads take as an offset (in an scf.for, LLVM
  // kept one induction pointer per load and a 128x128x32 dot on 8 warps
  // spilled on sm_80).
  SmallVector<Value> accs = init;
  for (int64_t k0 = 0; k0 < K; k0 += kTileK) {
    Value k = e.i32(k0);
    {
      Value kq = e.add(k, quad);
      SmallVector<SmallVector<Value>> aFrags, bFrags;
      for (Value row : rows) {
        Value row8 = e.add(row, 8);
        SmallVector<Value> frag;
        for (auto [r, kk] :
             {std::pair{row, 0}, {row8, 0}, {row, 8}, {row8, 8}}) {
          Value first = e.index(r, e.add(kq, kk), K);
          frag.push_back(e.pack(bufA, first, e.add(first, 1)));
        }
        aFrags.push_back(frag);
      }
      for (Value col : bCols) {
        SmallVector<Value> frag;
        for (int64_t kk : {0, 8}) {
          Value first = e.index(e.add(kq, kk), col, N);
          frag.push_back(e.pack(bufB, first, e.add(first, N)));
        }
        bFrags.push_back(frag);
      }
      SmallVector<Value> next;
      for (int64_t tm = 0; tm < warps.tilesM; ++tm)
        for (int64_t tn = 0; tn < warps.tilesN; ++tn) {
          auto mma = kitethread::MmaSyncOp::create(
              b, loc, SmallVector<Type>(4, f32), TypeAttr::get(input),
              aFrags[tm], bFrags[tn],
              ArrayRef<Value>(accs).slice((tm * warps.tilesN + tn) * 4, 4));
          llvm::append_range(next, mma.getResults());
        }
      accs = next;
    }
  }
  // Every warp has read A and B before the tiles may take their memory.
  gpu::BarrierOp::create(b, loc);

  Value bufD = allocWorkgroup(b, loc, f32, M * N);
  for (int64_t tm = 0; tm < warps.tilesM; ++tm)
    for (int64_t tn = 0; tn < warps.tilesN; ++tn)
      for (int64_t r = 0; r < 4; ++r)
        storeWorkgroup(b, loc, f32, accs[(tm * warps.tilesN + tn) * 4 + r],
                       bufD, tileIndex(tm, tn, r));
  gpu::BarrierOp::create(b, loc);

  SmallVector<Value> results;
  for (SmallVector<Value> &coords : emitRegisterCoords(b, loc, cType, grid)) {
    Value d = loadWorkgroup(b, loc, f32, bufD,
                            emitLinearIndex(b, loc, coords, {M, N}));
    results.push_back(
        acc == f32 ? d : arith::TruncFOp::create(b, loc, acc, d).getResult());
  }
  // Every thread has read the tiles before another op reuses the memory.
  gpu::BarrierOp::create(b, loc);
  return results;
}
