//===- kite-opt.cpp - run kite passes on .mlir files ----------------------===//
//
// mlir-opt with the kite dialect, Kite's passes, the upstream dialects and
// passes its stages use, and `--kite-pipeline` (the `kite` stage).
//
//===----------------------------------------------------------------------===//
#include "lib/JIT/Pipeline.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::kite::registerKiteDialects(registry);
  mlir::kite::registerKitePasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Kite optimizer driver\n", registry));
}
