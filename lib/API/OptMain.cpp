//===- OptMain.cpp - kite::optMain, the driver of kite-opt ----------------===//
#include "kite/Opt.h"
#include "lib/JIT/Pipeline.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int kite::optMain(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::kite::registerKiteDialects(registry);
  mlir::kite::registerKitePasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Kite optimizer driver\n", registry));
}
