//===- ShapeOpsToThreads.cpp - broadcast, expand_dims, trans, reshape, ... ===//
//
// These ops move no data between threads when the result's layout places
// every element in a thread that already holds it: each result register is
// then a copy of a source register, a permutation fixed at compile time
// (mapRegisters checks it for every thread). Otherwise the op needs a
// convert_layout first, which the kitegpu stage inserts; a mismatch left
// over is reported. join and split are such permutations too when each
// thread holds both elements of every pair (the layouts the kitegpu stage
// gives them), with the pair index of a register fixed at compile time.
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

/// For each register of `type`, its coordinate along `dim`, if that is the
/// same in every thread: then which half of a join or split a register
/// belongs to is known at compile time.
FailureOr<SmallVector<int64_t>> getRegisterCoordsAlong(RankedTensorType type,
                                                       unsigned dim,
                                                       const ThreadGrid &grid) {
  DistributedLayoutAttr layout = getLayout(type);
  SmallVector<int64_t> coords(layout.getTotalElemsPerThread(type.getShape()));
  for (unsigned warp = 0; warp < grid.numWarps; ++warp)
    for (unsigned lane = 0; lane < grid.threadsPerWarp; ++lane)
      for (auto [reg, coord] : llvm::enumerate(coords)) {
        int64_t c =
            layout.getElementCoords(type.getShape(), lane, warp, reg)[dim];
        if (warp == 0 && lane == 0)
          coord = c;
        else if (coord != c)
          return failure();
      }
  return coords;
}

LogicalResult pairsNotInThreads(Operation *op, Type type) {
  return op->emitOpError() << "needs each thread to hold both elements of "
                              "every pair of "
                           << type << "; it needs a kitegpu.convert_layout";
}

/// Result register r is register `from[r]` of lhs or rhs, by its pair index.
struct JoinToThreads : ThreadPattern<kite::JoinOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(kite::JoinOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getType();
    FailureOr<SmallVector<int64_t>> pair =
        getRegisterCoordsAlong(type, type.getRank() - 1, grid);
    if (failed(pair))
      return pairsNotInThreads(op, type);
    // Scalar operands are one register each.
    SmallVector<unsigned> from(pair->size(), 0);
    if (auto operand = dyn_cast<RankedTensorType>(op.getLhs().getType())) {
      auto dropPair = [](ArrayRef<int64_t> coords) {
        return SmallVector<int64_t>(coords.drop_back());
      };
      FailureOr<SmallVector<unsigned>> mapping =
          mapRegisters(operand, type, dropPair, grid);
      if (failed(mapping))
        return op.emitOpError()
               << "moves elements between threads (" << operand << " to "
               << type << "); it needs a kitegpu.convert_layout";
      from = *mapping;
    }
    SmallVector<Value> results;
    for (auto [reg, half] : llvm::enumerate(*pair))
      results.push_back(
          (half == 0 ? adaptor.getLhs() : adaptor.getRhs())[from[reg]]);
    rewriter.replaceOpWithMultiple(op, {results});
    return success();
  }
};

/// Each half is the source's registers at pair index 0 or 1.
struct SplitToThreads : ThreadPattern<kite::SplitOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(kite::SplitOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType srcType = op.getSrc().getType();
    ValueRange src = adaptor.getSrc();
    SmallVector<SmallVector<Value>> halves(2);
    auto resultType = dyn_cast<RankedTensorType>(op.getLhs().getType());
    for (int64_t half = 0; half < 2; ++half) {
      if (resultType) {
        auto addPair = [&](ArrayRef<int64_t> coords) {
          SmallVector<int64_t> at(coords);
          at.push_back(half);
          return at;
        };
        FailureOr<SmallVector<unsigned>> mapping =
            mapRegisters(srcType, resultType, addPair, grid);
        if (failed(mapping))
          return pairsNotInThreads(op, srcType);
        for (unsigned reg : *mapping)
          halves[half].push_back(src[reg]);
        continue;
      }
      // tensor<2xT> to two scalars: every thread needs both elements.
      FailureOr<SmallVector<int64_t>> pair =
          getRegisterCoordsAlong(srcType, 0, grid);
      const int64_t *at = succeeded(pair) ? llvm::find(*pair, half) : nullptr;
      if (!at || at == pair->end())
        return pairsNotInThreads(op, srcType);
      halves[half].push_back(src[at - pair->begin()]);
    }
    rewriter.replaceOpWithMultiple(op, {halves[0], halves[1]});
    return success();
  }
};

} // namespace

void mlir::kitegpu::populateShapeOpsToThreads(const TypeConverter &converter,
                                              const ThreadGrid &grid,
                                              RewritePatternSet &patterns) {
  patterns.add<BroadcastToThreads, ExpandDimsToThreads, TransToThreads,
               ReshapeToThreads, JoinToThreads, SplitToThreads>(
      converter, patterns.getContext(), grid);
}
