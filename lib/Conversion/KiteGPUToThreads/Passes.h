//===- Passes.h - from kitegpu to thread-level IR ---------------*- C++ -*-===//
#ifndef KITE_LIB_CONVERSION_KITEGPUTOTHREADS_PASSES_H
#define KITE_LIB_CONVERSION_KITEGPUTOTHREADS_PASSES_H

#include "dialects/KiteGPU/KiteGPUDialect.h"
#include "dialects/KiteThread/KiteThreadDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::kitegpu {

#define GEN_PASS_DECL
#include "lib/Conversion/KiteGPUToThreads/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "lib/Conversion/KiteGPUToThreads/Passes.h.inc"

} // namespace mlir::kitegpu

#endif // KITE_LIB_CONVERSION_KITEGPUTOTHREADS_PASSES_H
