//===- PassFailures.h - name the pass and kernel that failed ----*- C++ -*-===//
#ifndef KITE_LIB_API_PASSFAILURES_H
#define KITE_LIB_API_PASSFAILURES_H

#include "lib/API/Diagnostics.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <memory>
#include <string>

namespace mlir::kite {

/// The first pass of a run that failed, and the op it ran on.
struct FailedPass {
  std::string pass;
  Operation *op = nullptr;
};

/// Makes `pm` record its first failing pass into `failed`.
void recordFailedPass(PassManager &pm, std::shared_ptr<FailedPass> failed);

/// After a failed run: names the failing pass and the kernel it failed on.
/// Where the pass emitted no error, or none at a line of the user's source
/// while the kernel has one, an error at the kernel's own line comes first;
/// otherwise a note follows the errors.
void reportFailedPass(const FailedPass &failed, ModuleOp module,
                      DiagnosticCollector &diagnostics);

} // namespace mlir::kite

#endif // KITE_LIB_API_PASSFAILURES_H
