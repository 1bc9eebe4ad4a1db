//===- ShareWorkgroupMemory.cpp - one Workgroup variable for many buffers -===//
//
// Every workgroup memref.alloc becomes a Workgroup variable of its own, and
// Vulkan counts the sum of their sizes against maxComputeSharedMemorySize.
// The thread lowering makes one buffer per op that exchanges elements
// (reduce, scan, dot, gather, convert_layout), so a kernel with several such
// ops needed all their bytes at once although at most a few are in use at a
// time. Buffers of one element width now live in one allocation, each at an
// element offset where no buffer live at the same time is (first fit), as
// the NVPTX emitter places buffers in its one shared array
// (allocateSharedMemory in ConvertKiteThreadToNVVM.cpp): the allocation is
// as large as the most elements of that width live at once.
//
// Live ranges and first-fit offsets come from WorkgroupBufferPlacement.h
// (shared with the NVPTX emitter): a buffer is live from its first to its
// last use in program order, a use inside a loop (one the buffer was made
// outside of) for the whole loop. Reuse is then safe because every
// thread-level lowering that stages elements in workgroup memory ends with a
// barrier after its last read (docs/lowering.md).
//
// Only buffers of the same element width share: SPIR-V without explicit
// layouts cannot alias variables of different types, so buffers of
// different types (f32 and i32) share an integer variable of their width,
// bitcast on every load and store; buffers of different widths keep
// separate variables. The thread lowering's buffers are 1-D and accessed
// only by memref.load and memref.store, so a buffer at offset k adds k to
// its indices; a buffer with another shape or another user keeps its own
// variable.
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/emitter/KiteThreadToSPIRV.h"
#include "dialects/KiteThread/WorkgroupBufferPlacement.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;

namespace {
struct Buffer {
  memref::AllocOp alloc;
  kitethread::LiveRange live;
};
/// The buffers of one element width, placed at element offsets of one
/// allocation.
struct Arena {
  Type element; // the buffers' element type, or iN when their types differ
  kitethread::FirstFitPlacement elements{/*alignment=*/1};
  SmallVector<std::pair<memref::AllocOp, int64_t>> placed; // buffer, offset
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
  kitethread::BufferLiveness liveness(func);
  SmallVector<Buffer> buffers;
  func.walk([&](memref::AllocOp alloc) {
    if (isShareable(alloc))
      buffers.push_back({alloc, liveness.of(alloc)});
  });
  llvm::stable_sort(buffers, [](const Buffer &a, const Buffer &b) {
    return a.live.first < b.live.first;
  });
  return buffers;
}

/// Places each buffer, in order of first use, in its width's arena (first
/// fit, as the NVPTX emitter places buffers in its shared array).
static SmallVector<Arena> placeBuffers(ArrayRef<Buffer> buffers) {
  SmallVector<Arena> arenas;
  for (Buffer buffer : buffers) {
    MemRefType type = buffer.alloc.getType();
    Type element = type.getElementType();
    unsigned width = element.getIntOrFloatBitWidth();
    Arena *arena = llvm::find_if(arenas, [&](const Arena &a) {
      return a.element.getIntOrFloatBitWidth() == width;
    });
    if (arena == arenas.end()) {
      arenas.push_back(Arena{element});
      arena = &arenas.back();
    }
    if (arena->element != element)
      arena->element = IntegerType::get(element.getContext(), width);
    int64_t offset = arena->elements.place(buffer.live, type.getNumElements());
    arena->placed.push_back({buffer.alloc, offset});
  }
  return arenas;
}

/// Makes `access` (a load or store of a buffer in an arena) address `shared`
/// from element `offset` on, bitcasting its value where the arena's element
/// type differs (f32 and i32 buffers share an i32 variable).
static void accessAs(Operation *access, Value shared, int64_t offset) {
  Type element = cast<MemRefType>(shared.getType()).getElementType();
  OpBuilder b(access);
  if (offset != 0) {
    auto indices = isa<memref::StoreOp>(access)
                       ? cast<memref::StoreOp>(access).getIndicesMutable()
                       : cast<memref::LoadOp>(access).getIndicesMutable();
    Location loc = access->getLoc();
    Value shifted =
        arith::AddIOp::create(b, loc, indices[0].get(),
                              arith::ConstantIndexOp::create(b, loc, offset));
    indices[0].set(shifted);
  }
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
    // One alloc per width at the function's entry, which dominates every
    // use (the buffers may have been made inside branches and loops).
    OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
    SmallVector<Buffer> buffers = findBuffers(func);
    for (Arena &arena : placeBuffers(buffers)) {
      if (arena.placed.size() < 2)
        continue;
      memref::AllocOp front = arena.placed.front().first;
      auto type = MemRefType::get({arena.elements.size()}, arena.element,
                                  MemRefLayoutAttrInterface(),
                                  front.getType().getMemorySpace());
      Value shared = memref::AllocOp::create(b, front.getLoc(), type);
      for (auto &[alloc, offset] : arena.placed) {
        for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
          accessAs(user, shared, offset);
        alloc.erase();
      }
    }
  });
}
