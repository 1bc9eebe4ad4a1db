//===- KiteGPULayouts.cpp - which thread and register hold which element --===//
//
// Registers of a thread form a grid with getElemsPerThread(shape) entries per
// dimension, linearized in the layout's order (order[0] fastest). Along a
// blocked dimension, register index r is repetition r / sizePerThread of the
// tile, element r % sizePerThread within it; so a thread's sizePerThread
// elements along order[0] are consecutive registers (one vector access).
//
//===----------------------------------------------------------------------===//
#include "dialects/KiteGPU/KiteGPUDialect.h"

#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::kitegpu;

/// Per-dimension indices of `linear` in a grid of `counts`, order[0] fastest.
static SmallVector<int64_t> delinearize(int64_t linear,
                                        ArrayRef<int64_t> counts,
                                        ArrayRef<unsigned> order) {
  SmallVector<int64_t> indices(counts.size(), 0);
  for (unsigned dim : order) {
    indices[dim] = linear % counts[dim];
    linear /= counts[dim];
  }
  return indices;
}

static int64_t linearize(ArrayRef<int64_t> indices, ArrayRef<int64_t> counts,
                         ArrayRef<unsigned> order) {
  int64_t linear = 0, stride = 1;
  for (unsigned dim : order) {
    linear += indices[dim] * stride;
    stride *= counts[dim];
  }
  return linear;
}

template <typename T>
static SmallVector<T> eraseDim(ArrayRef<T> values, unsigned dim) {
  SmallVector<T> result(values);
  result.erase(result.begin() + dim);
  return result;
}

//===----------------------------------------------------------------------===//
// blocked
//===----------------------------------------------------------------------===//

unsigned BlockedLayoutAttr::getRank() const { return getOrder_().size(); }
SmallVector<unsigned> BlockedLayoutAttr::getSizePerThread() const {
  return SmallVector<unsigned>(getSizePerThread_());
}
SmallVector<unsigned> BlockedLayoutAttr::getThreadsPerWarp() const {
  return SmallVector<unsigned>(getThreadsPerWarp_());
}
SmallVector<unsigned> BlockedLayoutAttr::getWarpsPerCTA() const {
  return SmallVector<unsigned>(getWarpsPerCTA_());
}
SmallVector<unsigned> BlockedLayoutAttr::getOrder() const {
  return SmallVector<unsigned>(getOrder_());
}

SmallVector<int64_t>
BlockedLayoutAttr::getElemsPerThread(ArrayRef<int64_t> shape) const {
  SmallVector<int64_t> elems;
  for (unsigned d = 0; d < getRank(); ++d) {
    int64_t tile = int64_t(getSizePerThread_()[d]) * getThreadsPerWarp_()[d] *
                   getWarpsPerCTA_()[d];
    elems.push_back(getSizePerThread_()[d] *
                    std::max<int64_t>(1, (shape[d] + tile - 1) / tile));
  }
  return elems;
}

SmallVector<int64_t>
BlockedLayoutAttr::getElementCoords(ArrayRef<int64_t> shape, unsigned lane,
                                    unsigned warp, unsigned reg) const {
  ArrayRef<unsigned> spt = getSizePerThread_(), tpw = getThreadsPerWarp_(),
                     wpc = getWarpsPerCTA_(), order = getOrder_();
  SmallVector<int64_t> threads(tpw.begin(), tpw.end()),
      warps(wpc.begin(), wpc.end());
  SmallVector<int64_t> laneIdx = delinearize(lane, threads, order);
  SmallVector<int64_t> warpIdx = delinearize(warp, warps, order);
  SmallVector<int64_t> regIdx =
      delinearize(reg, getElemsPerThread(shape), order);
  SmallVector<int64_t> coords;
  for (unsigned d = 0; d < getRank(); ++d) {
    int64_t tile = int64_t(spt[d]) * tpw[d] * wpc[d];
    int64_t coord = regIdx[d] / spt[d] * tile + warpIdx[d] * spt[d] * tpw[d] +
                    laneIdx[d] * spt[d] + regIdx[d] % spt[d];
    // A tensor smaller than the tile is replicated: coordinates wrap.
    coords.push_back(coord % shape[d]);
  }
  return coords;
}

//===----------------------------------------------------------------------===//
// slice
//===----------------------------------------------------------------------===//

unsigned SliceLayoutAttr::getRank() const { return getParent().getRank() - 1; }
SmallVector<unsigned> SliceLayoutAttr::getSizePerThread() const {
  return eraseDim<unsigned>(getParent().getSizePerThread(), getDim());
}
SmallVector<unsigned> SliceLayoutAttr::getThreadsPerWarp() const {
  return eraseDim<unsigned>(getParent().getThreadsPerWarp(), getDim());
}
SmallVector<unsigned> SliceLayoutAttr::getWarpsPerCTA() const {
  return eraseDim<unsigned>(getParent().getWarpsPerCTA(), getDim());
}
SmallVector<unsigned> SliceLayoutAttr::getOrder() const {
  SmallVector<unsigned> order;
  for (unsigned d : getParent().getOrder())
    if (d != getDim())
      order.push_back(d > getDim() ? d - 1 : d);
  return order;
}

/// The parent's shape: `shape` with a 1 at the sliced dimension.
static SmallVector<int64_t> expandShape(ArrayRef<int64_t> shape, unsigned dim) {
  SmallVector<int64_t> expanded(shape);
  expanded.insert(expanded.begin() + dim, 1);
  return expanded;
}

SmallVector<int64_t>
SliceLayoutAttr::getElemsPerThread(ArrayRef<int64_t> shape) const {
  return eraseDim<int64_t>(
      getParent().getElemsPerThread(expandShape(shape, getDim())), getDim());
}

SmallVector<int64_t> SliceLayoutAttr::getElementCoords(ArrayRef<int64_t> shape,
                                                       unsigned lane,
                                                       unsigned warp,
                                                       unsigned reg) const {
  // Register `reg` is the parent's register with index 0 along `dim`.
  SmallVector<int64_t> parentShape = expandShape(shape, getDim());
  SmallVector<int64_t> parentCounts =
      getParent().getElemsPerThread(parentShape);
  SmallVector<int64_t> indices =
      delinearize(reg, getElemsPerThread(shape), getOrder());
  indices.insert(indices.begin() + getDim(), 0);
  int64_t parentReg = linearize(indices, parentCounts, getParent().getOrder());
  return eraseDim<int64_t>(
      getParent().getElementCoords(parentShape, lane, warp, parentReg),
      getDim());
}

//===----------------------------------------------------------------------===//
// Building blocked layouts
//===----------------------------------------------------------------------===//

BlockedLayoutAttr
mlir::kitegpu::getBlockedLayout(MLIRContext *context, ArrayRef<int64_t> shape,
                                ArrayRef<unsigned> sizePerThread,
                                ArrayRef<unsigned> order, unsigned numWarps,
                                unsigned threadsPerWarp) {
  size_t rank = shape.size();
  SmallVector<unsigned> threads(rank, 1), warps(rank, 1);
  unsigned threadsLeft = threadsPerWarp, warpsLeft = numWarps;
  for (unsigned d : order) {
    int64_t room = std::max<int64_t>(1, shape[d] / sizePerThread[d]);
    threads[d] = std::min<int64_t>(threadsLeft, room);
    threadsLeft /= threads[d];
  }
  threads[order.back()] *= threadsLeft;
  for (unsigned d : order) {
    int64_t room =
        std::max<int64_t>(1, shape[d] / (sizePerThread[d] * threads[d]));
    warps[d] = std::min<int64_t>(warpsLeft, room);
    warpsLeft /= warps[d];
  }
  warps[order.back()] *= warpsLeft;
  return BlockedLayoutAttr::get(context, sizePerThread, threads, warps, order);
}

BlockedLayoutAttr mlir::kitegpu::getDefaultBlockedLayout(
    MLIRContext *context, ArrayRef<int64_t> shape, unsigned numWarps,
    unsigned threadsPerWarp) {
  SmallVector<unsigned> sizePerThread(shape.size(), 1), order;
  for (unsigned d = shape.size(); d-- > 0;)
    order.push_back(d);
  return getBlockedLayout(context, shape, sizePerThread, order, numWarps,
                          threadsPerWarp);
}
