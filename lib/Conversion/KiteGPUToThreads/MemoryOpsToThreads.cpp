//===- MemoryOpsToThreads.cpp - loads, stores and atomics -----------------===//
//
// A load or store becomes one kitethread access per register, or one vector
// access per group of registers that are consecutive along the layout's
// fastest dimension, where AxisInfo proved the pointers contiguous and
// aligned to the whole vector and the mask constant over it. Vectors are at
// most 4 elements and 16 bytes (what every target's vector accesses take).
// Atomics are in AtomicsToThreads.cpp.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "dialects/Kite/KiteOps.h"
#include "dialects/KiteGPU/KiteGPUOps.h"
#include "dialects/KiteThread/KiteThreadOps.h"
#include "lib/Analysis/AxisInfo.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::kitegpu;

namespace mlir::kitegpu {
AccessWidths planAccessWidths(ModuleOp module, int64_t maxVectorElements);
void populateAtomicsToThreads(const TypeConverter &converter,
                              const ThreadGrid &grid,
                              RewritePatternSet &patterns);
} // namespace mlir::kitegpu

static constexpr int64_t kMaxVectorBytes = 16;

/// Whether registers come in groups of `width` consecutive elements along
/// `dim` (the same in every thread: offsets are added per dimension).
static bool hasConsecutiveGroups(DistributedLayoutAttr layout,
                                 ArrayRef<int64_t> shape, unsigned dim,
                                 int64_t width) {
  int64_t numRegs = layout.getTotalElemsPerThread(shape);
  SmallVector<int64_t> previous;
  for (int64_t reg = 0; reg < numRegs; ++reg) {
    SmallVector<int64_t> coords = layout.getElementCoords(shape, 0, 0, reg);
    if (reg % width) {
      previous[dim] += 1;
      if (coords != previous)
        return false;
    }
    previous = coords;
  }
  return true;
}

/// Elements per access of a load/store through `ptr` under `mask`.
static int64_t planWidth(Value ptr, Value mask,
                         const kite::AxisInfoAnalysis &axis,
                         int64_t maxVectorElements) {
  auto type = dyn_cast<RankedTensorType>(ptr.getType());
  if (!type)
    return 1;
  DistributedLayoutAttr layout = getLayout(type);
  Type pointee =
      cast<kite::PointerType>(type.getElementType()).getPointeeType();
  if (!pointee.isIntOrFloat() || pointee.isInteger(1))
    return 1;
  int64_t bytes = getElementBytes(pointee);
  unsigned dim = layout.getOrder()[0];
  kite::AxisInfo info = axis.getAxisInfo(ptr);
  int64_t width = std::min({int64_t(layout.getSizePerThread()[dim]),
                            info.contiguity[dim], maxVectorElements,
                            kMaxVectorBytes / bytes, type.getDimSize(dim)});
  if (mask)
    width = std::min(width, axis.getAxisInfo(mask).constancy[dim]);
  while (width > 1 && info.divisibility[dim] % (width * bytes))
    width /= 2;
  // Vector accesses move 32, 64 or 128 bits: two i8 are two scalar accesses.
  if (width * bytes < 4)
    return 1;
  if (width > 1 && !hasConsecutiveGroups(layout, type.getShape(), dim, width))
    return 1;
  return std::max<int64_t>(width, 1);
}

AccessWidths mlir::kitegpu::planAccessWidths(ModuleOp module,
                                             int64_t maxVectorElements) {
  AccessWidths widths;
  kite::AxisInfoAnalysis axis(module);
  module.walk([&](Operation *op) {
    int64_t width = 1;
    if (auto load = dyn_cast<kite::LoadOp>(op))
      width = planWidth(load.getPtr(), load.getMask(), axis, maxVectorElements);
    else if (auto store = dyn_cast<kite::StoreOp>(op))
      width =
          planWidth(store.getPtr(), store.getMask(), axis, maxVectorElements);
    else if (auto copy = dyn_cast<AsyncCopyOp>(op))
      width = planWidth(copy.getPtrs(), copy.getMask(), axis, maxVectorElements);
    if (width > 1)
      widths[op] = width;
  });
  return widths;
}

AccessWidths mlir::kitegpu::planConstantGroups(ModuleOp module) {
  AccessWidths groups;
  kite::AxisInfoAnalysis axis(module);
  module.walk([&](Operation *op) {
    if (!isa<arith::ArithDialect>(op->getDialect()) ||
        !OpTrait::hasElementwiseMappableTraits(op) || op->getNumResults() != 1)
      return;
    auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
    if (!type || !type.getElementType().isInteger(1))
      return;
    DistributedLayoutAttr layout = getLayout(type);
    if (!layout)
      return;
    unsigned dim = layout.getOrder()[0];
    int64_t constancy = axis.getAxisInfo(op->getResult(0)).constancy[dim];
    int64_t perThread = layout.getSizePerThread()[dim];
    int64_t width = std::min({constancy, perThread, type.getDimSize(dim)});
    // Groups start at multiples of the width within a thread's run of
    // sizePerThread elements, which starts at a multiple of it: a width
    // dividing both the constancy and the run stays in one constant block.
    while (width > 1 && (constancy % width || perThread % width))
      width /= 2;
    if (width > 1 && hasConsecutiveGroups(layout, type.getShape(), dim, width))
      groups[op] = width;
  });
  return groups;
}

namespace {

struct MemoryPattern {
  explicit MemoryPattern(const AccessWidths &widths) : widths(widths) {}
  unsigned getWidth(Operation *op) const {
    auto it = widths.find(op);
    return it == widths.end() ? 1 : it->second;
  }
  const AccessWidths &widths;
};

int64_t getPointeeBytes(Value ptr) {
  return getElementBytes(
      cast<kite::PointerType>(getElementTypeOrSelf(ptr.getType()))
          .getPointeeType());
}

struct LoadToThreads : OpConversionPattern<kite::LoadOp>, MemoryPattern {
  LoadToThreads(const TypeConverter &converter, MLIRContext *context,
                const AccessWidths &widths, const ThreadGrid &grid)
      : OpConversionPattern(converter, context), MemoryPattern(widths),
        grid(grid) {}
  /// Whose target may decode fp8 in hardware.
  ThreadGrid grid;
  LogicalResult
  matchAndRewrite(kite::LoadOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type element =
        getTypeConverter()->convertType(getElementTypeOrSelf(op.getType()));
    ValueRange ptrs = adaptor.getPtr(), masks = adaptor.getMask(),
               others = adaptor.getOther();
    int64_t width = getWidth(op), bytes = getPointeeBytes(op.getPtr());
    // bf16 and fp8 are loaded as their bits and widened to the f32 register.
    Type emulated = getElementTypeOrSelf(op.getType());
    bool isEmulated = isEmulatedFloat(emulated);
    SmallVector<Value> results;
    for (size_t g = 0; g < ptrs.size(); g += width) {
      Value mask = masks.empty() ? Value() : masks[g];
      if (width == 1) {
        Value other = others.empty() ? Value() : others[g];
        if (element.isInteger(1)) {
          // Booleans live in memory as i8 (kitethread.load takes no i1).
          Type i8 = rewriter.getI8Type();
          if (other)
            other = arith::ExtUIOp::create(rewriter, loc, i8, other);
          Value byte = kitethread::LoadOp::create(rewriter, loc, i8, ptrs[g],
                                                  mask, other, bytes);
          results.push_back(arith::CmpIOp::create(
              rewriter, loc, arith::CmpIPredicate::ne, byte,
              arith::ConstantIntOp::create(rewriter, loc, 0, 8)));
          continue;
        }
        if (isEmulated) { // decoded below, all registers together
          if (other)
            other = emitEmulatedBits(rewriter, loc, other, emulated);
          results.push_back(kitethread::LoadOp::create(
              rewriter, loc, getEmulatedBitsType(emulated), ptrs[g], mask,
              other, bytes));
          continue;
        }
        results.push_back(kitethread::LoadOp::create(
            rewriter, loc, element, ptrs[g], mask, other, bytes));
        continue;
      }
      Type memElement = isEmulated ? getEmulatedBitsType(emulated) : element;
      auto vectorType = VectorType::get({width}, memElement);
      Value other;
      if (!others.empty()) {
        SmallVector<Value> elements(others.slice(g, width));
        if (isEmulated)
          elements = emitEmulatedBits(rewriter, loc, elements, emulated, grid);
        other = vector::FromElementsOp::create(rewriter, loc, vectorType,
                                               elements);
      }
      Value vector = kitethread::LoadOp::create(
          rewriter, loc, vectorType, ptrs[g], mask, other, width * bytes);
      for (int64_t j = 0; j < width; ++j)
        results.push_back(vector::ExtractOp::create(rewriter, loc, vector, j));
    }
    // bf16 and fp8 bits widened to their f32 registers, two per instruction
    // where the target decodes in hardware.
    if (isEmulated)
      results = emitEmulatedToF32(rewriter, loc, results, emulated, grid,
                                  getNaNBits(op));
    rewriter.replaceOpWithMultiple(op, {results});
    return success();
  }
};

/// Stores happen once per element: the copies of replicated layouts (and all
/// threads but thread 0 for a scalar) are masked off, since they need not
/// hold the same value (an atomic's old value is returned to its owner only)
/// and a load-modify-store by several threads would race.
struct StoreToThreads : OpConversionPattern<kite::StoreOp>, MemoryPattern {
  StoreToThreads(const TypeConverter &converter, MLIRContext *context,
                 const AccessWidths &widths, const ThreadGrid &grid)
      : OpConversionPattern(converter, context), MemoryPattern(widths),
        grid(grid) {}
  LogicalResult
  matchAndRewrite(kite::StoreOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    ValueRange ptrs = adaptor.getPtr(), values = adaptor.getValue(),
               masks = adaptor.getMask();
    SmallVector<Value> owners;
    if (auto tensor = dyn_cast<RankedTensorType>(op.getPtr().getType()))
      owners = emitRegisterOwners(rewriter, loc, tensor, grid);
    else // a scalar store: thread 0 makes it, so a load-modify-store cannot race
      owners.push_back(arith::CmpIOp::create(rewriter, loc,
                                             arith::CmpIPredicate::eq,
                                             emitThreadId(rewriter, loc),
                                             createI32(rewriter, loc, 0)));
    int64_t width = getWidth(op), bytes = getPointeeBytes(op.getPtr());
    Type emulated = getElementTypeOrSelf(op.getValue().getType());
    // bf16, fp8 registers are f32: their rounded bits, all together.
    SmallVector<Value> encoded;
    if (isEmulatedFloat(emulated))
      encoded = emitEmulatedBits(rewriter, loc, values, emulated, grid);
    for (size_t g = 0; g < ptrs.size(); g += width) {
      Value mask = masks.empty() ? Value() : masks[g];
      if (g < owners.size() && owners[g])
        mask = mask ? arith::AndIOp::create(rewriter, loc, owners[g], mask)
                          .getResult()
                    : owners[g];
      SmallVector<Value> group(
          (encoded.empty() ? values : ValueRange(encoded)).slice(g, width));
      for (Value &value : group)
        if (value.getType().isInteger(1)) // booleans are stored as i8
          value = arith::ExtUIOp::create(rewriter, loc, rewriter.getI8Type(),
                                         value);
      Value value = group[0];
      if (width > 1)
        value = vector::FromElementsOp::create(
            rewriter, loc, VectorType::get({width}, value.getType()), group);
      kitethread::StoreOp::create(rewriter, loc, ptrs[g], value, mask,
                                  width * bytes);
    }
    rewriter.eraseOp(op);
    return success();
  }
  ThreadGrid grid;
};

} // namespace

void mlir::kitegpu::populateMemoryOpsToThreads(const TypeConverter &converter,
                                               const ThreadGrid &grid,
                                               const AccessWidths &widths,
                                               RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<LoadToThreads>(converter, context, widths, grid);
  patterns.add<StoreToThreads>(converter, context, widths, grid);
  populateAtomicsToThreads(converter, grid, patterns);
}
