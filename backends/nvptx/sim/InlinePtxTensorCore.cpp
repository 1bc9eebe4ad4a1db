//===- InlinePtxTensorCore.cpp - mma.sync and ldmatrix --------------------===//
//
// The warp-wide tensor-core instructions: each lane hands its fragment
// registers to the warp (SimThread::exchange), the last lane to arrive
// computes the whole tile with the PTX ISA's fragment layouts, and every
// lane takes its part of the result.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/sim/InlinePtx.h"

using namespace kite::sim;

PtxHandler kite::sim::findTensorCoreHandler(llvm::StringRef) {
  // Not implemented yet: mma.sync and ldmatrix fail as unsupported.
  return nullptr;
}
