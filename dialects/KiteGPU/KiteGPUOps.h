//===- KiteGPUOps.h - the operations of the kitegpu dialect -----*- C++ -*-===//
#ifndef KITE_DIALECTS_KITEGPU_KITEGPUOPS_H
#define KITE_DIALECTS_KITEGPU_KITEGPUOPS_H

#include "dialects/KiteGPU/KiteGPUDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialects/KiteGPU/KiteGPUOps.h.inc"

#endif // KITE_DIALECTS_KITEGPU_KITEGPUOPS_H
