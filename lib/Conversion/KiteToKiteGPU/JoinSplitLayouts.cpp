//===- JoinSplitLayouts.cpp - layouts that keep join/split in threads -----===//
//
// The layout rules of kite.join and kite.split (used by
// convert-kite-to-kitegpu) and the patterns of
// kitegpu-remove-layout-conversions that move conversions past them and
// past the reshapes around them (interleave is join + reshape), so that the
// pair dimension stays in registers end to end.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteToKiteGPU/JoinSplitLayouts.h"

#include "dialects/Kite/KiteOps.h"
#include "dialects/KiteGPU/KiteGPUOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

using namespace mlir;
using namespace mlir::kitegpu;

BlockedLayoutAttr mlir::kitegpu::getJoinLayout(BlockedLayoutAttr layout) {
  SmallVector<unsigned> spt(layout.getSizePerThread_());
  SmallVector<unsigned> tpw(layout.getThreadsPerWarp_());
  SmallVector<unsigned> wpc(layout.getWarpsPerCTA_());
  SmallVector<unsigned> order{unsigned(spt.size())};
  llvm::append_range(order, layout.getOrder_());
  spt.push_back(2);
  tpw.push_back(1);
  wpc.push_back(1);
  return BlockedLayoutAttr::get(layout.getContext(), spt, tpw, wpc, order);
}

BlockedLayoutAttr mlir::kitegpu::getScalarJoinLayout(MLIRContext *context,
                                                     unsigned numWarps,
                                                     unsigned threadsPerWarp) {
  return getBlockedLayout(context, {2}, {2}, {0}, numWarps, threadsPerWarp);
}

/// `layout` without dimension `dim`, if one thread and one warp hold it.
static BlockedLayoutAttr dropThreadLocalDim(BlockedLayoutAttr layout,
                                            unsigned dim) {
  if (layout.getThreadsPerWarp_()[dim] != 1 ||
      layout.getWarpsPerCTA_()[dim] != 1)
    return {};
  SmallVector<unsigned> spt, tpw, wpc, order;
  for (unsigned d = 0, e = layout.getSizePerThread_().size(); d < e; ++d) {
    if (d == dim)
      continue;
    spt.push_back(layout.getSizePerThread_()[d]);
    tpw.push_back(layout.getThreadsPerWarp_()[d]);
    wpc.push_back(layout.getWarpsPerCTA_()[d]);
  }
  for (unsigned d : layout.getOrder_())
    if (d != dim)
      order.push_back(d > dim ? d - 1 : d);
  return BlockedLayoutAttr::get(layout.getContext(), spt, tpw, wpc, order);
}

BlockedLayoutAttr mlir::kitegpu::getSplitLayout(BlockedLayoutAttr layout) {
  unsigned rank = layout.getSizePerThread_().size();
  if (rank < 2)
    return {};
  return dropThreadLocalDim(layout, rank - 1);
}

namespace {

bool isCheapSource(Operation *op) {
  return isa_and_nonnull<kite::SplatOp, kite::MakeRangeOp, arith::ConstantOp>(
      op);
}

/// The conversion defining `value`, unless it converts another conversion:
/// that pair folds first (into one conversion, or none), and moving it
/// before would keep both.
ConvertLayoutOp getMovableConvert(Value value) {
  auto convert = value.getDefiningOp<ConvertLayoutOp>();
  if (!convert || convert.getSrc().getDefiningOp<ConvertLayoutOp>())
    return {};
  return convert;
}

/// join(convert(a), convert(b)) with a and b in one blocked layout L (or one
/// of them a splat, range or constant): join(a, b) in L's join layout, then
/// one conversion of the result. A load's coalesced layout then reaches the
/// join and whatever follows it.
struct JoinInSourceLayout : OpRewritePattern<kite::JoinOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(kite::JoinOp join,
                                PatternRewriter &rewriter) const override {
    BlockedLayoutAttr layout;
    for (Value operand : join->getOperands()) {
      auto convert = operand.getDefiningOp<ConvertLayoutOp>();
      if (!convert)
        continue;
      if (!getMovableConvert(operand))
        return failure();
      auto from =
          dyn_cast<BlockedLayoutAttr>(getLayout(convert.getSrc().getType()));
      // Only conversions the join alone uses: this adds none.
      if (!from || (layout && from != layout) ||
          llvm::any_of(convert->getUsers(),
                       [&](Operation *user) { return user != join; }))
        return failure();
      layout = from;
    }
    if (!layout)
      return failure();
    SmallVector<Value> operands;
    for (Value operand : join->getOperands()) {
      if (auto convert = operand.getDefiningOp<ConvertLayoutOp>()) {
        operands.push_back(convert.getSrc());
        continue;
      }
      if (!isCheapSource(operand.getDefiningOp()))
        return failure();
      // Rebuilt in `layout` by remove-layout-conversions' RebuildCheapSource.
      rewriter.setInsertionPoint(join);
      operands.push_back(ConvertLayoutOp::create(
          rewriter, join.getLoc(), withLayout(operand.getType(), layout),
          operand));
    }
    rewriter.setInsertionPoint(join);
    RankedTensorType type = join.getType();
    auto joined = kite::JoinOp::create(rewriter, join.getLoc(),
                                       withLayout(type, getJoinLayout(layout)),
                                       operands[0], operands[1]);
    rewriter.replaceOpWithNewOp<ConvertLayoutOp>(join, type, joined);
    return success();
  }
};

/// split(convert(x)) where x's layout keeps the pairs in threads: split x
/// as it is, and convert the halves instead.
struct SplitInSourceLayout : OpRewritePattern<kite::SplitOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(kite::SplitOp split,
                                PatternRewriter &rewriter) const override {
    ConvertLayoutOp convert = getMovableConvert(split.getSrc());
    if (!convert || !convert->hasOneUse())
      return failure();
    auto from =
        dyn_cast<BlockedLayoutAttr>(getLayout(convert.getSrc().getType()));
    BlockedLayoutAttr halves =
        from ? getSplitLayout(from) : BlockedLayoutAttr();
    if (!halves)
      return failure();
    Type type = split.getLhs().getType();
    auto inSource = kite::SplitOp::create(
        rewriter, split.getLoc(), withLayout(type, halves),
        withLayout(type, halves), convert.getSrc());
    SmallVector<Value> results;
    for (Value half : inSource.getResults())
      results.push_back(
          ConvertLayoutOp::create(rewriter, split.getLoc(), type, half));
    rewriter.replaceOp(split, results);
    return success();
  }
};

/// The layout of reshape(x) that keeps every element of x in its thread, for
/// the two reshapes around join/split: [..., N, M] -> [..., N * M] where
/// each thread holds dimension M whole, and [..., K] -> [..., K / M, M]
/// where each thread holds runs of a multiple of M along K. Null otherwise.
BlockedLayoutAttr getInThreadReshapeLayout(BlockedLayoutAttr layout,
                                           ArrayRef<int64_t> from,
                                           ArrayRef<int64_t> to) {
  ArrayRef<unsigned> spt = layout.getSizePerThread_();
  size_t rank = from.size();
  if (to.size() + 1 == rank && rank >= 2 &&
      from.drop_back(2) == to.drop_back() &&
      from[rank - 2] * from[rank - 1] == to.back()) {
    // Merge: the pairs of each thread become runs along the merged dim.
    BlockedLayoutAttr merged = dropThreadLocalDim(layout, rank - 1);
    if (!merged || spt[rank - 1] > from[rank - 1])
      return {};
    SmallVector<unsigned> mergedSpt(merged.getSizePerThread_());
    mergedSpt.back() *= from[rank - 1];
    return BlockedLayoutAttr::get(layout.getContext(), mergedSpt,
                                  merged.getThreadsPerWarp_(),
                                  merged.getWarpsPerCTA_(), merged.getOrder_());
  }
  if (to.size() == rank + 1 && from.drop_back() == to.drop_back(2) &&
      to[rank - 1] * to[rank] == from.back()) {
    // Split off: runs of a multiple of M become pairs (M-tuples) in threads.
    unsigned m = to[rank];
    if (spt[rank - 1] % m != 0)
      return {};
    SmallVector<unsigned> newSpt(spt), tpw(layout.getThreadsPerWarp_()),
        wpc(layout.getWarpsPerCTA_()), order;
    newSpt[rank - 1] /= m;
    newSpt.push_back(m);
    tpw.push_back(1);
    wpc.push_back(1);
    for (unsigned d : layout.getOrder_()) {
      if (d == rank - 1)
        order.push_back(rank);
      order.push_back(d);
    }
    return BlockedLayoutAttr::get(layout.getContext(), newSpt, tpw, wpc, order);
  }
  return {};
}

/// reshape(convert(x)) -> convert(reshape(x)) when the reshape can keep x's
/// elements in their threads (getInThreadReshapeLayout): interleave's
/// reshape then follows the join's layout instead of going through
/// workgroup memory to the default one.
struct ReshapeInSourceLayout : OpRewritePattern<kite::ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(kite::ReshapeOp reshape,
                                PatternRewriter &rewriter) const override {
    ConvertLayoutOp convert = getMovableConvert(reshape.getSrc());
    if (!convert || !convert->hasOneUse())
      return failure();
    auto srcType = cast<RankedTensorType>(convert.getSrc().getType());
    auto from = dyn_cast_or_null<BlockedLayoutAttr>(srcType.getEncoding());
    if (!from)
      return failure();
    BlockedLayoutAttr layout = getInThreadReshapeLayout(
        from, srcType.getShape(), reshape.getType().getShape());
    if (!layout)
      return failure();
    auto inSource = kite::ReshapeOp::create(
        rewriter, reshape.getLoc(), withLayout(reshape.getType(), layout),
        convert.getSrc());
    rewriter.replaceOpWithNewOp<ConvertLayoutOp>(reshape, reshape.getType(),
                                                 inSource);
    return success();
  }
};

} // namespace

void mlir::kitegpu::populateJoinSplitLayoutPatterns(
    RewritePatternSet &patterns) {
  patterns.add<JoinInSourceLayout, SplitInSourceLayout, ReshapeInSourceLayout>(
      patterns.getContext());
}
