//===- PointerProvenance.cpp - which argument an address comes from -------===//
//
// A forward walk over the kernel in program order, repeated until nothing
// changes (states only move up a lattice of height three, so a few rounds
// suffice). Loops and branches join what flows into their block arguments
// and results; unreached values stay Unset, which callers treat as Unknown.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/PointerProvenance.h"

#include "dialects/KiteThread/KiteThreadOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::kitegpu;

Provenance Provenance::join(Provenance a, Provenance b) {
  if (a.kind == Unset)
    return b;
  if (b.kind == Unset || a == b)
    return a;
  return unknown();
}

/// `a + b`: a pointer plus an integer stays in the pointer's argument.
static Provenance add(Provenance a, Provenance b) {
  if (a.kind == Provenance::Unset || b.kind == Provenance::Unset)
    return {};
  if (a.kind == Provenance::Integer)
    std::swap(a, b);
  if (b.kind != Provenance::Integer)
    return Provenance::unknown();
  return a; // Integer + Integer, or Argument + Integer
}

/// `a - b`: a pointer minus an integer; a difference of pointers is not an
/// offset Kite can vouch for.
static Provenance subtract(Provenance a, Provenance b) {
  if (a.kind == Provenance::Unset || b.kind == Provenance::Unset)
    return {};
  if (b.kind != Provenance::Integer)
    return Provenance::unknown();
  return a;
}

PointerProvenance::PointerProvenance(func::FuncOp kernel,
                                     ArrayRef<int32_t> pointerArgs)
    : pointerArgs(pointerArgs) {
  bool changed = true;
  while (changed) {
    changed = false;
    kernel.walk([&](Operation *op) { changed |= visit(op); });
  }
}

Provenance PointerProvenance::get(Value value) const {
  return state.lookup(value);
}

bool PointerProvenance::update(Value value, Provenance p) {
  Provenance &slot = state[value];
  Provenance joined = Provenance::join(slot, p);
  if (joined == slot)
    return false;
  slot = joined;
  return true;
}

std::optional<int32_t> PointerProvenance::getArgument(Value address) const {
  Provenance p = get(address);
  if (p.kind == Provenance::Argument)
    return p.argument;
  return std::nullopt;
}

bool PointerProvenance::visit(Operation *op) {
  bool changed = false;
  auto flow = [&](ValueRange to, ValueRange from) {
    for (auto [target, source] : llvm::zip(to, from))
      changed |= update(target, get(source));
  };
  if (auto loop = dyn_cast<scf::ForOp>(op)) {
    auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
    changed |= update(loop.getInductionVar(), Provenance::integer());
    for (ValueRange targets : {ValueRange(loop.getRegionIterArgs()),
                               ValueRange(loop.getResults())}) {
      flow(targets, loop.getInitArgs());
      flow(targets, yield.getOperands());
    }
    return changed;
  }
  if (auto loop = dyn_cast<scf::WhileOp>(op)) {
    ValueRange carried = loop.getConditionOp().getArgs();
    flow(loop.getBeforeArguments(), loop.getInits());
    flow(loop.getBeforeArguments(), loop.getYieldOp().getOperands());
    flow(loop.getAfterArguments(), carried);
    flow(loop.getResults(), carried);
    return changed;
  }
  if (auto branch = dyn_cast<scf::IfOp>(op)) {
    if (branch.getNumResults()) {
      flow(branch.getResults(), branch.thenYield().getOperands());
      flow(branch.getResults(), branch.elseYield().getOperands());
    }
    return changed;
  }
  if (op->getNumRegions()) { // anything else with regions: nothing known
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument arg : block.getArguments())
          changed |= update(arg, Provenance::unknown());
    for (Value result : op->getResults())
      changed |= update(result, Provenance::unknown());
    return changed;
  }
  if (op->getNumResults() == 0)
    return false;

  Provenance result;
  if (auto arg = dyn_cast<kitethread::KernelArgOp>(op)) {
    int32_t index = arg.getIndex();
    result = llvm::is_contained(pointerArgs, index) ? Provenance::of(index)
                                                    : Provenance::integer();
  } else if (isa<kitethread::LoadOp, kitethread::AtomicRMWOp,
                 kitethread::AtomicCASOp, memref::LoadOp>(op)) {
    // What memory holds derives from no argument: a pointer loaded from
    // memory is checked against every allocation instead.
    result = Provenance::integer();
  } else if (isa<arith::AddIOp>(op)) {
    result = add(get(op->getOperand(0)), get(op->getOperand(1)));
  } else if (isa<arith::SubIOp>(op)) {
    result = subtract(get(op->getOperand(0)), get(op->getOperand(1)));
  } else if (auto select = dyn_cast<arith::SelectOp>(op)) {
    Provenance t = get(select.getTrueValue()), f = get(select.getFalseValue());
    result = t.kind == Provenance::Unset || f.kind == Provenance::Unset
                 ? Provenance()
                 : Provenance::join(t, f);
  } else {
    // Any other computation: integers from integers; a pointer that goes
    // through it (multiplied, masked, compared) loses its argument.
    result = Provenance::integer();
    for (Value operand : op->getOperands()) {
      Provenance p = get(operand);
      if (p.kind == Provenance::Unset) {
        result = {};
        break;
      }
      if (p.kind != Provenance::Integer)
        result = Provenance::unknown();
    }
  }
  for (Value value : op->getResults())
    changed |= update(value, result);
  return changed;
}
