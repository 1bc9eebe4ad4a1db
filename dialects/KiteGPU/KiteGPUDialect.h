//===- KiteGPUDialect.h - kitegpu dialect, layouts, memdesc -----*- C++ -*-===//
#ifndef KITE_DIALECTS_KITEGPU_KITEGPUDIALECT_H
#define KITE_DIALECTS_KITEGPU_KITEGPUDIALECT_H

#include "dialects/Kite/KiteDialect.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/TensorEncoding.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialects/KiteGPU/KiteGPUAttrInterfaces.h.inc"
#include "dialects/KiteGPU/KiteGPUDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/KiteGPU/KiteGPUAttrs.h.inc"
#define GET_TYPEDEF_CLASSES
#include "dialects/KiteGPU/KiteGPUTypes.h.inc"

namespace mlir::kitegpu {

/// The memory that local_alloc/local_load/local_store touch.
struct SharedMemory : SideEffects::Resource::Base<SharedMemory> {
  StringRef getName() final { return "<SharedMemory>"; }
};

/// A blocked layout for `shape` with the given per-thread block and order:
/// threads of a warp, then warps, go along `order` (fastest first) as far as
/// the shape has room; what is left over replicates along the slowest dim.
BlockedLayoutAttr getBlockedLayout(MLIRContext *context,
                                   ArrayRef<int64_t> shape,
                                   ArrayRef<unsigned> sizePerThread,
                                   ArrayRef<unsigned> order, unsigned numWarps,
                                   unsigned threadsPerWarp);

/// The layout every tensor gets first: one element per thread, order
/// [rank-1, ..., 0].
BlockedLayoutAttr getDefaultBlockedLayout(MLIRContext *context,
                                          ArrayRef<int64_t> shape,
                                          unsigned numWarps,
                                          unsigned threadsPerWarp);

/// `kitegpu.num-warps` / `kitegpu.threads-per-warp` of the module holding
/// `op`; 0 when absent.
unsigned getNumWarps(Operation *op);
unsigned getThreadsPerWarp(Operation *op);

/// The layout of a tensor type; null for scalars and plain tensors.
DistributedLayoutAttr getLayout(Type type);

/// `type` with its encoding replaced by `layout`.
RankedTensorType withLayout(Type type, Attribute layout);

/// The blocked layout with dimensions permuted as `kite.trans` permutes
/// them: result dimension i is source dimension perm[i].
BlockedLayoutAttr getPermutedLayout(BlockedLayoutAttr src,
                                    ArrayRef<int32_t> perm);

} // namespace mlir::kitegpu

#endif // KITE_DIALECTS_KITEGPU_KITEGPUDIALECT_H
