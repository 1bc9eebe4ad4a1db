//===- JoinSplitLayouts.h - join/split layouts ------------------*- C++ -*-===//
//
// kite.join adds a minor dimension of size 2 and kite.split removes it. When
// each thread holds that dimension whole (as Triton lays it out), both are
// register moves; so are the reshapes that merge it into the dimension
// before it (interleave) or split it out again.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_LIB_CONVERSION_KITETOKITEGPU_JOINSPLITLAYOUTS_H
#define KITE_LIB_CONVERSION_KITETOKITEGPU_JOINSPLITLAYOUTS_H

#include "dialects/KiteGPU/KiteGPUDialect.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::kitegpu {

/// The layout of a join's result (or of a split's source) from that of its
/// operands: `layout` and a new dimension, last in shape and first in order,
/// with sizePerThread 2 and one thread and warp along it.
BlockedLayoutAttr getJoinLayout(BlockedLayoutAttr layout);

/// The layout of a join of two scalars, a tensor<2xT>: every thread holds
/// both elements.
BlockedLayoutAttr getScalarJoinLayout(MLIRContext *context, unsigned numWarps,
                                      unsigned threadsPerWarp);

/// The layout of a split's results when its source has `layout`: `layout`
/// without its last dimension, if one thread and one warp hold that
/// dimension (each thread then has both halves); null otherwise, or when
/// the source is 1-D (the results are scalars).
BlockedLayoutAttr getSplitLayout(BlockedLayoutAttr layout);

/// Patterns of kitegpu-remove-layout-conversions for these ops: a join of
/// two conversions from one layout is a join in that layout, converted
/// after; a split of a conversion from a split-compatible layout splits in
/// it; a reshape of a conversion that only merges the last dimension, held
/// whole by each thread, into the one before it (or splits a dimension of
/// pairs out of the last) is done in the source's layout.
void populateJoinSplitLayoutPatterns(RewritePatternSet &patterns);

} // namespace mlir::kitegpu

#endif // KITE_LIB_CONVERSION_KITETOKITEGPU_JOINSPLITLAYOUTS_H
