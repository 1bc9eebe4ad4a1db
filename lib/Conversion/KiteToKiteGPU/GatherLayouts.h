//===- GatherLayouts.h - the layouts kite.gather computes in --*- C++ -*-===//
//
// kite.gather goes through workgroup memory (GatherToThreads.cpp): its
// source is stored from whatever layout it has, and each result register
// reads the index register of its own coordinate. So the result takes the
// index's layout, and the source needs no particular one.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_LIB_CONVERSION_KITETOKITEGPU_GATHERLAYOUTS_H
#define KITE_LIB_CONVERSION_KITETOKITEGPU_GATHERLAYOUTS_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::kitegpu {

/// Patterns of kitegpu-remove-layout-conversions for kite.gather: a
/// conversion of the source goes (the source is stored to workgroup memory
/// from any layout), and a conversion of the index used by the gather alone
/// moves past it to the result, where it may fold with the conversion
/// before a store.
void populateGatherLayoutPatterns(RewritePatternSet &patterns);

} // namespace mlir::kitegpu

#endif // KITE_LIB_CONVERSION_KITETOKITEGPU_GATHERLAYOUTS_H
