//===- KiteDialect.h - the kite dialect, its types and enums ----*- C++ -*-===//
#ifndef KITE_DIALECTS_KITE_KITEDIALECT_H
#define KITE_DIALECTS_KITE_KITEDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"

#include "dialects/Kite/KiteDialect.h.inc"
#include "dialects/Kite/KiteEnums.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialects/Kite/KiteTypes.h.inc"

namespace mlir::kite {

// Kite values are "X-like": a scalar X or a static tensor of X. These helpers
// treat both uniformly.

/// The shape of a tensor, or an empty shape for a scalar.
ArrayRef<int64_t> getShapeOrScalar(Type type);

/// A type shaped like `like` (scalar or tensor) with element type `element`.
Type getSameShape(Type like, Type element);

/// The pointee type of a ptr-like type, shaped like it; null if not ptr-like.
Type getPointeeLike(Type ptrLike);

/// "128x64" for a tensor, "scalar" for anything else; used in diagnostics.
std::string formatShape(Type type);

} // namespace mlir::kite

#endif // KITE_DIALECTS_KITE_KITEDIALECT_H
