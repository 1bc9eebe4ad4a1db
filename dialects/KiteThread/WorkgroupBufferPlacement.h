//===- WorkgroupBufferPlacement.h - shared workgroup buffers -*- C++ -*-===//
//
// Both emitters place the thread lowering's workgroup buffers in one
// allocation, each at an offset no buffer live at the same time occupies:
// the NVPTX emitter in its shared array (bytes), the SPIR-V emitter in one
// Workgroup variable per element width (elements). Live ranges and the
// first-fit placement are computed here, once for both.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_DIALECTS_KITETHREAD_WORKGROUPBUFFERPLACEMENT_H
#define KITE_DIALECTS_KITETHREAD_WORKGROUPBUFFERPLACEMENT_H

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir::kitethread {
/// A workgroup memref.alloc's attribute: the bytes its buffer must be
/// aligned to where 16 are not enough (wgmma's swizzled operands).
constexpr llvm::StringLiteral kAlignmentAttr = "kitethread.alignment";

/// Program-order positions (pre-order) of the ops a buffer is in use
/// between, inclusive.
struct LiveRange {
  int64_t first, last;
};

/// The live ranges of buffers allocated in `root`, in its program order.
class BufferLiveness {
public:
  explicit BufferLiveness(Operation *root);

  /// From the first to the last use of `alloc`'s buffer in program order; a
  /// use inside a loop (one the buffer was made outside of) is live for the
  /// whole loop, since the loop's next iteration comes back to it.
  LiveRange of(memref::AllocOp alloc) const;

private:
  /// The position of the last op nested in `op` (or of `op`).
  int64_t lastNested(Operation *op) const;

  llvm::DenseMap<Operation *, int64_t> order;
};

/// Places buffers in one allocation, each at the lowest offset (a multiple
/// of `alignment`) that no buffer live at the same time occupies (first
/// fit): buffers used one after another overlap, buffers used together sit
/// side by side. Buffers must be placed in order of their first use.
class FirstFitPlacement {
public:
  explicit FirstFitPlacement(int64_t alignment) : alignment(alignment) {}

  /// The offset of a buffer of `size` units live over `range`, aligned to
  /// `atLeast` units where that is more than the placement's alignment.
  int64_t place(LiveRange range, int64_t size, int64_t atLeast = 1);

  /// The units the allocation needs: the end of the furthest buffer.
  int64_t size() const { return end; }

private:
  struct Placed {
    int64_t offset, end, last;
  };
  int64_t alignment;
  int64_t end = 0;
  SmallVector<Placed> placed;
};

} // namespace mlir::kitethread

#endif // KITE_DIALECTS_KITETHREAD_WORKGROUPBUFFERPLACEMENT_H
