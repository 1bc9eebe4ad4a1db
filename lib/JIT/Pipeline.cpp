//===- Pipeline.cpp - Kite's named compilation stages ---------------------===//
#include "lib/JIT/Pipeline.h"
#include "lib/Conversion/KiteGPUToThreads/Passes.h"
#include "lib/Conversion/KiteToKiteGPU/Passes.h"
#include "lib/Transforms/Passes.h"

#include "mlir/Transforms/Passes.h"

using namespace mlir;

static constexpr StringRef kStageNames[] = {"verify", "kite", "kitegpu",
                                            "threads"};

ArrayRef<StringRef> mlir::kite::getStageNames() { return kStageNames; }

void mlir::kite::buildVerifyStage(OpPassManager &) {}

void mlir::kite::buildKiteStage(OpPassManager &pm,
                                const StageOptions &options) {
  pm.addPass(createInlinerPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createKiteCombine());
  if (options.quantizeDot)
    pm.addPass(createKiteQuantizeDot());
  pm.addPass(createCSEPass());
  pm.addPass(createLoopInvariantCodeMotionPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::kite::buildKiteGPUStage(OpPassManager &pm,
                                   const StageOptions &options) {
  buildKiteStage(pm, options);
  pm.addPass(createKiteExpandQuantization());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(kitegpu::createConvertKiteToKiteGPU(
      {options.numWarps, options.threadsPerWarp, options.tensorCores,
       options.warpgroupMma}));
  pm.addPass(kitegpu::createKiteGPUCoalesce());
  pm.addPass(kitegpu::createKiteGPURemoveLayoutConversions());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(
      kitegpu::createKiteGPUSoftwarePipeline(
          {options.numStages, options.tensorCores, options.maxWorkgroupBytes,
           options.warpgroupMma}));
  if (options.warpgroupMma)
    pm.addPass(kitegpu::createKiteGPUTmaStores());
  // The loads' (and TMA stores') old address computations die.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

void mlir::kite::buildThreadsStage(OpPassManager &pm,
                                   const StageOptions &options) {
  buildKiteGPUStage(pm, options);
  pm.addPass(
      kitegpu::createKiteGPUCheckThreadLimits({options.maxElementsPerThread}));
  pm.addPass(kitegpu::createConvertKiteGPUToThreads(
      {options.maxVectorElements, options.maxWorkgroupBytes,
       options.tensorCores, options.fuseDequantize, options.warpgroupMma}));
  if (options.checkMemory)
    pm.addPass(kitegpu::createCheckMemoryAccesses());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
}

LogicalResult mlir::kite::buildStage(StringRef name, OpPassManager &pm,
                                     const StageOptions &options) {
  if (name == "verify")
    buildVerifyStage(pm);
  else if (name == "kite")
    buildKiteStage(pm, options);
  else if (name == "kitegpu")
    buildKiteGPUStage(pm, options);
  else if (name == "threads")
    buildThreadsStage(pm, options);
  else
    return failure();
  return success();
}
