//===- KiteThreadModule.h - what every emitter reads off a module -*- C++ -*-===//
//
// A thread-level module holds one kernel (a func.func marked kite.kernel with
// no arguments) whose launch arguments are read with kitethread.kernel_arg.
// Both emitters (SPIR-V, NVPTX) need the kernel and the arguments' types.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_DIALECTS_KITETHREAD_KITETHREADMODULE_H
#define KITE_DIALECTS_KITETHREAD_KITETHREADMODULE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::kitethread {

/// An attribute of a gpu.barrier that must also order global memory; other
/// barriers guard shared memory only. A unit attribute (kl.debug_barrier)
/// orders it among the workgroup; a scope name ("cta", "gpu", "sys": around
/// a scalar atomic) makes the workgroup's accesses visible at that scope.
inline constexpr llvm::StringLiteral kGlobalMemoryBarrierAttr =
    "kitethread.global_memory";

/// A unit attribute on a kitethread.assert that reports an out-of-bounds
/// access (check-memory-accesses), not a kl.device_assert.
inline constexpr llvm::StringLiteral kMemoryCheckAttr =
    "kitethread.memory_check";

/// The module's one kernel; an error (naming `emitter`) otherwise.
/// The scope a gpu.barrier orders global memory at: none (shared memory
/// only), "cta" for a unit `kGlobalMemoryBarrierAttr`, else its scope name.
std::optional<StringRef> getGlobalMemoryScope(Operation *barrier);

FailureOr<func::FuncOp> getKernel(ModuleOp module, StringRef emitter);

/// The launch arguments' types, from `kitethread.arg-types` or else from the
/// kernel_arg ops; an error where an argument is out of range, read as two
/// types, or never read and not listed.
FailureOr<SmallVector<Type>> getLaunchArgTypes(ModuleOp module);

/// The file and line of `loc`, looking through names, fusions and calls
/// (where print and assert report); {"", 0} when it has none.
std::pair<std::string, unsigned> getFileAndLine(Location loc);

} // namespace mlir::kitethread

#endif // KITE_DIALECTS_KITETHREAD_KITETHREADMODULE_H
