//===- PointerProvenance.h - which argument an address comes from -*- C++
//-*-===//
//
// At the thread level a pointer is an i64 like any integer. An address
// "derives from pointer argument i" when it is that argument plus or minus
// integers that themselves derive from no pointer argument (offsets, loop
// counters, values loaded from memory), through any chain of adds, selects
// and loop-carried or branch-merged values. Anything else (the sum of two
// pointers, a multiple of one, two arguments merged) has no known argument.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_LIB_CONVERSION_KITEGPUTOTHREADS_POINTERPROVENANCE_H
#define KITE_LIB_CONVERSION_KITEGPUTOTHREADS_POINTERPROVENANCE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"

#include <optional>

namespace mlir::kitegpu {

/// What a value is, as far as addresses go. Values only move up:
/// Unset < {Integer, Argument i} < Unknown.
struct Provenance {
  enum Kind : uint8_t { Unset, Integer, Argument, Unknown };
  Kind kind = Unset;
  int32_t argument = -1;

  static Provenance integer() { return {Integer, -1}; }
  static Provenance of(int32_t argument) { return {Argument, argument}; }
  static Provenance unknown() { return {Unknown, -1}; }
  /// What holds for a value that is either `a` or `b`.
  static Provenance join(Provenance a, Provenance b);
  bool operator==(const Provenance &o) const {
    return kind == o.kind && argument == o.argument;
  }
};

/// Runs over `kernel` (a thread-level kernel whose launch arguments
/// `pointerArgs` are pointers) to a fixed point when constructed.
class PointerProvenance {
public:
  PointerProvenance(func::FuncOp kernel, ArrayRef<int32_t> pointerArgs);

  /// The pointer argument `address` provably derives from, if one.
  std::optional<int32_t> getArgument(Value address) const;

private:
  Provenance get(Value value) const;
  /// Joins `p` into `value`'s state; true if that changed it.
  bool update(Value value, Provenance p);
  bool visit(Operation *op);

  llvm::DenseMap<Value, Provenance> state;
  ArrayRef<int32_t> pointerArgs;
};

} // namespace mlir::kitegpu

#endif // KITE_LIB_CONVERSION_KITEGPUTOTHREADS_POINTERPROVENANCE_H
