//===- SharedMemoryToThreads.cpp - buffers and asynchronous copies --------===//
//
// The ops of the software pipeliner (docs/lowering.md, "Software
// pipelining"): a `kitegpu.local_alloc` is one workgroup buffer; an
// `async_copy` is one `kitethread.async_copy` (cp.async) per vector of its
// pointers' layout, written where the buffer's swizzled layout puts those
// elements, or a load and a store where a vector is under 4 bytes; an
// `async_wait` is `cp.async.wait_group` and a barrier (the wait covers only
// the thread's own copies); a `local_load` reads each register's element,
// runs of them along the buffer's contiguous dimension as one vector.
// A dot that reads a local_load's slot in place (MmaDotToThreads.cpp)
// leaves that local_load's registers unused, and they are erased as dead.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "dialects/KiteGPU/KiteGPUOps.h"
#include "dialects/KiteGPU/SharedIndex.h"
#include "dialects/KiteThread/KiteThreadOps.h"
#include "dialects/KiteThread/WorkgroupBufferPlacement.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::kitegpu;

Value mlir::kitegpu::emitSharedIndex(OpBuilder &b, Location loc,
                                     SharedLayoutAttr layout,
                                     ArrayRef<int64_t> shape,
                                     ValueRange coords) {
  if (shape.size() == 1)
    return coords[0];
  unsigned fast = layout.getOrder()[0], slow = layout.getOrder()[1];
  IndexBuilder e{b, loc};
  return emitSharedIndex(e, layout, shape[slow], shape[fast], coords[slow],
                         coords[fast]);
}

Value mlir::kitegpu::emitSharedIndex(IndexBuilder &e, SharedLayoutAttr layout,
                                     int64_t numRows, int64_t rowLength,
                                     Value row, Value column) {
  return sharedIndex(e, layout, numRows, rowLength, row, column);
}

Value mlir::kitegpu::emitPlacedRow(IndexBuilder &e, Value row, int64_t warpsM) {
  return placedRow(e, row, warpsM);
}

bool mlir::kitegpu::alignWorkgroupBuffer(Value buffer, int64_t alignment) {
  Operation *root = buffer.getDefiningOp();
  while (auto cast = dyn_cast_or_null<memref::ReinterpretCastOp>(root))
    root = cast.getSource().getDefiningOp();
  auto alloc = dyn_cast_or_null<memref::AllocOp>(root);
  if (!alloc)
    return false;
  auto old = alloc->getAttrOfType<IntegerAttr>(kitethread::kAlignmentAttr);
  if (!old || old.getInt() < alignment)
    alloc->setAttr(kitethread::kAlignmentAttr,
                   Builder(alloc).getI64IntegerAttr(alignment));
  return true;
}

Value mlir::kitegpu::emitSlotView(OpBuilder &b, Location loc, Value buffer,
                                  MemDescType type, Value slot) {
  int64_t slotElements = 1;
  for (int64_t size : type.getShape().drop_front())
    slotElements *= size;
  Value offset = arith::IndexCastOp::create(
      b, loc, b.getIndexType(),
      arith::MulIOp::create(b, loc, slot, createI32(b, loc, slotElements)));
  auto bufferType = cast<MemRefType>(buffer.getType());
  auto viewType = MemRefType::get(
      {slotElements}, bufferType.getElementType(),
      StridedLayoutAttr::get(b.getContext(), ShapedType::kDynamic, {1}),
      bufferType.getMemorySpace());
  return memref::ReinterpretCastOp::create(
      b, loc, viewType, buffer, OpFoldResult(offset),
      ArrayRef<OpFoldResult>{b.getIndexAttr(slotElements)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
}

namespace {
struct LocalAllocToThreads : ThreadPattern<LocalAllocOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(LocalAllocOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    MemDescType type = op.getType();
    auto bufferType = cast<MemRefType>(getTypeConverter()->convertType(type));
    if (failed(checkWorkgroupBytes(
            op, getWorkgroupBytes(type.getElementType(),
                                  bufferType.getNumElements()),
            grid, "its buffer", "use fewer stages (num_stages) or smaller "
                                "blocks")))
      return failure();
    Location loc = op.getLoc();
    Value buffer = memref::AllocOp::create(rewriter, loc, bufferType);
    if (op.getSrc()) {
      RankedTensorType src = op.getSrc().getType();
      SharedLayoutAttr layout = type.getEncoding();
      ValueRange values = adaptor.getSrc();
      SmallVector<SmallVector<Value>> coords =
          emitRegisterCoords(rewriter, loc, src, grid);
      // Runs of a thread's registers along the buffer's contiguous
      // dimension, within one swizzled group, as one vector store each (as
      // local_load reads them).
      int64_t width = getRegisterRunWidth(src, layout.getVec(), grid,
                                          layout.getOrder()[0]);
      Type storage = bufferType.getElementType();
      for (size_t reg = 0; reg < values.size(); reg += width) {
        Value index = emitSharedIndex(rewriter, loc, layout, type.getShape(),
                                      coords[reg]);
        if (width == 1) {
          storeWorkgroup(rewriter, loc, src.getElementType(), values[reg],
                         buffer, index);
          continue;
        }
        SmallVector<Value> run;
        for (int64_t i = 0; i < width; ++i)
          run.push_back(toWorkgroupStorage(rewriter, loc, src.getElementType(),
                                           values[reg + i]));
        Value vector = vector::FromElementsOp::create(
            rewriter, loc, VectorType::get({width}, storage), run);
        vector::StoreOp::create(
            rewriter, loc, vector, buffer,
            ValueRange{arith::IndexCastOp::create(
                rewriter, loc, rewriter.getIndexType(), index)},
            /*nontemporal=*/false,
            llvm::MaybeAlign(width * getElementBytes(storage)));
      }
      gpu::BarrierOp::create(rewriter, loc);
    }
    rewriter.replaceOp(op, buffer);
    return success();
  }
};

struct LocalLoadToThreads : ThreadPattern<LocalLoadOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(LocalLoadOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MemDescType type = op.getSrc().getType();
    ArrayRef<int64_t> shape = type.getShape();
    Value buffer = adaptor.getSrc().front();
    if (op.getSlot()) {
      shape = shape.drop_front();
      buffer = emitSlotView(rewriter, loc, buffer, type,
                            adaptor.getSlot().front());
    }
    RankedTensorType result = op.getType();
    Type element = result.getElementType();
    SharedLayoutAttr layout = type.getEncoding();
    // Runs of a thread's registers along the buffer's contiguous dimension,
    // within one swizzled group, as one vector load each; bf16 and fp8 bits
    // decoded together after the last (two per instruction where the
    // target converts in hardware).
    int64_t width =
        getRegisterRunWidth(result, layout.getVec(), grid, layout.getOrder()[0]);
    SmallVector<SmallVector<Value>> coords =
        emitRegisterCoords(rewriter, loc, result, grid);
    if (width == 1) {
      rewriter.replaceOpWithMultiple(
          op, {loadWorkgroup(
                  rewriter, loc, element, buffer, coords.size(),
                  [&](size_t r) {
                    return emitSharedIndex(rewriter, loc, layout, shape,
                                           coords[r]);
                  },
                  grid)});
      return success();
    }
    Type storage = cast<MemRefType>(buffer.getType()).getElementType();
    auto vectorType = VectorType::get({width}, storage);
    SmallVector<Value> stored;
    for (size_t reg = 0; reg < coords.size(); reg += width) {
      Value index = emitSharedIndex(rewriter, loc, layout, shape, coords[reg]);
      Value vector = vector::LoadOp::create(
          rewriter, loc, vectorType, buffer,
          ValueRange{arith::IndexCastOp::create(
              rewriter, loc, rewriter.getIndexType(), index)},
          /*nontemporal=*/false,
          llvm::MaybeAlign(width * getElementBytes(storage)));
      for (int64_t i = 0; i < width; ++i)
        stored.push_back(vector::ExtractOp::create(rewriter, loc, vector, i));
    }
    SmallVector<Value> registers;
    if (isEmulatedFloat(element))
      registers = emitEmulatedToF32(rewriter, loc, stored, element, grid,
                                    getNaNBits(op));
    else
      for (Value value : stored)
        registers.push_back(fromWorkgroupStorage(rewriter, loc, element, value));
    rewriter.replaceOpWithMultiple(op, {registers});
    return success();
  }
};

struct AsyncCopyToThreads : ThreadPattern<AsyncCopyOp> {
  AsyncCopyToThreads(const TypeConverter &converter, MLIRContext *context,
                     const ThreadGrid &grid, const AccessWidths &widths)
      : ThreadPattern(converter, context, grid), widths(widths) {}

  LogicalResult
  matchAndRewrite(AsyncCopyOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MemDescType type = op.getBuffer().getType();
    ArrayRef<int64_t> shape = type.getShape().drop_front();
    Value buffer = emitSlotView(rewriter, loc, adaptor.getBuffer().front(),
                                type, adaptor.getSlot().front());
    Type storage = cast<MemRefType>(buffer.getType()).getElementType();
    int64_t elementBytes = getElementBytes(storage);
    ValueRange ptrs = adaptor.getPtrs(), masks = adaptor.getMask();
    auto found = widths.find(op);
    int64_t width = found == widths.end() ? 1 : found->second;
    int64_t bytes = width * elementBytes;
    // A copy stays inside one swizzled group of the buffer.
    if (bytes > type.getEncoding().getVec() * elementBytes)
      return op.emitOpError("copies vectors wider than its buffer's groups");
    SmallVector<SmallVector<Value>> coords =
        emitRegisterCoords(rewriter, loc, op.getPtrs().getType(), grid);
    for (size_t g = 0; g < ptrs.size(); g += width) {
      Value mask = masks.empty() ? Value() : masks[g];
      Value index = emitSharedIndex(rewriter, loc, type.getEncoding(), shape,
                                    coords[g]);
      if (bytes >= 4) {
        kitethread::AsyncCopyOp::create(rewriter, loc, ptrs[g], buffer, index,
                                        mask, bytes);
        continue;
      }
      // Under 4 bytes (a lone 8- or 16-bit element): cp.async has no such
      // size, so a load now and a store (still before the next wait).
      Value zero =
          arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(storage));
      Value value = kitethread::LoadOp::create(
          rewriter, loc, storage, ptrs[g], mask, mask ? zero : Value(),
          elementBytes);
      memref::StoreOp::create(
          rewriter, loc, value, buffer,
          arith::IndexCastOp::create(rewriter, loc, rewriter.getIndexType(),
                                     index)
              .getResult());
    }
    rewriter.eraseOp(op);
    return success();
  }

  const AccessWidths &widths;
};

struct AsyncCommitGroupToThreads : ThreadPattern<AsyncCommitGroupOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(AsyncCommitGroupOp op, OneToNOpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<kitethread::AsyncCommitGroupOp>(op);
    return success();
  }
};

struct AsyncWaitToThreads : ThreadPattern<AsyncWaitOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(AsyncWaitOp op, OneToNOpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    kitethread::AsyncWaitGroupOp::create(rewriter, loc, op.getPending());
    // Hopper: the copies, visible to wgmma's reads of the slots too.
    if (grid.warpgroupMma)
      kitethread::FenceAsyncSharedOp::create(rewriter, loc);
    // Every thread's copies, not only this thread's, before anyone reads.
    rewriter.replaceOpWithNewOp<gpu::BarrierOp>(op);
    return success();
  }
};
} // namespace

void mlir::kitegpu::populateSharedMemoryToThreads(
    const TypeConverter &converter, const ThreadGrid &grid,
    const AccessWidths &widths, RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<LocalAllocToThreads, LocalLoadToThreads,
               AsyncCommitGroupToThreads, AsyncWaitToThreads>(converter,
                                                              context, grid);
  patterns.add<AsyncCopyToThreads>(converter, context, grid, widths);
}
