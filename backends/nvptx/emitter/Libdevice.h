//===- Libdevice.h - math through NVIDIA's libdevice ------------*- C++ -*-===//
#ifndef KITE_BACKENDS_NVPTX_EMITTER_LIBDEVICE_H
#define KITE_BACKENDS_NVPTX_EMITTER_LIBDEVICE_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace llvm {
class Module;
} // namespace llvm

namespace mlir::kitenvptx {

/// The libdevice bitcode Kite links: $KITE_LIBDEVICE, else
/// nvvm/libdevice/libdevice.10.bc under $CUDA_HOME, $CUDA_PATH or
/// /usr/local/cuda; empty if none exists.
std::string findLibdevice();

/// Replaces each f64 math op the NVPTX backend cannot select (exp, log, sin,
/// erf, pow, ...) by a call to its libdevice function (__nv_exp, ...), and
/// with `f32Libdevice`, f32, f16 and bf16 sin, cos, tan and the functions
/// only libdevice's names reach (tanh, pow, log1p, ...) by __nv_sinf, ...
/// (f16 and bf16 through f32).
void callLibdeviceForMath(ModuleOp module, bool f32Libdevice);

/// Links the libdevice functions `module` calls into it (internalized), so
/// that the O3 pipeline inlines them. Does nothing when it calls none;
/// reports an error on `diagnostics` when it does and there is no libdevice.
/// `path` names the bitcode (Triton's extern_libs); empty: findLibdevice().
LogicalResult linkLibdevice(llvm::Module &module, ModuleOp diagnostics,
                            StringRef path = {});

} // namespace mlir::kitenvptx

#endif // KITE_BACKENDS_NVPTX_EMITTER_LIBDEVICE_H
