//===- IRDump.cpp - KITE_MLIR_DUMP: the IR around every pass --------------===//
//
// The per-pass dump switch (docs/runtime.md, "Seeing what the compiler
// made"): every pass manager of the compiler (the stages, the NVPTX and
// SPIR-V emitters) calls enableIRDumpFromEnvironment before it runs, so one
// variable shows the module at every step on stderr. Contexts here are
// single-threaded, which module-scope printing needs.
//
//===----------------------------------------------------------------------===//
#include "lib/API/IRDump.h"

#include "mlir/Pass/Pass.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <string>

void mlir::kite::enableIRDumpFromEnvironment(PassManager &pm) {
  const char *value = std::getenv("KITE_MLIR_DUMP");
  if (!value)
    return;
  std::string setting = llvm::StringRef(value).trim().lower();
  if (setting.empty() || setting == "0" || setting == "false" ||
      setting == "no" || setting == "off")
    return;
  bool everyPass =
      setting == "1" || setting == "true" || setting == "yes" || setting == "on";
  llvm::SmallVector<std::string> names;
  if (!everyPass) {
    llvm::SmallVector<llvm::StringRef> parts;
    llvm::StringRef(setting).split(parts, ',', -1, /*KeepEmpty=*/false);
    for (llvm::StringRef part : parts)
      names.push_back(part.trim().str());
  }
  using Filter = std::function<bool(Pass *, Operation *)>;
  Filter none = [](Pass *, Operation *) { return false; };
  Filter before = everyPass ? Filter([](Pass *, Operation *) { return true; })
                            : none;
  Filter after = everyPass ? none : Filter([names](Pass *pass, Operation *) {
    return llvm::is_contained(names, pass->getArgument().str());
  });
  pm.enableIRPrinting(before, after, /*printModuleScope=*/true,
                      /*printAfterOnlyOnChange=*/false,
                      /*printAfterOnlyOnFailure=*/false, llvm::errs());
}
