//===- ScanToThreads.cpp - kite.scan --------------------------------------===//
//
// An inclusive scan along `axis` of a blocked tensor. Along the axis the
// elements lie in the order (repetition k, warp v, lane l, register j), so
// the scan runs in four steps:
//  1. within a thread: its registers of each repetition, in coordinate
//     order (copies from replication are scanned once); the last one is the
//     thread's chunk total;
//  2. across lanes: an xor-based Hillis-Steele scan of the chunk totals over
//     the lane bits of `axis` that hold distinct elements: after it every
//     lane knows the combination of the lanes before it (its exclusive
//     prefix) and of the whole warp; the lane's position decides which side
//     of each combine a partner's value goes;
//  3. across warps (more than one warp along `axis` holds distinct
//     elements): each warp's total goes to workgroup memory, a barrier,
//     every thread combines the totals of the warps before its own (and of
//     all of them: the repetition's total), a barrier;
//  4. across repetitions: the totals of the earlier repetitions.
// A register's result is carry ⊕ warps before ⊕ lanes before ⊕ its scan
// within the thread. `reverse` scans from the end: positions are mirrored
// (registers, lanes, warps and repetitions taken from the last), the
// combine's first operand is still the accumulated value. Several operands
// go through the same steps side by side.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "dialects/Kite/KiteOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "llvm/Support/MathExtras.h"

#include <map>

using namespace mlir;
using namespace mlir::kitegpu;

namespace {

using Values = SmallVector<Value>;

Values select(OpBuilder &b, Location loc, Value cond, ValueRange yes,
              ValueRange no) {
  Values results;
  for (auto [y, n] : llvm::zip_equal(yes, no))
    results.push_back(arith::SelectOp::create(b, loc, cond, y, n));
  return results;
}

Value isNonZero(OpBuilder &b, Location loc, Value value) {
  return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, value,
                               createI32(b, loc, 0));
}

/// Bits [shift, shift + log2(count)) of `value`, mirrored when `reverse`.
Value emitPosition(OpBuilder &b, Location loc, Value offset, unsigned shift,
                   int64_t count, bool reverse) {
  Value pos = offset;
  if (shift)
    pos = arith::ShRUIOp::create(b, loc, pos, createI32(b, loc, shift));
  pos = arith::AndIOp::create(b, loc, pos, createI32(b, loc, count - 1));
  if (reverse)
    pos = arith::XOrIOp::create(b, loc, pos, createI32(b, loc, count - 1));
  return pos;
}

struct ScanToThreads : ThreadPattern<kite::ScanOp> {
  using ThreadPattern::ThreadPattern;

  LogicalResult
  matchAndRewrite(kite::ScanOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto srcType = cast<RankedTensorType>(op.getSrcs()[0].getType());
    auto layout = dyn_cast<BlockedLayoutAttr>(srcType.getEncoding());
    if (!layout)
      return op.emitOpError()
             << "scans of tensors with a " << srcType.getEncoding()
             << " layout do not lower to threads yet";
    for (Value src : op.getSrcs())
      if (cast<RankedTensorType>(src.getType()).getEncoding() != layout)
        return op.emitOpError() << "operands have different layouts";
    for (Type type : op.getResultTypes())
      if (cast<RankedTensorType>(type).getEncoding() != layout)
        return op.emitOpError() << "result layout "
                                << cast<RankedTensorType>(type).getEncoding()
                                << " is not the operands' " << layout;

    Location loc = op.getLoc();
    Region &combine = op.getCombine();
    unsigned axis = op.getAxis();
    bool reverse = op.getReverse();
    ArrayRef<int64_t> shape = srcType.getShape();
    SmallVector<unsigned> order = layout.getOrder();
    SmallVector<int64_t> elems = layout.getElemsPerThread(shape);
    int64_t spt = layout.getSizePerThread()[axis];
    int64_t tpw = layout.getThreadsPerWarp()[axis];
    int64_t wpc = layout.getWarpsPerCTA()[axis];
    int64_t size = shape[axis];
    int64_t tile = spt * tpw * wpc;
    // Repetitions, and the lanes and warps holding distinct elements.
    int64_t numReps = std::max<int64_t>(1, size / tile);
    int64_t lanes = std::min<int64_t>(tpw, std::max<int64_t>(1, size / spt));
    int64_t warps =
        std::min<int64_t>(wpc, std::max<int64_t>(1, size / (spt * tpw)));

    // Registers that differ only along `axis` form a group (`out`); within
    // it, registers with the same coordinate are copies.
    SmallVector<int64_t> outCounts(elems);
    outCounts[axis] = 1;
    int64_t numOut = 1;
    for (int64_t n : outCounts)
      numOut *= n;
    std::vector<std::map<int64_t, SmallVector<int64_t>>> groups(numOut);
    SmallVector<int64_t> firstReg(numOut, -1);
    int64_t numRegs = layout.getTotalElemsPerThread(shape);
    for (int64_t reg = 0; reg < numRegs; ++reg) {
      SmallVector<int64_t> index = delinearize(reg, elems, order);
      index[axis] = 0;
      int64_t out = linearize(index, outCounts, order);
      int64_t coord = layout.getElementCoords(shape, 0, 0, reg)[axis];
      groups[out][coord].push_back(reg);
      if (firstReg[out] < 0)
        firstReg[out] = reg;
    }
    auto repOf = [&](int64_t coord) {
      return numReps > 1 ? coord / tile : 0;
    };

    // 1. Within the thread, per repetition.
    // scanned[out][coord], totals[out][rep].
    std::vector<std::map<int64_t, Values>> scanned(numOut);
    std::vector<SmallVector<Values>> totals(numOut,
                                            SmallVector<Values>(numReps));
    for (int64_t out = 0; out < numOut; ++out) {
      SmallVector<int64_t> coords;
      for (auto &entry : groups[out])
        coords.push_back(entry.first);
      if (reverse)
        std::reverse(coords.begin(), coords.end());
      for (int64_t coord : coords) {
        Values cur;
        int64_t reg = groups[out][coord].front();
        for (ValueRange src : adaptor.getSrcs())
          cur.push_back(src[reg]);
        Values &total = totals[out][repOf(coord)];
        total = total.empty() ? cur
                              : emitCombine(rewriter, loc, combine, total, cur);
        scanned[out][coord] = total;
      }
    }

    // 2. Across lanes: exclusive prefixes and warp totals.
    std::vector<SmallVector<Values>> laneExcl(numOut,
                                              SmallVector<Values>(numReps));
    Value laneHas;
    if (lanes > 1) {
      Value offset = emitThreadOffsets(rewriter, loc, layout, grid)[axis];
      Value pos = emitPosition(rewriter, loc, offset, llvm::Log2_64(spt),
                               lanes, reverse);
      laneHas = isNonZero(rewriter, loc, pos);
      int64_t laneStride = 1;
      for (unsigned d : order) {
        if (d == axis)
          break;
        laneStride *= layout.getThreadsPerWarp()[d];
      }
      for (unsigned bit = 0; (int64_t(1) << bit) < lanes; ++bit) {
        Value bitSet = isNonZero(
            rewriter, loc,
            arith::AndIOp::create(rewriter, loc, pos,
                                  createI32(rewriter, loc, 1 << bit)));
        Value hasExcl;
        if (bit)
          hasExcl = isNonZero(
              rewriter, loc,
              arith::AndIOp::create(rewriter, loc, pos,
                                    createI32(rewriter, loc, (1 << bit) - 1)));
        for (int64_t out = 0; out < numOut; ++out) {
          for (int64_t rep = 0; rep < numReps; ++rep) {
            Values &total = totals[out][rep];
            if (total.empty())
              continue;
            Values other;
            for (Value value : total)
              other.push_back(emitShuffleXor(rewriter, loc, value,
                                         laneStride << bit,
                                         grid.threadsPerWarp));
            // With the bit set, the partner's lanes come first.
            Values before = emitCombine(rewriter, loc, combine, other, total);
            Values after = emitCombine(rewriter, loc, combine, total, other);
            Values &excl = laneExcl[out][rep];
            Values candidate = other;
            if (bit)
              candidate = select(
                  rewriter, loc, hasExcl,
                  emitCombine(rewriter, loc, combine, other, excl), other);
            excl = bit ? select(rewriter, loc, bitSet, candidate, excl)
                       : candidate;
            total = select(rewriter, loc, bitSet, before, after);
          }
        }
      }
    }

    // 3. Across warps, through workgroup memory.
    std::vector<SmallVector<Values>> warpExcl(numOut,
                                              SmallVector<Values>(numReps));
    Value warpHas;
    if (warps > 1) {
      SmallVector<int64_t> outShape(shape);
      outShape.erase(outShape.begin() + axis);
      int64_t outSize = 1;
      for (int64_t n : outShape)
        outSize *= n;
      Value offset = emitThreadOffsets(rewriter, loc, layout, grid)[axis];
      Value pos = emitPosition(rewriter, loc, offset,
                               llvm::Log2_64(spt * tpw), warps, reverse);
      warpHas = isNonZero(rewriter, loc, pos);
      SmallVector<SmallVector<Value>> coords =
          emitRegisterCoords(rewriter, loc, srcType, grid);
      SmallVector<Value> outIndex;
      for (int64_t reg : firstReg) {
        SmallVector<Value> c = coords[reg];
        c.erase(c.begin() + axis);
        outIndex.push_back(emitLinearIndex(rewriter, loc, c, outShape));
      }
      SmallVector<Value> buffers;
      for (Value value : totals.front().front())
        buffers.push_back(allocWorkgroup(rewriter, loc, value.getType(),
                                         numReps * warps * outSize));
      auto slot = [&](int64_t out, int64_t rep, Value warp) {
        Value base = arith::MulIOp::create(
            rewriter, loc,
            arith::AddIOp::create(rewriter, loc, warp,
                                  createI32(rewriter, loc, rep * warps)),
            createI32(rewriter, loc, outSize));
        return arith::AddIOp::create(rewriter, loc, base, outIndex[out]);
      };
      for (int64_t out = 0; out < numOut; ++out)
        for (int64_t rep = 0; rep < numReps; ++rep) {
          Value at = slot(out, rep, pos);
          for (auto [value, buffer] :
               llvm::zip_equal(totals[out][rep], buffers))
            storeWorkgroup(rewriter, loc, value.getType(), value, buffer, at);
        }
      gpu::BarrierOp::create(rewriter, loc);
      for (int64_t out = 0; out < numOut; ++out)
        for (int64_t rep = 0; rep < numReps; ++rep) {
          Values running, excl;
          for (int64_t w = 0; w < warps; ++w) {
            Value at = slot(out, rep, createI32(rewriter, loc, w));
            Values partial;
            for (auto [value, buffer] :
                 llvm::zip_equal(totals[out][rep], buffers))
              partial.push_back(
                  loadWorkgroup(rewriter, loc, value.getType(), buffer, at));
            running = w == 0 ? partial
                             : emitCombine(rewriter, loc, combine, running,
                                           partial);
            if (w == 0)
              excl = running;
            else if (w + 1 < warps)
              excl = select(rewriter, loc,
                            arith::CmpIOp::create(
                                rewriter, loc, arith::CmpIPredicate::eq, pos,
                                createI32(rewriter, loc, w + 1)),
                            running, excl);
          }
          warpExcl[out][rep] = excl;
          totals[out][rep] = running;
        }
      gpu::BarrierOp::create(rewriter, loc);
    }

    // 4. Across repetitions, and the registers' results.
    SmallVector<SmallVector<Value>> results(op.getNumResults(),
                                            SmallVector<Value>(numRegs));
    for (int64_t out = 0; out < numOut; ++out) {
      SmallVector<Values> carry(numReps);
      Values running;
      for (int64_t i = 0; i < numReps; ++i) {
        int64_t rep = reverse ? numReps - 1 - i : i;
        carry[rep] = running;
        running = running.empty() ? totals[out][rep]
                                  : emitCombine(rewriter, loc, combine,
                                                running, totals[out][rep]);
      }
      for (auto &[coord, regs] : groups[out]) {
        int64_t rep = repOf(coord);
        Values value = scanned[out][coord];
        if (laneHas)
          value = select(rewriter, loc, laneHas,
                         emitCombine(rewriter, loc, combine,
                                     laneExcl[out][rep], value),
                         value);
        if (warpHas)
          value = select(rewriter, loc, warpHas,
                         emitCombine(rewriter, loc, combine,
                                     warpExcl[out][rep], value),
                         value);
        if (!carry[rep].empty())
          value = emitCombine(rewriter, loc, combine, carry[rep], value);
        for (int64_t reg : regs)
          for (auto [k, v] : llvm::enumerate(value))
            results[k][reg] = v;
      }
    }
    rewriter.replaceOpWithMultiple(op, results);
    return success();
  }
};

} // namespace

void mlir::kitegpu::populateScanToThreads(const TypeConverter &converter,
                                          const ThreadGrid &grid,
                                          RewritePatternSet &patterns) {
  patterns.add<ScanToThreads>(converter, patterns.getContext(), grid);
}
