//===- ShareWorkgroupMemory.cpp - one Workgroup variable for many buffers -===//
//
// Every workgroup memref.alloc becomes a Workgroup variable of its own, and
// Vulkan counts the sum of their sizes against maxComputeSharedMemorySize.
// The thread lowering makes one buffer per op that exchanges elements
// (reduce, scan, dot, gather, convert_layout), so a kernel with several such
// ops needed all their bytes at once although at most a few are in use at a
// time. Buffers whose live ranges do not overlap now share one allocation,
// sized for the largest, as the NVPTX emitter shares bytes of its one
// shared array (allocateSharedMemory in ConvertKiteThreadToNVVM.cpp).
//
// A buffer is live from its first to its last use in program order; a use
// inside a loop (one the buffer was made outside of) is live for the whole
// loop. Reuse is then safe because every thread-level lowering that stages
// elements in workgroup memory ends with a barrier after its last read
// (docs/lowering.md): no thread writes the next buffer while another still
// reads the previous one.
//
// Only buffers of the same element type share: SPIR-V without explicit
// layouts cannot alias variables of different types. The thread lowering's
// buffers are 1-D and accessed only by memref.load and memref.store, so a
// shorter buffer simply indexes the first elements of the shared one; a
// buffer with another shape or another user keeps its own variable.
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/emitter/KiteThreadToSPIRV.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "llvm/ADT/DenseMap.h"

using namespace mlir;

namespace {
struct Buffer {
  memref::AllocOp alloc;
  int64_t first, last;
};
/// Buffers that take turns in one allocation.
struct Slot {
  MemRefType type; // the largest buffer's
  int64_t last;
  SmallVector<memref::AllocOp> allocs;
};
} // namespace

/// Whether `alloc` is a buffer the pass may replace by a longer one: a 1-D
/// static workgroup buffer that only loads and stores address.
static bool isShareable(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  auto space = dyn_cast_or_null<gpu::AddressSpaceAttr>(type.getMemorySpace());
  if (!space || space.getValue() != gpu::AddressSpace::Workgroup ||
      type.getRank() != 1 || !type.hasStaticShape() ||
      !type.getLayout().isIdentity())
    return false;
  return llvm::all_of(alloc->getUses(), [](OpOperand &use) {
    if (auto load = dyn_cast<memref::LoadOp>(use.getOwner()))
      return use.get() == load.getMemRef();
    if (auto store = dyn_cast<memref::StoreOp>(use.getOwner()))
      return &use == &store.getMemrefMutable();
    return false;
  });
}

/// The buffers of `func` with their live ranges, in order of first use.
static SmallVector<Buffer> findBuffers(func::FuncOp func) {
  llvm::DenseMap<Operation *, int64_t> order;
  func.walk<WalkOrder::PreOrder>(
      [&](Operation *op) { order[op] = static_cast<int64_t>(order.size()); });
  auto lastNested = [&](Operation *op) {
    int64_t last = order.lookup(op);
    op->walk(
        [&](Operation *inner) { last = std::max(last, order.lookup(inner)); });
    return last;
  };

  SmallVector<Buffer> buffers;
  func.walk([&](memref::AllocOp alloc) {
    if (!isShareable(alloc))
      return;
    Buffer buffer{alloc, order.lookup(alloc), order.lookup(alloc)};
    for (Operation *user : alloc->getUsers()) {
      Operation *outer = user;
      for (Operation *parent = user->getParentOp();
           parent && parent != alloc->getParentOp();
           parent = parent->getParentOp())
        if (isa<LoopLikeOpInterface>(parent))
          outer = parent;
      buffer.first = std::min(buffer.first, order.lookup(outer));
      buffer.last = std::max(buffer.last, lastNested(outer));
    }
    buffers.push_back(buffer);
  });
  llvm::stable_sort(buffers, [](const Buffer &a, const Buffer &b) {
    return a.first < b.first;
  });
  return buffers;
}

/// Gives each buffer the first slot of its element type that is free when
/// the buffer's live range begins (interval colouring by start).
static SmallVector<Slot> assignSlots(MutableArrayRef<Buffer> buffers) {
  SmallVector<Slot> slots;
  for (Buffer &buffer : buffers) {
    MemRefType type = buffer.alloc.getType();
    Slot *slot = llvm::find_if(slots, [&](const Slot &s) {
      return s.type.getElementType() == type.getElementType() &&
             s.type.getMemorySpace() == type.getMemorySpace() &&
             s.last < buffer.first;
    });
    if (slot == slots.end()) {
      slots.push_back(Slot{type, buffer.last, {}});
      slot = &slots.back();
    }
    if (type.getNumElements() > slot->type.getNumElements())
      slot->type = type;
    slot->last = buffer.last;
    slot->allocs.push_back(buffer.alloc);
  }
  return slots;
}

void mlir::kitespirv::shareWorkgroupMemory(ModuleOp module) {
  module.walk([](func::FuncOp func) {
    if (func.isExternal())
      return;
    // One alloc per slot at the function's entry, which dominates every use
    // (the buffers may have been made inside branches and loops).
    OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
    SmallVector<Buffer> buffers = findBuffers(func);
    for (Slot &slot : assignSlots(buffers)) {
      if (slot.allocs.size() < 2)
        continue;
      Value shared =
          memref::AllocOp::create(b, slot.allocs.front().getLoc(), slot.type);
      for (memref::AllocOp alloc : slot.allocs) {
        for (OpOperand &use : llvm::make_early_inc_range(alloc->getUses()))
          use.set(shared);
        alloc.erase();
      }
    }
  });
}
