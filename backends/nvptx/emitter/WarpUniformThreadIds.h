//===- WarpUniformThreadIds.h - warp indices ptxas sees as uniform -*- C++ -*-===//
#ifndef KITE_BACKENDS_NVPTX_EMITTER_WARPUNIFORMTHREADIDS_H
#define KITE_BACKENDS_NVPTX_EMITTER_WARPUNIFORMTHREADIDS_H

#include "llvm/IR/PassManager.h"

namespace mlir::kitenvptx {

/// Where a computation reads only the warp's part of %tid.x (bits 5 and
/// up: a warp or warpgroup index, a descriptor's warpgroup offset), it
/// reads lane 0's %tid.x from a shuffle instead, which ptxas knows is the
/// same for the whole warp: such values then live in uniform registers,
/// not in every thread's (WarpUniformThreadIds.cpp). Run after O3.
struct WarpUniformThreadIdsPass
    : llvm::PassInfoMixin<WarpUniformThreadIdsPass> {
  llvm::PreservedAnalyses run(llvm::Function &function,
                              llvm::FunctionAnalysisManager &analyses);
};

} // namespace mlir::kitenvptx

#endif // KITE_BACKENDS_NVPTX_EMITTER_WARPUNIFORMTHREADIDS_H
