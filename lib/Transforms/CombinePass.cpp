//===- CombinePass.cpp - kite-combine: tile-level peephole rewrites -------===//
#include "dialects/Kite/KiteOps.h"
#include "lib/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::kite {
#define GEN_PASS_DEF_KITECOMBINE
#include "lib/Transforms/Passes.h.inc"
} // namespace mlir::kite

using namespace mlir;
using namespace mlir::kite;

namespace {

/// addptr(addptr(p, a), b) -> addptr(p, a + b), when a and b have one type.
struct CombineAddPtrChain : OpRewritePattern<AddPtrOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddPtrOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getPtr().getDefiningOp<AddPtrOp>();
    if (!inner || inner.getOffset().getType() != op.getOffset().getType())
      return failure();
    Value sum = arith::AddIOp::create(rewriter, op.getLoc(), inner.getOffset(),
                                      op.getOffset());
    rewriter.replaceOpWithNewOp<AddPtrOp>(op, op.getType(), inner.getPtr(),
                                          sum);
    return success();
  }
};

static bool isZeroConstant(Value value) {
  return matchPattern(value, m_AnyZeroFloat()) || matchPattern(value, m_Zero());
}

/// dot(a, b, 0) + d -> dot(a, b, d), for either operand order of the add.
template <typename AddOp> struct FoldAddIntoDot : OpRewritePattern<AddOp> {
  using OpRewritePattern<AddOp>::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp add,
                                PatternRewriter &rewriter) const override {
    for (unsigned i : {0u, 1u}) {
      auto dot = add->getOperand(i).template getDefiningOp<DotOp>();
      if (!dot || !dot->hasOneUse() || !isZeroConstant(dot.getC()))
        continue;
      rewriter.replaceOpWithNewOp<DotOp>(add, dot.getType(), dot.getA(),
                                         dot.getB(), add->getOperand(1 - i));
      rewriter.eraseOp(dot);
      return success();
    }
    return failure();
  }
};

/// select(m, load(p, m), o) -> load(p, m, o): masked lanes already skip
/// memory, so `other` can stand in for them (a tensor map's padding no
/// longer would: the map is dropped).
struct CombineSelectMaskedLoad : OpRewritePattern<arith::SelectOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(arith::SelectOp select,
                                PatternRewriter &rewriter) const override {
    auto load = select.getTrueValue().getDefiningOp<LoadOp>();
    if (!load || !load->hasOneUse() || load.getOther() || !load.getMask() ||
        load.getMask() != select.getCondition())
      return failure();
    rewriter.replaceOpWithNewOp<LoadOp>(select, load.getType(), load.getPtr(),
                                        load.getMask(), select.getFalseValue(),
                                        /*tensor_map=*/Value(), ValueRange(),
                                        load.getIsVolatileAttr());
    rewriter.eraseOp(load);
    return success();
  }
};

/// broadcast(splat(x)) -> splat(x).
struct CombineBroadcastSplat : OpRewritePattern<BroadcastOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(BroadcastOp op,
                                PatternRewriter &rewriter) const override {
    auto splat = op.getSrc().getDefiningOp<SplatOp>();
    if (!splat)
      return failure();
    rewriter.replaceOpWithNewOp<SplatOp>(op, op.getType(), splat.getSrc());
    return success();
  }
};

struct KiteCombinePass : mlir::kite::impl::KiteCombineBase<KiteCombinePass> {
  void runOnOperation() override {
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    patterns.add<CombineAddPtrChain, FoldAddIntoDot<arith::AddFOp>,
                 FoldAddIntoDot<arith::AddIOp>, CombineSelectMaskedLoad,
                 CombineBroadcastSplat>(context);
    // Each rewrite folds an op into another, never back, so the driver
    // reaches a fixed point; were it ever stopped by its bound, what it
    // combined so far is a valid program: a warning, not a failed
    // compilation.
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      getOperation()->emitWarning(
          "kite-combine stopped before a fixed point; the ops left are kept");
  }
};

} // namespace
