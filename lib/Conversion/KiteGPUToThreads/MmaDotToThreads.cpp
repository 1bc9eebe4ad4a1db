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
// address is then a per-lane base plus a constant, the bases shared by the
// steps and tiles whose offsets the swizzle cannot tell apart
// (SwizzledOperand::indexAt). The accumulators start
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
#include "dialects/KiteThread/WorkgroupBufferPlacement.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::kitegpu;

std::optional<MmaTiling> mlir::kitegpu::chooseMma(kite::DotOp op,
                                                  const ThreadGrid &grid) {
  RankedTensorType a = op.getA().getType(), c = op.getC().getType();
  // The grid of c's layout where the layout stage gave it the
  // accumulators' layout.
  return chooseMmaTiling(a.getElementType(), op.getInputPrecision(),
                         c.getElementType(), c.getDimSize(0), c.getDimSize(1),
                         a.getDimSize(1), grid.numWarps, grid.threadsPerWarp,
                         grid.tensorCores, /*chained=*/false,
                         getMmaAccumulatorWarpsM(c.getEncoding()));
}

namespace {
/// An operand in workgroup memory: rows of `rowLength` elements (K for a
/// K-contiguous operand, N for b staged K x N), their 16-byte chunks of
/// `vec` elements swizzled (getMmaOperandSharedLayout).
struct SwizzledOperand {
  Value buffer;
  int64_t rowLength, numRows;
  SharedLayoutAttr layout;
  int64_t vec;

  SwizzledOperand(Value buffer, int64_t rowLength, SharedLayoutAttr layout)
      : buffer(buffer), rowLength(rowLength),
        numRows(cast<MemRefType>(buffer.getType()).getNumElements() /
                rowLength),
        layout(layout), vec(layout.getVec()) {}
  /// The element index of (row, column).
  Value index(IndexBuilder &e, Value row, Value column) const {
    return emitSharedIndex(e, layout, numRows, rowLength, row, column);
  }
  /// The elements between (row, column) and (row + rowOffset, column +
  /// columnOffset) where the offsets are whole periods of the swizzle and
  /// the column offset whole slabs; for (0, 0) the unswizzled position of
  /// (rowOffset, columnOffset), which is what the hardware swizzles. Rows
  /// as stored: where they are placed for wgmma, not the operand's rows.
  int64_t offsetOf(int64_t rowOffset, int64_t columnOffset) const {
    int64_t slab = layout.getSlab();
    if (!slab || slab >= rowLength)
      return rowOffset * rowLength + columnOffset;
    return columnOffset / slab * numRows * slab + rowOffset * slab +
           columnOffset % slab;
  }
  /// The element index of row `row + rowOffset`, chunk `chunk + chunkOffset`
  /// as a per-lane part plus a constant, so that the fragments of many tiles
  /// share a few per-lane bases (each a register live across a loop): the
  /// swizzle repeats every perPhase * maxPhase rows, and the XOR with a
  /// phase below 2^m leaves a chunk's multiples of 2^m (m: maxPhase's bits)
  /// alone, (x + c 2^m) ^ phase = (x ^ phase) + c 2^m. Only the offsets'
  /// remainders stay in the per-lane part.
  Value indexAt(IndexBuilder &e, Value row, int64_t rowOffset, Value chunk,
                int64_t chunkOffset) const {
    // Rows placed for wgmma (a block moves by more than its offset): whole.
    if (layout.getWarpsM())
      return index(e, e.add(row, rowOffset),
                   e.mul(e.add(chunk, chunkOffset), vec));
    int64_t rowPeriod = layout.getPerPhase() * layout.getMaxPhase();
    int64_t chunkPeriod = llvm::PowerOf2Ceil(layout.getMaxPhase());
    int64_t rowRest = rowOffset % rowPeriod;
    int64_t chunkRest = chunkOffset % chunkPeriod;
    Value lane =
        index(e, e.add(row, rowRest), e.mul(e.add(chunk, chunkRest), vec));
    return e.add(lane, offsetOf(rowOffset - rowRest,
                                (chunkOffset - chunkRest) * vec));
  }
};
} // namespace

/// Stores registers `regs` of `type` as `staged` elements of a new swizzled
/// buffer whose rows are its dim 0 along dim 1 (A as M x K, b as K x N), or
/// dim 1 along dim 0 when `transposed` (b as N x K): runs of a thread's
/// registers along dim 1 as one vector store each (they stay within a
/// 16-byte chunk, so the swizzle keeps them contiguous). `placedWarpsM`
/// (not 0) stores the rows in the order a wgmma descriptor reads A
/// (SharedLayoutAttr's warpsM).
static SwizzledOperand
stageOperand(IndexBuilder &e, RankedTensorType type, ValueRange regs,
             bool transposed, Type staged, const ThreadGrid &grid,
             unsigned placedWarpsM = 0) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  int64_t K = type.getDimSize(transposed ? 0 : 1);
  int64_t rows = type.getDimSize(transposed ? 1 : 0);
  Type input = type.getElementType();
  SwizzledOperand operand(
      allocWorkgroup(b, loc, staged, rows * K), K,
      getMmaOperandSharedLayout(b.getContext(), K, getElementBytes(staged),
                                {1, 0}, grid.warpgroupMma, placedWarpsM));
  auto toStorage = [&](Value value) {
    // fp8 widened to f16 where the target has no fp8 mma (exact).
    if (staged != input && !isa<Float8E4M3FNType, Float8E5M2Type>(staged))
      value = arith::TruncFOp::create(b, loc, staged, value);
    return toWorkgroupStorage(b, loc, staged, value);
  };
  int64_t width =
      getRegisterRunWidth(type, operand.vec, grid, transposed ? 0 : 1);
  SmallVector<SmallVector<Value>> coords =
      emitRegisterCoords(b, loc, type, grid);
  for (int64_t reg = 0; reg < int64_t(regs.size()); reg += width) {
    Value row = coords[reg][transposed ? 1 : 0];
    Value k = coords[reg][transposed ? 0 : 1];
    Value index = arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                             operand.index(e, row, k));
    if (width == 1) {
      memref::StoreOp::create(b, loc, toStorage(regs[reg]), operand.buffer,
                              index);
      continue;
    }
    SmallVector<Value> elements;
    for (int64_t i = 0; i < width; ++i)
      elements.push_back(toStorage(regs[reg + i]));
    auto vectorType = VectorType::get({width}, elements[0].getType());
    Value vector =
        vector::FromElementsOp::create(b, loc, vectorType, elements);
    vector::StoreOp::create(
        b, loc, vector, operand.buffer, index, /*nontemporal=*/false,
        llvm::MaybeAlign(width * getElementBytes(staged)));
  }
  return operand;
}

/// Stages 8-bit b from its slot `slot` (K x N, N contiguous) K-major, as
/// the tensor cores read 8-bit b (N rows of K), shared memory to shared
/// memory: each thread reads a block of `kBlock` rows of K by 4 columns as
/// 4-byte words, transposes it 4 x 4 bytes at a time (byte shuffles:
/// prmt), and stores its 4 columns with one `kBlock`-byte store each. A
/// thread holds one block, where staging from the load's registers held
/// the whole tile. None where the threads do not tile the blocks evenly or
/// the slot's swizzle groups are narrower than a word.
static std::optional<SwizzledOperand>
stageBytesKMajor(IndexBuilder &e, const SharedOperand &slot,
                 RankedTensorType type, const ThreadGrid &grid) {
  OpBuilder &b = e.b;
  Location loc = e.loc;
  int64_t K = type.getDimSize(0), N = type.getDimSize(1);
  Type element = type.getElementType();
  int64_t threads = grid.getNumThreads();
  Type byte = cast<MemRefType>(slot.buffer.getType()).getElementType();
  if (getElementBytes(element) != 1 || !byte.isInteger(8) ||
      slot.layout.getVec() % 4 || slot.layout.getOrder()[0] != 1 || N % 4 ||
      threads % (N / 4))
    return std::nullopt;
  // Blocks of 8 rows before 16: at 128x256x64 (8 warps, a 128-register
  // accumulator) 16 took 16 more registers and 12 more instructions a K
  // step (the 16-byte chunks cost a third shuffle per word).
  int64_t kBlock = 0;
  for (int64_t candidate : {8, 4})
    if (K % candidate == 0 && (K / candidate) * (N / 4) % threads == 0) {
      kBlock = candidate;
      break;
    }
  auto layout = getMmaOperandSharedLayout(b.getContext(), K, 1, {1, 0},
                                          grid.warpgroupMma);
  if (!kBlock || layout.getVec() % kBlock)
    return std::nullopt;
  SwizzledOperand operand(allocWorkgroup(b, loc, byte, N * K), K, layout);
  auto word = VectorType::get({4}, byte);
  // Thread t: columns 4 (t % (N / 4)) .. + 3, rows kBlock (t / (N / 4)) ..,
  // then the rows `rowsPerPass` further on.
  Value thread = emitThreadId(b, loc);
  Value column = e.mul(e.rem(thread, N / 4), 4);
  int64_t blocksPerPass = threads / (N / 4);
  Value firstRow = e.mul(e.div(thread, N / 4), kBlock);
  auto toIndex = [&](Value i32) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(), i32)
        .getResult();
  };
  // Rows a whole number of swizzle periods apart have the same phase: their
  // indices differ by a constant, so a thread keeps one index (a register
  // the whole loop) per row of the first period and offsets the others.
  int64_t period = slot.layout.getPerPhase() * slot.layout.getMaxPhase();
  int64_t slab = slot.layout.getSlab();
  int64_t rowStride = slab && slab < N ? slab : N;
  SmallVector<Value> firstPeriod;
  auto rowIndex = [&](int64_t offset) {
    int64_t inPeriod = offset % period;
    if (inPeriod < int64_t(firstPeriod.size()))
      return e.add(firstPeriod[inPeriod], (offset - inPeriod) * rowStride);
    Value index = emitSharedIndex(e, slot.layout, K, N,
                                  e.add(firstRow, offset), column);
    if (offset < period)
      firstPeriod.push_back(index);
    return index;
  };
  for (int64_t pass = 0; pass < (K / kBlock) / blocksPerPass; ++pass) {
    int64_t passOffset = pass * blocksPerPass * kBlock;
    Value row = e.add(firstRow, passOffset);
    SmallVector<Value> rows;
    for (int64_t i = 0; i < kBlock; ++i)
      rows.push_back(vector::LoadOp::create(
          b, loc, word, slot.buffer,
          ValueRange{toIndex(rowIndex(passOffset + i))},
          /*nontemporal=*/false, llvm::MaybeAlign(4)));
    // Per 4 rows: bytes (row r, column c) -> (column c, row r).
    SmallVector<SmallVector<Value>> columns(4);
    for (int64_t i = 0; i < kBlock; i += 4) {
      auto shuffle = [&](Value x, Value y, ArrayRef<int64_t> mask) {
        return vector::ShuffleOp::create(b, loc, x, y, mask).getResult();
      };
      Value low01 = shuffle(rows[i], rows[i + 1], {0, 4, 1, 5});
      Value low23 = shuffle(rows[i + 2], rows[i + 3], {0, 4, 1, 5});
      Value high01 = shuffle(rows[i], rows[i + 1], {2, 6, 3, 7});
      Value high23 = shuffle(rows[i + 2], rows[i + 3], {2, 6, 3, 7});
      columns[0].push_back(shuffle(low01, low23, {0, 1, 4, 5}));
      columns[1].push_back(shuffle(low01, low23, {2, 3, 6, 7}));
      columns[2].push_back(shuffle(high01, high23, {0, 1, 4, 5}));
      columns[3].push_back(shuffle(high01, high23, {2, 3, 6, 7}));
    }
    for (int64_t c = 0; c < 4; ++c) {
      Value chunk = columns[c][0];
      for (size_t j = 1; j < columns[c].size(); ++j) {
        // Widen the chunk so far by the next 4 bytes.
        SmallVector<int64_t> widen;
        for (int64_t m = 0; m < 4 * int64_t(j); ++m)
          widen.push_back(m);
        for (int64_t m = 0; m < 4; ++m)
          widen.push_back(4 * int64_t(j) + m);
        chunk = vector::ShuffleOp::create(b, loc, chunk, columns[c][j], widen);
      }
      assert(cast<VectorType>(chunk.getType()).getNumElements() == kBlock);
      Value at = toIndex(operand.index(e, e.add(column, c), row));
      vector::StoreOp::create(b, loc, chunk, operand.buffer, at,
                              /*nontemporal=*/false, llvm::MaybeAlign(kBlock));
    }
  }
  return operand;
}

/// Stages a decoded operand (a: M x K, `kDim` 1; b: K x N, `kDim` 0) as
/// rows x K `staged` elements of a new swizzled buffer, as stageOperand
/// does from registers: each thread decodes chunks of `vec` consecutive K
/// of one row (DecodedOperand, two elements per word) and stores each chunk
/// with one vector store, so that every element is decoded once and the
/// chain's own lowering (and its layout conversions) is dead. None where
/// the threads do not tile the chunks evenly.
static std::optional<SwizzledOperand>
stageDecoded(ConversionPatternRewriter &b, IndexBuilder &e,
             DecodedOperand &decoded, RankedTensorType type, unsigned kDim,
             Type staged, const ThreadGrid &grid) {
  Location loc = e.loc;
  int64_t K = type.getDimSize(kDim), rows = type.getDimSize(1 - kDim);
  auto layout = getMmaOperandSharedLayout(
      b.getContext(), K, getElementBytes(staged), {1, 0}, grid.warpgroupMma);
  int64_t vec = layout.getVec(), threads = grid.getNumThreads();
  int64_t chunksPerRow = K / vec;
  if (!llvm::isPowerOf2_64(K) || !llvm::isPowerOf2_64(rows) || K % vec ||
      vec % 2 || chunksPerRow > threads || (rows * chunksPerRow) % threads)
    return std::nullopt;
  // The leaves' buffers, stored before the chunks read them (and read by
  // every thread before a later buffer may take their memory: the barrier
  // after the chunks).
  bool leaves = decoded.storeRegisterLeaves(b, grid);
  if (leaves)
    gpu::BarrierOp::create(b, loc);
  SwizzledOperand operand(allocWorkgroup(b, loc, staged, rows * K), K, layout);
  // Thread t: chunk t % chunksPerRow of row t / chunksPerRow, then the
  // rows `rowsPerPass` further on.
  int64_t rowsPerPass = threads / chunksPerRow;
  Value thread = emitThreadId(b, loc);
  Value chunk = e.mul(e.rem(thread, chunksPerRow), vec);
  Value row = e.div(thread, chunksPerRow);
  LaneCoord kLane{chunk, uint64_t(chunksPerRow - 1) << llvm::Log2_64(vec), 0};
  if (chunksPerRow == 1)
    kLane = LaneCoord();
  LaneCoord rowLane{row, uint64_t(rowsPerPass - 1), 0};
  auto vectorType = VectorType::get(
      {vec}, cast<MemRefType>(operand.buffer.getType()).getElementType());
  auto wordsType = VectorType::get({vec / 2}, b.getI32Type());
  for (int64_t pass = 0; pass < rows / rowsPerPass; ++pass) {
    SmallVector<LaneCoords> coords;
    for (int64_t i = 0; i < vec; ++i) {
      LaneCoords at(2);
      at[kDim] = kLane;
      at[kDim].constant = i;
      at[1 - kDim] = rowLane;
      at[1 - kDim].constant = pass * rowsPerPass;
      coords.push_back(at);
    }
    SmallVector<Value> words = decoded.emitFragmentWords(b, grid, coords);
    Value vector = vector::BitCastOp::create(
        b, loc, vectorType,
        vector::FromElementsOp::create(b, loc, wordsType, words));
    Value index = arith::IndexCastOp::create(
        b, loc, b.getIndexType(),
        operand.index(e, e.add(row, pass * rowsPerPass), chunk));
    vector::StoreOp::create(b, loc, vector, operand.buffer, index,
                            /*nontemporal=*/false,
                            llvm::MaybeAlign(vec * getElementBytes(staged)));
  }
  if (leaves)
    gpu::BarrierOp::create(b, loc);
  return operand;
}

/// The registers of a tensor of `type` that are the accumulators of the
/// tiles, [tile][c0..c3], when its layout is getMmaAccumulatorLayout's (then
/// the dot needs no workgroup memory for c and d); none otherwise. Checked
/// against the layout's own coordinates for every thread and register.
static std::optional<SmallVector<int64_t>>
getAccumulatorRegisters(RankedTensorType type, const MmaTiling &plan,
                        const ThreadGrid &grid) {
  auto layout = dyn_cast<BlockedLayoutAttr>(type.getEncoding());
  if (!layout || layout != getMmaAccumulatorLayout(type.getContext(), plan))
    return std::nullopt;
  int64_t numRegs = layout.getTotalElemsPerThread(type.getShape());
  if (numRegs != plan.tilesM * plan.tilesN * 4 || grid.threadsPerWarp != 32)
    return std::nullopt;
  ThreadCoords coords = getThreadCoords(type, grid);
  DenseMap<std::pair<int64_t, int64_t>, int64_t> regOf; // thread 0's
  for (int64_t reg = 0; reg < numRegs; ++reg) {
    ArrayRef<int64_t> at = coords[0][reg];
    regOf[{at[0], at[1]}] = reg;
    for (auto [thread, held] : llvm::enumerate(coords)) {
      int64_t warp = thread / 32, lane = thread % 32;
      if (held[reg][0] != at[0] + lane / 4 + 8 * (warp / plan.warpsN) ||
          held[reg][1] != at[1] + 2 * (lane % 4) + 8 * (warp % plan.warpsN))
        return std::nullopt;
    }
  }
  SmallVector<int64_t> regs;
  for (int64_t tm = 0; tm < plan.tilesM; ++tm)
    for (int64_t tn = 0; tn < plan.tilesN; ++tn)
      for (int64_t r = 0; r < 4; ++r) {
        auto found = regOf.find({(2 * tm + r / 2) * 8 * plan.warpsM,
                                 tn * 8 * plan.warpsN + r % 2});
        if (found == regOf.end())
          return std::nullopt;
        regs.push_back(found->second);
      }
  return regs;
}

int64_t mlir::kitegpu::getMmaWorkgroupBytes(kite::DotOp op,
                                            const MmaTiling &plan,
                                            const ThreadGrid &grid) {
  RankedTensorType a = op.getA().getType(), c = op.getC().getType();
  int64_t M = a.getDimSize(0), K = a.getDimSize(1), N = c.getDimSize(1);
  int64_t operands = getWorkgroupBytes(plan.staged, (M + N) * K);
  // The tiles of c and d (reusing the operands' memory) where c is not in
  // the accumulators' layout.
  if (getAccumulatorRegisters(c, plan, grid))
    return operands;
  return std::max(operands, M * N * 4);
}

/// The A fragments [tile row][K step] of a dot whose a is already in
/// registers of an accumulator layout with the dot's warps along M and none
/// along K (attention's P, computed by a dot of the same rows): the 16x8
/// tiles (tm, 2s) and (tm, 2s + 1) of a are the 16x16 fragment of K step s,
/// two 16-bit elements packed per register. None where a is elsewhere or
/// the instruction is not m16n8k16 of 16-bit operands.
static std::optional<SmallVector<SmallVector<SmallVector<Value>>>>
getRegisterFragmentsOfA(OpBuilder &b, Location loc, RankedTensorType aType,
                        ValueRange aRegs, const MmaTiling &plan,
                        const ThreadGrid &grid) {
  if (plan.warpsN != 1 || plan.k != 16 ||
      getMmaAccumulatorWarpsM(aType.getEncoding()) != plan.warpsM)
    return std::nullopt;
  int64_t K = aType.getDimSize(1);
  MmaTiling aTiling = plan;
  aTiling.tilesN = K / 8;
  std::optional<SmallVector<int64_t>> regs =
      getAccumulatorRegisters(aType, aTiling, grid);
  if (!regs)
    return std::nullopt;
  Type input = aType.getElementType();
  auto bits = [&](Value value) {
    if (isEmulatedFloat(input) && plan.staged.isF16()) // fp8, widened exactly
      value = arith::TruncFOp::create(b, loc, b.getF16Type(), value);
    else if (isEmulatedFloat(input)) // bf16
      value = emitEmulatedBits(b, loc, value, input);
    if (!value.getType().isInteger(16))
      value = arith::BitcastOp::create(b, loc, b.getI16Type(), value);
    return arith::ExtUIOp::create(b, loc, b.getI32Type(), value).getResult();
  };
  Type f32 = b.getF32Type(), f16 = b.getF16Type();
  auto pack = [&](int64_t tile, int64_t r) {
    Value lowReg = aRegs[(*regs)[tile * 4 + r]];
    Value highReg = aRegs[(*regs)[tile * 4 + r + 1]];
    // f16 registers: one vector of two, one instruction where they were
    // rounded from f32 together (cvt.rn.f16x2.f32, attention's P).
    if (input.isF16()) {
      auto lowCast = lowReg.getDefiningOp<arith::TruncFOp>();
      auto highCast = highReg.getDefiningOp<arith::TruncFOp>();
      Value pair;
      if (lowCast && highCast && lowCast.getIn().getType() == f32 &&
          highCast.getIn().getType() == f32) {
        Value wide = vector::FromElementsOp::create(
            b, loc, VectorType::get({2}, f32),
            ValueRange{lowCast.getIn(), highCast.getIn()});
        pair = arith::TruncFOp::create(b, loc, VectorType::get({2}, f16), wide);
      } else {
        pair = vector::FromElementsOp::create(b, loc, VectorType::get({2}, f16),
                                              ValueRange{lowReg, highReg});
      }
      Value word = vector::BitCastOp::create(
          b, loc, VectorType::get({1}, b.getI32Type()), pair);
      return vector::ExtractOp::create(b, loc, word, 0).getResult();
    }
    Value low = bits(lowReg);
    Value high = bits(highReg);
    high = arith::ShLIOp::create(b, loc, high, createI32(b, loc, 16));
    return arith::OrIOp::create(b, loc, low, high).getResult();
  };
  SmallVector<SmallVector<SmallVector<Value>>> frags(plan.tilesM);
  for (int64_t tm = 0; tm < plan.tilesM; ++tm)
    for (int64_t step = 0; step < K / 16; ++step) {
      int64_t left = tm * aTiling.tilesN + 2 * step, right = left + 1;
      frags[tm].push_back(
          {pack(left, 0), pack(left, 2), pack(right, 0), pack(right, 2)});
    }
  return frags;
}

namespace {
/// b in workgroup memory as a wgmma descriptor names it: rows of `swizzle`
/// bytes (a slab of a longer row, or the whole row), 8 of them every
/// `stride` bytes, slabs `leading` bytes apart; K-major (b as N x K) or
/// N-major (`transposed`, b as K x N).
struct WgmmaOperand {
  SwizzledOperand operand;
  bool transposed;
  int64_t swizzle, leading, stride;
};
} // namespace

/// b as wgmma reads it, or none where it cannot (then mma.sync): the
/// dot's warps in fours along M with all of N (the accumulators of a
/// warpgroup's m64nN), b's rows (or their slabs) 32, 64 or 128 bytes, and
/// N-major b only of 16-bit elements. The buffer gets the alignment of its
/// swizzle's period (the swizzle acts on the address's bits).
static std::optional<WgmmaOperand>
getWgmmaOperand(const SwizzledOperand &b, bool transposed,
                const MmaTiling &plan, const ThreadGrid &grid) {
  int64_t bytes = getElementBytes(plan.staged);
  // The staged bits are the instruction's (tf32 reads f32's).
  bool stagedAsRead = plan.staged == plan.abType ||
                      (plan.abType.isTF32() && plan.staged.isF32());
  if (plan.warpsN != 1 || plan.warpsM % 4 || grid.threadsPerWarp != 32 ||
      !stagedAsRead || (transposed && bytes != 2))
    return std::nullopt;
  int64_t slab = b.layout.getSlab() && b.layout.getSlab() < b.rowLength
                     ? b.layout.getSlab()
                     : b.rowLength;
  int64_t swizzle = slab * bytes;
  if (swizzle != 32 && swizzle != 64 && swizzle != 128)
    return std::nullopt;
  // Kite's swizzle must be the hardware's: 16-byte chunk c of row r at
  // c ^ (r * swizzle / 128) % (swizzle / 16).
  if (b.layout.getVec() * bytes != 16 ||
      b.layout.getPerPhase() * swizzle != 128 ||
      b.layout.getMaxPhase() * 16 != swizzle)
    return std::nullopt;
  int64_t period = 8 * swizzle;
  if ((cast<MemRefType>(b.buffer.getType()).getNumElements() * bytes) % period ||
      !alignWorkgroupBuffer(b.buffer, 1024))
    return std::nullopt;
  return WgmmaOperand{b, transposed, swizzle,
                      /*leading=*/b.numRows * slab * bytes,
                      /*stride=*/period};
}

/// A in workgroup memory for wgmma: its buffer (rows placed by
/// placeInvariantA) and the element where the thread's warpgroup's rows
/// start.
struct WgmmaA {
  WgmmaOperand operand;
  Value warpgroupStart;
};

/// 16-bit a that the dot's loop reads unchanged (attention's q, loaded
/// before the loop) for wgmma to read through a descriptor, as Triton's
/// wgmma reads q, instead of holding its fragments in registers through
/// the loop: staged once before the loop, or none where a is not such an
/// operand. A descriptor gives warp i of a warpgroup rows 16 i .. 16 i + 15
/// of the instruction's 64, 8-row groups a stride apart, where the
/// accumulators' layout gives warp w (of warpsM along M) the 8-row blocks
/// w + warpsM (2 tm + h) of tile row tm; so block b = w + warpsM (2 tm + h)
/// is stored as block 8 (w / 4 + warpsM / 4 tm) + 2 (w % 4) + h: each
/// warpgroup's 64 rows of a tile row together, in the order the
/// instruction reads them. A barrier after the loop keeps the buffer until
/// every warpgroup's last wgmma has read it. None where a's buffer and
/// those the loop already reads (its slots) would pass the target's
/// workgroup memory.
static std::optional<WgmmaA>
placeInvariantA(OpBuilder &b, Location loc, kite::DotOp op,
                RankedTensorType aType, ValueRange aRegs,
                const MmaTiling &plan, const ThreadGrid &grid) {
  auto loop = op->getParentOfType<scf::ForOp>();
  if (!loop || plan.warpsN != 1 || plan.warpsM % 4 ||
      grid.threadsPerWarp != 32 || getElementBytes(plan.staged) != 2 ||
      aType.getElementType() != plan.staged || plan.abType != plan.staged ||
      !loop.isDefinedOutsideOfLoop(op.getA()) ||
      !llvm::all_of(aRegs, [&](Value reg) {
        return loop.isDefinedOutsideOfLoop(reg);
      }))
    return std::nullopt;
  // Only where the buffers the loop reads from outside it (the pipeliner's
  // slots) leave room for a's next to them.
  if (grid.maxWorkgroupBytes) {
    int64_t live = aType.getNumElements() * getElementBytes(plan.staged);
    auto readInLoop = [&](Operation *alloc) {
      return !loop->isAncestor(alloc) &&
             llvm::any_of(alloc->getUsers(), [&](Operation *user) {
               return loop->isAncestor(user);
             });
    };
    loop->getParentOfType<FunctionOpInterface>()->walk([&](Operation *alloc) {
      if (auto slots = dyn_cast<LocalAllocOp>(alloc); slots && readInLoop(alloc))
        live += ShapedType::getNumElements(slots.getType().getShape()) *
                getWorkgroupElementBytes(slots.getType().getElementType());
      auto buffer = dyn_cast<memref::AllocOp>(alloc);
      if (buffer && readInLoop(alloc))
        live += buffer.getType().getNumElements() *
                llvm::divideCeil(buffer.getType().getElementTypeBitWidth(), 8);
    });
    if (live > grid.maxWorkgroupBytes)
      return std::nullopt;
  }
  std::optional<WgmmaOperand> operand;
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop);
    IndexBuilder e{b, loc};
    SwizzledOperand staged = stageOperand(e, aType, aRegs, /*transposed=*/false,
                                          plan.staged, grid, plan.warpsM);
    operand = getWgmmaOperand(staged, /*transposed=*/false, plan, grid);
    kitethread::FenceAsyncSharedOp::create(b, loc);
    gpu::BarrierOp::create(b, loc);
    b.setInsertionPointAfter(loop);
    gpu::BarrierOp::create(b, loc);
  }
  if (!operand)
    return std::nullopt;
  IndexBuilder e{b, loc};
  Value warpgroup = e.div(emitThreadId(b, loc), 128);
  return WgmmaA{*operand,
                e.mul(warpgroup, operand->operand.offsetOf(64, 0))};
}

/// The dot's K steps on wgmma: every warp's A fragments (any rows: they
/// name the rows of its accumulators) or A's descriptor, then, after a
/// fence, for each K step and 16-row tile of the warp, one m64nNkK per at
/// most 256 columns with b through its descriptor; one group, waited for at
/// once.
static SmallVector<Value> emitWarpgroupMma(
    OpBuilder &b, Location loc, const MmaTiling &plan,
    const WgmmaOperand &operand, ArrayRef<Value> accsIn, int64_t steps,
    function_ref<SmallVector<SmallVector<Value>>(int64_t)> getFragmentsOfA,
    const std::optional<WgmmaA> &memoryA, int64_t pending) {
  SmallVector<SmallVector<SmallVector<Value>>> aFrags;
  for (int64_t step = 0; step < steps && !memoryA; ++step)
    aFrags.push_back(getFragmentsOfA(step));
  kitethread::WgmmaFenceOp::create(b, loc);
  SmallVector<Value> accs(accsIn);
  int64_t n = std::min<int64_t>(8 * plan.tilesN, 256), tiles = n / 8;
  const SwizzledOperand &buffer = operand.operand;
  for (int64_t step = 0; step < steps; ++step)
    for (int64_t tm = 0; tm < plan.tilesM; ++tm)
      for (int64_t tn = 0; tn < plan.tilesN; tn += tiles) {
        // The element where the instruction's b starts: row (column) 8 tn,
        // K step `step`.
        int64_t k = step * plan.k, column = 8 * tn;
        int64_t start = operand.transposed ? buffer.offsetOf(k, column)
                                           : buffer.offsetOf(column, k);
        int64_t first = (tm * plan.tilesN + tn) * 4;
        // A in memory: the warpgroup's 64 rows of tile row tm (placed
        // warpgroup after warpgroup, tile row after tile row), K step
        // `step`.
        Value aBuffer, aIndex;
        IntegerAttr aSwizzle, aLeading, aStride;
        SmallVector<Value> aRegs;
        if (memoryA) {
          const WgmmaOperand &a = memoryA->operand;
          aBuffer = a.operand.buffer;
          aIndex = arith::AddIOp::create(
              b, loc, memoryA->warpgroupStart,
              createI32(b, loc,
                        a.operand.offsetOf(64 * (plan.warpsM / 4) * tm, k)));
          aSwizzle = b.getI64IntegerAttr(a.swizzle);
          aLeading = b.getI64IntegerAttr(a.leading);
          aStride = b.getI64IntegerAttr(a.stride);
        } else {
          aRegs = aFrags[step][tm];
        }
        auto mma = kitethread::WgmmaOp::create(
            b, loc, SmallVector<Type>(4 * tiles, accs[first].getType()),
            TypeAttr::get(plan.abType), b.getI64IntegerAttr(n), aRegs,
            aBuffer, aIndex, aSwizzle, aLeading, aStride, buffer.buffer,
            createI32(b, loc, start),
            b.getI64IntegerAttr(operand.swizzle),
            b.getI64IntegerAttr(operand.leading),
            b.getI64IntegerAttr(operand.stride),
            operand.transposed ? b.getUnitAttr() : UnitAttr(),
            ArrayRef<Value>(accs).slice(first, 4 * tiles));
        for (auto [i, d] : llvm::enumerate(mma.getD()))
          accs[first + i] = d;
      }
  kitethread::WgmmaCommitOp::create(b, loc);
  auto wait = kitethread::WgmmaWaitOp::create(b, loc, ValueRange(accs).getTypes(),
                                              b.getI64IntegerAttr(pending), accs);
  return SmallVector<Value>(wait.getResults());
}

void mlir::kitegpu::drainAsyncWgmma(ModuleOp module) {
  SmallVector<kitethread::WgmmaWaitOp> waits;
  module.walk([&](kitethread::WgmmaWaitOp wait) {
    if (wait.getPending() != 0)
      waits.push_back(wait);
  });
  for (kitethread::WgmmaWaitOp wait : waits) {
    // The group stays in flight across the back edge only where the
    // accumulators go nowhere but into the next iteration.
    auto loop = dyn_cast<scf::ForOp>(wait->getParentOp());
    Operation *yield = loop ? loop.getBody()->getTerminator() : nullptr;
    SmallVector<unsigned> positions;
    for (Value result : wait.getResults()) {
      if (!yield || !result.hasOneUse() ||
          result.getUses().begin()->getOwner() != yield) {
        positions.clear();
        break;
      }
      positions.push_back(result.getUses().begin()->getOperandNumber());
    }
    OpBuilder b(wait);
    if (positions.empty()) {
      wait.setPendingAttr(b.getI64IntegerAttr(0));
      continue;
    }
    // After the loop, before anything reads the accumulators or reuses
    // the slots' memory: the last group retired. The loop goes into an
    // `if` that it runs at all, with the wait after it there: where it runs
    // no iteration, its results are its inits, and those (zeros) reach
    // the code after it on a path with no wait (ptxas serializes every
    // wgmma of a pipeline whose accumulators anything but a wgmma defines
    // between the wgmma and its wait, on any path).
    b.setInsertionPoint(loop);
    Value runs = arith::CmpIOp::create(b, loop.getLoc(),
                                       arith::CmpIPredicate::slt,
                                       loop.getLowerBound(), loop.getUpperBound());
    auto branch = scf::IfOp::create(b, loop.getLoc(), loop.getResultTypes(), runs,
                                    /*withElseRegion=*/true);
    loop->replaceAllUsesWith(branch.getResults());
    loop->moveBefore(branch.thenBlock(), branch.thenBlock()->begin());
    b.setInsertionPointAfter(loop);
    SmallVector<Value> results;
    for (unsigned position : positions)
      results.push_back(loop.getResult(position));
    auto drained = kitethread::WgmmaWaitOp::create(
        b, wait.getLoc(), ValueRange(results).getTypes(),
        b.getI64IntegerAttr(0), results);
    SmallVector<Value> yielded(loop.getResults());
    for (auto [position, value] : llvm::zip_equal(positions, drained.getResults()))
      yielded[position] = value;
    b.setInsertionPointToEnd(branch.thenBlock());
    scf::YieldOp::create(b, loop.getLoc(), yielded);
    b.setInsertionPointToEnd(branch.elseBlock());
    scf::YieldOp::create(b, loop.getLoc(), loop.getInitArgs());
  }
}

SmallVector<Value> mlir::kitegpu::emitMmaDot(
    ConversionPatternRewriter &b, Location loc, kite::DotOp op,
    const MmaTiling &plan, ValueRange aRegs, ValueRange bRegs, ValueRange cRegs,
    const ThreadGrid &grid, std::optional<SharedOperand> sharedA,
    std::optional<SharedOperand> sharedB, DecodedOperand *decodedA,
    DecodedOperand *decodedB) {
  RankedTensorType aType = op.getA().getType(), bType = op.getB().getType(),
                   cType = op.getC().getType();
  Type acc = cType.getElementType();
  Type accum = acc.isSignlessInteger(32) ? acc : Type(b.getF32Type());
  IndexBuilder e{b, loc};
  int64_t M = aType.getDimSize(0), K = aType.getDimSize(1),
          N = bType.getDimSize(1);
  int64_t numTiles = plan.tilesM * plan.tilesN;
  auto toAccum = [&](Value value) {
    return value.getType() == accum
               ? value
               : arith::ExtFOp::create(b, loc, accum, value).getResult();
  };

  // The tiles of a warp (wm, wn): tile (tm, tn) is rows (2 tm + h) * 8 *
  // warpsM + 8 wm + 0..7 (h = 0, 1) by columns tn * 8 * warpsN + 8 wn +
  // 0..7, so the warps' 8x8 blocks interleave as in the accumulator layout
  // (MmaTiling.h). Lane l holds rows g = l / 4 and columns 2 (l % 4) + 0, 1
  // of a block; as an ldmatrix address it names row q = l % 8 of matrix
  // l / 8.
  Value thread = emitThreadId(b, loc);
  Value warp = e.div(thread, 32), lane = e.rem(thread, 32);
  Value warpRow = e.mul(e.div(warp, plan.warpsN), 8);
  Value warpCol = e.mul(e.rem(warp, plan.warpsN), 8);
  Value matrix = e.div(lane, 8), q = e.rem(lane, 8);
  auto matrixBit = [&](int64_t mask) {
    Value set = arith::AndIOp::create(b, loc, matrix, e.i32(mask));
    return mask == 1 ? set : e.div(set, mask);
  };
  int64_t rowStride = 8 * plan.warpsM, colStride = 8 * plan.warpsN;

  std::optional<SmallVector<int64_t>> direct =
      getAccumulatorRegisters(cType, plan, grid);
  // Without the accumulator layout: c and d go through workgroup memory, at
  // the row-major index of register r of tile (tm, tn).
  Value cRow = e.add(warpRow, e.div(lane, 4));
  Value cCol = e.add(warpCol, e.mul(e.rem(lane, 4), 2));
  auto tileIndex = [&](int64_t tile, int64_t r) {
    int64_t tm = tile / plan.tilesN, tn = tile % plan.tilesN;
    Value row = e.add(cRow, (2 * tm + r / 2) * rowStride);
    return e.add(e.mul(row, N), e.add(cCol, tn * colStride + r % 2));
  };

  // c is the accumulators' start; all zeros (a dot without acc) need no
  // registers of it.
  SmallVector<Value> accs;
  if (llvm::all_of(cRegs, [](Value v) {
        return matchPattern(v, m_AnyZeroFloat()) || matchPattern(v, m_Zero());
      })) {
    accs.assign(numTiles * 4,
                arith::ConstantOp::create(b, loc, b.getZeroAttr(accum)));
  } else if (direct) {
    for (int64_t reg : *direct)
      accs.push_back(toAccum(cRegs[reg]));
  } else {
    Value bufC = allocWorkgroup(b, loc, accum, M * N);
    for (auto [value, coords] :
         llvm::zip_equal(cRegs, emitRegisterCoords(b, loc, cType, grid)))
      storeWorkgroup(b, loc, accum, toAccum(value), bufC,
                     emitLinearIndex(b, loc, coords, {M, N}));
    gpu::BarrierOp::create(b, loc);
    for (int64_t tile = 0; tile < numTiles; ++tile)
      for (int64_t r = 0; r < 4; ++r)
        accs.push_back(loadWorkgroup(b, loc, accum, bufC, tileIndex(tile, r)));
    // Every warp has its c before the operands may take its memory.
    gpu::BarrierOp::create(b, loc);
  }
  // a from registers where it is in a compatible accumulator layout, else
  // staged like b.
  auto aInRegisters =
      getRegisterFragmentsOfA(b, loc, aType, aRegs, plan, grid);
  // An operand the software pipeliner copied into workgroup memory in the
  // staging layout is read where it is (its async_wait was the barrier).
  int64_t stagedBytes = getElementBytes(plan.staged);
  // On Hopper a's rows may be placed for wgmma's descriptor (the
  // pipeliner's choice for a 16-bit a of whole warpgroups along M).
  auto inPlace = [&](std::optional<SharedOperand> shared, Type input,
                     int64_t rowLength, ArrayRef<unsigned> order,
                     bool mayBePlaced = false)
      -> std::optional<SwizzledOperand> {
    auto expected = [&](unsigned placedWarpsM) {
      return getMmaOperandSharedLayout(b.getContext(), rowLength, stagedBytes,
                                       order, grid.warpgroupMma,
                                       placedWarpsM);
    };
    bool placed = mayBePlaced && grid.warpgroupMma && plan.warpsM % 4 == 0 &&
                  shared && shared->layout.getWarpsM() &&
                  shared->layout == expected(plan.warpsM);
    if (!shared || input != plan.staged ||
        (shared->layout != expected(0) && !placed))
      return std::nullopt;
    return SwizzledOperand(shared->buffer, rowLength, shared->layout);
  };
  std::optional<SwizzledOperand> opA, opB;
  // An operand decoded from narrow codes in workgroup memory is evaluated
  // at its fragments' coordinates (DecodedOperands.cpp): m16n8k16 of f16
  // or bf16.
  // Each of the warps along N decodes the same rows of a (along M, the
  // same columns of b), where staging decodes every element once: from two
  // warps on, that measured more instructions than the staging saves but
  // for cheap decodes (docs/quantization.md), so the policy unshared keeps
  // only an operand that no other warp decodes again.
  // (An fp8 dot staged as f16 before sm_89 is not one: its operands are
  // fp8 values, not the f16 words the mma reads.)
  bool fragments16 = plan.k == 16 && stagedBytes == 2;
  if (!fragments16 || aInRegisters ||
      aType.getElementType() != plan.staged)
    decodedA = nullptr;
  if (!fragments16 || bType.getElementType() != plan.staged)
    decodedB = nullptr;
  if (grid.fuseDequantize == FuseDequantize::Never)
    decodedA = decodedB = nullptr;
  // Where both operands decode cheaply (MXFP8 on sm_89 and later: a
  // hardware cvt and a scale), staging both measured more registers (and
  // spills at BLOCK_K 128), twice the shared memory and about as many
  // instructions as decoding both at the fragments, every warp again.
  constexpr int64_t kCheapDecode = 4;
  bool bothCheap = decodedA && decodedB &&
                   decodedA->getCostPerElement(grid) <= kCheapDecode &&
                   decodedB->getCostPerElement(grid) <= kCheapDecode;
  // On wgmma, b is read from workgroup memory: staged once, decoded once
  // (two elements per word, as at the fragments: stageDecoded); a decoded
  // at its fragments is what wgmma takes from registers (every warp has all
  // of N, so no warp decodes another's rows).
  // An operand not decoded at its fragments is decoded once into its
  // staging buffer (stageDecoded).
  DecodedOperand *stagedA = nullptr, *stagedB = nullptr;
  if (grid.fuseDequantize == FuseDequantize::Unshared && grid.warpgroupMma &&
      plan.warpsN == 1 && plan.warpsM % 4 == 0) {
    std::swap(stagedB, decodedB);
    bothCheap = false;
  }
  if (grid.fuseDequantize == FuseDequantize::Unshared && !bothCheap) {
    if (plan.warpsN > 1)
      std::swap(stagedA, decodedA);
    if (plan.warpsM > 1 && decodedB)
      std::swap(stagedB, decodedB);
  }
  // a as the copies left it: M x K, or K x M (M contiguous, a transposed
  // a's loads), which ldmatrix.trans reads for 16-bit elements.
  Type aInput = aType.getElementType();
  bool aTransposed = false;
  if (!aInRegisters && !decodedA) {
    opA = inPlace(sharedA, aInput, K, {1, 0}, /*mayBePlaced=*/true);
    if (!opA && stagedBytes == 2) {
      opA = inPlace(sharedA, aInput, M, {0, 1});
      aTransposed = opA.has_value();
    }
  }
  // b as the copies left it: N x K (K contiguous), or K x N, which
  // ldmatrix.trans reads for 16-bit elements.
  Type bInput = bType.getElementType();
  if (!decodedB)
    opB = inPlace(sharedB, bInput, K, {0, 1});
  bool bTransposed = false;
  if (!decodedB && !opB && stagedBytes == 2) {
    opB = inPlace(sharedB, bInput, N, {1, 0});
    bTransposed = opB.has_value();
  }
  bool staged = false;
  if (!aInRegisters && !opA && stagedA) {
    opA = stageDecoded(b, e, *stagedA, aType, 1, plan.staged, grid);
    staged = opA.has_value();
  }
  if (!opB && stagedB) {
    opB = stageDecoded(b, e, *stagedB, bType, 0, plan.staged, grid);
    staged |= opB.has_value();
  }
  if (!aInRegisters && !decodedA && !opA) {
    // 16-bit a whose registers run along M is staged K x M with vector
    // stores and read by ldmatrix.trans; else M x K.
    aTransposed = stagedBytes == 2 && aInput == plan.staged &&
                  getRegisterRunWidth(aType, 16 / stagedBytes, grid, 0) > 1;
    opA = stageOperand(e, aType, aRegs, /*transposed=*/aTransposed,
                       plan.staged, grid);
    staged = true;
  }
  // 8-bit b left N-major in its slot: transposed shared to shared.
  if (!decodedB && !opB && sharedB && bInput == plan.staged) {
    opB = stageBytesKMajor(e, *sharedB, bType, grid);
    staged |= opB.has_value();
  }
  if (!decodedB && !opB) {
    // 16-bit b whose registers run along N (a row-major b's loads) is
    // staged K x N with vector stores and read by ldmatrix.trans; else
    // N x K.
    bTransposed = stagedBytes == 2 && bInput == plan.staged &&
                  getRegisterRunWidth(bType, 16 / stagedBytes, grid, 1) > 1;
    opB = stageOperand(e, bType, bRegs, /*transposed=*/!bTransposed,
                       plan.staged, grid);
    staged = true;
  }
  if (staged) {
    // Hopper: the stores, visible to wgmma's reads of b (after the barrier).
    if (grid.warpgroupMma)
      kitethread::FenceAsyncSharedOp::create(b, loc);
    gpu::BarrierOp::create(b, loc);
  }

  // Reads the matrices at the lane's row `row + rowOffset` and chunk
  // `chunk + chunkOffset` (the offsets: the tile's and K step's constants).
  auto ldmatrix = [&](const SwizzledOperand &operand, Value row,
                      int64_t rowOffset, Value chunk, int64_t chunkOffset,
                      int64_t count, bool transpose = false) {
    SmallVector<Type> words(count, b.getI32Type());
    Value index = operand.indexAt(e, row, rowOffset, chunk, chunkOffset);
    return kitethread::LdmatrixOp::create(b, loc, words, operand.buffer, index,
                                          count, transpose)
        .getWords();
  };
  // A: matrices (rows h = 0, chunk 0), (h = 1, 0), (0, 1), (1, 1) are
  // a0..a3. B: (columns 0-7, chunk 0), (0-7, chunk 1) are b0, b1 of one
  // tile; x4 reads the next tile's as words 2, 3. The lane's row in each is
  // a per-lane base plus a constant.
  Value aRow = e.add(e.add(warpRow, q), e.mul(matrixBit(1), rowStride));
  Value aChunk = matrixBit(2);
  // a as K x M, read transposed: matrices (k 0-7, rows h = 0), (0-7, 1),
  // (8-15, 0), (8-15, 1) are a0..a3; a row is one 8-row chunk of M.
  Value aTransRow = e.add(q, e.mul(matrixBit(2), 8));
  Value aTransChunk = e.div(e.add(warpRow, e.mul(matrixBit(1), rowStride)), 8);
  int64_t bCount = plan.tilesN > 1 ? 4 : 2;
  Value bRow = e.add(e.add(warpCol, q), e.mul(matrixBit(2), colStride));
  Value bChunk = matrixBit(1);
  // b as K x N, read transposed: matrices (rows k 0-7, columns of tile tn),
  // (k 8-15, tn), (0-7, tn + 1), (8-15, tn + 1); a row is one 8-column
  // chunk.
  Value bTransRow = e.add(q, e.mul(matrixBit(1), 8));
  Value bTransChunk = e.div(e.add(warpCol, e.mul(matrixBit(2), colStride)), 8);
  // Decoded operands' fragments (PTX ISA, m16n8k16): lane (g, t) = (l / 4,
  // l % 4) holds a0 = (row g, k 2t + j), a1 = (g + 8, 2t + j), a2 = (g, 2t
  // + 8 + j), a3 = (g + 8, 2t + 8 + j) and b0 = (k 2t + j, column g), b1 =
  // (2t + 8 + j, g), j = 0 in a word's low half and 1 in its high half.
  // The lane's parts: the warp's 8-row (8-column) block plus g, and 2t.
  //
  // Where both operands are decoded, K is permuted, the same way for both
  // (the sum over K is the same): a group of S K steps (16 S elements,
  // S <= 2) gives lane t the 4 S consecutive k from 4 S t, slot (step s,
  // half h, j) at k 4 s + 2 h + j of them, so that a lane's codes of a row
  // of a (column of b) for S steps are one vector load. A group's
  // fragments are decoded together: groups of four steps (16-byte fp8
  // loads) held 191 registers in MXFP8 128x128x64 on 8 warps, two 168
  // (Triton 165) for 4% more K-loop instructions, one 214.
  bool permuted = decodedA && decodedB;
  int64_t groupSteps = permuted ? std::min<int64_t>(K / 16, 2) : 1;
  LaneCoord kLane =
      permuted ? LaneCoord{e.mul(e.rem(lane, 4), 4 * groupSteps),
                           uint64_t(3) << llvm::Log2_64(4 * groupSteps), 0}
               : LaneCoord{e.mul(e.rem(lane, 4), 2), 6, 0};
  LaneCoord aRowLane{cRow, 7 | uint64_t(plan.warpsM - 1) << 3, 0};
  LaneCoord bColLane{e.add(warpCol, e.div(lane, 4)),
                     7 | uint64_t(plan.warpsN - 1) << 3, 0};
  auto kAt = [&](int64_t step, int64_t half, int64_t j) {
    LaneCoord k = kLane;
    int64_t group = step / groupSteps, s = step % groupSteps;
    k.constant = permuted ? 16 * groupSteps * group + 4 * s + 2 * half + j
                          : 16 * step + 8 * half + j;
    return k;
  };
  // The fragments [step of the group][tile] of the group's steps, all
  // evaluated together: `tiles` tiles of `words` words, whose elements
  // (word, j) are at coordinates `at(tile, step, word, j)`.
  using StepFragments = SmallVector<SmallVector<SmallVector<Value>>>;
  auto decodedFragments =
      [&](DecodedOperand *decoded, int64_t first, int64_t tiles, int64_t words,
          function_ref<LaneCoords(int64_t, int64_t, int64_t, int64_t)> at) {
        SmallVector<LaneCoords> coords;
        for (int64_t s = 0; s < groupSteps; ++s)
          for (int64_t tile = 0; tile < tiles; ++tile)
            for (int64_t word = 0; word < words; ++word)
              for (int64_t j = 0; j < 2; ++j)
                coords.push_back(at(tile, first + s, word, j));
        SmallVector<Value> all = decoded->emitFragmentWords(b, grid, coords);
        StepFragments frags(groupSteps);
        for (int64_t s = 0; s < groupSteps; ++s)
          for (int64_t tile = 0; tile < tiles; ++tile)
            frags[s].push_back(SmallVector<Value>(
                ArrayRef(all).slice(words * (s * tiles + tile), words)));
        return frags;
      };
  // a0..a3: rows of half word % 2, k of half word / 2; b0, b1: k of half
  // word.
  auto aAt = [&](int64_t tm, int64_t step, int64_t word, int64_t j) {
    LaneCoord row = aRowLane;
    row.constant = (2 * tm + word % 2) * rowStride;
    return LaneCoords{row, kAt(step, word / 2, j)};
  };
  auto bAt = [&](int64_t tn, int64_t step, int64_t word, int64_t j) {
    LaneCoord column = bColLane;
    column.constant = tn * colStride;
    return LaneCoords{kAt(step, word, j), column};
  };
  // The register leaves' buffers, all stored before any is read: buffers
  // whose uses do not overlap may share memory, and nothing else orders
  // one's stores after another's loads.
  bool leaves = false;
  for (DecodedOperand *decoded : {decodedA, decodedB})
    if (decoded)
      leaves |= decoded->storeRegisterLeaves(b, grid);
  if (leaves)
    gpu::BarrierOp::create(b, loc);
  StepFragments groupA, groupB;
  // The A fragments [tile row] of K step `step` (steps in order).
  auto getFragmentsOfA = [&](int64_t step) {
    if (decodedA && step % groupSteps == 0)
      groupA = decodedFragments(decodedA, step, plan.tilesM, 4, aAt);
    if (decodedA)
      return groupA[step % groupSteps];
    SmallVector<SmallVector<Value>> aFrags;
    for (int64_t tm = 0; tm < plan.tilesM; ++tm)
      aFrags.push_back(
          aInRegisters ? SmallVector<Value>((*aInRegisters)[tm][step])
          : aTransposed
              ? SmallVector<Value>(ldmatrix(*opA, aTransRow, step * 16,
                                            aTransChunk, 2 * tm * plan.warpsM,
                                            4, /*transpose=*/true))
              : SmallVector<Value>(ldmatrix(*opA, aRow, 2 * tm * rowStride,
                                            aChunk, 2 * step, 4)));
    return aFrags;
  };
  std::optional<WgmmaOperand> wgmmaB;
  if (grid.warpgroupMma && !decodedB)
    wgmmaB = getWgmmaOperand(*opB, bTransposed, plan, grid);
  std::optional<WgmmaA> memoryA;
  if (wgmmaB && aInRegisters && !decodedA)
    memoryA = placeInvariantA(b, loc, op, aType, aRegs, plan, grid);
  // a in a slot whose rows the pipeliner placed for the descriptor.
  if (wgmmaB && opA && opA->layout.getWarpsM() && !aTransposed)
    if (auto operand = getWgmmaOperand(*opA, /*transposed=*/false, plan, grid))
      memoryA = WgmmaA{*operand,
                       e.mul(e.div(emitThreadId(b, loc), 128),
                             operand->operand.offsetOf(64, 0))};
  if (wgmmaB) {
    // A dot the pipeliner gave a slot more (`kitegpu.async_mma`) leaves its
    // group in flight when it reads both operands through descriptors: the
    // next iteration's wait retires it, and drainAsyncWgmma waits for the
    // last after the loop. (A in registers would be overwritten by the next
    // iteration's fragments while the group may still read them.)
    // (Nor where this dot staged an operand: the next iteration would
    // stage over it.)
    int64_t pending =
        op->hasAttr("kitegpu.async_mma") && memoryA && !staged ? 1 : 0;
    accs = emitWarpgroupMma(b, loc, plan, *wgmmaB, accs, K / plan.k,
                            getFragmentsOfA, memoryA, pending);
  }
  for (int64_t step = 0; step < K / plan.k && !wgmmaB; ++step) {
    if (decodedB && step % groupSteps == 0)
      groupB = decodedFragments(decodedB, step, plan.tilesN, 2, bAt);
    SmallVector<SmallVector<Value>> aFrags = getFragmentsOfA(step), bFrags;
    if (decodedB)
      bFrags = groupB[step % groupSteps];
    for (int64_t tn = 0; tn < plan.tilesN && !decodedB; tn += bCount / 2) {
      auto words =
          bTransposed
              ? ldmatrix(*opB, bTransRow, step * 16, bTransChunk,
                         tn * plan.warpsN, bCount, /*transpose=*/true)
              : ldmatrix(*opB, bRow, tn * colStride, bChunk, 2 * step, bCount);
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
  // Every warp has read A and B before another op (or the tiles) may take
  // their memory.
  gpu::BarrierOp::create(b, loc);

  auto toResult = [&](Value d) {
    return acc == accum ? d
                        : arith::TruncFOp::create(b, loc, acc, d).getResult();
  };
  SmallVector<Value> results;
  if (direct) {
    results.assign(cRegs.size(), Value());
    for (auto [i, reg] : llvm::enumerate(*direct))
      results[reg] = toResult(accs[i]);
    return results;
  }
  Value bufD = allocWorkgroup(b, loc, accum, M * N);
  for (int64_t tile = 0; tile < numTiles; ++tile)
    for (int64_t r = 0; r < 4; ++r)
      storeWorkgroup(b, loc, accum, accs[tile * 4 + r], bufD,
                     tileIndex(tile, r));
  gpu::BarrierOp::create(b, loc);
  for (SmallVector<Value> &coords : emitRegisterCoords(b, loc, cType, grid))
    results.push_back(toResult(loadWorkgroup(
        b, loc, accum, bufD, emitLinearIndex(b, loc, coords, {M, N}))));
  // Every thread has read the tiles before another op reuses the memory.
  gpu::BarrierOp::create(b, loc);
  return results;
}
