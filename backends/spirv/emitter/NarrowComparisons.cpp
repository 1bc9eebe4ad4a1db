//===- NarrowComparisons.cpp - compare extended integers in their width ---===//
//
// `cmpi(extsi(x), C)` and `cmpi(extui(x), C)`, with C a constant that fits
// x's width, compare x with C in that width instead. This is cheaper (a
// 32-bit compare where the IR had a 64-bit one, as block pointers' bounds
// make), and it avoids a lavapipe (Mesa 22.3) miscompilation: there,
// `OpSLessThan(OpSConvert(x), 16)` on 64 bits was false for every x of a
// thread index (`offs.to(kl.int64) < 16` stored nothing).
//
// Signed predicates (and eq/ne) are exact on sign-extended values, unsigned
// ones (and eq/ne) on zero-extended values; other pairs are left alone.
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/emitter/KiteThreadToSPIRV.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;

/// The predicate with its operands swapped (a < b is b > a).
static arith::CmpIPredicate swapped(arith::CmpIPredicate p) {
  using P = arith::CmpIPredicate;
  switch (p) {
  case P::slt: return P::sgt;
  case P::sle: return P::sge;
  case P::sgt: return P::slt;
  case P::sge: return P::sle;
  case P::ult: return P::ugt;
  case P::ule: return P::uge;
  case P::ugt: return P::ult;
  case P::uge: return P::ule;
  default: return p; // eq, ne
  }
}

static bool isSigned(arith::CmpIPredicate p) {
  using P = arith::CmpIPredicate;
  return p == P::slt || p == P::sle || p == P::sgt || p == P::sge;
}

static bool isUnsigned(arith::CmpIPredicate p) {
  using P = arith::CmpIPredicate;
  return p == P::ult || p == P::ule || p == P::ugt || p == P::uge;
}

/// `value` narrowed to `width` bits if that loses nothing under the
/// extension (`sign`: sign extension), else none.
static std::optional<APInt> narrowed(const APInt &value, unsigned width,
                                     bool sign) {
  APInt small = value.trunc(width);
  APInt back = sign ? small.sext(value.getBitWidth())
                    : small.zext(value.getBitWidth());
  if (back != value)
    return std::nullopt;
  return small;
}

/// The narrow compare for `cmp` with the extended value on the left, or null.
static Value narrowCompare(OpBuilder &b, arith::CmpIOp cmp, Value extended,
                           Value constant, arith::CmpIPredicate predicate) {
  Operation *ext = extended.getDefiningOp();
  bool sign = isa_and_nonnull<arith::ExtSIOp>(ext);
  if (!sign && !isa_and_nonnull<arith::ExtUIOp>(ext))
    return {};
  bool equality = predicate == arith::CmpIPredicate::eq ||
                  predicate == arith::CmpIPredicate::ne;
  if (!equality && (sign ? !isSigned(predicate) : !isUnsigned(predicate)))
    return {};
  APInt value;
  if (!matchPattern(constant, m_ConstantInt(&value)))
    return {};
  Value narrow = ext->getOperand(0);
  auto narrowType = dyn_cast<IntegerType>(narrow.getType());
  if (!narrowType || narrowType.getWidth() == 1)
    return {};
  std::optional<APInt> small = narrowed(value, narrowType.getWidth(), sign);
  if (!small)
    return {};
  b.setInsertionPoint(cmp);
  Value c = arith::ConstantOp::create(
      b, cmp.getLoc(), b.getIntegerAttr(narrowType, *small));
  return arith::CmpIOp::create(b, cmp.getLoc(), predicate, narrow, c);
}

void mlir::kitespirv::narrowComparisons(ModuleOp module) {
  SmallVector<arith::CmpIOp> compares;
  module.walk([&](arith::CmpIOp cmp) {
    if (cmp.getLhs().getType().isIntOrIndex())
      compares.push_back(cmp);
  });
  OpBuilder b(module.getContext());
  for (arith::CmpIOp cmp : compares) {
    Value replacement = narrowCompare(b, cmp, cmp.getLhs(), cmp.getRhs(),
                                      cmp.getPredicate());
    if (!replacement)
      replacement = narrowCompare(b, cmp, cmp.getRhs(), cmp.getLhs(),
                                  swapped(cmp.getPredicate()));
    if (!replacement)
      continue;
    cmp.replaceAllUsesWith(replacement);
    cmp.erase();
  }
}
