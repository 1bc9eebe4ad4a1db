//===- JitCuda.cpp - kite::compile for an NVIDIA architecture -------------===//
//
// The stages with the options Python's compiler gives an NVIDIA target
// (python/kite/compiler.py: 32-thread warps, 16-element vectors, tensor
// cores from sm_80, the architecture's shared memory per block, num_stages),
// then PTX through LLVM's NVPTX backend. The entry keeps the PTX, which the
// CUDA driver compiles for the device when the kernel is loaded.
//
//===----------------------------------------------------------------------===//
#include "kite/Ptx.h"
#include "lib/API/JitPipeline.h"

namespace kite::detail {

Result<CacheFiles> runCudaPipeline(const std::string &ir,
                                   const std::string &arch,
                                   const CompileOptions &options) {
  std::optional<int> number = archNumber(arch);
  if (!number)
    return Status::error("compile: '" + arch +
                         "' is no NVIDIA architecture (sm_80, sm_90a, ...)");
  StageOptions stages{options.numWarps, /*threadsPerWarp=*/32};
  stages.maxVectorElements = 16; // one 128-bit access
  stages.maxElementsPerThread = maxElementsPerThread("cuda");
  stages.maxWorkgroupBytes = (long long)maxSharedBytesPerBlock(arch);
  stages.tensorCores = *number >= 80 ? *number : 0;
  stages.warpgroupMma = hasWarpgroupMma(arch);
  stages.numStages = options.numStages;
  CacheFiles files;
  KernelInfo info;
  if (Status status = runStages(ir, stages, files, info); !status)
    return status;
  PtxOptions ptxOptions;
  ptxOptions.chip = arch;
  ptxOptions.fpFusion = options.fpFusion;
  PtxResult ptx = emitPtx(files["threads.mlir"], ptxOptions);
  if (!ptx.ok)
    return Status::error("compile: the NVPTX emitter failed:" +
                         formatDiagnostics(ptx.diagnostics));
  uint64_t most = maxSharedBytesPerBlock(arch);
  if (ptx.sharedBytes > most)
    return Status::error(
        "compile: '" + info.name + "' needs " +
        std::to_string(ptx.sharedBytes) +
        " bytes of shared memory at its peak, more than " + arch +
        " allows a block (" + std::to_string(most) +
        "); use smaller blocks or fewer stages (numStages: a pipelined "
        "loop keeps numStages - 1 copies of the tiles it loads)");
  files["kernel.ll"] = std::move(ptx.llvmIR);
  files["kernel.ptx"] = std::move(ptx.ptx);
  files["metadata.json"] = metadataJson(info, "cuda", arch, ptx.sharedBytes);
  return files;
}

} // namespace kite::detail
