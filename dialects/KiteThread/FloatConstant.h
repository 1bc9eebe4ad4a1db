//===- FloatConstant.h - float constants for math rewrites -*- C++ -*-===//
#ifndef KITE_DIALECTS_KITETHREAD_FLOATCONSTANT_H
#define KITE_DIALECTS_KITETHREAD_FLOATCONSTANT_H

#include "mlir/IR/Builders.h"

namespace mlir::kitethread {

/// An arith.constant of float `type` holding `value` (rounded to nearest):
/// a scalar, or a splat where `type` is a vector or tensor. The rewrites of
/// float math in both emitters build their constants with it.
Value floatConstant(OpBuilder &b, Location loc, Type type, double value);

} // namespace mlir::kitethread

#endif // KITE_DIALECTS_KITETHREAD_FLOATCONSTANT_H
