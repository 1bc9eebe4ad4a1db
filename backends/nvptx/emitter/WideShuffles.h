//===- WideShuffles.h - warp shuffles of any scalar width -------*- C++ -*-===//
#ifndef KITE_BACKENDS_NVPTX_EMITTER_WIDESHUFFLES_H
#define KITE_BACKENDS_NVPTX_EMITTER_WIDESHUFFLES_H

#include "mlir/IR/BuiltinOps.h"

namespace mlir::kitenvptx {

/// Rewrites every gpu.shuffle of a scalar that is not 32 bits wide (shfl.sync
/// moves 32-bit registers) into 32-bit shuffles: a narrower integer or float
/// through its bits zero-extended to i32, a 64-bit one as its two halves.
/// Fails on a shuffled value of another type (a vector, an index).
LogicalResult splitShufflesTo32Bits(ModuleOp module);

} // namespace mlir::kitenvptx

#endif // KITE_BACKENDS_NVPTX_EMITTER_WIDESHUFFLES_H
