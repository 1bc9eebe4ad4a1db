//===- TmaToThreads.cpp - TMA copies and mbarriers to thread-level ops ----===//
//
// The software pipeliner's copies of host tensor descriptors on Hopper
// (docs/lowering.md, "TMA"). Thread 0 initialises the mbarriers (one per
// slot) and, for each copy, arrives on the slot's mbarrier expecting the
// tile's bytes and issues the boxes planTmaBoxes found for the slot's
// layout; every thread waits for the phase, which makes the slot visible
// to it (no barrier). A TMA store: every thread's writes to the buffer are
// fenced for the copy engine, then thread 0 issues the boxes and waits until
// they have read the buffer.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "dialects/KiteGPU/KiteGPUOps.h"
#include "dialects/KiteGPU/TmaBoxes.h"
#include "dialects/KiteGPU/WorkgroupStorage.h"
#include "dialects/KiteThread/KiteThreadOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::kitegpu;

namespace {
/// Builds the body of an `scf.if` on thread 0 (and `also`, where given).
template <typename Body>
void onThreadZero(OpBuilder &b, Location loc, Value also, Body body) {
  Value first = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                      emitThreadId(b, loc), createI32(b, loc, 0));
  if (also)
    first = arith::AndIOp::create(b, loc, first, also);
  auto ifOp = scf::IfOp::create(b, loc, first, /*withElseRegion=*/false);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  body();
}

struct InitBarriersToThreads : ThreadPattern<InitBarriersOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(InitBarriersOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value barriers = adaptor.getBarriers().front();
    int64_t count = op.getBarriers().getType().getShape()[0];
    onThreadZero(rewriter, loc, Value(), [&] {
      for (int64_t i = 0; i < count; ++i)
        kitethread::MbarrierInitOp::create(rewriter, loc, barriers,
                                           createI32(rewriter, loc, i),
                                           op.getCount());
    });
    // Initialised, for every thread, before any arrives or waits.
    rewriter.replaceOpWithNewOp<gpu::BarrierOp>(op);
    return success();
  }
};

struct InvalBarriersToThreads : ThreadPattern<InvalBarriersOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(InvalBarriersOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value barriers = adaptor.getBarriers().front();
    int64_t count = op.getBarriers().getType().getShape()[0];
    // Every thread has waited for its last phase.
    gpu::BarrierOp::create(rewriter, loc);
    onThreadZero(rewriter, loc, Value(), [&] {
      for (int64_t i = 0; i < count; ++i)
        kitethread::MbarrierInvalOp::create(rewriter, loc, barriers,
                                            createI32(rewriter, loc, i));
    });
    rewriter.eraseOp(op);
    return success();
  }
};

struct AsyncTmaCopyToThreads : ThreadPattern<AsyncTmaCopyOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(AsyncTmaCopyOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MemDescType type = op.getBuffer().getType();
    std::optional<TmaPlan> plan = getTmaPlan(type);
    if (!plan)
      return op.emitOpError("has no TMA boxes for its buffer's layout");
    int64_t slotElements = type.getShape()[1] * type.getShape()[2];
    int64_t bytes =
        slotElements * getWorkgroupElementBytes(type.getElementType());
    Value buffer = adaptor.getBuffer().front();
    Value barriers = adaptor.getBarriers().front();
    Value slot = adaptor.getSlot().front(), map = adaptor.getMap().front();
    // TMA's swizzles repeat every 1024 bytes from the buffer's start.
    if (!alignWorkgroupBuffer(buffer, 1024))
      return op.emitOpError("copies a buffer that is not an allocation");
    Value row = adaptor.getCoordinates()[0].front();
    Value column = adaptor.getCoordinates()[1].front();
    onThreadZero(rewriter, loc, adaptor.getActive().front(), [&] {
      IndexBuilder e{rewriter, loc};
      kitethread::MbarrierArriveExpectTxOp::create(rewriter, loc, barriers,
                                                   slot, bytes);
      Value start = e.mul(slot, slotElements);
      for (const TmaBox &box : plan->boxes) {
        // The coordinates wrap as TMA's do (boxes past the tensor read as
        // zeros, whatever their sign).
        Value c0 = arith::AddIOp::create(rewriter, loc, column,
                                         createI32(rewriter, loc, box.column));
        Value c1 = arith::AddIOp::create(rewriter, loc, row,
                                         createI32(rewriter, loc, box.row));
        kitethread::TmaLoadOp::create(rewriter, loc, map, ValueRange{c0, c1},
                                      buffer, e.add(start, box.sharedIndex),
                                      barriers, slot);
      }
    });
    rewriter.eraseOp(op);
    return success();
  }
};

struct AsyncTmaStoreToThreads : ThreadPattern<AsyncTmaStoreOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(AsyncTmaStoreOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    std::optional<TmaPlan> plan = getTmaPlan(op.getBuffer().getType());
    if (!plan)
      return op.emitOpError("has no TMA boxes for its buffer's layout");
    Value buffer = adaptor.getBuffer().front(), map = adaptor.getMap().front();
    // TMA's swizzles repeat every 1024 bytes from the buffer's start.
    if (!alignWorkgroupBuffer(buffer, 1024))
      return op.emitOpError("copies a buffer that is not an allocation");
    Value row = adaptor.getCoordinates()[0].front();
    Value column = adaptor.getCoordinates()[1].front();
    // Every thread's writes, visible to the copy engine, before thread 0
    // copies.
    kitethread::FenceAsyncSharedOp::create(rewriter, loc);
    gpu::BarrierOp::create(rewriter, loc);
    onThreadZero(rewriter, loc, Value(), [&] {
      for (const TmaBox &box : plan->boxes) {
        Value c0 = arith::AddIOp::create(rewriter, loc, column,
                                         createI32(rewriter, loc, box.column));
        Value c1 = arith::AddIOp::create(rewriter, loc, row,
                                         createI32(rewriter, loc, box.row));
        kitethread::TmaStoreOp::create(rewriter, loc, map, ValueRange{c0, c1},
                                       buffer,
                                       createI32(rewriter, loc, box.sharedIndex));
      }
      kitethread::BulkCommitGroupOp::create(rewriter, loc);
      kitethread::BulkWaitGroupReadOp::create(rewriter, loc, 0);
    });
    // The buffer is free again (for every thread) once the copies read it.
    rewriter.replaceOpWithNewOp<gpu::BarrierOp>(op);
    return success();
  }
};

struct WaitBarrierToThreads : ThreadPattern<WaitBarrierOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(WaitBarrierOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value barriers = adaptor.getBarriers().front();
    Value index = adaptor.getIndex().front();
    Value parity = adaptor.getParity().front();
    // try_wait until the phase has completed.
    auto loop = scf::WhileOp::create(rewriter, loc, TypeRange(), ValueRange());
    Block *before = rewriter.createBlock(&loop.getBefore());
    rewriter.setInsertionPointToStart(before);
    Value done = kitethread::MbarrierTryWaitOp::create(
        rewriter, loc, rewriter.getI1Type(), barriers, index, parity);
    Value pending = arith::XOrIOp::create(
        rewriter, loc, done,
        arith::ConstantOp::create(rewriter, loc, rewriter.getBoolAttr(true)));
    scf::ConditionOp::create(rewriter, loc, pending, ValueRange());
    Block *after = rewriter.createBlock(&loop.getAfter());
    rewriter.setInsertionPointToStart(after);
    scf::YieldOp::create(rewriter, loc);
    rewriter.eraseOp(op);
    return success();
  }
};
} // namespace

void mlir::kitegpu::populateTmaToThreads(const TypeConverter &converter,
                                         const ThreadGrid &grid,
                                         RewritePatternSet &patterns) {
  patterns.add<InitBarriersToThreads, InvalBarriersToThreads,
               AsyncTmaCopyToThreads, AsyncTmaStoreToThreads,
               WaitBarrierToThreads>(
      converter, patterns.getContext(), grid);
}
