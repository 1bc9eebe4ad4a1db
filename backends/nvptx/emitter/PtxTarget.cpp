//===- PtxTarget.cpp - LLVM dialect + NVVM to LLVM IR and PTX -------------===//
#include "backends/nvptx/emitter/PtxTarget.h"
#include "backends/nvptx/emitter/Libdevice.h"
#include "backends/nvptx/emitter/SinkOuterLoopInvariants.h"
#include "backends/nvptx/emitter/WarpUniformThreadIds.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/NVVM/NVVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Triple.h"

#include <memory>
#include <mutex>

extern "C" {
void LLVMInitializeNVPTXTargetInfo();
void LLVMInitializeNVPTXTarget();
void LLVMInitializeNVPTXTargetMC();
void LLVMInitializeNVPTXAsmPrinter();
}

using namespace mlir;

void kitenvptx::registerNVPTXTranslations(DialectRegistry &registry) {
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerNVVMDialectTranslation(registry);
}

/// Shared-memory addresses in 32 bits, as Triton has them (the shared
/// window is under 4 GiB): half the registers for every ldmatrix and
/// cp.async address, 32-bit arithmetic on them. NVPTX takes pointer sizes
/// from the target machine's data layout, which it computes from the
/// process-wide option `nvptx-short-ptr`; a module cannot carry a layout of
/// its own instead (code generation requires the module's layout to equal
/// the machine's: an assertion in LLVM 22, a fatal error after it). So the
/// option is set, once, the way the command line sets it: through the
/// option's own parser (no cast to a type it might not have; a value it
/// cannot take is an error message, not undefined behaviour), and only
/// where nobody set it before. It holds for every NVPTX target machine of
/// the process's LLVM (with a shared libLLVM, also another library's; a
/// module of theirs must then take its target machine's data layout, as
/// LLVM requires anyway).
static void useShortSharedPointers() {
  auto &options = llvm::cl::getRegisteredOptions();
  auto found = options.find("nvptx-short-ptr");
  if (found == options.end() || found->second->getNumOccurrences())
    return;
  llvm::cl::Option *option = found->second;
  (void)option->addOccurrence(/*pos=*/0, option->ArgStr, "true");
}

static void initializeNVPTX() {
  static std::once_flag once;
  std::call_once(once, [] {
    LLVMInitializeNVPTXTargetInfo();
    LLVMInitializeNVPTXTarget();
    LLVMInitializeNVPTXTargetMC();
    LLVMInitializeNVPTXAsmPrinter();
    useShortSharedPointers();
  });
}

/// The NVPTX target machine for `chip`, or an error naming what is wrong.
static std::unique_ptr<llvm::TargetMachine>
createTargetMachine(ModuleOp module, StringRef chip, unsigned ptxVersion) {
  initializeNVPTX();
  llvm::Triple triple("nvptx64-nvidia-cuda");
  std::string error;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target) {
    module.emitError() << "LLVM has no NVPTX target: " << error;
    return nullptr;
  }
  std::string features =
      ptxVersion ? "+ptx" + std::to_string(ptxVersion) : std::string();
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, chip, features, llvm::TargetOptions(), std::nullopt,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine) {
    module.emitError() << "cannot create the NVPTX target machine for '"
                       << chip << "'";
    return nullptr;
  }
  const llvm::MCSubtargetInfo *info = machine->getMCSubtargetInfo();
  if (!chip.starts_with("sm_") || !info->isCPUStringValid(chip)) {
    module.emitError() << "unknown NVIDIA architecture '" << chip
                       << "' (expected e.g. sm_80, sm_90, sm_90a)";
    return nullptr;
  }
  if (ptxVersion && !info->checkFeatures("+ptx" + std::to_string(ptxVersion))) {
    module.emitError() << "LLVM's NVPTX backend does not know PTX ISA "
                       << ptxVersion / 10 << "." << ptxVersion % 10;
    return nullptr;
  }
  return machine;
}

/// The oldest PTX ISA (as 84 for 8.4) the module's fp8 instructions need
/// beyond LLVM's default for `chip`, and what they are: mma.sync of fp8
/// operands (inline assembly, which LLVM does not read) came in 8.4; LLVM
/// selects the fp8 cvt intrinsics (FloatConversionsToNVVM.cpp) on sm_89
/// only from 8.1 (on sm_90 from its default, 7.8), and aborts otherwise.
static unsigned getFp8PtxVersion(ModuleOp module, StringRef chip,
                                 StringRef &what) {
  unsigned version = 0;
  module.walk([&](LLVM::InlineAsmOp op) {
    StringRef text = op.getAsmString();
    if (text.starts_with("mma.sync") &&
        (text.contains(".e4m3") || text.contains(".e5m2"))) {
      version = std::max(version, 84u);
      what = "fp8 tensor-core instructions";
    }
  });
  if (version || chip.rtrim("af") != "sm_89")
    return version;
  module.walk([&](LLVM::CallIntrinsicOp op) {
    StringRef name = op.getIntrin();
    if (name.contains("e4m3x2") || name.contains("e5m2x2")) {
      version = 81;
      what = "fp8 conversions";
    }
  });
  return version;
}

LogicalResult kitenvptx::translateToPtx(ModuleOp module, StringRef chip,
                                        unsigned ptxVersion,
                                        StringRef libdevice,
                                        std::string &llvmIR, std::string &ptx) {
  StringRef what;
  if (unsigned needed = getFp8PtxVersion(module, chip, what);
      needed > ptxVersion) {
    if (ptxVersion)
      return module.emitError()
             << "the kernel's " << what << " need PTX ISA " << needed / 10
             << "." << needed % 10 << ", not the " << ptxVersion / 10 << "."
             << ptxVersion % 10 << " asked for";
    ptxVersion = needed;
  }
  std::unique_ptr<llvm::TargetMachine> machine =
      createTargetMachine(module, chip, ptxVersion);
  if (!machine)
    return failure();
  DialectRegistry registry;
  registerNVPTXTranslations(registry);
  module->getContext()->appendDialectRegistry(registry);

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "kite");
  if (!llvmModule)
    return module.emitError() << "translation to LLVM IR failed";
  llvmModule->setTargetTriple(machine->getTargetTriple());
  llvmModule->setDataLayout(machine->createDataLayout());
  if (failed(linkLibdevice(*llvmModule, module, libdevice)))
    return failure();

  {
    llvm::LoopAnalysisManager lam;
    llvm::FunctionAnalysisManager fam;
    llvm::CGSCCAnalysisManager cgam;
    llvm::ModuleAnalysisManager mam;
    llvm::PassBuilder builder(machine.get());
    builder.registerModuleAnalyses(mam);
    builder.registerCGSCCAnalyses(cgam);
    builder.registerFunctionAnalyses(fam);
    builder.registerLoopAnalyses(lam);
    builder.crossRegisterProxies(lam, fam, cgam, mam);
    llvm::ModulePassManager passes =
        builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
    // After O3's LICM: values it hoisted out of a loop over tiles that only
    // the tiles' prologues and epilogues read go back into that loop.
    passes.addPass(llvm::createModuleToFunctionPassAdaptor(
        kitenvptx::SinkOuterLoopInvariantsPass()));
    // Warp indices read from lane 0, so that ptxas keeps what is computed
    // from them in uniform registers.
    passes.addPass(llvm::createModuleToFunctionPassAdaptor(
        kitenvptx::WarpUniformThreadIdsPass()));
    passes.run(*llvmModule, mam);
  }
  std::string verifyErrors;
  llvm::raw_string_ostream verifyOs(verifyErrors);
  if (llvm::verifyModule(*llvmModule, &verifyOs))
    return module.emitError() << "invalid LLVM IR: " << verifyErrors;
  {
    llvm::raw_string_ostream os(llvmIR);
    llvmModule->print(os, nullptr);
  }

  llvm::SmallString<0> buffer;
  llvm::raw_svector_ostream os(buffer);
  llvm::legacy::PassManager codegen;
  if (machine->addPassesToEmitFile(codegen, os, nullptr,
                                   llvm::CodeGenFileType::AssemblyFile))
    return module.emitError() << "the NVPTX backend cannot emit assembly";
  codegen.run(*llvmModule);
  ptx.assign(buffer.begin(), buffer.end());
  return success();
}
