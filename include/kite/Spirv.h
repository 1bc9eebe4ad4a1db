//===- Spirv.h - thread-level IR to a Vulkan SPIR-V binary ------*- C++ -*-===//
//
// Part of Kite's public C++ API: plain standard-library types only.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_SPIRV_H
#define KITE_SPIRV_H

#include "kite/Compiler.h"
#include "kite/Export.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kite {

/// What the Vulkan device offers beyond Vulkan 1.2; the defaults are what
/// every device with bufferDeviceAddress and shaderInt64 has.
struct SpirvOptions {
  unsigned subgroupSize = 32; ///< gpu.shuffle widths must equal it.
  bool int8 = false;    ///< shaderInt8 + storageBuffer8BitAccess
  bool int16 = false;   ///< shaderInt16 + storageBuffer16BitAccess
  bool int64 = true;    ///< shaderInt64 (+ shaderBufferInt64Atomics)
  bool float16 = false; ///< shaderFloat16 + storageBuffer16BitAccess
  bool float64 = false; ///< shaderFloat64
  bool atomicFloatAdd = false; ///< shaderBufferFloat32AtomicAdd
  /// print and assert write records into a debug buffer, one more launch
  /// argument (an i64 address) that the caller passes and reads after the
  /// launch (docs/spirv-emitter.md); false: they are dropped, with a remark.
  bool debugBuffer = false;
  /// Loop iterations the driver allows per invocation, all loops together
  /// (lavapipe: 65535); 0: none. With debugBuffer, a loop the driver stops
  /// makes the launch fail (kitespirv-check-loop-iteration-limit).
  uint32_t loopIterationLimit = 0;
  /// The float widths (16 | 32 | 64) whose signed zeros, infinities and NaNs
  /// the module asks the driver to keep (DeviceProperties'
  /// signedZeroInfNanPreserveWidths).
  uint32_t signedZeroInfNanPreserveWidths = 0;
  /// maxComputeSharedMemorySize: the workgroup memory of one program may
  /// not exceed it (32768 where there is no device).
  uint32_t maxComputeSharedMemorySize = 32768;
};

struct SpirvResult {
  bool ok = false;
  std::vector<uint8_t> binary; ///< SPIR-V words, little-endian; empty if !ok.
  std::string disassembly;     ///< spirv-dis text (empty without SPIRV-Tools).
  std::string ir;              ///< The spirv.module as MLIR text.
  std::vector<Diagnostic> diagnostics;
  /// With SpirvOptions::debugBuffer, per print/assert op index: kind
  /// ("print"/"assert"), prefix or message, value types, file and line,
  /// separated by '\x1f'.
  std::vector<std::string> debugRecords;
};

/// Runs the SPIR-V emitter (convert-kitethread-to-spirv) on thread-level IR
/// text, serializes the result and validates it for Vulkan 1.2.
KITE_API SpirvResult emitSpirv(const std::string &threadIR,
                               const SpirvOptions &options = {});

} // namespace kite

#endif // KITE_SPIRV_H
