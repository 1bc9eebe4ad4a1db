//===- WorkgroupBufferPlacement.cpp - live ranges and first-fit offsets ---===//
//
// Sharing is safe for the thread lowering's buffers because every
// thread-level lowering that stages elements in workgroup memory ends with a
// barrier after its last read (docs/lowering.md): no thread writes the next
// buffer while another still reads the previous one.
//
//===----------------------------------------------------------------------===//
#include "dialects/KiteThread/WorkgroupBufferPlacement.h"

#include "mlir/Interfaces/LoopLikeInterface.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::kitethread;

BufferLiveness::BufferLiveness(Operation *root) {
  root->walk<WalkOrder::PreOrder>(
      [&](Operation *op) { order[op] = static_cast<int64_t>(order.size()); });
}

int64_t BufferLiveness::lastNested(Operation *op) const {
  int64_t last = order.lookup(op);
  op->walk(
      [&](Operation *inner) { last = std::max(last, order.lookup(inner)); });
  return last;
}

LiveRange BufferLiveness::of(memref::AllocOp alloc) const {
  LiveRange range{order.lookup(alloc), order.lookup(alloc)};
  for (Operation *user : alloc->getUsers()) {
    Operation *outer = user;
    for (Operation *parent = user->getParentOp();
         parent && parent != alloc->getParentOp();
         parent = parent->getParentOp())
      if (isa<LoopLikeOpInterface>(parent))
        outer = parent;
    range.first = std::min(range.first, order.lookup(outer));
    range.last = std::max(range.last, lastNested(outer));
  }
  return range;
}

int64_t FirstFitPlacement::place(LiveRange range, int64_t size,
                                 int64_t atLeast) {
  int64_t alignment = std::max(this->alignment, atLeast);
  SmallVector<std::pair<int64_t, int64_t>> taken; // [offset, end) live now
  for (const Placed &other : placed)
    if (other.last >= range.first)
      taken.push_back({other.offset, other.end});
  llvm::sort(taken);
  int64_t offset = 0;
  for (auto [begin, takenEnd] : taken) {
    if (offset + size <= begin)
      break;
    offset = std::max(offset,
                      static_cast<int64_t>(llvm::alignTo(takenEnd, alignment)));
  }
  placed.push_back({offset, offset + size, range.last});
  end = std::max(end, offset + size);
  return offset;
}
