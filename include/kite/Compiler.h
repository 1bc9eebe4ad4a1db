//===- Compiler.h - run Kite's compiler stages on IR text -------*- C++ -*-===//
//
// Part of Kite's public C++ API: plain standard-library types only, no MLIR
// or LLVM types, and no exceptions thrown across it.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_COMPILER_H
#define KITE_COMPILER_H

#include "kite/Export.h"

#include <string>
#include <vector>

namespace kite {

/// One message from the compiler and the source position it points at: the
/// kernel's Python line for ops the frontend traced, or the IR text's own line
/// and column for parse errors.
struct Diagnostic {
  std::string severity; ///< "error", "warning", "note" or "remark".
  std::string file;     ///< Empty when the message has no source position.
  int line = 0;         ///< 1-based; 0 when unknown.
  int column = 0;       ///< 1-based; 0 when unknown.
  std::string message;
};

struct IRResult {
  bool ok = false;
  std::string ir; ///< The IR after the stage; empty when !ok.
  std::vector<Diagnostic> diagnostics;
};

struct PrintOptions {
  bool debugInfo = false; ///< Print `loc(...)` on every op.
  bool generic = false;   ///< Print the generic op form.
};

/// Target parameters of the stages from "kitegpu" on.
struct StageOptions {
  int numWarps = 4;        ///< Warps per program; a power of two.
  int threadsPerWarp = 32; ///< The target's subgroup size (8 on lavapipe).
  /// Elements one vector load or store moves at most (and 16 bytes): 4 for
  /// SPIR-V (Vulkan's vectors), 16 for NVPTX.
  int maxVectorElements = 4;
  /// Elements of one tensor a thread may hold at most (0: unchecked); see
  /// maxElementsPerThread() and docs/lowering.md.
  int maxElementsPerThread = 2048;
  /// Bound every global access of the `threads` stage to its allocation
  /// (kitethread-check-memory-accesses; docs/runtime.md, "Memory safety").
  bool checkMemory = false;
  /// Workgroup (shared) memory one program may use, in bytes (0:
  /// unchecked): the device's maxComputeSharedMemorySize on Vulkan, the
  /// architecture's opt-in shared memory per block on NVIDIA; 32768 where
  /// there is no device (docs/lowering.md). An op whose buffers need more
  /// is an error at the op.
  long long maxWorkgroupBytes = 32768;
  /// The compute capability (80 for sm_80) of an NVIDIA target with
  /// mma.sync, 0 for none: dots use tensor cores where their operands and
  /// shape allow (docs/lowering.md).
  long long tensorCores = 0;
  /// How deep loops whose loads feed dots are pipelined with asynchronous
  /// copies (Triton's num_stages; NVIDIA sm_80 and later; 1: not at all).
  int numStages = 1;
  /// Dots of dequantized 8-bit operands run on the 8-bit values
  /// (kite-quantize-dot; docs/lowering.md); false keeps the dequantized dot.
  bool quantizeDot = true;
  /// Tensor-core dot operands decoded from 4- and 8-bit codes that the
  /// software pipeliner copied into shared memory are decoded at their mma
  /// fragments instead of staged a second time at 16 bits:
  /// "unshared" (an operand no other warp decodes again: a weight-only
  /// GEMM's weights where one warp spans M; or both where both decode
  /// cheaply: MXFP8 from sm_89), "always", "never"
  /// (docs/quantization.md).
  std::string fuseDequantize = "unshared";
  /// Hopper's warpgroup MMA (wgmma; NVIDIA sm_90a only): dots whose warps
  /// go in fours along M.
  bool warpgroupMma = false;
};

/// The most elements of one tensor a thread may hold on a backend ("vulkan",
/// "cuda", anything else: a generic target). The thread lowering gives each
/// a register of its own, so compile time grows faster than linearly with
/// it: a masked copy at 2048 elements per thread compiles in about 3 s for
/// SPIR-V, at 512 in about 5 s for NVPTX (LLVM and ptxas), and twice as
/// many take 4 to 6 times as long (docs/lowering.md).
inline int maxElementsPerThread(const std::string &backend) {
  return backend == "cuda" ? 512 : 2048;
}

/// The name of the buffer that parse errors are reported against.
inline constexpr const char *kIRBufferName = "<kite-ir>";

/// Parses kite IR text (custom or generic form), verifies it, runs the named
/// stage (see stageNames()) and prints the result.
KITE_API IRResult runStage(const std::string &irText, const std::string &stage,
                           const PrintOptions &options = {},
                           const StageOptions &stageOptions = {});

/// Same, with an explicit textual pass pipeline, e.g.
/// "builtin.module(kite-combine,cse)" or "kite-combine,cse".
KITE_API IRResult runPassPipeline(const std::string &irText,
                                  const std::string &pipeline,
                                  const PrintOptions &options = {});

/// The stage names runStage accepts, in pipeline order ("verify", "kite",
/// "kitegpu").
KITE_API std::vector<std::string> stageNames();

} // namespace kite

#endif // KITE_COMPILER_H
