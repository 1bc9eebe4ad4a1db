//===- LoopCarriedLayouts.h - carry values in the layout their uses want -===//
//
// The pattern of kitegpu-remove-layout-conversions that moves a loop-carried
// value, and the element-wise ops updating it, to the layout that leaves
// the fewest conversions in the loop (LoopCarriedLayouts.cpp).
//
//===----------------------------------------------------------------------===//
#ifndef KITE_LIB_CONVERSION_KITETOKITEGPU_LOOPCARRIEDLAYOUTS_H
#define KITE_LIB_CONVERSION_KITETOKITEGPU_LOOPCARRIEDLAYOUTS_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::kitegpu {

void populateLoopCarriedLayoutPatterns(RewritePatternSet &patterns);

} // namespace mlir::kitegpu

#endif // KITE_LIB_CONVERSION_KITETOKITEGPU_LOOPCARRIEDLAYOUTS_H
