//===- ReduceToThreads.cpp - kite.reduce ----------------------------------===//
//
// A reduction along `axis` of a blocked tensor, in three steps:
//  1. within a thread: registers that differ only along `axis` combine, in
//     increasing coordinate order (copies from replication are skipped);
//  2. across lanes: gpu.shuffle xor over the lane bits of `axis` that hold
//     distinct elements;
//  3. across warps (warpsPerCTA[axis] > 1): each warp writes its partial
//     results to workgroup memory, a barrier, every thread combines the
//     warps' partials in warp order, a barrier.
// The result has layout slice<axis, source layout>: its registers are the
// source's with index 0 along `axis`. Several operands (argmax: values and
// indices) go through the same steps side by side.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "dialects/Kite/KiteOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "llvm/Support/MathExtras.h"

#include <set>

using namespace mlir;
using namespace mlir::kitegpu;

namespace {

struct ReduceToThreads : ThreadPattern<kite::ReduceOp> {
  using ThreadPattern::ThreadPattern;

  LogicalResult
  matchAndRewrite(kite::ReduceOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto srcType = cast<RankedTensorType>(op.getSrcs()[0].getType());
    auto layout = dyn_cast<BlockedLayoutAttr>(srcType.getEncoding());
    if (!layout)
      return op.emitOpError()
             << "reductions of tensors with a " << srcType.getEncoding()
             << " layout do not lower to threads yet";
    unsigned axis = op.getAxis();
    auto sliced = SliceLayoutAttr::get(op.getContext(), axis, layout);
    for (Value src : op.getSrcs())
      if (cast<RankedTensorType>(src.getType()).getEncoding() != layout)
        return op.emitOpError() << "operands have different layouts";
    for (Type type : op.getResultTypes())
      if (auto tensor = dyn_cast<RankedTensorType>(type);
          tensor && tensor.getEncoding() != sliced)
        return op.emitOpError() << "result layout " << tensor.getEncoding()
                                << " is not " << sliced;

    Location loc = op.getLoc();
    ArrayRef<int64_t> shape = srcType.getShape();
    SmallVector<unsigned> order = layout.getOrder();
    SmallVector<int64_t> elems = layout.getElemsPerThread(shape);
    SmallVector<int64_t> outCounts(elems);
    outCounts[axis] = 1;
    int64_t numOut = 1;
    for (int64_t n : outCounts)
      numOut *= n;

    // 1. Within the thread.
    SmallVector<SmallVector<Value>> acc(numOut);
    SmallVector<int64_t> firstReg(numOut, -1);
    std::set<std::pair<int64_t, int64_t>> seen;
    int64_t numRegs = layout.getTotalElemsPerThread(shape);
    for (int64_t reg = 0; reg < numRegs; ++reg) {
      SmallVector<int64_t> index = delinearize(reg, elems, order);
      index[axis] = 0;
      int64_t out = linearize(index, outCounts, order);
      int64_t coord = layout.getElementCoords(shape, 0, 0, reg)[axis];
      if (!seen.insert({out, coord}).second)
        continue;
      SmallVector<Value> cur;
      for (ValueRange src : adaptor.getSrcs())
        cur.push_back(src[reg]);
      if (acc[out].empty()) {
        acc[out] = cur;
        firstReg[out] = reg;
      } else {
        acc[out] = emitCombine(rewriter, loc, op.getCombine(), acc[out], cur);
      }
    }

    // 2. Across the lanes that hold distinct elements along `axis`.
    unsigned spt = layout.getSizePerThread()[axis];
    unsigned tpw = layout.getThreadsPerWarp()[axis];
    int64_t laneStride = 1;
    for (unsigned d : order) {
      if (d == axis)
        break;
      laneStride *= layout.getThreadsPerWarp()[d];
    }
    for (unsigned bit = 0; (1u << bit) < tpw; ++bit) {
      if (int64_t(spt) << bit >= shape[axis])
        break;
      for (SmallVector<Value> &values : acc) {
        SmallVector<Value> other;
        for (Value value : values)
          other.push_back(emitShuffleXor(rewriter, loc, value, laneStride << bit,
                                     grid.threadsPerWarp));
        values = emitCombine(rewriter, loc, op.getCombine(), values, other);
      }
    }

    // 3. Across warps, through workgroup memory.
    int64_t tile = int64_t(spt) * tpw;
    int64_t numWarps =
        std::min<int64_t>(layout.getWarpsPerCTA()[axis],
                          std::max<int64_t>(1, shape[axis] / tile));
    if (numWarps > 1)
      combineWarps(rewriter, loc, op, layout, numWarps, firstReg, acc);

    SmallVector<SmallVector<Value>> results(op.getNumResults());
    for (SmallVector<Value> &values : acc)
      for (auto [k, value] : llvm::enumerate(values))
        results[k].push_back(value);
    rewriter.replaceOpWithMultiple(op, results);
    return success();
  }

  void combineWarps(ConversionPatternRewriter &rewriter, Location loc,
                    kite::ReduceOp op, BlockedLayoutAttr layout,
                    int64_t numWarps, ArrayRef<int64_t> firstReg,
                    SmallVectorImpl<SmallVector<Value>> &acc) const {
    unsigned axis = op.getAxis();
    auto srcType = cast<RankedTensorType>(op.getSrcs()[0].getType());
    SmallVector<int64_t> outShape(srcType.getShape());
    outShape.erase(outShape.begin() + axis);
    int64_t outSize = 1;
    for (int64_t n : outShape)
      outSize *= n;

    // The warp's slot: its index along `axis` (copies share a slot).
    Value offset = emitThreadOffsets(rewriter, loc, layout, grid)[axis];
    unsigned tileBits = llvm::Log2_64(int64_t(layout.getSizePerThread()[axis]) *
                                      layout.getThreadsPerWarp()[axis]);
    Value slot = arith::AndIOp::create(
        rewriter, loc,
        arith::ShRUIOp::create(rewriter, loc, offset,
                               createI32(rewriter, loc, tileBits)),
        createI32(rewriter, loc, numWarps - 1));
    Value slotBase = arith::MulIOp::create(rewriter, loc, slot,
                                           createI32(rewriter, loc, outSize));

    SmallVector<SmallVector<Value>> coords =
        emitRegisterCoords(rewriter, loc, srcType, grid);
    SmallVector<Value> outIndex;
    for (int64_t reg : firstReg) {
      SmallVector<Value> c = coords[reg];
      c.erase(c.begin() + axis);
      outIndex.push_back(emitLinearIndex(rewriter, loc, c, outShape));
    }
    SmallVector<Value> buffers;
    for (Value value : acc.front())
      buffers.push_back(
          allocWorkgroup(rewriter, loc, value.getType(), numWarps * outSize));
    for (auto [values, index] : llvm::zip_equal(acc, outIndex))
      for (auto [value, buffer] : llvm::zip_equal(values, buffers))
        storeWorkgroup(rewriter, loc, value.getType(), value, buffer,
                       arith::AddIOp::create(rewriter, loc, slotBase, index));
    gpu::BarrierOp::create(rewriter, loc);
    for (auto [values, index] : llvm::zip_equal(acc, outIndex)) {
      SmallVector<Value> total;
      for (int64_t w = 0; w < numWarps; ++w) {
        Value at = arith::AddIOp::create(rewriter, loc, index,
                                         createI32(rewriter, loc, w * outSize));
        SmallVector<Value> partial;
        for (auto [value, buffer] : llvm::zip_equal(values, buffers))
          partial.push_back(
              loadWorkgroup(rewriter, loc, value.getType(), buffer, at));
        total = w == 0 ? partial
                       : emitCombine(rewriter, loc, op.getCombine(), total,
                                     partial);
      }
      values = total;
    }
    gpu::BarrierOp::create(rewriter, loc);
  }
};

} // namespace

void mlir::kitegpu::populateReduceToThreads(const TypeConverter &converter,
                                            const ThreadGrid &grid,
                                            RewritePatternSet &patterns) {
  patterns.add<ReduceToThreads>(converter, patterns.getContext(), grid);
}
