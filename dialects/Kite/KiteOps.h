//===- KiteOps.h - the operations of the kite dialect -----------*- C++ -*-===//
#ifndef KITE_DIALECTS_KITE_KITEOPS_H
#define KITE_DIALECTS_KITE_KITEOPS_H

#include "dialects/Kite/KiteDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/Kite/KiteOps.h.inc"

namespace mlir::kite {

/// Emits "shapes of <aName> (128) and <bName> (64) differ" unless `a` and `b`
/// are both scalars or tensors of one shape.
LogicalResult verifySameShape(Operation *op, StringRef aName, Type a,
                              StringRef bName, Type b);

} // namespace mlir::kite

#endif // KITE_DIALECTS_KITE_KITEOPS_H
