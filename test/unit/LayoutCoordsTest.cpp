//===- LayoutCoordsTest.cpp - which thread and register hold which element ===//
//
// DistributedLayoutAttr::getElementCoords against a brute-force model: along
// each dimension the tile is laid out by walking repetitions, warps, lanes
// and elements in turn, counting coordinates (mod the size, which
// replicates small tensors); a register's coordinates combine the
// per-dimension walks. Plus the invariants the thread-level lowering relies
// on: full coverage with equal replication, consecutive registers along the
// fastest dimension, slices as the parent without a dimension.
//
//===----------------------------------------------------------------------===//
#include "dialects/KiteGPU/KiteGPUDialect.h"

#include "mlir/IR/MLIRContext.h"
#include <gtest/gtest.h>

#include <map>
#include <set>

using namespace mlir;
using namespace mlir::kitegpu;

namespace {

/// Splits `linear` over `counts` with order[0] fastest.
std::vector<int64_t> split(int64_t linear, ArrayRef<int64_t> counts,
                           ArrayRef<unsigned> order) {
  std::vector<int64_t> parts(counts.size());
  for (unsigned d : order) {
    parts[d] = linear % counts[d];
    linear /= counts[d];
  }
  return parts;
}

/// Along one dimension: coords[warp][lane][register] by walking the tile.
std::vector<std::vector<std::vector<int64_t>>>
walkDim(int64_t size, int64_t spt, int64_t tpw, int64_t wpc) {
  int64_t tile = spt * tpw * wpc;
  int64_t reps = std::max<int64_t>(1, size / tile);
  std::vector<std::vector<std::vector<int64_t>>> coords(
      wpc, std::vector<std::vector<int64_t>>(tpw));
  int64_t next = 0;
  for (int64_t rep = 0; rep < reps; ++rep)
    for (int64_t w = 0; w < wpc; ++w)
      for (int64_t l = 0; l < tpw; ++l)
        for (int64_t j = 0; j < spt; ++j)
          coords[w][l].push_back(next++ % size);
  return coords;
}

struct Case {
  std::vector<int64_t> shape;
  std::vector<unsigned> spt, tpw, wpc, order;
};

/// Shown in test names (gtest_discover_tests prints parameters).
void PrintTo(const Case &c, std::ostream *os) {
  auto list = [&](const char *name, auto values) {
    *os << name << "=[";
    for (size_t i = 0; i < values.size(); ++i)
      *os << (i ? "," : "") << values[i];
    *os << "]";
  };
  list("shape", c.shape);
  list(" spt", c.spt);
  list(" tpw", c.tpw);
  list(" wpc", c.wpc);
  list(" order", c.order);
}

class LayoutCoords : public ::testing::TestWithParam<Case> {
protected:
  LayoutCoords() { context.loadDialect<KiteGPUDialect>(); }
  MLIRContext context;
};

TEST_P(LayoutCoords, BlockedMatchesBruteForce) {
  const Case &c = GetParam();
  auto layout = BlockedLayoutAttr::get(&context, c.spt, c.tpw, c.wpc, c.order);
  size_t rank = c.shape.size();
  std::vector<std::vector<std::vector<std::vector<int64_t>>>> walks;
  SmallVector<int64_t> regsPerDim, lanes, warps;
  for (size_t d = 0; d < rank; ++d) {
    walks.push_back(walkDim(c.shape[d], c.spt[d], c.tpw[d], c.wpc[d]));
    regsPerDim.push_back(walks.back()[0][0].size());
    lanes.push_back(c.tpw[d]);
    warps.push_back(c.wpc[d]);
  }
  EXPECT_EQ(layout.getElemsPerThread(c.shape), regsPerDim);

  int64_t numLanes = 1, numWarps = 1, numRegs = 1, numElems = 1;
  for (size_t d = 0; d < rank; ++d) {
    numLanes *= c.tpw[d];
    numWarps *= c.wpc[d];
    numRegs *= regsPerDim[d];
    numElems *= c.shape[d];
  }
  std::map<std::vector<int64_t>, int64_t> holders;
  for (int64_t warp = 0; warp < numWarps; ++warp) {
    for (int64_t lane = 0; lane < numLanes; ++lane) {
      std::vector<int64_t> w = split(warp, warps, c.order);
      std::vector<int64_t> l = split(lane, lanes, c.order);
      for (int64_t reg = 0; reg < numRegs; ++reg) {
        std::vector<int64_t> r = split(reg, regsPerDim, c.order);
        std::vector<int64_t> expected;
        for (size_t d = 0; d < rank; ++d)
          expected.push_back(walks[d][w[d]][l[d]][r[d]]);
        SmallVector<int64_t> got =
            layout.getElementCoords(c.shape, lane, warp, reg);
        ASSERT_EQ(std::vector<int64_t>(got.begin(), got.end()), expected)
            << "lane " << lane << " warp " << warp << " reg " << reg;
        ++holders[expected];
      }
    }
  }
  // Every element is held, each the same number of times.
  ASSERT_EQ(int64_t(holders.size()), numElems);
  int64_t copies = numLanes * numWarps * numRegs / numElems;
  for (auto &[coords, count] : holders)
    EXPECT_EQ(count, copies);
}

TEST_P(LayoutCoords, SizePerThreadRegistersAreConsecutive) {
  const Case &c = GetParam();
  auto layout = BlockedLayoutAttr::get(&context, c.spt, c.tpw, c.wpc, c.order);
  unsigned fastest = c.order[0];
  int64_t width = std::min<int64_t>(c.spt[fastest], c.shape[fastest]);
  int64_t numRegs = layout.getTotalElemsPerThread(c.shape);
  for (int64_t reg = 0; reg + 1 < numRegs; ++reg) {
    if ((reg + 1) % width == 0)
      continue;
    SmallVector<int64_t> a = layout.getElementCoords(c.shape, 1, 0, reg);
    SmallVector<int64_t> b = layout.getElementCoords(c.shape, 1, 0, reg + 1);
    a[fastest] += 1;
    EXPECT_EQ(a, b) << "register " << reg;
  }
}

/// Slices need a parent of rank 2 or more.
class SliceCoords : public LayoutCoords {};

TEST_P(SliceCoords, SliceIsParentWithoutDim) {
  const Case &c = GetParam();
  auto parent = BlockedLayoutAttr::get(&context, c.spt, c.tpw, c.wpc, c.order);
  for (unsigned dim = 0; dim < c.shape.size(); ++dim) {
    auto slice = SliceLayoutAttr::get(&context, dim, parent);
    SmallVector<int64_t> shape(c.shape.begin(), c.shape.end());
    SmallVector<int64_t> parentShape(shape);
    parentShape[dim] = 1;
    shape.erase(shape.begin() + dim);
    int64_t numRegs = slice.getTotalElemsPerThread(shape);
    // Slice registers hold what the parent's registers with index 0 along
    // `dim` hold, in the same thread.
    std::set<std::vector<int64_t>> expected, got;
    for (int64_t reg = 0; reg < parent.getTotalElemsPerThread(parentShape);
         ++reg) {
      SmallVector<int64_t> coords =
          parent.getElementCoords(parentShape, 3, 1, reg);
      coords.erase(coords.begin() + dim);
      expected.insert(std::vector<int64_t>(coords.begin(), coords.end()));
    }
    for (int64_t reg = 0; reg < numRegs; ++reg) {
      SmallVector<int64_t> coords = slice.getElementCoords(shape, 3, 1, reg);
      got.insert(std::vector<int64_t>(coords.begin(), coords.end()));
    }
    EXPECT_EQ(got, expected) << "dim " << dim;
    EXPECT_EQ(int64_t(got.size()), numRegs) << "dim " << dim;
  }
}

/// "s64x64_p1x4_t2x16_w4x1_o1x0": shape, sizePerThread, threadsPerWarp,
/// warpsPerCTA, order.
std::string caseName(const ::testing::TestParamInfo<Case> &info) {
  auto join = [](auto values) {
    std::string text;
    for (auto v : values)
      text += (text.empty() ? "" : "x") + std::to_string(v);
    return text;
  };
  const Case &c = info.param;
  return "s" + join(c.shape) + "_p" + join(c.spt) + "_t" + join(c.tpw) + "_w" +
         join(c.wpc) + "_o" + join(c.order);
}

const Case kRank1[] = {
    // The vector add: 4 floats per thread, two repetitions.
    Case{{1024}, {4}, {32}, {4}, {0}},
    // A tensor smaller than the tile is replicated.
    Case{{16}, {1}, {32}, {4}, {0}}, Case{{2}, {4}, {8}, {2}, {0}}};

const Case kRank2And3[] = {
    // Row-major and column-major 2-D tiles (the transpose).
    Case{{64, 64}, {1, 4}, {2, 16}, {4, 1}, {1, 0}},
    Case{{64, 64}, {4, 1}, {16, 2}, {1, 4}, {0, 1}},
    Case{{16, 64}, {1, 4}, {8, 4}, {2, 2}, {1, 0}},
    Case{{4, 8}, {2, 2}, {2, 4}, {2, 1}, {1, 0}},
    Case{{4, 8, 16}, {1, 2, 4}, {2, 2, 2}, {1, 2, 2}, {2, 0, 1}}};

INSTANTIATE_TEST_SUITE_P(Rank1, LayoutCoords, ::testing::ValuesIn(kRank1),
                         caseName);
INSTANTIATE_TEST_SUITE_P(Rank2And3, LayoutCoords,
                         ::testing::ValuesIn(kRank2And3), caseName);
INSTANTIATE_TEST_SUITE_P(Rank2And3, SliceCoords,
                         ::testing::ValuesIn(kRank2And3), caseName);

} // namespace
