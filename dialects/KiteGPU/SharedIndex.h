//===- SharedIndex.h - where a shared layout stores an element -*- C++ -*-===//
//
// SharedLayoutAttr's element index, written once over an arithmetic
// policy: IR (the lowering's IndexBuilder, on Values) or integers
// (ConstantIndex: the TMA box planner checks layouts element by element).
//
//===----------------------------------------------------------------------===//
#ifndef KITE_DIALECTS_KITEGPU_SHAREDINDEX_H
#define KITE_DIALECTS_KITEGPU_SHAREDINDEX_H

#include "dialects/KiteGPU/KiteGPUDialect.h"

#include <cstdint>

namespace mlir::kitegpu {

/// Integer arithmetic with IndexBuilder's names.
struct ConstantIndex {
  int64_t add(int64_t x, int64_t y) const { return x + y; }
  int64_t mul(int64_t x, int64_t y) const { return x * y; }
  int64_t div(int64_t x, int64_t y) const { return x / y; }
  int64_t rem(int64_t x, int64_t y) const { return x % y; }
  int64_t bitXor(int64_t x, int64_t y) const { return x ^ y; }
};

/// Where row `row` of an operand is stored when its rows are placed for a
/// wgmma descriptor with `warpsM` warps along M (SharedLayoutAttr's
/// warpsM): 8-row block b = w + warpsM (2 t + h) as block
/// 8 (w / 4 + warpsM / 4 t) + 2 (w % 4) + h, rows within a block kept.
template <typename Arith, typename V>
V placedRow(Arith &e, V row, int64_t warpsM) {
  V block = e.div(row, 8), tileHalf = e.div(block, warpsM);
  V warp = e.rem(block, warpsM);
  V group = e.add(e.div(warp, 4), e.mul(e.div(tileHalf, 2), warpsM / 4));
  V placed = e.add(e.add(e.mul(group, 8), e.mul(e.rem(warp, 4), 2)),
                   e.rem(tileHalf, 2));
  return e.add(e.mul(placed, 8), e.rem(row, 8));
}

/// The element index of element `column` of row `row` in a 2-D buffer of
/// `numRows` rows of `rowLength` elements (its shape along order[1] and
/// order[0]) laid out by `layout`.
template <typename Arith, typename V>
V sharedIndex(Arith &e, SharedLayoutAttr layout, int64_t numRows,
              int64_t rowLength, V row, V column) {
  // Rows placed for wgmma keep their phase: blocks are whole periods.
  if (int64_t warpsM = layout.getWarpsM())
    row = placedRow(e, row, warpsM);
  // Group g of the row's vec-element groups is stored at g ^ phase, the
  // phase changing every perPhase rows.
  int64_t vec = layout.getVec();
  V phase = e.rem(e.div(row, layout.getPerPhase()), layout.getMaxPhase());
  int64_t slab = layout.getSlab();
  if (!slab || slab >= rowLength) {
    V group = e.bitXor(e.div(column, vec), phase);
    return e.add(e.add(e.mul(row, rowLength), e.mul(group, vec)),
                 e.rem(column, vec));
  }
  // Slabs of `slab` elements of every row, one slab after another.
  V inSlab = e.rem(column, slab);
  V group = e.bitXor(e.div(inSlab, vec), phase);
  V start = e.add(e.mul(e.div(column, slab), numRows * slab),
                  e.mul(row, slab));
  return e.add(e.add(start, e.mul(group, vec)), e.rem(column, vec));
}

} // namespace mlir::kitegpu

#endif // KITE_DIALECTS_KITEGPU_SHAREDINDEX_H
