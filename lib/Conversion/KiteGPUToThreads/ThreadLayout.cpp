//===- ThreadLayout.cpp - registers and their coordinates -----------------===//
//
// A register's coordinate along dimension d is
//   (c_d(reg) + offset_d(thread)) mod S_d
// where c_d is its coordinate in thread 0 (getElementCoords with lane = warp
// = 0, a compile-time constant) and offset_d the thread's first coordinate
// in the tile; the mod replicates tensors smaller than the tile. All sizes
// are powers of two, so mod is a mask and only emitted where it can wrap.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "dialects/Kite/KiteDialect.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/Support/MathExtras.h"

#include <map>

using namespace mlir;
using namespace mlir::kitegpu;

Value mlir::kitegpu::createI32(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIntOp::create(b, loc, value, 32);
}

Value mlir::kitegpu::createIndex(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

int64_t mlir::kitegpu::getElementBytes(Type pointee) {
  if (isa<kite::PointerType>(pointee))
    return 8;
  return std::max<int64_t>(1, pointee.getIntOrFloatBitWidth() / 8);
}

Value mlir::kitegpu::emitThreadId(OpBuilder &b, Location loc) {
  Value tid = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
  return arith::IndexCastOp::create(b, loc, b.getI32Type(), tid);
}

/// Per dimension, the index of the calling thread's lane (or warp) when
/// `linear` is split over `counts` in `order`, fastest first.
static SmallVector<Value> splitIndex(OpBuilder &b, Location loc, Value linear,
                                     ArrayRef<unsigned> counts,
                                     ArrayRef<unsigned> order) {
  SmallVector<Value> indices(counts.size());
  unsigned shift = 0;
  for (unsigned d : order) {
    if (counts[d] == 1) {
      indices[d] = createI32(b, loc, 0);
      continue;
    }
    Value shifted = linear;
    if (shift)
      shifted =
          arith::ShRUIOp::create(b, loc, linear, createI32(b, loc, shift));
    indices[d] = arith::AndIOp::create(b, loc, shifted,
                                       createI32(b, loc, counts[d] - 1));
    shift += llvm::Log2_32(counts[d]);
  }
  return indices;
}

SmallVector<Value>
mlir::kitegpu::emitThreadOffsets(OpBuilder &b, Location loc,
                                 DistributedLayoutAttr layout,
                                 const ThreadGrid &grid) {
  if (auto slice = dyn_cast<SliceLayoutAttr>(layout)) {
    // Lanes and warps are split over the parent's dimensions.
    SmallVector<Value> offsets =
        emitThreadOffsets(b, loc, slice.getParent(), grid);
    offsets.erase(offsets.begin() + slice.getDim());
    return offsets;
  }
  Value tid = emitThreadId(b, loc);
  unsigned laneBits = llvm::Log2_32(grid.threadsPerWarp);
  Value lane = arith::AndIOp::create(
      b, loc, tid, createI32(b, loc, grid.threadsPerWarp - 1));
  Value warp = arith::ShRUIOp::create(b, loc, tid, createI32(b, loc, laneBits));
  SmallVector<unsigned> spt = layout.getSizePerThread(),
                        tpw = layout.getThreadsPerWarp(),
                        wpc = layout.getWarpsPerCTA(),
                        order = layout.getOrder();
  SmallVector<Value> lanes = splitIndex(b, loc, lane, tpw, order);
  SmallVector<Value> warps = splitIndex(b, loc, warp, wpc, order);
  SmallVector<Value> offsets;
  for (unsigned d = 0; d < layout.getRank(); ++d) {
    Value thread = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, warps[d], createI32(b, loc, tpw[d])),
        lanes[d]);
    offsets.push_back(
        arith::MulIOp::create(b, loc, thread, createI32(b, loc, spt[d])));
  }
  return offsets;
}

/// The largest first coordinate any thread has along each dimension.
static SmallVector<int64_t> getMaxThreadOffsets(DistributedLayoutAttr layout) {
  if (auto slice = dyn_cast<SliceLayoutAttr>(layout)) {
    SmallVector<int64_t> offsets = getMaxThreadOffsets(slice.getParent());
    offsets.erase(offsets.begin() + slice.getDim());
    return offsets;
  }
  SmallVector<int64_t> offsets;
  for (unsigned d = 0; d < layout.getRank(); ++d)
    offsets.push_back(int64_t(layout.getWarpsPerCTA()[d]) *
                          layout.getThreadsPerWarp()[d] *
                          layout.getSizePerThread()[d] -
                      layout.getSizePerThread()[d]);
  return offsets;
}

SmallVector<SmallVector<Value>> mlir::kitegpu::emitRegisterCoords(
    OpBuilder &b, Location loc, RankedTensorType type, const ThreadGrid &grid) {
  auto layout = getLayout(type);
  ArrayRef<int64_t> shape = type.getShape();
  SmallVector<Value> offsets = emitThreadOffsets(b, loc, layout, grid);
  SmallVector<int64_t> maxOffsets = getMaxThreadOffsets(layout);
  int64_t numRegs = layout.getTotalElemsPerThread(shape);
  SmallVector<SmallVector<Value>> coords;
  for (int64_t reg = 0; reg < numRegs; ++reg) {
    SmallVector<int64_t> first = layout.getElementCoords(shape, 0, 0, reg);
    SmallVector<Value> regCoords;
    for (unsigned d = 0; d < shape.size(); ++d) {
      Value coord = offsets[d];
      if (first[d])
        coord =
            arith::AddIOp::create(b, loc, coord, createI32(b, loc, first[d]));
      if (first[d] + maxOffsets[d] >= shape[d])
        coord = arith::AndIOp::create(b, loc, coord,
                                      createI32(b, loc, shape[d] - 1));
      regCoords.push_back(coord);
    }
    coords.push_back(std::move(regCoords));
  }
  return coords;
}

SmallVector<Value> mlir::kitegpu::emitRegisterOwners(OpBuilder &b, Location loc,
                                                     RankedTensorType type,
                                                     const ThreadGrid &grid) {
  auto layout = getLayout(type);
  ArrayRef<int64_t> shape = type.getShape();
  // Threads that differ only along a sliced dimension hold the same
  // elements: the one at the start of that dimension owns them.
  Value sliceOwner;
  if (auto slice = dyn_cast<SliceLayoutAttr>(layout)) {
    unsigned dim = slice.getDim();
    DistributedLayoutAttr parent = slice.getParent();
    if (parent.getThreadsPerWarp()[dim] * parent.getWarpsPerCTA()[dim] > 1) {
      Value offset = emitThreadOffsets(b, loc, parent, grid)[dim];
      sliceOwner = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                         offset, createI32(b, loc, 0));
    }
  }
  SmallVector<Value> offsets = emitThreadOffsets(b, loc, layout, grid);
  SmallVector<int64_t> maxOffsets = getMaxThreadOffsets(layout);
  int64_t numRegs = layout.getTotalElemsPerThread(shape);
  SmallVector<Value> owners;
  for (int64_t reg = 0; reg < numRegs; ++reg) {
    SmallVector<int64_t> first = layout.getElementCoords(shape, 0, 0, reg);
    Value owner = sliceOwner;
    for (unsigned d = 0; d < shape.size(); ++d) {
      if (first[d] + maxOffsets[d] < shape[d])
        continue;
      // A coordinate that wraps around (mod S) is a copy.
      Value unwrapped = arith::AddIOp::create(b, loc, offsets[d],
                                              createI32(b, loc, first[d]));
      Value inside =
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, unwrapped,
                                createI32(b, loc, shape[d]));
      owner = owner ? arith::AndIOp::create(b, loc, owner, inside).getResult()
                    : inside;
    }
    owners.push_back(owner);
  }
  return owners;
}

Value mlir::kitegpu::emitLinearIndex(OpBuilder &b, Location loc,
                                     ValueRange coords,
                                     ArrayRef<int64_t> shape) {
  Value index = createI32(b, loc, 0);
  int64_t stride = 1;
  for (int64_t d = shape.size() - 1; d >= 0; --d) {
    if (shape[d] > 1) {
      Value term = stride == 1
                       ? coords[d]
                       : arith::MulIOp::create(b, loc, coords[d],
                                               createI32(b, loc, stride))
                             .getResult();
      index = arith::AddIOp::create(b, loc, index, term);
    }
    stride *= shape[d];
  }
  return index;
}

ThreadCoords mlir::kitegpu::getThreadCoords(RankedTensorType type,
                                            const ThreadGrid &grid) {
  DistributedLayoutAttr layout = getLayout(type);
  ArrayRef<int64_t> shape = type.getShape();
  int64_t numRegs = layout.getTotalElemsPerThread(shape);
  ThreadCoords coords;
  for (unsigned warp = 0; warp < grid.numWarps; ++warp)
    for (unsigned lane = 0; lane < grid.threadsPerWarp; ++lane) {
      coords.emplace_back();
      for (int64_t reg = 0; reg < numRegs; ++reg)
        coords.back().push_back(layout.getElementCoords(shape, lane, warp, reg));
    }
  return coords;
}

FailureOr<SmallVector<unsigned>> mlir::kitegpu::mapRegisters(
    RankedTensorType src, RankedTensorType dst,
    function_ref<SmallVector<int64_t>(ArrayRef<int64_t>)> dstToSrc,
    const ThreadGrid &grid) {
  auto srcLayout = getLayout(src), dstLayout = getLayout(dst);
  int64_t srcRegs = srcLayout.getTotalElemsPerThread(src.getShape());
  int64_t dstRegs = dstLayout.getTotalElemsPerThread(dst.getShape());
  SmallVector<unsigned> mapping(dstRegs, 0);
  for (unsigned warp = 0; warp < grid.numWarps; ++warp) {
    for (unsigned lane = 0; lane < grid.threadsPerWarp; ++lane) {
      std::map<SmallVector<int64_t>, unsigned> held;
      for (int64_t reg = srcRegs - 1; reg >= 0; --reg)
        held[srcLayout.getElementCoords(src.getShape(), lane, warp, reg)] = reg;
      for (int64_t reg = 0; reg < dstRegs; ++reg) {
        auto it = held.find(dstToSrc(
            dstLayout.getElementCoords(dst.getShape(), lane, warp, reg)));
        if (it == held.end())
          return failure();
        if (warp == 0 && lane == 0)
          mapping[reg] = it->second;
        else if (mapping[reg] != it->second)
          return failure();
      }
    }
  }
  return mapping;
}

SmallVector<Value> mlir::kitegpu::emitCombine(OpBuilder &b, Location loc,
                                              Region &combine, ValueRange acc,
                                              ValueRange cur) {
  Block &body = combine.front();
  IRMapping mapping;
  for (auto [arg, value] :
       llvm::zip(body.getArguments(), llvm::concat<const Value>(acc, cur)))
    mapping.map(arg, value);
  for (Operation &op : body.without_terminator()) {
    Operation *clone = b.clone(op, mapping);
    // bf16 and fp8 are computed in f32 registers and rounded
    // (EmulatedFloats.cpp): the operands already are f32, so is the result.
    for (auto [result, cloned] :
         llvm::zip_equal(op.getResults(), clone->getResults())) {
      if (!isEmulatedFloat(result.getType()))
        continue;
      if (auto constant = dyn_cast<arith::ConstantOp>(clone)) {
        auto value = cast<FloatAttr>(constant.getValue());
        mapping.map(result, arith::ConstantOp::create(
                                b, loc, b.getF32FloatAttr(
                                            value.getValueAsDouble()))
                                .getResult());
        continue;
      }
      cloned.setType(b.getF32Type());
      mapping.map(result,
                  emitRoundToEmulated(b, loc, cloned, result.getType()));
    }
  }
  SmallVector<Value> results;
  for (Value v : body.getTerminator()->getOperands())
    results.push_back(mapping.lookupOrDefault(v));
  return results;
}

Value mlir::kitegpu::emitShuffleXor(OpBuilder &b, Location loc, Value value,
                                    int64_t offset, unsigned width) {
  Type type = value.getType();
  if (type.isInteger(1))
    value = arith::ExtUIOp::create(b, loc, b.getI32Type(), value);
  Value shuffled =
      gpu::ShuffleOp::create(b, loc, value, createI32(b, loc, offset),
                             createI32(b, loc, width), gpu::ShuffleMode::XOR)
          .getShuffleResult();
  if (type.isInteger(1))
    shuffled = arith::TruncIOp::create(b, loc, type, shuffled);
  return shuffled;
}

SmallVector<int64_t> mlir::kitegpu::delinearize(int64_t linear,
                                                ArrayRef<int64_t> counts,
                                                ArrayRef<unsigned> order) {
  SmallVector<int64_t> indices(counts.size(), 0);
  for (unsigned d : order) {
    indices[d] = linear % counts[d];
    linear /= counts[d];
  }
  return indices;
}

int64_t mlir::kitegpu::linearize(ArrayRef<int64_t> indices,
                                 ArrayRef<int64_t> counts,
                                 ArrayRef<unsigned> order) {
  int64_t linear = 0, stride = 1;
  for (unsigned d : order) {
    linear += indices[d] * stride;
    stride *= counts[d];
  }
  return linear;
}

int64_t mlir::kitegpu::getRegisterRunWidth(RankedTensorType type, int64_t vec,
                                           const ThreadGrid &grid,
                                           unsigned dim) {
  auto layout = dyn_cast<BlockedLayoutAttr>(type.getEncoding());
  if (!layout || layout.getOrder_()[0] != dim)
    return 1;
  int64_t width = std::min<int64_t>(layout.getSizePerThread_()[dim], vec);
  int64_t numRegs = layout.getTotalElemsPerThread(type.getShape());
  if (width <= 1 || numRegs % width)
    return 1;
  for (ArrayRef<SmallVector<int64_t>> coords : getThreadCoords(type, grid))
    for (int64_t reg = 0; reg < numRegs; reg += width) {
      ArrayRef<int64_t> first = coords[reg];
      if (first[dim] % width)
        return 1;
      for (int64_t i = 1; i < width; ++i) {
        SmallVector<int64_t> next(first);
        next[dim] += i;
        if (coords[reg + i] != next)
          return 1;
      }
    }
  return width;
}
