//===- SignedRemainder.cpp - remsi as an unsigned remainder of magnitudes -===//
//
// Vulkan's OpSRem/OpSMod are undefined for negative operands, so MLIR's
// arith-to-SPIR-V lowers `remsi` as UMod(|x|, |y|) with the sign of x put
// back where `x == SAbs(x)` is false. SAbs(INT_MIN) is INT_MIN, so that test
// took INT_MIN for positive: INT_MIN % 3 came out positive on lavapipe.
// Here `remsi` becomes, before the conversion, the same remainder of
// magnitudes with the sign taken from `x < 0`: the magnitudes are `0 - v`
// for negative v, which for INT_MIN is 2^(w-1) read as unsigned, so every
// width is exact and INT_MIN % -1 is 0 without a trap.
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/emitter/KiteThreadToSPIRV.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Builders.h"

using namespace mlir;

void mlir::kitespirv::remaindersBySign(ModuleOp module) {
  SmallVector<arith::RemSIOp> remainders;
  module.walk([&](arith::RemSIOp op) { remainders.push_back(op); });
  for (arith::RemSIOp op : remainders) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Type type = op.getType();
    Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(type));
    auto isNegative = [&](Value v) {
      return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, v, zero);
    };
    auto magnitude = [&](Value v, Value negative) {
      Value negated = arith::SubIOp::create(b, loc, zero, v);
      return arith::SelectOp::create(b, loc, negative, negated, v);
    };
    Value lhsNegative = isNegative(op.getLhs());
    Value remainder =
        arith::RemUIOp::create(b, loc, magnitude(op.getLhs(), lhsNegative),
                               magnitude(op.getRhs(), isNegative(op.getRhs())));
    op.replaceAllUsesWith(magnitude(remainder, lhsNegative).getResult());
    op.erase();
  }
}
