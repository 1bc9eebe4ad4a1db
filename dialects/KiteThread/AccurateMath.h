//===- AccurateMath.h - f32 math without textbook-formula losses -*- C++ -*-===//
#ifndef KITE_DIALECTS_KITETHREAD_ACCURATEMATH_H
#define KITE_DIALECTS_KITETHREAD_ACCURATEMATH_H

#include "mlir/IR/BuiltinOps.h"

namespace mlir::kitethread {

/// Rewrites f32 sinh, tanh, asinh, acosh, atanh and pow as formulas that
/// keep full precision (C's special cases for pow), and marks f32 log1p and
/// expm1 for an exact expansion; every op involved gets a location that
/// isExactLocation recognises (AccurateMath.cpp).
void rewriteLooseMath(ModuleOp module);

/// Float `remf` as C's fmod: exact for f16 and f32 (computed in f64 where
/// `float64`), with IEEE special values for every width (FloatRemainder.cpp):
/// the targets' x - y * trunc(x / y) was inexact and got signs wrong.
void exactFloatRemainders(ModuleOp module, bool float64);

/// Integer division and remainder whose divisor is 1 where it is 0 or where
/// a signed division overflows (INT_MIN / -1): never undefined behaviour,
/// which LLVM and SPIR-V drivers exploit (DefinedDivision.cpp).
void defineIntegerDivision(ModuleOp module);

/// Whether `loc` marks an op of those formulas: it must round as written.
bool isExactLocation(Location loc);

/// `loc` marked so (the emitters keep such ops' rounding).
Location exactLocation(Location loc);

} // namespace mlir::kitethread

#endif // KITE_DIALECTS_KITETHREAD_ACCURATEMATH_H
