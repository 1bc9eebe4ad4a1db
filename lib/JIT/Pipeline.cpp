//===- Pipeline.cpp - Kite's named compilation stages ---------------------===//
#include "lib/JIT/Pipeline.h"
#include "lib/Transforms/Passes.h"

#include "mlir/Transforms/Passes.h"

using namespace mlir;

static constexpr StringRef kStageNames[] = {"verify", "kite"};

ArrayRef<StringRef> mlir::kite::getStageNames() { return kStageNames; }

void mlir::kite::buildVerifyStage(OpPassManager &) {}

void mlir::kite::buildKiteStage(OpPassManager &pm) {
  pm.addPass(createInlinerPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createKiteCombine());
  pm.addPass(createCSEPass());
  pm.addPass(createLoopInvariantCodeMotionPass());
  pm.addPass(createCanonicalizerPass());
}

LogicalResult mlir::kite::buildStage(StringRef name, OpPassManager &pm) {
  if (name == "verify")
    buildVerifyStage(pm);
  else if (name == "kite")
    buildKiteStage(pm);
  else
    return failure();
  return success();
}
