//===- Compiler.cpp - kite::runStage and kite::runPassPipeline ------------===//
#include "kite/Compiler.h"
#include "lib/API/Diagnostics.h"
#include "lib/API/PassFailures.h"
#include "lib/JIT/Pipeline.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/Parser/Parser.h"
#include "lib/API/IRDump.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

// `kite` is the public namespace here; MLIR's `mlir::kite` is spelled out.
using mlir::DialectRegistry;
using mlir::failure;
using mlir::LogicalResult;
using mlir::MLIRContext;
using mlir::ModuleOp;
using mlir::OpPassManager;
using mlir::StringRef;
using mlir::success;
using mlir::kite::DiagnosticCollector;

namespace {
/// Adds passes to the module-level pass manager; reports its own errors.
using PipelineBuilder =
    llvm::function_ref<LogicalResult(OpPassManager &, DiagnosticCollector &)>;
} // namespace

static std::string printModule(ModuleOp module,
                               const ::kite::PrintOptions &options) {
  mlir::OpPrintingFlags flags;
  if (options.debugInfo)
    // Local scope prints each `loc(...)` inline instead of as `#loc` aliases.
    flags.enableDebugInfo(/*enable=*/true, /*prettyForm=*/false)
        .useLocalScope();
  if (options.generic)
    flags.printGenericOpForm();
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os, flags);
  return text;
}

/// Parses and verifies `irText`, runs the passes `build` adds, and prints the
/// module. Each call has its own context, so calls may run concurrently.
static ::kite::IRResult compile(const std::string &irText,
                                const ::kite::PrintOptions &options,
                                PipelineBuilder build) {
  ::kite::IRResult result;
  DialectRegistry registry;
  mlir::kite::registerKiteDialects(registry);
  MLIRContext context(registry, MLIRContext::Threading::DISABLED);
  context.loadAllAvailableDialects();
  // Diagnostics point at the user's source; a dump of the op is noise there.
  context.printOpOnDiagnostic(false);
  DiagnosticCollector diagnostics(context, result.diagnostics);

  mlir::OwningOpRef<ModuleOp> module = mlir::parseSourceString<ModuleOp>(
      irText, mlir::ParserConfig(&context), ::kite::kIRBufferName);
  if (!module) {
    if (!diagnostics.hasErrors())
      diagnostics.addError("failed to parse the IR");
    return result;
  }
  mlir::PassManager pm(&context);
  if (failed(build(pm, diagnostics)))
    return result;
  mlir::kite::enableIRDumpFromEnvironment(pm);
  auto failedPass = std::make_shared<mlir::kite::FailedPass>();
  mlir::kite::recordFailedPass(pm, failedPass);
  if (failed(pm.run(*module))) {
    mlir::kite::reportFailedPass(*failedPass, *module, diagnostics);
    return result;
  }
  result.ir = printModule(*module, options);
  result.ok = true;
  return result;
}

/// `builtin.module(p)` -> `p`: the pass manager is already anchored on the
/// module. Anything else is returned as is and nests under the module.
static StringRef stripModuleAnchor(StringRef pipeline) {
  StringRef text = pipeline.trim();
  StringRef body = text;
  if (!body.consume_front("builtin.module(") || !body.consume_back(")"))
    return text;
  int depth = 0;
  for (char c : body) {
    if (c == '(')
      ++depth;
    else if (c == ')' && --depth < 0)
      return text; // e.g. "builtin.module(a),builtin.module(b)"
  }
  return depth == 0 ? body : text;
}

namespace kite {

IRResult runStage(const std::string &irText, const std::string &stage,
                  const PrintOptions &options,
                  const StageOptions &stageOptions) {
  return compile(
      irText, options,
      [&](OpPassManager &pm, DiagnosticCollector &diagnostics) {
        for (int value : {stageOptions.numWarps, stageOptions.threadsPerWarp})
          if (value <= 0 || (value & (value - 1))) {
            diagnostics.addError(
                "num_warps and threads_per_warp must be powers of "
                "two, got " +
                std::to_string(stageOptions.numWarps) + " and " +
                std::to_string(stageOptions.threadsPerWarp));
            return failure();
          }
        if (stageOptions.maxElementsPerThread < 0) {
          diagnostics.addError(
              "max_elements_per_thread must not be negative, got " +
              std::to_string(stageOptions.maxElementsPerThread));
          return failure();
        }
        if (stageOptions.maxWorkgroupBytes < 0) {
          diagnostics.addError(
              "max_workgroup_bytes must not be negative, got " +
              std::to_string(stageOptions.maxWorkgroupBytes));
          return failure();
        }
        if (stageOptions.maxVectorElements < 1) {
          diagnostics.addError("max_vector_elements must be positive, got " +
                               std::to_string(stageOptions.maxVectorElements));
          return failure();
        }
        mlir::kite::StageOptions target{
            unsigned(stageOptions.numWarps),
            unsigned(stageOptions.threadsPerWarp),
            unsigned(stageOptions.maxVectorElements),
            unsigned(stageOptions.maxElementsPerThread),
            stageOptions.checkMemory,
            int64_t(stageOptions.maxWorkgroupBytes),
            stageOptions.tensorCores,
            unsigned(std::max(stageOptions.numStages, 1)),
            stageOptions.quantizeDot, stageOptions.fuseDequantize,
            stageOptions.warpgroupMma};
        if (succeeded(mlir::kite::buildStage(stage, pm, target)))
          return success();
        diagnostics.addError("unknown stage '" + stage + "'; the stages are: " +
                             llvm::join(mlir::kite::getStageNames(), ", "));
        return failure();
      });
}

IRResult runPassPipeline(const std::string &irText, const std::string &pipeline,
                         const PrintOptions &options) {
  mlir::kite::registerKitePasses();
  return compile(irText, options,
                 [&](OpPassManager &pm, DiagnosticCollector &diagnostics) {
                   std::string error;
                   llvm::raw_string_ostream os(error);
                   if (succeeded(mlir::parsePassPipeline(
                           stripModuleAnchor(pipeline), pm, os)))
                     return success();
                   // Keep the parser's message, not its caret diagram.
                   StringRef message =
                       StringRef(error).trim().split('\n').first;
                   size_t at = message.find("error: ");
                   if (at != StringRef::npos)
                     message = message.drop_front(at + strlen("error: "));
                   diagnostics.addError("invalid pass pipeline '" + pipeline +
                                        "': " + message.str());
                   return failure();
                 });
}

std::vector<std::string> stageNames() {
  std::vector<std::string> names;
  for (StringRef name : mlir::kite::getStageNames())
    names.push_back(name.str());
  return names;
}

} // namespace kite
