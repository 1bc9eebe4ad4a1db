//===- UnobservedNaNBits.cpp - values whose NaN bits nothing reads --------===//
//
// Kite's conversions to and from bf16 and the fp8 formats give a NaN the
// bits of the software conversion (the sign of the input, a quiet
// payload), on every device. PTX's cvt does not promise a NaN's sign or
// payload, so where the target converts in hardware (EmulatedFloats.cpp)
// a compare and a select per value put those bits back: about four
// instructions on a value that costs one or two, which is most of an MX
// or fp8 operand's decode.
//
// A NaN's bits matter only where something reads them: a store, a bitcast,
// a copysign, a value carried out of a loop or a reduction. They do not
// where the value only flows, through arithmetic, conversions and shape
// ops, into compares or the operands of a dot: a dot with a NaN operand
// gives NaN whatever its bits, and a compare of NaN is unordered whatever
// its bits. Such values are marked here before the conversion, and the
// hardware conversions of a marked op leave out the selects (NaNBits::Free).
//
//===----------------------------------------------------------------------===//

#include "ThreadLowering.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;
using namespace mlir::kitegpu;

namespace {

/// How many ops deep a NaN is followed before it counts as read: a long
/// unrolled chain stays conservative instead of exhausting the stack.
constexpr int kMaxDepth = 256;

/// Whether the NaN bits of `value` (a float tensor or scalar) reach
/// anything that reads them, through the ops that carry a NaN on as a NaN.
class NaNBitsReaders {
public:
  bool areRead(Value value, int depth = 0) {
    if (depth > kMaxDepth)
      return true;
    auto [it, inserted] = memo.try_emplace(value, true);
    if (!inserted)
      return it->second; // a cycle stays conservative: read
    bool read = llvm::any_of(value.getUses(), [&](OpOperand &use) {
      return readsBits(use, depth + 1);
    });
    memo[value] = read;
    return read;
  }

private:
  bool readsBits(OpOperand &use, int depth) {
    Operation *user = use.getOwner();
    // A dot's product with a NaN factor is NaN whatever its bits; the
    // accumulator's NaN is carried into the result.
    if (auto dot = dyn_cast<kite::DotOp>(user))
      return use.getOperandNumber() == 2 && areRead(dot.getResult(), depth);
    if (isa<arith::CmpFOp>(user))
      return false;
    // A select's condition is not a float; its values are carried.
    if (auto select = dyn_cast<arith::SelectOp>(user))
      return use.getOperandNumber() == 0 || areRead(select.getResult(), depth);
    if (isa<arith::AddFOp, arith::SubFOp, arith::MulFOp, arith::DivFOp,
            arith::NegFOp, arith::MaximumFOp, arith::MinimumFOp,
            arith::MaxNumFOp, arith::MinNumFOp, arith::ExtFOp, arith::TruncFOp,
            math::AbsFOp, math::FmaOp, kite::FpToFpOp, kite::SplatOp,
            kite::TransOp, kite::ReshapeOp, kite::BroadcastOp,
            kite::ExpandDimsOp, kite::JoinOp, ConvertLayoutOp>(user))
      return llvm::any_of(user->getResults(), [&](Value result) {
        return areRead(result, depth);
      });
    return true;
  }

  llvm::DenseMap<Value, bool> memo;
};

} // namespace

void mlir::kitegpu::markFreeNaNBits(Operation *root) {
  NaNBitsReaders readers;
  Builder b(root->getContext());
  root->walk([&](Operation *op) {
    if (op->getNumResults() != 1)
      return;
    Value result = op->getResult(0);
    if (!isEmulatedFloat(getElementTypeOrSelf(result.getType())))
      return;
    if (!readers.areRead(result))
      op->setAttr(kNaNBitsFreeAttrName, b.getUnitAttr());
  });
}

NaNBits mlir::kitegpu::getNaNBits(Operation *op) {
  return op && op->hasAttr(kNaNBitsFreeAttrName) ? NaNBits::Free
                                                 : NaNBits::Kept;
}
