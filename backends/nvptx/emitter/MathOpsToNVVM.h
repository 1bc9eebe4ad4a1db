//===- MathOpsToNVVM.h - math the NVPTX backend cannot select ---*- C++ -*-===//
#ifndef KITE_BACKENDS_NVPTX_EMITTER_MATHOPSTONVVM_H
#define KITE_BACKENDS_NVPTX_EMITTER_MATHOPSTONVVM_H

#include "mlir/IR/BuiltinOps.h"

namespace mlir::kitenvptx {

/// Rewrites the math ops LLVM's NVPTX backend has no instruction for: f64
/// ones, and f32 sin, cos and tan, call libdevice (Libdevice.cpp); f32 exp
/// and log10 go through exp2 and log2; f16 ones run in f32; the other f32
/// ones become MLIR's polynomial approximations.
LogicalResult prepareMath(ModuleOp module);

/// Marks floating-point multiplies, adds and subtracts `contract`, so that
/// LLVM fuses a multiply and the add using it into one FMA (enable_fp_fusion,
/// on by default as in Triton).
void allowFpFusion(ModuleOp module);

} // namespace mlir::kitenvptx

#endif // KITE_BACKENDS_NVPTX_EMITTER_MATHOPSTONVVM_H
