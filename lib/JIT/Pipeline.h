//===- Pipeline.h - Kite's named compilation stages -------------*- C++ -*-===//
//
// A kernel goes through named stages; each stage is a short, ordered list of
// passes. Tools and the public API look stages up by name.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_LIB_JIT_PIPELINE_H
#define KITE_LIB_JIT_PIPELINE_H

#include "mlir/Pass/PassManager.h"

#include <string>

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::kite {

/// Target parameters of the stages from `kitegpu` on.
struct StageOptions {
  unsigned numWarps = 4;
  unsigned threadsPerWarp = 32; ///< The target's subgroup size.
  /// Elements one vector access moves at most (4 for SPIR-V, 16 for NVPTX).
  unsigned maxVectorElements = 4;
  /// Elements of one tensor a thread may hold (0: unchecked).
  unsigned maxElementsPerThread = 2048;
  /// Stage `threads`: add kitethread-check-memory-accesses.
  bool checkMemory = false;
  /// Workgroup memory one program may use, in bytes (0: unchecked).
  int64_t maxWorkgroupBytes = 32768;
  /// Stage `threads`: the compute capability of an NVIDIA target with
  /// mma.sync (80 for sm_80), 0 for none.
  int64_t tensorCores = 0;
  /// Stage `kitegpu`: how deep loops feeding dots are pipelined
  /// (kitegpu-pipeline; 1: not at all).
  unsigned numStages = 1;
  /// Stage `kite`: run kite-quantize-dot (off to compare with the
  /// dequantized dot).
  bool quantizeDot = true;
  /// Stage `threads`: which tensor-core dot operands decoded from narrow
  /// codes are evaluated at their mma fragments (convert-kitegpu-to-threads'
  /// fuse-dequantize: unshared, always, never).
  std::string fuseDequantize = "unshared";
  /// Stages `kitegpu` and `threads`: Hopper's wgmma (sm_90a).
  bool warpgroupMma = false;
};

/// Every dialect, interface and extension that Kite IR may contain.
void registerKiteDialects(DialectRegistry &registry);

/// Kite's passes, the upstream passes its stages use, and the `kite-pipeline`
/// pass pipeline, for textual pipelines. Safe to call more than once.
void registerKitePasses();

/// The stage names, in the order a kernel goes through them.
ArrayRef<StringRef> getStageNames();

/// Stage `verify`: parsing verifies, so no passes.
void buildVerifyStage(OpPassManager &pm);

/// Stage `kite`: the tile-level optimizations.
void buildKiteStage(OpPassManager &pm, const StageOptions &options = {});

/// Stage `kitegpu`: the `kite` stage, then layouts for `options`
/// (convert-kite-to-kitegpu, kitegpu-coalesce,
/// kitegpu-remove-layout-conversions) and a clean-up.
void buildKiteGPUStage(OpPassManager &pm, const StageOptions &options);

/// Stage `threads`: the `kitegpu` stage, then convert-kitegpu-to-threads
/// (thread-level IR, docs/lowering.md), kitethread-check-memory-accesses
/// where `options.checkMemory`, and a clean-up.
void buildThreadsStage(OpPassManager &pm, const StageOptions &options);

/// Adds the passes of the stage called `name`; failure if there is none.
LogicalResult buildStage(StringRef name, OpPassManager &pm,
                         const StageOptions &options = {});

} // namespace mlir::kite

#endif // KITE_LIB_JIT_PIPELINE_H
