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
// Only buffers of the same element width share: SPIR-V without explicit
// layouts cannot alias variables of different types, so buffers of
// different types (f32 and i32) share an integer variable of their width,
// bitcast on every load and store; buffers of different widths keep
// separate variables. The thread lowering's buffers are 1-D and accessed
// only by memref.load and memref.store, so a shorter buffer simply indexes
// the first elements of the shared one; a buffer with another shape or
// another user keeps its own variable.
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/emitter/KiteThreadToSPIRV.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
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
  Type element;  // the buffers' element type, or iN when their types differ
  int64_t count; // elements of the largest buffer
  int64_t last;
  SmallVector<memref::AllocOp> allocs;
};
} // namespace

/// Whether `alloc` is a buffer the pass may replace by a longer one: a 1-D
/// static workgroup buffer of integers or floats that only loads and stores
/// address.
static bool isShareable(memref::AllocOp alloc) {
  MemRefType type = alloc.getType();
  auto space = dyn_cast_or_null<gpu::AddressSpaceAttr>(type.getMemorySpace());
  if (!space || space.getValue() != gpu::AddressSpace::Workgroup ||
      type.getRank() != 1 || !type.hasStaticShape() ||
      !type.getElementType().isIntOrFloat() || !type.getLayout().isIdentity())
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

/// Gives each buffer the first slot of its element width that is free when
/// the buffer's live range begins (interval colouring by start).
static SmallVector<Slot> assignSlots(MutableArrayRef<Buffer> buffers) {
  SmallVector<Slot> slots;
  for (Buffer &buffer : buffers) {
    MemRefType type = buffer.alloc.getType();
    Type element = type.getElementType();
    unsigned width = element.getIntOrFloatBitWidth();
    Slot *slot = llvm::find_if(slots, [&](const Slot &s) {
      return s.element.getIntOrFloatBitWidth() == width &&
             s.last < buffer.first;
    });
    if (slot == slots.end()) {
      slots.push_back(Slot{element, 0, buffer.last, {}});
      slot = &slots.back();
    }
    if (slot->element != element)
      slot->element = IntegerType::get(element.getContext(), width);
    slot->count = std::max(slot->count, type.getNumElements());
    slot->last = buffer.last;
    slot->allocs.push_back(buffer.alloc);
  }
  return slots;
}

/// Makes `access` (a load or store of a buffer in a slot) address `shared`,
/// bitcasting its value where the slot's element type differs (f32 and i32
/// buffers share an i32 variable).
static void accessAs(Operation *access, Value shared) {
  Type element = cast<MemRefType>(shared.getType()).getElementType();
  OpBuilder b(access);
  if (auto store = dyn_cast<memref::StoreOp>(access)) {
    store.getMemrefMutable().set(shared);
    if (store.getValue().getType() != element)
      store.getValueMutable().set(arith::BitcastOp::create(
          b, store.getLoc(), element, store.getValue()));
    return;
  }
  auto load = cast<memref::LoadOp>(access);
  if (load.getType() == element) {
    load.getMemrefMutable().set(shared);
    return;
  }
  Value bits =
      memref::LoadOp::create(b, load.getLoc(), shared, load.getIndices());
  load.replaceAllUsesWith(
      arith::BitcastOp::create(b, load.getLoc(), load.getType(), bits)
          .getResult());
  load.erase();
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
      MemRefType front = slot.allocs.front().getType();
      auto type =
          MemRefType::get({slot.count}, slot.element,
                          MemRefLayoutAttrInterface(), front.getMemorySpace());
      Value shared =
          memref::AllocOp::create(b, slot.allocs.front().getLoc(), type);
      for (memref::AllocOp alloc : slot.allocs) {
        for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
          accessAs(user, shared);
        alloc.erase();
      }
    }
  });
}
