//===- PtxTarget.h - LLVM dialect + NVVM to LLVM IR and PTX -----*- C++ -*-===//
#ifndef KITE_BACKENDS_NVPTX_EMITTER_PTXTARGET_H
#define KITE_BACKENDS_NVPTX_EMITTER_PTXTARGET_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace mlir::kitenvptx {

/// Adds the LLVM IR translations of the builtin, LLVM and NVVM dialects.
void registerNVPTXTranslations(DialectRegistry &registry);

/// Translates `module` (the output of convert-kitethread-to-nvvm) to LLVM IR
/// for nvptx64-nvidia-cuda, optimizes it at O3 and runs the NVPTX backend
/// for `chip` (e.g. "sm_90") with PTX ISA `ptxVersion` (e.g. 80 for 8.0; 0:
/// the lowest the chip allows). Fills `llvmIR` (the optimized LLVM IR) and
/// `ptx`; errors are reported on `module`.
LogicalResult translateToPtx(ModuleOp module, StringRef chip,
                             unsigned ptxVersion, StringRef libdevice,
                             std::string &llvmIR, std::string &ptx);

} // namespace mlir::kitenvptx

#endif // KITE_BACKENDS_NVPTX_EMITTER_PTXTARGET_H
