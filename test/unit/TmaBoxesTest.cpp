//===- TmaBoxesTest.cpp - the TMA boxes that fill a shared layout ---------===//
//
// planTmaBoxes against a model of what TMA writes: each box dense,
// innermost first, its 16-byte chunks moved by the swizzle of the shared
// address. Every element of the tile must be written exactly once, where
// the layout stores it; the plans Kite's slots need (128-byte swizzled
// rows, slabs of wider rows, rows placed for wgmma's descriptor, no
// swizzle), and none for layouts TMA cannot write.
//
//===----------------------------------------------------------------------===//
#include "dialects/KiteGPU/KiteGPUDialect.h"
#include "dialects/KiteGPU/MmaTiling.h"
#include "dialects/KiteGPU/SharedIndex.h"
#include "dialects/KiteGPU/TmaBoxes.h"

#include "mlir/IR/MLIRContext.h"
#include <gtest/gtest.h>

#include <set>

using namespace mlir;
using namespace mlir::kitegpu;

namespace {

/// The byte address TMA writes element (r, c) of `box` to.
int64_t written(const TmaPlan &plan, const TmaBox &box, int64_t r, int64_t c,
                int64_t bytes) {
  int64_t address =
      box.sharedIndex * bytes + ((r - box.row) * plan.columns + (c - box.column)) * bytes;
  if (!plan.swizzleBytes)
    return address;
  int64_t bits = plan.swizzleBytes == 128 ? 3 : plan.swizzleBytes == 64 ? 2 : 1;
  return address ^ (((address >> 7) & ((1 << bits) - 1)) << 4);
}

/// Every element written once, where `layout` stores it.
void expectFills(const TmaPlan &plan, SharedLayoutAttr layout, int64_t rows,
                 int64_t columns, int64_t bytes) {
  ConstantIndex e;
  std::set<int64_t> seen;
  for (const TmaBox &box : plan.boxes)
    for (int64_t r = box.row; r < box.row + plan.rows; ++r)
      for (int64_t c = box.column; c < box.column + plan.columns; ++c) {
        ASSERT_LT(r, rows);
        ASSERT_LT(c, columns);
        int64_t stored = sharedIndex(e, layout, rows, columns, r, c) * bytes;
        EXPECT_EQ(written(plan, box, r, c, bytes), stored) << r << ", " << c;
        EXPECT_TRUE(seen.insert(r * columns + c).second) << "twice: " << r << ", " << c;
      }
  EXPECT_EQ(int64_t(seen.size()), rows * columns);
}

class TmaBoxesTest : public ::testing::Test {
protected:
  TmaBoxesTest() { context.loadDialect<KiteGPUDialect>(); }
  MLIRContext context;
};

TEST_F(TmaBoxesTest, OneBoxFillsSwizzledRowsOf128Bytes) {
  auto layout = getMmaOperandSharedLayout(&context, 64, 2, {1, 0}, true, 0);
  std::optional<TmaPlan> plan = planTmaBoxes(layout, 128, 64, 2);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->swizzleBytes, 128);
  EXPECT_EQ(plan->boxes.size(), 1u);
  expectFills(*plan, layout, 128, 64, 2);
}

TEST_F(TmaBoxesTest, SlabsOfWiderRowsAreOneBoxEach) {
  auto layout = getMmaOperandSharedLayout(&context, 256, 2, {1, 0}, true, 0);
  std::optional<TmaPlan> plan = planTmaBoxes(layout, 64, 256, 2);
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->columns, 64);
  EXPECT_EQ(plan->boxes.size(), 4u);
  expectFills(*plan, layout, 64, 256, 2);
}

TEST_F(TmaBoxesTest, RowsPlacedForWgmmaAreBoxesOfEightRows) {
  for (unsigned warpsM : {4u, 8u}) {
    auto layout =
        getMmaOperandSharedLayout(&context, 64, 2, {1, 0}, true, warpsM);
    std::optional<TmaPlan> plan = planTmaBoxes(layout, 128, 64, 2);
    ASSERT_TRUE(plan) << warpsM;
    EXPECT_EQ(plan->rows, 8);
    EXPECT_EQ(plan->boxes.size(), 16u);
    expectFills(*plan, layout, 128, 64, 2);
  }
}

TEST_F(TmaBoxesTest, NarrowRowsTakeTheSmallerSwizzles) {
  // 32 f16 = 64-byte rows, 16 fp8 = 16-byte rows (then no swizzle).
  for (auto [columns, bytes] : {std::pair{32, 2}, std::pair{16, 1}}) {
    auto layout = getMmaOperandSharedLayout(&context, columns, bytes, {1, 0},
                                            true, 0);
    std::optional<TmaPlan> plan = planTmaBoxes(layout, 64, columns, bytes);
    ASSERT_TRUE(plan) << columns;
    EXPECT_EQ(plan->boxes.size(), 1u);
    expectFills(*plan, layout, 64, columns, bytes);
  }
}

TEST_F(TmaBoxesTest, LayoutsTmaCannotWriteHaveNoPlan) {
  // Rows of 24 bytes (no multiple of 16), and a swizzle by 4-byte groups.
  auto rows24 = SharedLayoutAttr::get(&context, 4, 1, 1, {1, 0}, 0, 0);
  EXPECT_FALSE(planTmaBoxes(rows24, 64, 12, 2));
  auto fourBytes = SharedLayoutAttr::get(&context, 2, 1, 8, {1, 0}, 0, 0);
  EXPECT_FALSE(planTmaBoxes(fourBytes, 64, 64, 2));
}

} // namespace
