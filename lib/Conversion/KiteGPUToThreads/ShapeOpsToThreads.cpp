//===- ShapeOpsToThreads.cpp - broadcast, expand_dims, trans, reshape -----===//
//
// These ops move no data between threads when the result's layout places
// every element in a thread that already holds it: each result register is
// then a copy of a source register, a permutation fixed at compile time
// (mapRegisters checks it for every thread). Otherwise the op needs a
// convert_layout first, which the kitegpu stage inserts; a mismatch left
// over is reported.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "dialects/Kite/KiteOps.h"

using namespace mlir;
using namespace mlir::kitegpu;

namespace {

using CoordMap = function_ref<SmallVector<int64_t>(ArrayRef<int64_t>)>;

LogicalResult replaceWithPermutation(Operation *op, ValueRange src,
                                     CoordMap dstToSrc, const ThreadGrid &grid,
                                     ConversionPatternRewriter &rewriter) {
  auto srcType = cast<RankedTensorType>(op->getOperand(0).getType());
  auto dstType = cast<RankedTensorType>(op->getResult(0).getType());
  FailureOr<SmallVector<unsigned>> mapping =
      mapRegisters(srcType, dstType, dstToSrc, grid);
  if (failed(mapping))
    return op->emitOpError()
           << "moves elements between threads (" << srcType << " to " << dstType
           << "); it needs a kitegpu.convert_layout";
  SmallVector<Value> results;
  for (unsigned reg : *mapping)
    results.push_back(src[reg]);
  rewriter.replaceOpWithMultiple(op, {results});
  return success();
}

struct BroadcastToThreads : ThreadPattern<kite::BroadcastOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(kite::BroadcastOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ArrayRef<int64_t> srcShape = op.getSrc().getType().getShape();
    auto dstToSrc = [&](ArrayRef<int64_t> coords) {
      SmallVector<int64_t> src(coords);
      for (auto [d, size] : llvm::enumerate(srcShape))
        if (size == 1)
          src[d] = 0;
      return src;
    };
    return replaceWithPermutation(op, adaptor.getSrc(), dstToSrc, grid,
                                  rewriter);
  }
};

struct ExpandDimsToThreads : ThreadPattern<kite::ExpandDimsOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(kite::ExpandDimsOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    unsigned axis = op.getAxis();
    auto dstToSrc = [&](ArrayRef<int64_t> coords) {
      SmallVector<int64_t> src(coords);
      src.erase(src.begin() + axis);
      return src;
    };
    return replaceWithPermutation(op, adaptor.getSrc(), dstToSrc, grid,
                                  rewriter);
  }
};

/// Result dimension i is source dimension order[i].
struct TransToThreads : ThreadPattern<kite::TransOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(kite::TransOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ArrayRef<int32_t> order = op.getOrder();
    auto dstToSrc = [&](ArrayRef<int64_t> coords) {
      SmallVector<int64_t> src(coords.size());
      for (auto [i, d] : llvm::enumerate(order))
        src[d] = coords[i];
      return src;
    };
    return replaceWithPermutation(op, adaptor.getSrc(), dstToSrc, grid,
                                  rewriter);
  }
};

/// Elements keep their row-major linear index.
struct ReshapeToThreads : ThreadPattern<kite::ReshapeOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(kite::ReshapeOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    ArrayRef<int64_t> srcShape = op.getSrc().getType().getShape();
    ArrayRef<int64_t> dstShape = op.getType().getShape();
    auto dstToSrc = [&](ArrayRef<int64_t> coords) {
      int64_t linear = 0;
      for (auto [c, size] : llvm::zip_equal(coords, dstShape))
        linear = linear * size + c;
      SmallVector<int64_t> src(srcShape.size());
      for (int64_t d = srcShape.size() - 1; d >= 0; --d) {
        src[d] = linear % srcShape[d];
        linear /= srcShape[d];
      }
      return src;
    };
    return replaceWithPermutation(op, adaptor.getSrc(), dstToSrc, grid,
                                  rewriter);
  }
};

} // namespace

void mlir::kitegpu::populateShapeOpsToThreads(const TypeConverter &converter,
                                              const ThreadGrid &grid,
                                              RewritePatternSet &patterns) {
  patterns.add<BroadcastToThreads, ExpandDimsToThreads, TransToThreads,
               ReshapeToThreads>(converter, patterns.getContext(), grid);
}
