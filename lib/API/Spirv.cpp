//===- Spirv.cpp - kite::emitSpirv ----------------------------------------===//
#include "kite/Spirv.h"
#include "backends/spirv/emitter/Passes.h"
#include "backends/spirv/emitter/SPIRVBinary.h"
#include "lib/API/Diagnostics.h"
#include "lib/JIT/Pipeline.h"

#include "mlir/Dialect/SPIRV/IR/SPIRVOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "lib/API/IRDump.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

using mlir::kite::DiagnosticCollector;

namespace kite {

SpirvResult emitSpirv(const std::string &threadIR,
                      const SpirvOptions &options) {
  SpirvResult result;
  mlir::DialectRegistry registry;
  mlir::kite::registerKiteDialects(registry);
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
  mlir::kitespirv::ConvertKiteThreadToSPIRVOptions passOptions;
  passOptions.subgroupSize = options.subgroupSize;
  passOptions.int8 = options.int8;
  passOptions.int16 = options.int16;
  passOptions.int64 = options.int64;
  passOptions.float16 = options.float16;
  passOptions.float64 = options.float64;
  passOptions.atomicFloatAdd = options.atomicFloatAdd;
  passOptions.signedZeroInfNanPreserveWidths =
      options.signedZeroInfNanPreserveWidths;
  passOptions.maxComputeSharedMemorySize = options.maxComputeSharedMemorySize;
  mlir::PassManager pm(&context);
  if (options.loopIterationLimit)
    pm.addNestedPass<mlir::func::FuncOp>(
        mlir::kitespirv::createUnrollForLoopBudget());
  if (options.debugBuffer && options.loopIterationLimit)
    pm.addNestedPass<mlir::func::FuncOp>(
        mlir::kitespirv::createCheckLoopIterationLimit(
            {options.loopIterationLimit}));
  if (options.debugBuffer)
    pm.addPass(mlir::kitespirv::createLowerDebugOpsToBuffer());
  pm.addPass(mlir::kitespirv::createConvertKiteThreadToSPIRV(passOptions));
  mlir::kite::enableIRDumpFromEnvironment(pm);
  if (failed(pm.run(*module))) {
    if (!diagnostics.hasErrors())
      diagnostics.addError("the SPIR-V emitter failed without a diagnostic");
    return result;
  }
  if (auto records =
          (*module)->getAttrOfType<mlir::ArrayAttr>("kitespirv.debug-records"))
    for (mlir::Attribute record : records)
      result.debugRecords.push_back(
          mlir::cast<mlir::StringAttr>(record).getValue().str());
  llvm::SmallVector<uint32_t> words;
  if (failed(mlir::kitespirv::serializeKernel(*module, words)) ||
      failed(mlir::kitespirv::validateForVulkan(words, module->getLoc())))
    return result;
  llvm::raw_string_ostream os(result.ir);
  for (auto spvModule : module->getOps<mlir::spirv::ModuleOp>())
    spvModule->print(os);
  const auto *bytes = reinterpret_cast<const uint8_t *>(words.data());
  result.binary.assign(bytes, bytes + words.size() * sizeof(uint32_t));
  result.disassembly = mlir::kitespirv::disassemble(words);
  result.ok = true;
  return result;
}

} // namespace kite
