//===- PassFailures.cpp - name the pass and kernel that failed ------------===//
//
// A pass that fails without a diagnostic, or with one on an op that has no
// source position (a module), would reach the user as "a pass failed" with
// nothing to go on. The user reads the kernel's name and line instead; the
// pass's name is there for the bug report.
//
//===----------------------------------------------------------------------===//
#include "lib/API/PassFailures.h"

#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"

using namespace mlir;
using namespace mlir::kite;

namespace {

class FailedPassRecorder : public PassInstrumentation {
public:
  explicit FailedPassRecorder(std::shared_ptr<FailedPass> failed)
      : failed(std::move(failed)) {}

  void runAfterPassFailed(Pass *pass, Operation *op) override {
    if (!failed->pass.empty())
      return;
    StringRef name = pass->getArgument();
    failed->pass = (name.empty() ? pass->getName() : name).str();
    failed->op = op;
  }

private:
  std::shared_ptr<FailedPass> failed;
};

/// The kernel `op` belongs to: its function, or the module's kernel (the
/// function marked kite.kernel, else the first one).
FunctionOpInterface kernelOf(Operation *op, ModuleOp module) {
  if (op)
    if (auto function = dyn_cast<FunctionOpInterface>(op))
      return function;
  if (op)
    if (auto function = op->getParentOfType<FunctionOpInterface>())
      return function;
  FunctionOpInterface first;
  WalkResult marked = module.walk([&](FunctionOpInterface function) {
    if (!first)
      first = function;
    if (function->hasAttr("kite.kernel")) {
      first = function;
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  (void)marked;
  return first;
}

} // namespace

void mlir::kite::recordFailedPass(PassManager &pm,
                                  std::shared_ptr<FailedPass> failed) {
  pm.addInstrumentation(
      std::make_unique<FailedPassRecorder>(std::move(failed)));
}

void mlir::kite::reportFailedPass(const FailedPass &failed, ModuleOp module,
                                  DiagnosticCollector &diagnostics) {
  FunctionOpInterface kernel = kernelOf(failed.op, module);
  std::string message = "pass '" + failed.pass + "' failed";
  if (kernel)
    message += " on kernel '" + kernel.getName().str() + "'";
  Location where = kernel ? kernel.getLoc() : module.getLoc();
  if (!diagnostics.hasErrors()) {
    diagnostics.add(where, "error",
                    message + " without a diagnostic (an internal error)",
                    /*first=*/true);
    return;
  }
  // The kernel's line is the best place to point at when no error has one;
  // IR without user locations (written by hand, from C++) keeps its errors
  // first.
  if (!diagnostics.hasLocatedErrors() &&
      DiagnosticCollector::pointsAtUserSource(where)) {
    diagnostics.add(where, "error", message, /*first=*/true);
    return;
  }
  diagnostics.add(where, "note", message);
}
