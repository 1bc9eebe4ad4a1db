//===- CheckThreadLimitsPass.cpp - kitegpu-check-thread-limits ------------===//
//
// The thread lowering gives every element a thread holds a register (SSA
// value) of its own, so compile time and the driver's memory grow with the
// elements per thread: a copy of 2^17 elements over 32 threads compiles for
// seconds into megabytes of SPIR-V, and 2^20 exhausts lavapipe. This pass
// refuses such tensors before lowering, at the op that makes them.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/Passes.h"

namespace mlir::kitegpu {
#define GEN_PASS_DEF_KITEGPUCHECKTHREADLIMITS
#include "lib/Conversion/KiteGPUToThreads/Passes.h.inc"
} // namespace mlir::kitegpu

using namespace mlir;
using namespace mlir::kitegpu;

namespace {
/// The elements of `value` one thread holds, or 0 for values without a
/// distributed layout.
int64_t elementsPerThread(Value value) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  auto layout =
      type ? dyn_cast_or_null<DistributedLayoutAttr>(type.getEncoding())
           : nullptr;
  return layout ? layout.getTotalElemsPerThread(type.getShape()) : 0;
}

struct KiteGPUCheckThreadLimitsPass
    : kitegpu::impl::KiteGPUCheckThreadLimitsBase<
          KiteGPUCheckThreadLimitsPass> {
  using Base::Base;

  void runOnOperation() override {
    int64_t limit = maxElementsPerThread.getValue();
    if (limit == 0)
      return;
    auto module = getOperation();
    auto numWarps = module->getAttrOfType<IntegerAttr>("kitegpu.num-warps");
    auto lanes = module->getAttrOfType<IntegerAttr>("kitegpu.threads-per-warp");
    WalkResult result = module.walk([&](Operation *op) {
      for (Value value : op->getResults()) {
        int64_t count = elementsPerThread(value);
        if (count <= limit)
          continue;
        InFlightDiagnostic diag = op->emitError();
        diag << "'" << op->getName() << "' makes a block of shape [";
        llvm::interleaveComma(
            cast<RankedTensorType>(value.getType()).getShape(), diag);
        diag << "] that gives each thread " << count
             << " elements, more than the " << limit << " this target allows";
        if (numWarps && lanes)
          diag << " (" << numWarps.getInt() << " warps of " << lanes.getInt()
               << " threads)";
        diag << "; use smaller blocks (loop over them) or more warps";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
