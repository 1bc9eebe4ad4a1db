//===- AxisInfo.cpp - the forward propagation of axis facts ---------------===//
//
// A forward walk over each function in program order, visiting nested
// regions before their op's results. Loop-carried values start from their
// initial values and are joined with what the body yields; the walk repeats
// until nothing changes. The per-op rules are in AxisInfoRules.cpp.
//
//===----------------------------------------------------------------------===//
#include "lib/Analysis/AxisInfo.h"

#include "dialects/Kite/KiteOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::kite;

static unsigned getRankOf(Value value) {
  auto tensor = dyn_cast<RankedTensorType>(value.getType());
  return tensor && tensor.getRank() > 0 ? tensor.getRank() : 1;
}

int64_t mlir::kite::highestPowerOf2Divisor(int64_t value) {
  if (value == 0)
    return AxisInfo::kMaxDivisibility;
  uint64_t magnitude = value < 0 ? -uint64_t(value) : uint64_t(value);
  return std::min<int64_t>(int64_t(1) << llvm::countr_zero(magnitude),
                           AxisInfo::kMaxDivisibility);
}

AxisInfo AxisInfo::unknown(unsigned rank) {
  AxisInfo info;
  info.contiguity.assign(rank, 1);
  info.divisibility.assign(rank, 1);
  info.constancy.assign(rank, 1);
  return info;
}

AxisInfo AxisInfo::ofConstant(Type type, int64_t c) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  AxisInfo info =
      unknown(tensor && tensor.getRank() > 0 ? tensor.getRank() : 1);
  info.divisibility.assign(info.getRank(), highestPowerOf2Divisor(c));
  if (tensor)
    for (auto [d, size] : llvm::enumerate(tensor.getShape()))
      info.constancy[d] = size;
  info.constant = c;
  info.nonNegative = c >= 0;
  return info;
}

AxisInfo AxisInfo::join(const AxisInfo &a, const AxisInfo &b) {
  AxisInfo info = unknown(a.getRank());
  for (unsigned d = 0; d < a.getRank(); ++d) {
    info.contiguity[d] = std::gcd(a.contiguity[d], b.contiguity[d]);
    info.divisibility[d] = std::gcd(a.divisibility[d], b.divisibility[d]);
    info.constancy[d] = std::gcd(a.constancy[d], b.constancy[d]);
  }
  if (a.constant == b.constant)
    info.constant = a.constant;
  info.nonNegative = a.nonNegative && b.nonNegative;
  return info;
}

void AxisInfo::print(raw_ostream &os) const {
  auto list = [&](StringRef name, ArrayRef<int64_t> values) {
    os << name << " = [";
    llvm::interleaveComma(values, os);
    os << "]";
  };
  list("contiguity", contiguity);
  list(", divisibility", divisibility);
  list(", constancy", constancy);
  if (constant)
    os << ", constant = " << *constant;
  if (nonNegative && !constant)
    os << ", non-negative";
}

//===----------------------------------------------------------------------===//
// The walk
//===----------------------------------------------------------------------===//

/// Repeats of the walk before loop-carried values are given up on.
static constexpr int kMaxIterations = 16;

/// The value `cond` (a kite.assume's) says is non-negative: x >= c or
/// x > c - 1 with c >= 0, or the mirror images.
static Value getAssumedNonNegative(Value cond) {
  auto cmp = cond.getDefiningOp<arith::CmpIOp>();
  if (!cmp)
    return {};
  using P = arith::CmpIPredicate;
  APInt c;
  auto atLeast = [&](Value bound, int64_t least) {
    return matchPattern(bound, m_ConstantInt(&c)) && c.getSExtValue() >= least;
  };
  switch (cmp.getPredicate()) {
  case P::sge:
    return atLeast(cmp.getRhs(), 0) ? cmp.getLhs() : Value();
  case P::sgt:
    return atLeast(cmp.getRhs(), -1) ? cmp.getLhs() : Value();
  case P::sle:
    return atLeast(cmp.getLhs(), 0) ? cmp.getRhs() : Value();
  case P::slt:
    return atLeast(cmp.getLhs(), -1) ? cmp.getRhs() : Value();
  default:
    return {};
  }
}

AxisInfoAnalysis::AxisInfoAnalysis(Operation *root) {
  root->walk([&](AssumeOp assume) {
    if (Value value = getAssumedNonNegative(assume.getCond()))
      assumedNonNegative.insert(value);
  });
  root->walk([&](FunctionOpInterface func) {
    if (func.isExternal())
      return;
    for (BlockArgument arg : func.getArguments()) {
      AxisInfo info = AxisInfo::unknown(getRankOf(arg));
      if (auto div = func.getArgAttrOfType<IntegerAttr>(arg.getArgNumber(),
                                                        "kite.divisibility"))
        info.divisibility.assign(info.getRank(), div.getInt());
      info.nonNegative = assumedNonNegative.contains(arg);
      update(arg, info);
    }
    for (int i = 0; i < kMaxIterations; ++i) {
      changed = false;
      runOnRegion(func.getFunctionBody());
      if (!changed)
        return;
    }
    // Not settled: forget what loops carry, which is always sound.
    func.walk([&](Operation *op) {
      for (Region &region : op->getRegions())
        for (BlockArgument arg : region.getArguments())
          update(arg, AxisInfo::unknown(getRankOf(arg)));
      for (Value result : op->getResults())
        if (isa<scf::ForOp, scf::WhileOp>(op))
          update(result, AxisInfo::unknown(getRankOf(result)));
    });
  });
}

AxisInfo AxisInfoAnalysis::getAxisInfo(Value value) const {
  if (const AxisInfo *info = lookup(value))
    return *info;
  return AxisInfo::unknown(getRankOf(value));
}

const AxisInfo *AxisInfoAnalysis::lookup(Value value) const {
  auto it = infos.find(value);
  return it == infos.end() ? nullptr : &it->second;
}

bool AxisInfoAnalysis::update(Value value, const AxisInfo &info) {
  auto [it, inserted] = infos.try_emplace(value, info);
  if (!inserted && it->second == info)
    return false;
  it->second = info;
  changed = true;
  return true;
}

std::optional<AxisInfo>
AxisInfoAnalysis::joinKnown(ArrayRef<Value> values) const {
  std::optional<AxisInfo> result;
  for (Value value : values)
    if (const AxisInfo *info = lookup(value))
      result = result ? AxisInfo::join(*result, *info) : *info;
  return result;
}

void AxisInfoAnalysis::runOnRegion(Region &region) {
  for (Block &block : region)
    for (Operation &op : block)
      visitOperation(&op);
}

void AxisInfoAnalysis::visitOperation(Operation *op) {
  auto setJoin = [&](Value target, SmallVector<Value> sources) {
    std::optional<AxisInfo> info = joinKnown(sources);
    update(target, info ? *info : AxisInfo::unknown(getRankOf(target)));
  };
  if (auto loop = dyn_cast<scf::ForOp>(op)) {
    AxisInfo iv = AxisInfo::unknown(1);
    iv.divisibility[0] =
        std::gcd(getAxisInfo(loop.getLowerBound()).divisibility[0],
                 getAxisInfo(loop.getStep()).divisibility[0]);
    // Counting up from a non-negative start.
    iv.nonNegative = getAxisInfo(loop.getLowerBound()).nonNegative &&
                     getAxisInfo(loop.getStep()).nonNegative;
    update(loop.getInductionVar(), iv);
    auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
    for (auto [i, arg] : llvm::enumerate(loop.getRegionIterArgs()))
      setJoin(arg, {loop.getInitArgs()[i], yield.getOperand(i)});
    runOnRegion(loop.getRegion());
    for (auto [i, result] : llvm::enumerate(loop.getResults()))
      setJoin(result, {loop.getInitArgs()[i], yield.getOperand(i)});
    return;
  }
  if (auto loop = dyn_cast<scf::WhileOp>(op)) {
    scf::YieldOp yield = loop.getYieldOp();
    for (auto [i, arg] : llvm::enumerate(loop.getBeforeArguments()))
      setJoin(arg, {loop.getInits()[i], yield.getOperand(i)});
    runOnRegion(loop.getBefore());
    scf::ConditionOp condition = loop.getConditionOp();
    for (auto [i, arg] : llvm::enumerate(loop.getAfterArguments()))
      setJoin(arg, {condition.getArgs()[i]});
    runOnRegion(loop.getAfter());
    for (auto [i, result] : llvm::enumerate(loop.getResults()))
      setJoin(result, {condition.getArgs()[i]});
    return;
  }
  for (Region &region : op->getRegions()) {
    for (BlockArgument arg : region.getArguments())
      update(arg, AxisInfo::unknown(getRankOf(arg)));
    runOnRegion(region);
  }
  if (auto branch = dyn_cast<scf::IfOp>(op)) {
    for (auto [i, result] : llvm::enumerate(branch.getResults())) {
      SmallVector<Value> yielded;
      for (Region *region : {&branch.getThenRegion(), &branch.getElseRegion()})
        if (!region->empty())
          yielded.push_back(region->front().getTerminator()->getOperand(i));
      setJoin(result, yielded);
    }
    return;
  }
  for (auto [i, result] : llvm::enumerate(op->getResults())) {
    std::optional<AxisInfo> info = inferAxisInfo(
        op, i, [&](Value operand) { return getAxisInfo(operand); });
    AxisInfo facts = info ? *info : AxisInfo::unknown(getRankOf(result));
    // multiple_of / max_contiguous / max_constancy from the frontend.
    auto hint = [&](StringRef name, SmallVector<int64_t> &field) {
      if (auto values = op->getAttrOfType<DenseI32ArrayAttr>(name))
        for (auto [d, v] : llvm::enumerate(values.asArrayRef()))
          if (d < field.size())
            field[d] = v;
    };
    if (op->getNumResults() == 1) {
      hint("kite.divisibility", facts.divisibility);
      hint("kite.contiguity", facts.contiguity);
      hint("kite.constancy", facts.constancy);
    }
    facts.nonNegative |= assumedNonNegative.contains(result);
    update(result, facts);
  }
}
