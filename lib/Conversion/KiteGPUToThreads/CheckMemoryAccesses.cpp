//===- CheckMemoryAccesses.cpp - kitethread-check-memory-accesses ---------===//
//
// Checked addressing, written once for every target at the thread level:
// each global access gets `in bounds` joined to its mask and an assert that
// reports it. At this level a vector access is one op with one address, so
// the check costs a subtraction and a comparison per vector, not per
// element, and the vector widths chosen from AxisInfo stay as they are.
//
//   offset = address - begin             (wraps below begin: huge)
//   limit  = size >= bytes ? size - bytes + 1 : 0      (once per kernel)
//   ok     = offset <u limit
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/Passes.h"
#include "lib/Conversion/KiteGPUToThreads/PointerProvenance.h"

#include "dialects/KiteThread/KiteThreadModule.h"
#include "dialects/KiteThread/KiteThreadOps.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"

namespace mlir::kitegpu {
#define GEN_PASS_DEF_CHECKMEMORYACCESSES
#include "lib/Conversion/KiteGPUToThreads/Passes.h.inc"
} // namespace mlir::kitegpu

using namespace mlir;
using namespace mlir::kitegpu;
using kitethread::KiteThreadDialect;

namespace {

/// Bytes one access moves.
int64_t accessBytes(Type type) {
  int64_t count = 1;
  if (auto vector = dyn_cast<VectorType>(type)) {
    count = vector.getNumElements();
    type = vector.getElementType();
  }
  return count * std::max<int64_t>(1, type.getIntOrFloatBitWidth() / 8);
}

/// The argument's name, from the NameLoc the tracer gives each parameter.
std::string argumentName(func::FuncOp kernel, int32_t index) {
  std::string name;
  kernel.walk([&](kitethread::KernelArgOp arg) {
    if (arg.getIndex() != uint32_t(index))
      return WalkResult::advance();
    if (auto named = dyn_cast<NameLoc>(arg.getLoc()))
      name = named.getName().str();
    return WalkResult::interrupt();
  });
  return name.empty() ? "argument " + std::to_string(index) : name;
}

/// An access's mask (null if none), the type it moves and what it does.
struct Access {
  Value mask;
  Type type;
  const char *what;
};

Access describe(Operation *op) {
  if (auto load = dyn_cast<kitethread::LoadOp>(op))
    return {load.getMask(), load.getType(), "load from"};
  if (auto store = dyn_cast<kitethread::StoreOp>(op))
    return {store.getMask(), store.getValue().getType(), "store to"};
  if (auto rmw = dyn_cast<kitethread::AtomicRMWOp>(op))
    return {rmw.getMask(), rmw.getType(), "atomic on"};
  if (auto copy = dyn_cast<kitethread::AsyncCopyOp>(op)) {
    Type bytes = IntegerType::get(op->getContext(), 8);
    return {copy.getMask(), VectorType::get({copy.getBytes()}, bytes),
            "load from"};
  }
  return {Value(), cast<kitethread::AtomicCASOp>(op).getType(), "atomic on"};
}

/// Runs `op` only where `active`: its mask, or (a compare-and-swap, which
/// has none) an scf.if yielding 0 elsewhere.
void runOnlyWhere(OpBuilder &b, Operation *op, Value active) {
  Location loc = op->getLoc();
  if (auto load = dyn_cast<kitethread::LoadOp>(op))
    return load.getMaskMutable().assign(active);
  if (auto store = dyn_cast<kitethread::StoreOp>(op))
    return store.getMaskMutable().assign(active);
  if (auto rmw = dyn_cast<kitethread::AtomicRMWOp>(op))
    return rmw.getMaskMutable().assign(active);
  if (auto copy = dyn_cast<kitethread::AsyncCopyOp>(op))
    return copy.getMaskMutable().assign(active);
  Type type = op->getResult(0).getType();
  auto branch = scf::IfOp::create(b, loc, type, active,
                                  /*withElseRegion=*/true);
  b.setInsertionPointToStart(&branch.getThenRegion().front());
  scf::YieldOp::create(b, loc, b.clone(*op)->getResults());
  b.setInsertionPointToStart(&branch.getElseRegion().front());
  scf::YieldOp::create(
      b, loc,
      arith::ConstantOp::create(b, loc, b.getZeroAttr(type)).getResult());
  op->replaceAllUsesWith(branch.getResults());
  op->erase();
}

struct Checker {
  explicit Checker(OpBuilder &b) : b(b) {}

  OpBuilder &b;
  /// Per pointer argument index: its allocation's begin and size.
  DenseMap<int32_t, std::pair<Value, Value>> ranges;
  Value tableAddress;
  /// `limit` per (size value, access bytes), computed at the kernel's start.
  DenseMap<std::pair<Value, int64_t>, Value> limits;
  bool usesTable = false;

  Value i64(Location loc, int64_t v) {
    return arith::ConstantIntOp::create(b, loc, v, 64);
  }

  /// size >= bytes ? size - bytes + 1 : 0.
  Value limitOf(Value size, int64_t bytes, Location loc) {
    Value bytesValue = i64(loc, bytes);
    Value fits = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, size,
                                       bytesValue);
    Value room = arith::AddIOp::create(
        b, loc, arith::SubIOp::create(b, loc, size, bytesValue), i64(loc, 1));
    return arith::SelectOp::create(b, loc, fits, room, i64(loc, 0));
  }

  Value argumentLimit(int32_t argument, int64_t bytes) {
    Value size = ranges[argument].second;
    Value &limit = limits[{size, bytes}];
    if (!limit) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointAfterValue(size);
      limit = limitOf(size, bytes, size.getLoc());
    }
    return limit;
  }

  /// address - begin <u limit; `offset` is set to address - begin.
  Value inRange(Value address, Value begin, Value limit, Location loc,
                Value *offset = nullptr) {
    Value bytes = arith::SubIOp::create(b, loc, address, begin);
    if (offset)
      *offset = bytes;
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, bytes,
                                 limit);
  }

  /// Entry j of the table (8-byte words begin, end at table + 16 j).
  Value tableWord(Value entry, int64_t word, Location loc) {
    Value at = arith::AddIOp::create(
        b, loc, tableAddress,
        arith::AddIOp::create(
            b, loc, arith::MulIOp::create(b, loc, entry, i64(loc, 16)),
            i64(loc, 8 * word)));
    return kitethread::LoadOp::create(b, loc, b.getI64Type(), at, Value(),
                                      Value(), 8);
  }

  /// The last entry whose begin is <= address (binary search over the
  /// sorted table; entry 0 is [0, 0), so there is always one), and whether
  /// the access lies within it.
  Value inTable(Value address, Value count, int64_t bytes, Location loc) {
    usesTable = true;
    Type i64Type = b.getI64Type();
    auto loop = scf::WhileOp::create(b, loc, TypeRange{i64Type, i64Type},
                                     ValueRange{i64(loc, 1), count});
    {
      OpBuilder::InsertionGuard guard(b);
      Block *before =
          b.createBlock(&loop.getBefore(), {}, {i64Type, i64Type}, {loc, loc});
      Value lo = before->getArgument(0), hi = before->getArgument(1);
      Value more =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, lo, hi);
      scf::ConditionOp::create(b, loc, more, ValueRange{lo, hi});
      Block *after =
          b.createBlock(&loop.getAfter(), {}, {i64Type, i64Type}, {loc, loc});
      lo = after->getArgument(0), hi = after->getArgument(1);
      Value mid = arith::ShRUIOp::create(
          b, loc, arith::AddIOp::create(b, loc, lo, hi), i64(loc, 1));
      Value below = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule,
                                          tableWord(mid, 0, loc), address);
      Value next = arith::AddIOp::create(b, loc, mid, i64(loc, 1));
      scf::YieldOp::create(
          b, loc,
          ValueRange{arith::SelectOp::create(b, loc, below, next, lo),
                     arith::SelectOp::create(b, loc, below, hi, mid)});
    }
    Value entry = arith::SubIOp::create(b, loc, loop.getResult(0), i64(loc, 1));
    Value begin = tableWord(entry, 0, loc), end = tableWord(entry, 1, loc);
    Value size = arith::SubIOp::create(b, loc, end, begin);
    return inRange(address, begin, limitOf(size, bytes, loc), loc);
  }
};

struct CheckMemoryAccessesPass
    : kitegpu::impl::CheckMemoryAccessesBase<CheckMemoryAccessesPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<func::FuncOp> kernel =
        kitethread::getKernel(module, "memory-check");
    FailureOr<SmallVector<Type>> argTypes =
        kitethread::getLaunchArgTypes(module);
    if (failed(kernel) || failed(argTypes))
      return signalPassFailure();
    auto pointerArgs = module->getAttrOfType<DenseI32ArrayAttr>(
        KiteThreadDialect::getPointerArgsAttrName());
    if (!pointerArgs) {
      module.emitError() << "memory checks need '"
                         << KiteThreadDialect::getPointerArgsAttrName()
                         << "' (set by convert-kitegpu-to-threads)";
      return signalPassFailure();
    }
    SmallVector<Operation *> accesses;
    kernel->walk([&](Operation *op) {
      if (isa<kitethread::LoadOp, kitethread::StoreOp, kitethread::AtomicRMWOp,
              kitethread::AtomicCASOp, kitethread::AsyncCopyOp>(op))
        accesses.push_back(op);
    });
    PointerProvenance provenance(*kernel, pointerArgs.asArrayRef());

    // The hidden arguments: [begin, size] per pointer, then the table.
    OpBuilder b(module.getContext());
    b.setInsertionPointToStart(&kernel->getBody().front());
    SmallVector<Attribute> types;
    for (Type type : *argTypes)
      types.push_back(TypeAttr::get(type));
    auto hidden = [&]() {
      types.push_back(TypeAttr::get(b.getI64Type()));
      return kitethread::KernelArgOp::create(b, kernel->getLoc(),
                                             b.getI64Type(), types.size() - 1)
          .getResult();
    };
    Checker checker(b);
    for (int32_t index : pointerArgs.asArrayRef()) {
      Value begin = hidden();
      checker.ranges[index] = {begin, hidden()};
    }
    checker.tableAddress = hidden();
    Value tableCount = hidden();
    module->setAttr(KiteThreadDialect::getArgTypesAttrName(),
                    b.getArrayAttr(types));

    for (Operation *op : accesses) {
      Location loc = op->getLoc();
      b.setInsertionPoint(op);
      Value address = op->getOperand(0);
      Access access = describe(op);
      int64_t bytes = accessBytes(access.type);
      std::string message = "out-of-bounds " + std::string(access.what);
      // What the report carries: for an argument, the byte offset from its
      // allocation's begin (signed), its size and the element size; else
      // the address.
      SmallVector<Value> values;
      Value ok;
      if (std::optional<int32_t> argument = provenance.getArgument(address)) {
        auto [begin, size] = checker.ranges[*argument];
        Value offset;
        ok = checker.inRange(address, begin,
                             checker.argumentLimit(*argument, bytes), loc,
                             &offset);
        Type element = access.type;
        if (auto vector = dyn_cast<VectorType>(element))
          element = vector.getElementType();
        values = {
            offset, size,
            arith::ConstantIntOp::create(b, loc, accessBytes(element), 32)};
        message += " '" + argumentName(*kernel, *argument) + "'";
      } else {
        ok = checker.inTable(address, tableCount, bytes, loc);
        values = {address};
        message += " an address in no Kite allocation (a pointer not derived "
                   "from one argument)";
      }
      message += " in kernel '" + kernel->getSymName().str() + "'";
      // Report active accesses only: masked-off lanes may point anywhere.
      Value reported = ok, active = ok;
      if (access.mask) {
        Value inactive = arith::XOrIOp::create(
            b, loc, access.mask, arith::ConstantIntOp::create(b, loc, 1, 1));
        reported = arith::OrIOp::create(b, loc, inactive, ok);
        active = arith::AndIOp::create(b, loc, access.mask, ok);
      }
      auto check =
          kitethread::AssertOp::create(b, loc, reported, message, values);
      check->setAttr(kitethread::kMemoryCheckAttr, b.getUnitAttr());
      runOnlyWhere(b, op, active);
    }
    if (checker.usesTable)
      module->setAttr(KiteThreadDialect::getAllocationTableAttrName(),
                      b.getUnitAttr());
  }
};

} // namespace
