//===- TmaStorePass.cpp - host descriptors' stores through TMA ------------===//
//
// On Hopper, a store that is also a box of a host descriptor's tensor map
// (kite.store's tensor_map: `desc.store([i, j], tile)`) becomes, as in
// Triton, a write of the tile into a shared buffer laid out for TMA (128-byte
// swizzled slabs) and one thread's cp.async.bulk.tensor copy of it to global
// memory (docs/lowering.md, "TMA"): no per-element addresses or masks. The
// box is recorded on the kernel (TensorMapRecords.h); a store whose map is
// read in other boxes, or whose tile no box plan fits, stays a store
// through pointers.
//
//===----------------------------------------------------------------------===//
#include "dialects/Kite/KiteOps.h"
#include "dialects/KiteGPU/KiteGPUOps.h"
#include "dialects/KiteGPU/MmaTiling.h"
#include "dialects/KiteGPU/TensorMapRecords.h"
#include "dialects/KiteGPU/WorkgroupStorage.h"
#include "lib/Conversion/KiteToKiteGPU/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace mlir::kitegpu {
#define GEN_PASS_DEF_KITEGPUTMASTORES
#include "lib/Conversion/KiteToKiteGPU/Passes.h.inc"
} // namespace mlir::kitegpu

using namespace mlir;
using namespace mlir::kitegpu;

namespace {
/// The buffer a TMA store of `value` writes from, or none where no TMA
/// boxes read a tile of its shape.
std::optional<std::pair<MemDescType, TmaPlan>>
getStoreBuffer(RankedTensorType value) {
  if (value.getRank() != 2 || !value.getElementType().isIntOrFloat() ||
      value.getElementType().isInteger(1))
    return std::nullopt;
  int64_t bytes = getWorkgroupElementBytes(value.getElementType());
  auto layout = getMmaOperandSharedLayout(value.getContext(),
                                          value.getDimSize(1), bytes, {1, 0},
                                          /*slabbed=*/true, 0);
  auto type = MemDescType::get(value.getContext(), value.getShape(),
                               value.getElementType(), layout);
  std::optional<TmaPlan> plan = getTmaPlan(type);
  if (!plan)
    return std::nullopt;
  return std::make_pair(type, *plan);
}

struct KiteGPUTmaStoresPass
    : kitegpu::impl::KiteGPUTmaStoresBase<KiteGPUTmaStoresPass> {
  void runOnOperation() override {
    SmallVector<kite::StoreOp> stores;
    getOperation().walk([&](kite::StoreOp store) {
      if (store.getTensorMap() && store.getBox().size() == 2)
        stores.push_back(store);
    });
    for (kite::StoreOp store : stores) {
      auto value = dyn_cast<RankedTensorType>(store.getValue().getType());
      std::optional<unsigned> arg = getTensorMapArgument(store.getTensorMap());
      auto buffer = value ? getStoreBuffer(value) : std::nullopt;
      if (!arg || !buffer)
        continue;
      Operation *kernel = store->getParentOfType<FunctionOpInterface>();
      std::string entry = describeTensorMap(*arg, buffer->second);
      if (conflictsWithRecord(kernel, *arg, entry))
        continue;
      recordTensorMaps(kernel, {entry});
      // The tile is written in the layout it was computed in: the layout
      // conversions the store's coalescing asked for are not needed.
      Value source = store.getValue();
      while (auto convert = source.getDefiningOp<ConvertLayoutOp>())
        source = convert.getSrc();
      OpBuilder b(store);
      Value tile =
          LocalAllocOp::create(b, store.getLoc(), buffer->first, source);
      AsyncTmaStoreOp::create(b, store.getLoc(), store.getTensorMap(),
                              store.getBox(), tile);
      store.erase();
    }
  }
};
} // namespace
