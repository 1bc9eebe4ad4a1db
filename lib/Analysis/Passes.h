//===- Passes.h - test passes of Kite's analyses ----------------*- C++ -*-===//
#ifndef KITE_LIB_ANALYSIS_PASSES_H
#define KITE_LIB_ANALYSIS_PASSES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::kite {

#define GEN_PASS_DECL
#include "lib/Analysis/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "lib/Analysis/Passes.h.inc"

} // namespace mlir::kite

#endif // KITE_LIB_ANALYSIS_PASSES_H
