//===- Passes.h - the SPIR-V emitter's pass ---------------------*- C++ -*-===//
#ifndef KITE_BACKENDS_SPIRV_EMITTER_PASSES_H
#define KITE_BACKENDS_SPIRV_EMITTER_PASSES_H

#include "dialects/KiteThread/KiteThreadDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::kitespirv {

#define GEN_PASS_DECL
#include "backends/spirv/emitter/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "backends/spirv/emitter/Passes.h.inc"

} // namespace mlir::kitespirv

#endif // KITE_BACKENDS_SPIRV_EMITTER_PASSES_H
