//===- UnrollForLoopBudget.cpp - more iterations per driver back-edge -----===//
//
// lavapipe stops a kernel's loops after 65,535 back-edges in all
// (LoopIterationLimit.cpp reports it). An innermost `scf.for` with a small
// body, unrolled by `factor` (MLIR's loopUnrollByFactor: a main loop of
// trips / factor iterations and an epilogue loop for the rest), runs
// `factor` iterations per back-edge, so such loops may run about `factor`
// times longer on lavapipe before the limit is reached. Loops with a known
// trip count below `min-trips` (which need no help and which the driver
// may unroll itself) and bodies of more than `max-body-ops` operations
// (whose copies would cost compile time) are left alone.
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/emitter/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace mlir::kitespirv {
#define GEN_PASS_DEF_UNROLLFORLOOPBUDGET
#include "backends/spirv/emitter/Passes.h.inc"
} // namespace mlir::kitespirv

using namespace mlir;

namespace {
struct UnrollForLoopBudgetPass
    : kitespirv::impl::UnrollForLoopBudgetBase<UnrollForLoopBudgetPass> {
  using Base::Base;

  bool worthUnrolling(scf::ForOp loop) {
    bool innermost = true;
    unsigned ops = 0;
    loop.getBody()->walk([&](Operation *op) {
      innermost &= !isa<LoopLikeOpInterface>(op);
      ++ops;
    });
    if (!innermost || ops > maxBodyOps)
      return false;
    std::optional<APInt> trips = constantTripCount(
        loop.getLowerBound(), loop.getUpperBound(), loop.getStep(),
        /*isSigned=*/!loop.getUnsignedCmp(), scf::computeUbMinusLb);
    return !trips || trips->getLimitedValue() >= minTrips;
  }

  void runOnOperation() override {
    if (factor < 2)
      return;
    SmallVector<scf::ForOp> loops;
    getOperation().walk([&](scf::ForOp loop) {
      if (worthUnrolling(loop))
        loops.push_back(loop);
    });
    for (scf::ForOp loop : loops)
      if (failed(loopUnrollByFactor(loop, factor)))
        return signalPassFailure();
  }
};
} // namespace
