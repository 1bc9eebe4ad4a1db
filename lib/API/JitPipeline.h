//===- JitPipeline.h - the JIT's stages, shared by its backends -*- C++ -*-===//
//
// Jit.cpp runs the stages every target shares and writes and reads cache
// entries; JitCuda.cpp is the NVIDIA half (PTX for one architecture).
//
//===----------------------------------------------------------------------===//
#ifndef KITE_LIB_API_JITPIPELINE_H
#define KITE_LIB_API_JITPIPELINE_H

#include "kite/Cache.h"
#include "kite/Compiler.h"
#include "kite/Jit.h"

#include <optional>
#include <string>
#include <vector>

namespace kite::detail {

/// What launch needs to know about a kernel, besides its binary.
struct KernelInfo {
  std::string name;
  std::vector<std::string> argTypes;
  std::vector<uint32_t> argDivisibility;
  uint32_t numThreads = 0;
};

/// One line per diagnostic, "file:line:col: severity: message".
std::string formatDiagnostics(const std::vector<Diagnostic> &list);

/// Runs "kite", "kitegpu" and "threads" on `ir` into `files` (their
/// `<stage>.mlir`), and reads the kernel's signature and workgroup size.
Status runStages(const std::string &ir, const StageOptions &options,
                 CacheFiles &files, KernelInfo &info);

/// The entry's metadata.json.
std::string metadataJson(const KernelInfo &info, const std::string &backend,
                         const std::string &arch, uint64_t sharedBytes);

/// The number of an NVIDIA architecture, "sm_90a" -> 90; nullopt for a
/// name that is no sm_N, sm_Na or sm_Nf.
std::optional<int> archNumber(const std::string &arch);

/// Whether `arch` has Hopper's warpgroup MMA (wgmma): "sm_90a" only (plain
/// sm_90 may not use the arch-specific features).
bool hasWarpgroupMma(const std::string &arch);

/// The files of a cache entry for `arch`: the stages, kernel.ll and
/// kernel.ptx, and metadata.json.
Result<CacheFiles> runCudaPipeline(const std::string &ir,
                                   const std::string &arch,
                                   const CompileOptions &options);

} // namespace kite::detail

#endif // KITE_LIB_API_JITPIPELINE_H
