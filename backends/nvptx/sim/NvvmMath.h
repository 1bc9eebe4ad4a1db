//===- NvvmMath.h - NVVM's arithmetic intrinsics on the host ----*- C++ -*-===//
//
// The llvm.nvvm.* intrinsics for arithmetic with an explicit rounding mode
// (add.rz.f), flushing of subnormals (.ftz), the approximate instructions
// (ex2.approx, rsqrt.approx, ...) and the conversions libdevice uses
// (d2i.hi, lohi.i2d, f2i.rn, ...), each as a host function of the same
// signature, with the PTX ISA's special-value behaviour. The simulator's
// rewrite (HostRetarget.cpp) calls these in place of the intrinsics.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_BACKENDS_NVPTX_SIM_NVVMMATH_H
#define KITE_BACKENDS_NVPTX_SIM_NVVMMATH_H

#include "llvm/ADT/StringRef.h"

namespace kite::sim {

/// The host function implementing `intrinsic` (its LLVM name without
/// "llvm.nvvm."), or null when this file has none.
void *nvvmMathFunction(llvm::StringRef intrinsic);

} // namespace kite::sim

#endif // KITE_BACKENDS_NVPTX_SIM_NVVMMATH_H
