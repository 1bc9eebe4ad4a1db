//===- ConvertibleValues.h - values and ops any layout suits ---*- C++ -*-===//
//
// What the patterns of kitegpu-remove-layout-conversions ask of a value
// before they change its layout: whether it is as cheap to build in any
// layout, and whether an op computes in whatever layout its operands have.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_LIB_CONVERSION_KITETOKITEGPU_CONVERTIBLEVALUES_H
#define KITE_LIB_CONVERSION_KITETOKITEGPU_CONVERTIBLEVALUES_H

#include "mlir/IR/Operation.h"

namespace mlir::kitegpu {

/// A splat, a range or a constant: built in any layout as cheaply.
bool isCheapSource(Operation *op);

/// Ops that compute in any layout: element-wise ones, broadcast and
/// expand_dims (whose source layout follows from the result's).
bool isMovable(Operation *op);

/// Whether `value` is as cheap in `layout`: built from splats, ranges,
/// constants and conversions from `layout` by element-wise ops.
bool cheapIn(Value value, Attribute layout);

} // namespace mlir::kitegpu

#endif // KITE_LIB_CONVERSION_KITETOKITEGPU_CONVERTIBLEVALUES_H
