//===- TmaBoxes.h - the TMA boxes that fill a shared buffer -*- C++ -*-===//
//
// Hopper's tensor-copy engine writes a box densely, innermost dimension
// first, its 16-byte chunks moved by a swizzle of the shared address. A
// pipelined operand's slot has its own layout (swizzled for ldmatrix or
// wgmma, cut into 128-byte slabs, rows placed for a descriptor): the boxes
// planned here are the ones that write every element where the layout
// stores it, checked element by element.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_DIALECTS_KITEGPU_TMABOXES_H
#define KITE_DIALECTS_KITEGPU_TMABOXES_H

#include "dialects/KiteGPU/KiteGPUDialect.h"

#include "llvm/ADT/SmallVector.h"
#include <cstdint>
#include <optional>

namespace mlir::kitegpu {

/// One box of a tile: its first element (row, column of the tile) and
/// where that element is in the slot (an element index).
struct TmaBox {
  int64_t row, column, sharedIndex;
};

/// How TMA fills one slot of a 2-D tile: every box is `rows` x `columns`
/// elements (the tensor map's box, which the host encodes), written with
/// the swizzle of `swizzleBytes` (0, 32, 64 or 128).
struct TmaPlan {
  int64_t rows, columns, swizzleBytes;
  llvm::SmallVector<TmaBox> boxes;
};

/// The fewest boxes that fill a `numRows` x `rowLength` tile (rows along
/// the layout's order[1], their elements contiguous in global memory) of
/// `elementBytes`-byte elements laid out by `layout` in a slot that starts
/// 1024-byte aligned; none where no box shape writes the layout exactly.
std::optional<TmaPlan> planTmaBoxes(SharedLayoutAttr layout, int64_t numRows,
                                    int64_t rowLength, int64_t elementBytes);

/// The plan for `buffer`, a 2-D tile or a buffer of slots of them (the plan
/// of one slot), whose rows are contiguous (order [1, 0]); none where TMA
/// cannot copy it.
std::optional<TmaPlan> getTmaPlan(MemDescType buffer);

} // namespace mlir::kitegpu

#endif // KITE_DIALECTS_KITEGPU_TMABOXES_H
