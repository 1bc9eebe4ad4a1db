//===- Passes.h - the NVPTX emitter's pass ----------------------*- C++ -*-===//
#ifndef KITE_BACKENDS_NVPTX_EMITTER_PASSES_H
#define KITE_BACKENDS_NVPTX_EMITTER_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::kitenvptx {

#define GEN_PASS_DECL
#include "backends/nvptx/emitter/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "backends/nvptx/emitter/Passes.h.inc"

} // namespace mlir::kitenvptx

#endif // KITE_BACKENDS_NVPTX_EMITTER_PASSES_H
