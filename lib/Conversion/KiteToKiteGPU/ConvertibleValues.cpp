//===- ConvertibleValues.cpp - values and ops any layout suits ------------===//
#include "lib/Conversion/KiteToKiteGPU/ConvertibleValues.h"
#include "dialects/Kite/KiteOps.h"
#include "dialects/KiteGPU/KiteGPUOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace mlir::kitegpu;

bool mlir::kitegpu::isCheapSource(Operation *op) {
  return isa<kite::SplatOp, kite::MakeRangeOp, arith::ConstantOp>(op);
}

bool mlir::kitegpu::isMovable(Operation *op) {
  if (op->getNumResults() != 1 || !isMemoryEffectFree(op) ||
      op->getNumRegions() != 0)
    return false;
  if (isa<kite::BroadcastOp, kite::ExpandDimsOp, kite::AddPtrOp, kite::FpToFpOp,
          kite::BitcastOp, kite::PtrToIntOp, kite::IntToPtrOp>(op))
    return true;
  return op->hasTrait<OpTrait::Elementwise>();
}

/// How deep a chain of element-wise ops from cheap sources is rebuilt in
/// another layout (Philox's ten rounds for kl.rand are about 90 deep).
static constexpr int kMaxCheapDepth = 512;

/// Whether `value` is as cheap in `layout`: built from splats, ranges,
/// constants and conversions from `layout` by element-wise ops. `known`
/// memoizes the answer per value: such chains share subexpressions, and
/// walking them as trees would take exponential time.
static bool cheapWithin(Value value, Attribute layout, int depth,
                        llvm::DenseMap<Value, bool> &known) {
  if (!getLayout(value.getType()))
    return true;
  Operation *def = value.getDefiningOp();
  if (!def)
    return false;
  if (auto convert = dyn_cast<ConvertLayoutOp>(def))
    return getLayout(convert.getSrc().getType()) == layout;
  if (isCheapSource(def))
    return true;
  if (depth == 0 || !isMovable(def) ||
      isa<kite::BroadcastOp, kite::ExpandDimsOp>(def))
    return false;
  auto [it, inserted] = known.try_emplace(value, false);
  if (!inserted)
    return it->second;
  bool cheap = llvm::all_of(def->getOperands(), [&](Value operand) {
    return cheapWithin(operand, layout, depth - 1, known);
  });
  known[value] = cheap;
  return cheap;
}

bool mlir::kitegpu::cheapIn(Value value, Attribute layout) {
  llvm::DenseMap<Value, bool> known;
  return cheapWithin(value, layout, kMaxCheapDepth, known);
}
