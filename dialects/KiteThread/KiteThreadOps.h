//===- KiteThreadOps.h - the operations of kitethread -----------*- C++ -*-===//
#ifndef KITE_DIALECTS_KITETHREAD_KITETHREADOPS_H
#define KITE_DIALECTS_KITETHREAD_KITETHREADOPS_H

#include "dialects/Kite/KiteDialect.h" // kite::RMWOp
#include "dialects/KiteThread/KiteThreadDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/KiteThread/KiteThreadOps.h.inc"

#endif // KITE_DIALECTS_KITETHREAD_KITETHREADOPS_H
