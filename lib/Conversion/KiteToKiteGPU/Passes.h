//===- Passes.h - from kite to kitegpu: layouts, coalescing -----*- C++ -*-===//
#ifndef KITE_LIB_CONVERSION_KITETOKITEGPU_PASSES_H
#define KITE_LIB_CONVERSION_KITETOKITEGPU_PASSES_H

#include "dialects/KiteGPU/KiteGPUDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::kitegpu {

#define GEN_PASS_DECL
#include "lib/Conversion/KiteToKiteGPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "lib/Conversion/KiteToKiteGPU/Passes.h.inc"

} // namespace mlir::kitegpu

#endif // KITE_LIB_CONVERSION_KITETOKITEGPU_PASSES_H
