//===- GatherLayouts.cpp - conversions around kite.gather -----------------===//
//
// The patterns of kitegpu-remove-layout-conversions for kite.gather
// (GatherLayouts.h). convert-kite-to-kitegpu gives the result the index's
// layout; these keep it so while the conversions around the gather move.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteToKiteGPU/GatherLayouts.h"

#include "dialects/Kite/KiteOps.h"
#include "dialects/KiteGPU/KiteGPUOps.h"

using namespace mlir;
using namespace mlir::kitegpu;

namespace {

/// gather(convert(src), index) -> gather(src, index): the source is stored
/// to workgroup memory from any distributed layout, so converting it first
/// is one more trip through workgroup memory for nothing.
struct GatherTakesSourceAsItIs : OpRewritePattern<kite::GatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(kite::GatherOp gather,
                                PatternRewriter &rewriter) const override {
    auto convert = gather.getSrc().getDefiningOp<ConvertLayoutOp>();
    if (!convert || !getLayout(convert.getSrc().getType()))
      return failure();
    rewriter.modifyOpInPlace(
        gather, [&] { gather.getSrcMutable().assign(convert.getSrc()); });
    return success();
  }
};

/// gather(src, convert(index)) -> convert(gather(src, index)), the gather
/// in the index's source layout, when the conversion has no other use: the
/// same one conversion, now of the result, which the conversion a store
/// puts before it then absorbs (a loaded index and a stored result often
/// share the coalesced layout and need none).
struct GatherInIndexLayout : OpRewritePattern<kite::GatherOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(kite::GatherOp gather,
                                PatternRewriter &rewriter) const override {
    auto convert = gather.getIndex().getDefiningOp<ConvertLayoutOp>();
    if (!convert || !convert->hasOneUse())
      return failure();
    Attribute layout = getLayout(convert.getSrc().getType());
    if (!layout)
      return failure();
    RankedTensorType type = gather.getType();
    auto inIndexLayout = kite::GatherOp::create(
        rewriter, gather.getLoc(), withLayout(type, layout), gather.getSrc(),
        convert.getSrc(), gather.getAxisAttr());
    rewriter.replaceOpWithNewOp<ConvertLayoutOp>(gather, type, inIndexLayout);
    return success();
  }
};

} // namespace

void mlir::kitegpu::populateGatherLayoutPatterns(RewritePatternSet &patterns) {
  patterns.add<GatherTakesSourceAsItIs, GatherInIndexLayout>(
      patterns.getContext());
}
