//===- Passes.h - tile-level passes of the kite dialect ---------*- C++ -*-===//
#ifndef KITE_LIB_TRANSFORMS_PASSES_H
#define KITE_LIB_TRANSFORMS_PASSES_H

#include "dialects/Kite/KiteDialect.h"
#include "mlir/Pass/Pass.h"

namespace mlir::kite {

#define GEN_PASS_DECL
#include "lib/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "lib/Transforms/Passes.h.inc"

} // namespace mlir::kite

#endif // KITE_LIB_TRANSFORMS_PASSES_H
