//===- CoalescePass.cpp - kitegpu-coalesce: layouts for memory accesses ---===//
//
// Neighbouring threads should touch neighbouring addresses, and each thread
// a vector of up to 128 bits: so the layout of a memory access orders its
// dimensions by the contiguity of its pointers and gives each thread as many
// consecutive elements along the first as the pointers' contiguity and
// alignment (from AxisInfo) allow.
//
//===----------------------------------------------------------------------===//
#include "dialects/Kite/KiteOps.h"
#include "dialects/KiteGPU/KiteGPUOps.h"
#include "lib/Analysis/AxisInfo.h"
#include "lib/Conversion/KiteToKiteGPU/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"

namespace mlir::kitegpu {
#define GEN_PASS_DEF_KITEGPUCOALESCE
#include "lib/Conversion/KiteToKiteGPU/Passes.h.inc"
} // namespace mlir::kitegpu

using namespace mlir;
using namespace mlir::kitegpu;

namespace {

constexpr int64_t kMaxAccessBits = 128;

int64_t getElementBits(Type ptrLike) {
  Type pointee =
      cast<kite::PointerType>(getElementTypeOrSelf(ptrLike)).getPointeeType();
  return isa<kite::PointerType>(pointee) ? 64 : pointee.getIntOrFloatBitWidth();
}

/// The layout for accesses through `ptr`: dimensions by decreasing
/// contiguity (ties keep the faster dimension first), the widest vector that
/// the pointers allow along the first one.
BlockedLayoutAttr chooseLayout(Value ptr, const kite::AxisInfo &info,
                               unsigned numWarps, unsigned threadsPerWarp) {
  auto type = cast<RankedTensorType>(ptr.getType());
  int64_t rank = type.getRank();
  SmallVector<unsigned> order;
  for (int64_t d = rank - 1; d >= 0; --d)
    order.push_back(d);
  llvm::stable_sort(order, [&](unsigned a, unsigned b) {
    return info.contiguity[a] > info.contiguity[b];
  });
  unsigned fastest = order[0];
  int64_t bits = getElementBits(ptr.getType());
  int64_t bytes = std::max<int64_t>(1, bits / 8);
  int64_t alignment = std::max<int64_t>(1, info.divisibility[fastest] / bytes);
  int64_t perThread = std::min({info.contiguity[fastest], alignment,
                                std::max<int64_t>(1, kMaxAccessBits / bits)});
  // Do not give a thread more than its share of the elements.
  int64_t share = type.getNumElements() / (int64_t(numWarps) * threadsPerWarp);
  perThread = std::max<int64_t>(1, std::min(perThread, share));
  SmallVector<unsigned> sizePerThread(rank, 1);
  sizePerThread[fastest] = perThread;
  return getBlockedLayout(ptr.getContext(), type.getShape(), sizePerThread,
                          order, numWarps, threadsPerWarp);
}

/// Moves `op` (a memory access) to `layout`: its tensor operands are
/// converted to it, its tensor results converted back.
void relayout(Operation *op, BlockedLayoutAttr layout) {
  OpBuilder builder(op);
  for (OpOperand &operand : op->getOpOperands()) {
    Type type = operand.get().getType();
    if (!getLayout(type))
      continue;
    operand.set(ConvertLayoutOp::create(
        builder, op->getLoc(), withLayout(type, layout), operand.get()));
  }
  builder.setInsertionPointAfter(op);
  for (Value result : op->getResults()) {
    Type old = result.getType();
    if (!getLayout(old))
      continue;
    result.setType(withLayout(old, layout));
    auto back = ConvertLayoutOp::create(builder, op->getLoc(), old, result);
    result.replaceAllUsesExcept(back, back.getOperation());
  }
}

Value getPointer(Operation *op) {
  if (auto load = dyn_cast<kite::LoadOp>(op))
    return load.getPtr();
  if (auto store = dyn_cast<kite::StoreOp>(op))
    return store.getPtr();
  if (auto rmw = dyn_cast<kite::AtomicRMWOp>(op))
    return rmw.getPtr();
  if (auto cas = dyn_cast<kite::AtomicCASOp>(op))
    return cas.getPtr();
  return {};
}

struct CoalescePass : mlir::kitegpu::impl::KiteGPUCoalesceBase<CoalescePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    unsigned numWarps = getNumWarps(module);
    unsigned threadsPerWarp = getThreadsPerWarp(module);
    if (!numWarps || !threadsPerWarp) {
      module.emitError() << "kitegpu-coalesce needs a module with layouts "
                            "(run convert-kite-to-kitegpu first)";
      return signalPassFailure();
    }
    // Decide every layout before changing anything the analysis looked at.
    kite::AxisInfoAnalysis axisInfo(module);
    SmallVector<std::pair<Operation *, BlockedLayoutAttr>> changes;
    module.walk([&](Operation *op) {
      Value ptr = getPointer(op);
      if (!ptr || !getLayout(ptr.getType()))
        return;
      BlockedLayoutAttr layout = chooseLayout(ptr, axisInfo.getAxisInfo(ptr),
                                              numWarps, threadsPerWarp);
      if (layout != getLayout(ptr.getType()))
        changes.emplace_back(op, layout);
    });
    for (auto [op, layout] : changes)
      relayout(op, layout);
  }
};

} // namespace
