//===- SinkOuterLoopInvariants.h - undo LICM where it costs registers -----===//
#ifndef KITE_BACKENDS_NVPTX_EMITTER_SINKOUTERLOOPINVARIANTS_H
#define KITE_BACKENDS_NVPTX_EMITTER_SINKOUTERLOOPINVARIANTS_H

#include "llvm/IR/PassManager.h"

namespace mlir::kitenvptx {

/// Sinks cheap loop-invariant computations that LICM hoisted out of a loop
/// containing another loop back into it, next to their uses, where that
/// keeps fewer values live through the inner loop (SinkOuterLoopInvariants.cpp
/// says when). Run after the O3 pipeline, on the LLVM IR that becomes PTX.
struct SinkOuterLoopInvariantsPass
    : llvm::PassInfoMixin<SinkOuterLoopInvariantsPass> {
  llvm::PreservedAnalyses run(llvm::Function &function,
                              llvm::FunctionAnalysisManager &analyses);
};

} // namespace mlir::kitenvptx

#endif
