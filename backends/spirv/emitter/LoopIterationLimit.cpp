//===- LoopIterationLimit.cpp - report loops a driver cut short ----------===//
//
// lavapipe (Mesa's llvmpipe, the Vulkan device of machines without a GPU)
// gives each shader invocation a budget of 65,535 loop back-edges, shared by
// all of its loops, and silently leaves whatever loop is running when the
// budget is spent (gallivm's "loop limiter"). Nesting a loop does not help:
// inner and outer back-edges draw on the same budget (measured: two loops of
// 40,000 trips ran 40,000 and 25,534; 300 x 300 nested ran 65,101).
//
// So where a kernel's loops may need more than the budget, the kernel ends
// with a probe: a loop of two iterations whose count the driver cannot
// fold, which runs only one once the budget is spent; a
// `kitethread.assert` (lowered to the debug buffer) then fails, and the
// launch raises `kite.KernelRuntimeError` instead of returning results of a
// loop cut short. (A flag computed from a loop's own exit condition does not
// work: the driver's compiler proves it true at the loop's only exit.) A
// kernel whose loops provably stay within the budget (constant trip counts)
// is left alone. A kernel that needed exactly the whole budget is reported
// too: the driver stops before the condition that would have ended it.
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/emitter/Passes.h"
#include "dialects/KiteThread/KiteThreadOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace mlir::kitespirv {
#define GEN_PASS_DEF_CHECKLOOPITERATIONLIMIT
#include "backends/spirv/emitter/Passes.h.inc"
} // namespace mlir::kitespirv

using namespace mlir;

/// The number of back-edges `op`'s loops take at most (saturating), when
/// every loop has a constant trip count; nullopt otherwise.
static std::optional<uint64_t> backEdgeBound(Operation *op) {
  uint64_t total = 0;
  auto add = [](uint64_t a, uint64_t b) {
    return a + b < a ? UINT64_MAX : a + b;
  };
  auto mul = [](uint64_t a, uint64_t b) {
    return b && a > UINT64_MAX / b ? UINT64_MAX : a * b;
  };
  for (Region &region : op->getRegions())
    for (Operation &nested : region.getOps()) {
      std::optional<uint64_t> inner = backEdgeBound(&nested);
      if (!inner)
        return std::nullopt;
      if (isa<scf::WhileOp>(nested))
        return std::nullopt;
      if (auto loop = dyn_cast<scf::ForOp>(nested)) {
        std::optional<APInt> trips = constantTripCount(
            loop.getLowerBound(), loop.getUpperBound(), loop.getStep(),
            /*isSigned=*/!loop.getUnsignedCmp(), scf::computeUbMinusLb);
        if (!trips)
          return std::nullopt;
        uint64_t n = trips->getLimitedValue();
        // Each iteration is one back-edge plus its body's.
        total = add(total, mul(n, add(1, *inner)));
      } else {
        total = add(total, *inner);
      }
    }
  return total;
}

/// At the end of `fn`: a loop of two iterations whose count the driver's
/// compiler cannot see (1 + min(num_programs, 1)); it runs one iteration
/// only when the budget is spent, and the assert after it then fails.
static void appendBudgetProbe(func::FuncOp fn, uint32_t limit) {
  Block &body = fn.getBody().back();
  OpBuilder b = OpBuilder::atBlockTerminator(&body);
  Location loc = fn.getLoc();
  Type i32 = b.getI32Type();
  Value zero = arith::ConstantIntOp::create(b, loc, i32, 0);
  Value one = arith::ConstantIntOp::create(b, loc, i32, 1);
  Value programs =
      kitethread::NumProgramsOp::create(b, loc, i32, b.getI32IntegerAttr(0));
  Value trips = arith::AddIOp::create(
      b, loc, arith::MinUIOp::create(b, loc, programs, one), one);
  auto probe = scf::WhileOp::create(b, loc, TypeRange{i32}, ValueRange{zero});
  Block *before = b.createBlock(&probe.getBefore(), {}, {i32}, {loc});
  Value more = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                     before->getArgument(0), trips);
  scf::ConditionOp::create(b, loc, more, before->getArguments());
  Block *after = b.createBlock(&probe.getAfter(), {}, {i32}, {loc});
  scf::YieldOp::create(
      b, loc,
      ValueRange{arith::AddIOp::create(b, loc, after->getArgument(0), one)});
  b.setInsertionPointAfter(probe);
  Value complete = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                         probe.getResult(0), trips);
  auto check = kitethread::AssertOp::create(
      b, loc, complete,
      "the Vulkan driver stopped a loop of this kernel: lavapipe (Mesa "
      "llvmpipe) leaves every loop once a kernel's loops together have "
      "taken " +
          std::to_string(limit) +
          " iterations per thread, so its results would be wrong");
  check->setAttr("kitespirv.driver-limit", b.getUnitAttr());
}

namespace {
struct CheckLoopIterationLimitPass
    : kitespirv::impl::CheckLoopIterationLimitBase<
          CheckLoopIterationLimitPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp fn = getOperation();
    if (limit == 0)
      return;
    std::optional<uint64_t> bound = backEdgeBound(fn);
    if (bound && *bound < limit)
      return;
    if (!llvm::hasSingleElement(fn.getBody()))
      return; // structured control flow has one block
    appendBudgetProbe(fn, limit);
  }
};
} // namespace
