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
#include "lib/API/JitPipeline.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

#include <cctype>
#include <cstdlib>
#include <utility>

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

namespace kite {

uint64_t maxSharedBytesPerBlock(const std::string &arch) {
  // KiB by compute capability: the CUDA C++ Programming Guide's "Technical
  // Specifications per Compute Capability", row "Maximum amount of shared
  // memory per thread block".
  static const std::pair<int, int> kKiB[] = {
      {35, 48}, {37, 48}, {50, 48},  {52, 48},  {53, 48},  {60, 48},
      {61, 48}, {62, 48}, {70, 96},  {72, 96},  {75, 64},  {80, 163},
      {86, 99}, {87, 163}, {89, 99}, {90, 227}, {100, 227}, {101, 227},
      {103, 227}, {110, 227}, {120, 99}, {121, 99}};
  std::optional<int> number = detail::archNumber(arch);
  if (!number)
    return 0;
  int kib = 48; // older than the table: its oldest entry's
  for (const auto &[capability, size] : kKiB)
    if (capability <= *number)
      kib = size;
  return uint64_t(kib) * 1024;
}

namespace detail {

std::optional<int> archNumber(const std::string &arch) {
  if (arch.rfind("sm_", 0) != 0)
    return std::nullopt;
  size_t end = 3;
  while (end < arch.size() && std::isdigit(static_cast<unsigned char>(arch[end])))
    ++end;
  bool suffix = end + 1 == arch.size() && (arch[end] == 'a' || arch[end] == 'f');
  if (end == 3 || end > 6 || (end < arch.size() && !suffix))
    return std::nullopt;
  return std::atoi(arch.c_str() + 3);
}

bool hasWarpgroupMma(const std::string &arch) { return arch == "sm_90a"; }

} // namespace detail
} // namespace kite
