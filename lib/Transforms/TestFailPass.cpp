//===- TestFailPass.cpp - a pass that fails on request, for tests ---------===//
//
// No pipeline runs it. Tests of the error path run it through
// kite::runPassPipeline to check what a user sees when a pass fails: the
// failing op's line and the kernel's name, with or without the pass's own
// diagnostic.
//
//===----------------------------------------------------------------------===//
#include "lib/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir::kite {
#define GEN_PASS_DEF_KITETESTFAIL
#include "lib/Transforms/Passes.h.inc"
} // namespace mlir::kite

using namespace mlir;

namespace {

struct TestFailPass : kite::impl::KiteTestFailBase<TestFailPass> {
  using Base::Base;

  void runOnOperation() override {
    WalkResult found = getOperation().walk([&](Operation *op) {
      if (op->getName().getStringRef() != opName)
        return WalkResult::advance();
      if (!silent)
        op->emitError() << "kite-test-fail: failing at '" << opName << "'";
      return WalkResult::interrupt();
    });
    if (found.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
