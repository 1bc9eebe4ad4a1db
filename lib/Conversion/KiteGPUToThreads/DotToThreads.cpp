//===- DotToThreads.cpp - kite.dot on FMA tiles ---------------------------===//
//
// c + a * b with blocked operands, without tensor cores (Vulkan, NVIDIA
// before sm_80), register-blocked: every thread stores its registers of a
// (transposed, K x M) and b (K x N) in workgroup memory, a barrier, then
// one scf.for over K in which the thread reads each distinct row of a and
// column of b its registers of c (the layout of c: a tile of rows x
// columns) need once and each register accumulates one product; a barrier
// before the buffers may be written again. Where all lanes of a warp need
// the same rows, each lane reads one of every threads-per-warp of them and
// shuffles share them. Products are formed in the accumulation type: f32
// for float inputs (an f16 accumulator is widened, and rounded once at the
// end), i32 for i8. Operands are staged in their own type (f32, f16, and
// the bits of bf16, fp8 and i8: 2 or 1 bytes), widened when the loop reads
// them. Operands that do not fit the workgroup memory the target gives a
// program are reported at the op. On targets with tensor cores, dots of
// suitable types and shapes take mma.sync instead (MmaDotToThreads.cpp).
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "dialects/KiteGPU/KiteGPUOps.h"

#include "dialects/Kite/KiteOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

#include <map>

using namespace mlir;
using namespace mlir::kitegpu;

namespace {

Value convertTo(OpBuilder &b, Location loc, Value value, Type type) {
  Type from = value.getType();
  if (from == type)
    return value;
  if (isa<IntegerType>(type))
    return arith::ExtSIOp::create(b, loc, type, value);
  if (from.getIntOrFloatBitWidth() < type.getIntOrFloatBitWidth())
    return arith::ExtFOp::create(b, loc, type, value);
  return arith::TruncFOp::create(b, loc, type, value);
}

/// How a thread reads, at one k, the rows of a (dim 0) or the columns of b
/// (dim 1) its registers of c need: each distinct coordinate once.
struct OperandReads {
  SmallVector<unsigned> slotReg;   // value read -> a register of c at it
  SmallVector<unsigned> slotOfReg; // register of c -> value read
  /// Where all lanes of a warp need the same coordinates, W =
  /// threadsPerWarp slots at a time consecutive in every thread: the first
  /// slot of each W. Lane l loads the l-th of them and shuffles share the
  /// W values in the warp: one load where each lane made W. (A CPU Vulkan
  /// driver runs a warp's lanes as one SIMD program whose workgroup loads
  /// are one scalar access per lane; a shuffle from a constant lane is a
  /// register move.)
  SmallVector<unsigned> laneGroups;
};

/// The reads of `dim` for the registers of c, checked in every thread of
/// the layout: registers share a read where their coordinates agree in all
/// threads.
OperandReads planOperandReads(RankedTensorType cType, unsigned dim,
                              const ThreadGrid &grid) {
  int64_t numRegs = getLayout(cType).getTotalElemsPerThread(cType.getShape());
  unsigned width = grid.threadsPerWarp;
  // coordOf[thread][reg], thread = warp * threadsPerWarp + lane
  SmallVector<SmallVector<int64_t>> coordOf;
  for (ArrayRef<SmallVector<int64_t>> held : getThreadCoords(cType, grid))
    coordOf.push_back(llvm::to_vector(llvm::map_range(
        held, [&](ArrayRef<int64_t> c) { return c[dim]; })));
  auto everywhere = [&](auto predicate) {
    return llvm::all_of(coordOf, predicate);
  };
  OperandReads plan;
  plan.slotOfReg.assign(numRegs, 0);
  // In the order of thread 0's coordinates, so that runs of consecutive
  // ones can make lane groups.
  std::multimap<int64_t, unsigned> regsByCoord;
  for (int64_t reg = 0; reg < numRegs; ++reg)
    regsByCoord.insert({coordOf[0][reg], reg});
  for (const auto &entry : regsByCoord) {
    unsigned reg = entry.second;
    auto shared = llvm::find_if(plan.slotReg, [&](unsigned other) {
      return everywhere(
          [&](ArrayRef<int64_t> c) { return c[reg] == c[other]; });
    });
    plan.slotOfReg[reg] = shared - plan.slotReg.begin();
    if (shared == plan.slotReg.end())
      plan.slotReg.push_back(reg);
  }

  unsigned slots = plan.slotReg.size();
  bool sameInWarp =
      llvm::all_of(llvm::seq<size_t>(0, coordOf.size()), [&](size_t thread) {
        return coordOf[thread] == coordOf[thread - thread % width];
      });
  if (!sameInWarp || width == 1 || slots % width != 0)
    return plan;
  for (unsigned first = 0; first < slots; first += width) {
    unsigned reg0 = plan.slotReg[first];
    for (unsigned l = 1; l < width; ++l)
      if (!everywhere([&](ArrayRef<int64_t> c) {
            return c[plan.slotReg[first + l]] == c[reg0] + l;
          })) {
        plan.laneGroups.clear();
        return plan;
      }
    plan.laneGroups.push_back(reg0);
  }
  return plan;
}

/// The values `plan` reads at step `k` from `buffer`, a K x `stride`
/// row-major staging of a (transposed) or b, in `compute`; `lane` is the
/// calling thread's lane in its warp.
SmallVector<Value> emitOperandReads(OpBuilder &b, Location loc,
                                    const OperandReads &plan,
                                    ArrayRef<SmallVector<Value>> coords,
                                    unsigned dim, Type input, Type compute,
                                    Value buffer, Value k, int64_t stride,
                                    Value lane, unsigned width) {
  SmallVector<Value> values;
  Value row = arith::MulIOp::create(b, loc, k, createI32(b, loc, stride));
  auto read = [&](Value index) {
    return convertTo(b, loc, loadWorkgroup(b, loc, input, buffer, index),
                     compute);
  };
  if (plan.laneGroups.empty()) {
    for (unsigned reg : plan.slotReg)
      values.push_back(
          read(arith::AddIOp::create(b, loc, row, coords[reg][dim])));
    return values;
  }
  for (unsigned reg : plan.laneGroups) {
    Value mine = read(arith::AddIOp::create(
        b, loc, arith::AddIOp::create(b, loc, row, coords[reg][dim]), lane));
    for (unsigned l = 0; l < width; ++l)
      values.push_back(gpu::ShuffleOp::create(
                           b, loc, mine, createI32(b, loc, l),
                           createI32(b, loc, width), gpu::ShuffleMode::IDX)
                           .getShuffleResult());
  }
  return values;
}

struct DotToThreads : ThreadPattern<kite::DotOp> {
  using ThreadPattern::ThreadPattern;

  LogicalResult
  matchAndRewrite(kite::DotOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType aType = op.getA().getType(), bType = op.getB().getType(),
                     cType = op.getC().getType();
    Type input = aType.getElementType(), acc = cType.getElementType();
    bool isInt = input.isInteger(8);
    if (!isInt && !input.isF32() && !input.isF16() && !isEmulatedFloat(input))
      return op.emitOpError()
             << "dot of " << input << " operands does not lower to threads yet";
    Type compute =
        isInt ? Type(rewriter.getI32Type()) : Type(rewriter.getF32Type());
    int64_t M = aType.getDimSize(0), K = aType.getDimSize(1),
            N = bType.getDimSize(1);
    std::string operands;
    llvm::raw_string_ostream(operands)
        << "operands " << M << "x" << K << " and " << K << "x" << N << " (as "
        << input << ")";
    if (failed(checkWorkgroupBytes(
            op, getWorkgroupBytes(input, M * K + K * N), grid, operands,
            "use smaller blocks (BLOCK_M, BLOCK_N, BLOCK_K)")))
      return failure();

    Location loc = op.getLoc();
    // 1. Operands to workgroup memory, row-major.
    auto spill = [&](RankedTensorType type, ValueRange regs) {
      Value buffer =
          allocWorkgroup(rewriter, loc, input, type.getNumElements());
      for (auto [value, coords] :
           llvm::zip_equal(regs, emitRegisterCoords(rewriter, loc, type, grid)))
        storeWorkgroup(rewriter, loc, input, value, buffer,
                       emitLinearIndex(rewriter, loc, coords, type.getShape()));
      return buffer;
    };
    // On tensor cores where the target has them and the operands and shape
    // allow, if their staging (larger than the FMA loop's for fp8 widened to
    // f16) and the tiles of c fit.
    std::optional<MmaTiling> plan = chooseMma(op, grid);
    if (plan && (!grid.maxWorkgroupBytes ||
                 getMmaWorkgroupBytes(op, *plan, grid) <= grid.maxWorkgroupBytes)) {
      auto shared = [&](Value operand) -> std::optional<SharedOperand> {
        auto load = operand.getDefiningOp<LocalLoadOp>();
        if (!load || !load.getSlot())
          return std::nullopt;
        MemDescType type = load.getSrc().getType();
        return SharedOperand{
            emitSlotView(rewriter, loc, rewriter.getRemappedValue(load.getSrc()),
                         type, rewriter.getRemappedValue(load.getSlot())),
            type.getEncoding()};
      };
      std::optional<DecodedOperand> decodedA =
          DecodedOperand::match(op.getA(), op);
      std::optional<DecodedOperand> decodedB =
          DecodedOperand::match(op.getB(), op);
      if (decodedA && !decodedA->canReadLeaves(rewriter, grid))
        decodedA.reset();
      if (decodedB && !decodedB->canReadLeaves(rewriter, grid))
        decodedB.reset();
      rewriter.replaceOpWithMultiple(
          op, {emitMmaDot(rewriter, loc, op, *plan, adaptor.getA(),
                          adaptor.getB(), adaptor.getC(), grid,
                          shared(op.getA()), shared(op.getB()),
                          decodedA ? &*decodedA : nullptr,
                          decodedB ? &*decodedB : nullptr)});
      return success();
    }
    // a transposed (K x M), b row-major (K x N): at step k the rows of a and
    // the columns of b a thread needs lie at consecutive addresses where its
    // registers of c are consecutive rows and columns.
    Value bufA = allocWorkgroup(rewriter, loc, input, M * K);
    for (auto [value, coords] : llvm::zip_equal(
             adaptor.getA(), emitRegisterCoords(rewriter, loc, aType, grid)))
      storeWorkgroup(
          rewriter, loc, input, value, bufA,
          emitLinearIndex(rewriter, loc, {coords[1], coords[0]}, {K, M}));
    Value bufB = spill(bType, adaptor.getB());
    gpu::BarrierOp::create(rewriter, loc);

    // 2. The thread's tile of c: per k, its rows of a and columns of b are
    // read once, then one product per register. (Unrolling K by 4 measured
    // no faster on lavapipe and made ptxas spill a thread's 128
    // accumulators on sm_80: the loads of four steps live at once.)
    SmallVector<SmallVector<Value>> coords =
        emitRegisterCoords(rewriter, loc, cType, grid);
    OperandReads rows = planOperandReads(cType, 0, grid),
                 cols = planOperandReads(cType, 1, grid);
    Value lane = arith::AndIOp::create(
        rewriter, loc, emitThreadId(rewriter, loc),
        createI32(rewriter, loc, grid.threadsPerWarp - 1));
    SmallVector<Value> init;
    for (Value value : adaptor.getC())
      init.push_back(convertTo(rewriter, loc, value, compute));
    auto loop = scf::ForOp::create(
        rewriter, loc, createI32(rewriter, loc, 0), createI32(rewriter, loc, K),
        createI32(rewriter, loc, 1), init,
        [&](OpBuilder &b, Location loc, Value k, ValueRange accs) {
          SmallVector<Value> as =
              emitOperandReads(b, loc, rows, coords, 0, input, compute, bufA, k,
                               M, lane, grid.threadsPerWarp);
          SmallVector<Value> bs =
              emitOperandReads(b, loc, cols, coords, 1, input, compute, bufB, k,
                               N, lane, grid.threadsPerWarp);
          auto contract = arith::FastMathFlagsAttr::get(
              b.getContext(), arith::FastMathFlags::contract);
          SmallVector<Value> next;
          for (auto [reg, sum] : llvm::enumerate(accs)) {
            Value x = as[rows.slotOfReg[reg]], y = bs[cols.slotOfReg[reg]];
            if (isInt)
              next.push_back(arith::AddIOp::create(
                  b, loc, sum, arith::MulIOp::create(b, loc, x, y)));
            else // contractible into one fma.rn.f32 on NVIDIA (math.fma
                 // would be a slow libm call on CPU Vulkan drivers)
              next.push_back(arith::AddFOp::create(
                  b, loc, sum, arith::MulFOp::create(b, loc, x, y, contract),
                  contract));
          }
          scf::YieldOp::create(b, loc, next);
        });
    gpu::BarrierOp::create(rewriter, loc);

    SmallVector<Value> results;
    for (Value value : loop.getResults())
      results.push_back(convertTo(rewriter, loc, value, acc));
    rewriter.replaceOpWithMultiple(op, {results});
    return success();
  }
};

} // namespace

void mlir::kitegpu::populateDotToThreads(const TypeConverter &converter,
                                         const ThreadGrid &grid,
                                         RewritePatternSet &patterns) {
  patterns.add<DotToThreads>(converter, patterns.getContext(), grid);
}
