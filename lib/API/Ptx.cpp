//===- Ptx.cpp - kite::emitPtx --------------------------------------------===//
#include "kite/Ptx.h"
#include "backends/nvptx/emitter/Libdevice.h"
#include "backends/nvptx/emitter/Passes.h"
#include "backends/nvptx/emitter/PtxTarget.h"
#include "lib/API/Diagnostics.h"
#include "lib/JIT/Pipeline.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "lib/API/IRDump.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

using mlir::kite::DiagnosticCollector;

namespace kite {

PtxResult emitPtx(const std::string &threadIR, const PtxOptions &options) {
  PtxResult result;
  mlir::DialectRegistry registry;
  mlir::kite::registerKiteDialects(registry);
  mlir::kitenvptx::registerNVPTXTranslations(registry);
  mlir::MLIRContext context(registry, mlir::MLIRContext::Threading::DISABLED);
  context.printOpOnDiagnostic(false);
  DiagnosticCollector diagnostics(context, result.diagnostics);

  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(
          threadIR, mlir::ParserConfig(&context), kIRBufferName);
  if (!module) {
    if (!diagnostics.hasErrors())
      diagnostics.addError("failed to parse the IR");
    return result;
  }
  mlir::PassManager pm(&context);
  mlir::kitenvptx::ConvertKiteThreadToNVVMOptions passOptions;
  passOptions.chip = options.chip;
  passOptions.fpFusion = options.fpFusion;
  pm.addPass(mlir::kitenvptx::createConvertKiteThreadToNVVM(passOptions));
  mlir::kite::enableIRDumpFromEnvironment(pm);
  if (failed(pm.run(*module))) {
    if (!diagnostics.hasErrors())
      diagnostics.addError("the NVPTX emitter failed without a diagnostic");
    return result;
  }
  {
    llvm::raw_string_ostream os(result.ir);
    module->print(os);
  }
  if (auto bytes =
          (*module)->getAttrOfType<mlir::IntegerAttr>("kitenvptx.shared-bytes"))
    result.sharedBytes = bytes.getInt();
  if (failed(mlir::kitenvptx::translateToPtx(
          *module, options.chip, options.ptxVersion, options.libdevice,
          result.llvmIR, result.ptx))) {
    if (!diagnostics.hasErrors())
      diagnostics.addError("PTX generation failed without a diagnostic");
    result.ptx.clear();
    return result;
  }
  result.ok = true;
  return result;
}

std::string libdevicePath() { return mlir::kitenvptx::findLibdevice(); }

} // namespace kite
