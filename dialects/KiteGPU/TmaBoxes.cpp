//===- TmaBoxes.cpp - the TMA boxes that fill a shared buffer -------------===//
#include "dialects/KiteGPU/TmaBoxes.h"
#include "dialects/KiteGPU/SharedIndex.h"
#include "dialects/KiteGPU/WorkgroupStorage.h"

using namespace mlir;
using namespace mlir::kitegpu;

namespace {
/// TMA's swizzle of a shared byte address: 16-byte chunk bits 4.. XOR the
/// bits 7.. above them (128B: 3 bits, 64B: 2, 32B: 1).
int64_t swizzle(int64_t address, int64_t swizzleBytes) {
  if (!swizzleBytes)
    return address;
  int64_t bits = swizzleBytes == 128 ? 3 : swizzleBytes == 64 ? 2 : 1;
  int64_t mask = (1 << bits) - 1;
  return address ^ (((address >> 7) & mask) << 4);
}

/// The boxes of `rows` x `columns` that tile the tile, or none where one
/// of them does not write the layout exactly.
std::optional<TmaPlan> tryBoxes(SharedLayoutAttr layout, int64_t numRows,
                                int64_t rowLength, int64_t bytes,
                                int64_t rows, int64_t columns,
                                int64_t swizzleBytes) {
  ConstantIndex e;
  TmaPlan plan{rows, columns, swizzleBytes, {}};
  for (int64_t r0 = 0; r0 < numRows; r0 += rows)
    for (int64_t c0 = 0; c0 < rowLength; c0 += columns) {
      int64_t base = sharedIndex(e, layout, numRows, rowLength, r0, c0);
      // The destination is 128-byte aligned; a swizzle repeats every
      // 8 x its span, from a slot that is 1024-byte aligned.
      if ((base * bytes) % 128)
        return std::nullopt;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < columns; ++c) {
          int64_t dense = base * bytes + (r * columns + c) * bytes;
          int64_t stored =
              sharedIndex(e, layout, numRows, rowLength, r0 + r, c0 + c);
          if (swizzle(dense, swizzleBytes) != stored * bytes)
            return std::nullopt;
        }
      plan.boxes.push_back({r0, c0, base});
    }
  return plan;
}
} // namespace

std::optional<TmaPlan> mlir::kitegpu::planTmaBoxes(SharedLayoutAttr layout,
                                                   int64_t numRows,
                                                   int64_t rowLength,
                                                   int64_t elementBytes) {
  if (layout.getOrder().size() != 2 || numRows < 1 || rowLength < 1)
    return std::nullopt;
  std::optional<TmaPlan> best;
  for (int64_t swizzleBytes : {128, 64, 32, 0}) {
    // A box's rows are at most the swizzle's span (TMA's rule), and 16
    // bytes at least; at most 256 elements along either dimension.
    int64_t span = swizzleBytes ? swizzleBytes : 256 * elementBytes;
    int64_t columns = std::min(rowLength, span / elementBytes);
    if (columns * elementBytes % 16 || rowLength % columns)
      continue;
    for (int64_t rows = std::min<int64_t>(numRows, 256); rows >= 1; rows /= 2) {
      if (numRows % rows)
        continue;
      std::optional<TmaPlan> plan = tryBoxes(
          layout, numRows, rowLength, elementBytes, rows, columns, swizzleBytes);
      if (plan && (!best || plan->boxes.size() < best->boxes.size()))
        best = std::move(plan);
      if (plan)
        break; // fewer rows would only mean more boxes
    }
  }
  return best;
}

std::optional<TmaPlan> mlir::kitegpu::getTmaPlan(MemDescType buffer) {
  ArrayRef<int64_t> shape = buffer.getShape();
  SharedLayoutAttr layout = buffer.getEncoding();
  if (shape.size() == 3)
    shape = shape.drop_front(); // a buffer of slots
  if (shape.size() != 2 || layout.getOrder() != ArrayRef<unsigned>{1, 0} ||
      !buffer.getElementType().isIntOrFloat())
    return std::nullopt;
  int64_t bytes = getWorkgroupElementBytes(buffer.getElementType());
  // Every slot starts where the first does, modulo a swizzle's period.
  if (shape[0] * shape[1] * bytes % 1024)
    return std::nullopt;
  return planTmaBoxes(layout, shape[0], shape[1], bytes);
}

