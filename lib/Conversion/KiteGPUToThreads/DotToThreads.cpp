//===- DotToThreads.cpp - kite.dot on FMA tiles ---------------------------===//
//
// c + a * b with blocked operands, without tensor cores: every thread
// stores its registers of a and b at their row-major indices in workgroup
// memory (as convert_layout does), a barrier, then each register of the
// result (the layout of c) accumulates its row of a times its column of b in
// an scf.for over K, a barrier before the buffers may be written again.
// Products are formed in the accumulation type: f32 for float inputs (an f16
// accumulator is widened, and rounded once at the end), i32 for i8.
// Operands are staged in their own type (f32, f16, and the bits of bf16,
// fp8 and i8: 2 or 1 bytes), widened when the loop reads them. Operands
// that do not fit the workgroup memory the target gives a program are
// reported at the op. On targets with tensor cores, dots of suitable types
// and shapes take mma.sync instead (MmaDotToThreads.cpp).
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

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
      rewriter.replaceOpWithMultiple(
          op, {emitMmaDot(rewriter, loc, op, *plan, adaptor.getA(),
                          adaptor.getB(), adaptor.getC(), grid)});
      return success();
    }
    Value bufA = spill(aType, adaptor.getA());
    Value bufB = spill(bType, adaptor.getB());
    gpu::BarrierOp::create(rewriter, loc);

    // 2. Each result register: its row of a times its column of b. Rows and
    // columns are shared by registers with the same coordinate in thread 0.
    auto layout = getLayout(cType);
    SmallVector<SmallVector<Value>> coords =
        emitRegisterCoords(rewriter, loc, cType, grid);
    int64_t numRegs = coords.size();
    std::map<int64_t, unsigned> rowOf, colOf;
    SmallVector<unsigned> regRow, regCol;
    SmallVector<Value> rowBase, cols;
    for (int64_t reg = 0; reg < numRegs; ++reg) {
      SmallVector<int64_t> first =
          layout.getElementCoords(cType.getShape(), 0, 0, reg);
      auto [row, newRow] = rowOf.try_emplace(first[0], rowBase.size());
      if (newRow)
        rowBase.push_back(arith::MulIOp::create(rewriter, loc, coords[reg][0],
                                                createI32(rewriter, loc, K)));
      auto [col, newCol] = colOf.try_emplace(first[1], cols.size());
      if (newCol)
        cols.push_back(coords[reg][1]);
      regRow.push_back(row->second);
      regCol.push_back(col->second);
    }
    SmallVector<Value> init;
    for (Value value : adaptor.getC())
      init.push_back(convertTo(rewriter, loc, value, compute));
    auto loop = scf::ForOp::create(
        rewriter, loc, createI32(rewriter, loc, 0), createI32(rewriter, loc, K),
        createI32(rewriter, loc, 1), init,
        [&](OpBuilder &b, Location loc, Value k, ValueRange accs) {
          SmallVector<Value> as, bs;
          for (Value base : rowBase)
            as.push_back(
                convertTo(b, loc,
                          loadWorkgroup(b, loc, input, bufA,
                                        arith::AddIOp::create(b, loc, base, k)),
                          compute));
          Value kRow = arith::MulIOp::create(b, loc, k, createI32(b, loc, N));
          for (Value col : cols)
            bs.push_back(convertTo(
                b, loc,
                loadWorkgroup(b, loc, input, bufB,
                              arith::AddIOp::create(b, loc, kRow, col)),
                compute));
          SmallVector<Value> next;
          auto contract = arith::FastMathFlagsAttr::get(
              b.getContext(), arith::FastMathFlags::contract);
          for (auto [reg, sum] : llvm::enumerate(accs)) {
            Value x = as[regRow[reg]], y = bs[regCol[reg]];
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
