//===- kite-translate.cpp - Kite IR to binaries ---------------------------===//
//
// mlir-translate with Kite's translations. `--serialize-spirv` takes what
// `kite-opt --convert-kitethread-to-spirv` prints (a builtin.module holding
// one spirv.module; upstream mlir-translate wants the spirv.module alone)
// and writes the SPIR-V binary the emitter's API returns.
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/emitter/SPIRVBinary.h"
#include "lib/JIT/Pipeline.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-translate/MlirTranslateMain.h"
#include "mlir/Tools/mlir-translate/Translation.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

int main(int argc, char **argv) {
  TranslateFromMLIRRegistration serialize(
      "serialize-spirv", "serialize the emitter's spirv.module",
      [](Operation *op, raw_ostream &output) -> LogicalResult {
        SmallVector<uint32_t> words;
        if (failed(kitespirv::serializeKernel(op, words)))
          return failure();
        output.write(reinterpret_cast<const char *>(words.data()),
                     words.size() * sizeof(uint32_t));
        return success();
      },
      kite::registerKiteDialects);
  return failed(mlirTranslateMain(argc, argv, "Kite translation driver\n"));
}
