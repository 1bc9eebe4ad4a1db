//===- BarrierCanonicalization.cpp - adjacent barriers keep their ordering ===//
//
// gpu.barrier's own canonicalization erases the first of two barriers in a
// row, with its attributes: a barrier that orders global memory
// (kitethread.global_memory, around a scalar atomic or kl.debug_barrier)
// followed by one that orders workgroup memory only would lose its
// ordering. The dialect's pattern, tried first, keeps the wider of the two.
//
//===----------------------------------------------------------------------===//
#include "dialects/KiteThread/KiteThreadDialect.h"
#include "dialects/KiteThread/KiteThreadModule.h"

#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::kitethread;

/// How far a barrier orders global memory: not at all, the workgroup (cta),
/// the device (gpu), device and host (sys).
static int getReach(Operation *barrier) {
  std::optional<StringRef> scope = getGlobalMemoryScope(barrier);
  if (!scope)
    return 0;
  return llvm::StringSwitch<int>(*scope).Case("cta", 1).Case("gpu", 2).Default(
      3);
}

namespace {
struct MergeAdjacentBarriers : RewritePattern {
  explicit MergeAdjacentBarriers(MLIRContext *context)
      : RewritePattern("gpu.barrier", /*benefit=*/2, context) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    Operation *next = op->getNextNode();
    if (!next || next->getName() != op->getName())
      return failure();
    if (getReach(op) > getReach(next))
      rewriter.modifyOpInPlace(next, [&] {
        next->setAttr(kGlobalMemoryBarrierAttr,
                      op->getAttr(kGlobalMemoryBarrierAttr));
      });
    rewriter.eraseOp(op);
    return success();
  }
};
} // namespace

void KiteThreadDialect::getCanonicalizationPatterns(
    RewritePatternSet &results) const {
  results.add<MergeAdjacentBarriers>(getContext());
}
