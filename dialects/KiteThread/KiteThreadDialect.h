//===- KiteThreadDialect.h - the kitethread dialect -------------*- C++ -*-===//
#ifndef KITE_DIALECTS_KITETHREAD_KITETHREADDIALECT_H
#define KITE_DIALECTS_KITETHREAD_KITETHREADDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dialects/KiteThread/KiteThreadDialect.h.inc"

#endif // KITE_DIALECTS_KITETHREAD_KITETHREADDIALECT_H
