//===- AtomicsToThreads.cpp - atomic_rmw and atomic_cas on threads --------===//
//
// Atomics happen once per element: copies held by replicated layouts are
// masked off, and a scalar atomic runs in thread 0 alone, which hands its
// result to the other threads through workgroup memory.
//
// Ordering (docs/language.md, "Atomics"). Each kitethread atomic keeps the
// op's `sem` and `scope`, which order the accesses of the thread that runs
// it. For a tensor atomic that is the thread owning the element, as in
// Triton. A scalar atomic stands for the whole program, so its ordering
// must cover every thread's accesses:
//  - release (release, acq_rel): a barrier that orders global memory comes
//    first, so that all threads' earlier loads and stores happen before
//    thread 0 releases (the unlock after a critical section's block stores);
//  - acquire (acquire, acq_rel): the barrier that hands the result out also
//    orders global memory, so that all threads' later accesses happen after
//    thread 0 acquires (the reads in a critical section, after the lock).
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "dialects/Kite/KiteOps.h"
#include "dialects/KiteThread/KiteThreadModule.h"
#include "dialects/KiteThread/KiteThreadOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::kitegpu;
using kite::MemScope;
using kite::MemSemantic;

namespace mlir::kitegpu {
void populateAtomicsToThreads(const TypeConverter &converter,
                              const ThreadGrid &grid,
                              RewritePatternSet &patterns);
} // namespace mlir::kitegpu

namespace {

bool releases(MemSemantic sem) {
  return sem == MemSemantic::Release || sem == MemSemantic::AcqRel;
}
bool acquires(MemSemantic sem) {
  return sem == MemSemantic::Acquire || sem == MemSemantic::AcqRel;
}

/// A barrier of the program's threads; with `globalScope`, it also orders
/// their global memory accesses at that scope (the emitters read the
/// attribute), otherwise workgroup memory only.
void emitBarrier(OpBuilder &b, Location loc,
                 std::optional<MemScope> globalScope) {
  auto barrier = gpu::BarrierOp::create(b, loc);
  if (globalScope)
    barrier->setAttr(kitethread::kGlobalMemoryBarrierAttr,
                     b.getStringAttr(kite::stringifyMemScope(*globalScope)));
}

/// The owner mask of each register of `type` (a scalar: thread 0) and'ed
/// with the op's mask.
SmallVector<Value> getAtomicMasks(OpBuilder &b, Location loc, Type type,
                                  ValueRange masks, const ThreadGrid &grid) {
  SmallVector<Value> owners;
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    owners = emitRegisterOwners(b, loc, tensor, grid);
  else
    owners.push_back(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                           emitThreadId(b, loc),
                                           createI32(b, loc, 0)));
  for (size_t i = 0; i < owners.size(); ++i) {
    Value mask = masks.empty() ? Value() : masks[i];
    if (owners[i] && mask)
      owners[i] = arith::AndIOp::create(b, loc, owners[i], mask);
    else if (!owners[i])
      owners[i] = mask;
  }
  return owners;
}

/// Thread 0's result of a scalar atomic, read by every thread from
/// workgroup memory; an acquire also orders global memory at the barrier.
Value broadcastFromThreadZero(OpBuilder &b, Location loc, Value value,
                              MemSemantic sem, MemScope scope) {
  Value buffer = allocWorkgroup(b, loc, value.getType(), 1);
  Value zero = createI32(b, loc, 0);
  Value isFirst = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                        emitThreadId(b, loc), zero);
  auto ifOp = scf::IfOp::create(b, loc, isFirst, /*withElseRegion=*/false);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    storeWorkgroup(b, loc, value.getType(), value, buffer, zero);
  }
  emitBarrier(b, loc, acquires(sem) ? std::optional(scope) : std::nullopt);
  Value result = loadWorkgroup(b, loc, value.getType(), buffer, zero);
  emitBarrier(b, loc, std::nullopt); // the buffer may be reused after this
  return result;
}

/// bf16 and fp8 registers are f32 (EmulatedFloats.cpp), but their memory
/// is 2 and 1 bytes: an f32 atomic there would write past the element.
LogicalResult checkAtomicElement(Operation *op, Type element) {
  if (!isEmulatedFloat(element))
    return success();
  return op->emitOpError()
         << "on " << element
         << " values does not lower to threads yet (atomics take 32- and "
            "64-bit values here: keep such sums in float32)";
}

/// Lowers a kite atomic of `type`: `emitAtomics` makes the per-register
/// atomics under their masks; a scalar atomic is ordered for the whole
/// program around them.
template <typename Op>
LogicalResult lowerAtomic(
    Op op, ValueRange masks, ConversionPatternRewriter &rewriter,
    const ThreadGrid &grid,
    function_ref<SmallVector<Value>(ArrayRef<Value> masks)> emitAtomics) {
  Location loc = op.getLoc();
  if (failed(checkAtomicElement(op, getElementTypeOrSelf(op.getType()))))
    return failure();
  bool scalar = !isa<RankedTensorType>(op.getType());
  MemSemantic sem = op.getSem();
  MemScope scope = op.getScope();
  if (scalar && releases(sem))
    emitBarrier(rewriter, loc, scope);
  SmallVector<Value> results =
      emitAtomics(getAtomicMasks(rewriter, loc, op.getType(), masks, grid));
  if (scalar)
    results[0] = broadcastFromThreadZero(rewriter, loc, results[0], sem, scope);
  rewriter.replaceOpWithMultiple(op, {results});
  return success();
}

struct AtomicRMWToThreads : ThreadPattern<kite::AtomicRMWOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(kite::AtomicRMWOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto emit = [&](ArrayRef<Value> masks) {
      SmallVector<Value> results;
      for (auto [ptr, val, mask] :
           llvm::zip_equal(adaptor.getPtr(), adaptor.getVal(), masks))
        results.push_back(kitethread::AtomicRMWOp::create(
            rewriter, op.getLoc(), val.getType(), op.getRmwOpAttr(), ptr, val,
            mask, op.getSemAttr(), op.getScopeAttr()));
      return results;
    };
    return lowerAtomic(op, adaptor.getMask(), rewriter, grid, emit);
  }
};

/// kitethread.atomic_cas has no mask: copies skip it in an scf.if.
struct AtomicCASToThreads : ThreadPattern<kite::AtomicCASOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(kite::AtomicCASOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto emit = [&](ArrayRef<Value> masks) {
      SmallVector<Value> results;
      ValueRange ptrs = adaptor.getPtr(), cmps = adaptor.getCmp(),
                 vals = adaptor.getVal();
      for (size_t i = 0; i < ptrs.size(); ++i) {
        Value val = vals[i], mask = masks[i];
        auto cas = [&] {
          return kitethread::AtomicCASOp::create(
              rewriter, loc, val.getType(), ptrs[i], cmps[i], val,
              op.getSemAttr(), op.getScopeAttr());
        };
        if (!mask) {
          results.push_back(cas());
          continue;
        }
        auto ifOp = scf::IfOp::create(rewriter, loc, TypeRange{val.getType()},
                                      mask, /*withElseRegion=*/true);
        rewriter.setInsertionPointToStart(ifOp.thenBlock());
        scf::YieldOp::create(rewriter, loc, cas().getResult());
        rewriter.setInsertionPointToStart(ifOp.elseBlock());
        Value zero = arith::ConstantOp::create(
            rewriter, loc, rewriter.getZeroAttr(val.getType()));
        scf::YieldOp::create(rewriter, loc, zero);
        rewriter.setInsertionPointAfter(ifOp);
        results.push_back(ifOp.getResult(0));
      }
      return results;
    };
    return lowerAtomic(op, ValueRange(), rewriter, grid, emit);
  }
};

} // namespace

void mlir::kitegpu::populateAtomicsToThreads(const TypeConverter &converter,
                                             const ThreadGrid &grid,
                                             RewritePatternSet &patterns) {
  patterns.add<AtomicRMWToThreads, AtomicCASToThreads>(
      converter, patterns.getContext(), grid);
}
