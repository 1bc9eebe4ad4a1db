//===- IRDump.h - KITE_MLIR_DUMP: the IR around every pass ------*- C++ -*-===//
#ifndef KITE_LIB_API_IRDUMP_H
#define KITE_LIB_API_IRDUMP_H

#include "mlir/Pass/PassManager.h"

namespace mlir::kite {

/// Where the environment asks for it (KITE_MLIR_DUMP, docs/runtime.md),
/// makes `pm` print the module to stderr: `1` (or true/yes/on) before every
/// pass, as Triton's MLIR_ENABLE_DUMP=1; a comma-separated list of pass
/// arguments (`kitegpu-coalesce,cse`) after those passes only.
void enableIRDumpFromEnvironment(PassManager &pm);

} // namespace mlir::kite

#endif // KITE_LIB_API_IRDUMP_H
