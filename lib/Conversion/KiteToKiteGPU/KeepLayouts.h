//===- KeepLayouts.h - values that keep the layout they have --*- C++ -*-===//
//
// Patterns of kitegpu-remove-layout-conversions that move conversions down,
// away from a value whose layout is worth keeping: a load's (chosen by
// kitegpu-coalesce for its memory accesses) or that of join, split and
// reshape results, when all that uses it can compute in it; and a
// loop-carried value's, when every iteration converts it to one layout.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_LIB_CONVERSION_KITETOKITEGPU_KEEPLAYOUTS_H
#define KITE_LIB_CONVERSION_KITETOKITEGPU_KEEPLAYOUTS_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::kitegpu {

/// KeepLoadLayout (softmax: load, max, subtract, exp, sum, divide, store,
/// all in the load's layout, with no conversion left) and
/// CarryInConvertedLayout (`ptrs += BLOCK` carried in the load's layout).
void populateKeepLayoutPatterns(RewritePatternSet &patterns);

} // namespace mlir::kitegpu

#endif // KITE_LIB_CONVERSION_KITETOKITEGPU_KEEPLAYOUTS_H
