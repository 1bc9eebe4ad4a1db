//===- AxisInfo.h - contiguity, divisibility, constancy ---------*- C++ -*-===//
//
// For every integer and pointer value of a kernel, per dimension:
//  - contiguity c: the elements come in runs of c consecutive integers
//    (pointers: consecutive elements) along the dimension;
//  - divisibility d: the first element of each run is divisible by d (for a
//    pointer: its address in bytes); for runs of length 1, every element is;
//  - constancy k: the elements come in runs of k equal values.
// All three are powers of two. And for the whole value: whether every
// element is known to be non-negative (as a signed integer), which the
// rules of signed division and remainder need: truncating them, as
// arith does, cuts a negative run where a positive one stays whole
// ([-24, -17] % 24 is 0, -23, ..., -17). A scalar is a 1-element tensor. The
// coalescing pass reads pointer runs and alignment from here.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_LIB_ANALYSIS_AXISINFO_H
#define KITE_LIB_ANALYSIS_AXISINFO_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <optional>

namespace mlir::kite {

struct AxisInfo {
  /// Divisibility of 0, and the cap of every divisibility.
  static constexpr int64_t kMaxDivisibility = int64_t(1) << 30;

  SmallVector<int64_t> contiguity, divisibility, constancy;
  std::optional<int64_t> constant;
  bool nonNegative = false;

  /// Nothing known about a value of `rank` dimensions (scalars: rank 1).
  static AxisInfo unknown(unsigned rank);
  /// A value of type `type` (scalar or tensor) whose elements all equal `c`.
  static AxisInfo ofConstant(Type type, int64_t c);
  /// What holds for both `a` and `b` (control-flow merges).
  static AxisInfo join(const AxisInfo &a, const AxisInfo &b);

  unsigned getRank() const { return contiguity.size(); }
  /// Divisibility that holds for every element along `dim`, not only the
  /// first of each run.
  int64_t getElementDivisibility(unsigned dim) const {
    return contiguity[dim] > 1 ? 1 : divisibility[dim];
  }
  bool operator==(const AxisInfo &other) const {
    return contiguity == other.contiguity &&
           divisibility == other.divisibility && constancy == other.constancy &&
           constant == other.constant && nonNegative == other.nonNegative;
  }
  bool operator!=(const AxisInfo &other) const { return !(*this == other); }
  void print(raw_ostream &os) const;
};

/// The largest power of two dividing `value` (kMaxDivisibility for 0).
int64_t highestPowerOf2Divisor(int64_t value);

/// Runs on every function under `root` when constructed.
class AxisInfoAnalysis {
public:
  explicit AxisInfoAnalysis(Operation *root);

  /// The facts about `value`; unknown() for values it does not track.
  AxisInfo getAxisInfo(Value value) const;

private:
  void runOnRegion(Region &region);
  void visitOperation(Operation *op);
  bool update(Value value, const AxisInfo &info);
  const AxisInfo *lookup(Value value) const;
  /// join over `values` that are already known.
  std::optional<AxisInfo> joinKnown(ArrayRef<Value> values) const;

  llvm::DenseMap<Value, AxisInfo> infos;
  /// Values a kite.assume says are non-negative.
  llvm::DenseSet<Value> assumedNonNegative;
  bool changed = false;
};

/// The transfer function of `op` for result `resultIndex`, given its
/// operands' facts; std::nullopt when the op is not one the rules know.
std::optional<AxisInfo>
inferAxisInfo(Operation *op, unsigned resultIndex,
              function_ref<AxisInfo(Value)> operandInfo);

} // namespace mlir::kite

#endif // KITE_LIB_ANALYSIS_AXISINFO_H
