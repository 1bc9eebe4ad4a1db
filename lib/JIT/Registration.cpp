//===- Registration.cpp - dialects and passes Kite IR may use -------------===//
#include "backends/nvptx/emitter/Passes.h"
#include "backends/spirv/emitter/Passes.h"
#include "dialects/Kite/KiteDialect.h"
#include "dialects/KiteGPU/KiteGPUDialect.h"
#include "dialects/KiteThread/KiteThreadDialect.h"
#include "lib/Analysis/Passes.h"
#include "lib/Conversion/KiteGPUToThreads/Passes.h"
#include "lib/Conversion/KiteToKiteGPU/Passes.h"
#include "lib/JIT/Pipeline.h"
#include "lib/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/Extensions/InlinerExtension.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVDialect.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassOptions.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

#include <mutex>

using namespace mlir;

void mlir::kite::registerKiteDialects(DialectRegistry &registry) {
  registry.insert<KiteDialect, kitegpu::KiteGPUDialect, arith::ArithDialect,
                  cf::ControlFlowDialect, func::FuncDialect, math::MathDialect,
                  scf::SCFDialect, ub::UBDialect>();
  // Thread-level IR and what the SPIR-V emitter produces.
  registry.insert<kitethread::KiteThreadDialect, gpu::GPUDialect,
                  memref::MemRefDialect, vector::VectorDialect,
                  spirv::SPIRVDialect>();
  // What the NVPTX emitter produces.
  registry.insert<LLVM::LLVMDialect, NVVM::NVVMDialect>();
  func::registerInlinerExtension(registry);
}

namespace {
struct KiteGPUPipelineOptions : PassPipelineOptions<KiteGPUPipelineOptions> {
  Option<unsigned> numWarps{*this, "num-warps",
                            llvm::cl::desc("Warps per program"),
                            llvm::cl::init(4)};
  Option<unsigned> threadsPerWarp{
      *this, "threads-per-warp",
      llvm::cl::desc("Threads per warp (the target's subgroup size)"),
      llvm::cl::init(32)};
  Option<unsigned> maxVectorElements{
      *this, "max-vector-elements",
      llvm::cl::desc("Elements one vector access moves at most (4: SPIR-V, "
                     "16: NVPTX)"),
      llvm::cl::init(4)};
  Option<unsigned> maxElementsPerThread{
      *this, "max-elements-per-thread",
      llvm::cl::desc("Elements of one tensor a thread may hold (0: any)"),
      llvm::cl::init(2048)};
  Option<int64_t> maxWorkgroupBytes{
      *this, "max-workgroup-bytes",
      llvm::cl::desc("Workgroup memory one program may use, in bytes (0: "
                     "any)"),
      llvm::cl::init(32768)};
  Option<int64_t> tensorCores{
      *this, "tensor-cores",
      llvm::cl::desc("The compute capability of an NVIDIA target with "
                     "mma.sync (80 for sm_80; 0: no tensor cores)"),
      llvm::cl::init(0)};
  Option<bool> warpgroupMma{
      *this, "warpgroup-mma",
      llvm::cl::desc("Hopper's wgmma (sm_90a): dots whose warps go in fours "
                     "along M"),
      llvm::cl::init(false)};
  Option<unsigned> numStages{
      *this, "num-stages",
      llvm::cl::desc("How deep loops whose loads feed dots are pipelined "
                     "with async copies (1: not at all)"),
      llvm::cl::init(1)};
};
} // namespace

void mlir::kite::registerKitePasses() {
  static std::once_flag once;
  std::call_once(once, [] {
    registerKiteTransformsPasses(); // generated from Passes.td
    registerKiteAnalysisPasses();
    kitegpu::registerKiteToKiteGPUPasses();
    kitegpu::registerKiteGPUToThreadsPasses();
    kitespirv::registerKiteSPIRVEmitterPasses();
    kitenvptx::registerKiteNVPTXEmitterPasses();
    registerCanonicalizerPass();
    registerCSEPass();
    registerInlinerPass();
    registerLoopInvariantCodeMotionPass();
    registerSymbolDCEPass();
    PassPipelineRegistration<>(
        "kite-pipeline", "The passes of the `kite` stage",
        [](OpPassManager &pm) { buildKiteStage(pm); });
    PassPipelineRegistration<KiteGPUPipelineOptions>(
        "kitegpu-pipeline", "The passes of the `kitegpu` stage",
        [](OpPassManager &pm, const KiteGPUPipelineOptions &options) {
          StageOptions stage;
          stage.numWarps = options.numWarps;
          stage.threadsPerWarp = options.threadsPerWarp;
          stage.tensorCores = options.tensorCores;
          stage.numStages = options.numStages;
          stage.warpgroupMma = options.warpgroupMma;
          buildKiteGPUStage(pm, stage);
        });
    PassPipelineRegistration<KiteGPUPipelineOptions>(
        "threads-pipeline", "The passes of the `threads` stage",
        [](OpPassManager &pm, const KiteGPUPipelineOptions &options) {
          StageOptions stage{options.numWarps,
                             options.threadsPerWarp,
                             options.maxVectorElements,
                             options.maxElementsPerThread,
                             /*checkMemory=*/false,
                             options.maxWorkgroupBytes,
                             options.tensorCores,
                             options.numStages};
          stage.warpgroupMma = options.warpgroupMma;
          buildThreadsStage(pm, stage);
        });
  });
}
