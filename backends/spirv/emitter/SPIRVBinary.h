//===- SPIRVBinary.h - serialize, validate and disassemble ------*- C++ -*-===//
#ifndef KITE_BACKENDS_SPIRV_EMITTER_SPIRVBINARY_H
#define KITE_BACKENDS_SPIRV_EMITTER_SPIRVBINARY_H

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace mlir::kitespirv {

/// Serializes the spirv.module that convert-kitethread-to-spirv left in
/// `module` (or `op` itself when it is a spirv.module) into SPIR-V words.
LogicalResult serializeKernel(Operation *op, SmallVectorImpl<uint32_t> &words);

/// Checks `words` as spirv-val --target-env vulkan1.2 does; each problem is
/// an error at `loc`. Succeeds without checking when Kite was built without
/// SPIRV-Tools.
LogicalResult validateForVulkan(ArrayRef<uint32_t> words, Location loc);

/// The SPIR-V assembly of `words` (as spirv-dis prints it), or the empty
/// string when Kite was built without SPIRV-Tools.
std::string disassemble(ArrayRef<uint32_t> words);

} // namespace mlir::kitespirv

#endif // KITE_BACKENDS_SPIRV_EMITTER_SPIRVBINARY_H
