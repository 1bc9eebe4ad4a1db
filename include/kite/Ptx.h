//===- Ptx.h - thread-level IR to NVIDIA PTX --------------------*- C++ -*-===//
//
// Part of Kite's public C++ API: plain standard-library types only.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_PTX_H
#define KITE_PTX_H

#include "kite/Compiler.h"
#include "kite/Export.h"

#include <cstdint>
#include <string>
#include <vector>

namespace kite {

struct PtxOptions {
  std::string chip = "sm_90"; ///< The exact architecture: sm_80, sm_90a, ...
  /// PTX ISA version times ten (80 for PTX 8.0); 0: the lowest the chip
  /// allows (LLVM's choice).
  unsigned ptxVersion = 0;
  /// Let a floating-point multiply and the add or subtract using it become
  /// one fused multiply-add (rounded once), as Triton's enable_fp_fusion;
  /// off: every operation rounds, as in the interpreter.
  bool fpFusion = true;
  /// The libdevice bitcode to link for f64 math (Triton's
  /// extern_libs={"libdevice": path}); empty: libdevicePath().
  std::string libdevice;
};

struct PtxResult {
  bool ok = false;
  std::string ptx;    ///< The PTX module text; empty if !ok.
  std::string llvmIR; ///< The optimized LLVM IR the NVPTX backend compiled.
  std::string ir;     ///< The LLVM-dialect (+ NVVM) module as MLIR text.
  /// Bytes of dynamic shared memory a launch must give the kernel (its
  /// workgroup buffers, overlapped where their lifetimes allow).
  uint64_t sharedBytes = 0;
  std::vector<Diagnostic> diagnostics;
};

/// Runs the NVPTX emitter (convert-kitethread-to-nvvm) on thread-level IR
/// text, translates the result to LLVM IR and compiles it with LLVM's NVPTX
/// backend for `options.chip`. Needs no GPU and no CUDA toolkit.
KITE_API PtxResult emitPtx(const std::string &threadIR,
                           const PtxOptions &options = {});

/// The most shared memory one block may opt in to on `arch` ("sm_90a"), in
/// bytes (CUDA's sharedMemPerBlockOptin, from the CUDA C++ Programming
/// Guide's table per compute capability); an architecture the table does not
/// know gets the closest older one's limit, 0 a name that is no sm_N.
KITE_API uint64_t maxSharedBytesPerBlock(const std::string &arch);

/// The libdevice bitcode emitPtx links when a kernel uses f64 math
/// ($KITE_LIBDEVICE, else nvvm/libdevice/libdevice.10.bc under $CUDA_HOME,
/// $CUDA_PATH or /usr/local/cuda); empty when there is none.
KITE_API std::string libdevicePath();

} // namespace kite

#endif // KITE_PTX_H
