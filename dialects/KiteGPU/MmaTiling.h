//===- MmaTiling.h - how a dot is spread over NVIDIA tensor cores -*- C++ -*-===//
//
// The choice both the layout stage (the accumulator's layout) and the
// thread lowering (the instructions) make for a dot on mma.sync: which
// instruction the operands have, and the grid of warps over its 16x8 tiles.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_DIALECTS_KITEGPU_MMATILING_H
#define KITE_DIALECTS_KITEGPU_MMATILING_H

#include "dialects/KiteGPU/KiteGPUDialect.h"

#include <optional>

namespace mlir::kitegpu {

/// How a dot runs on tensor cores: mma.sync m16n8k<k> of `abType` operands,
/// staged in workgroup memory as `staged`, over a warpsM x warpsN grid of
/// warps, each computing tilesM x tilesN tiles of 16x8.
struct MmaTiling {
  Type abType, staged;
  int64_t k, warpsM, warpsN, tilesM, tilesN;
};

/// The tiling of a dot of M x K `input` operands by K x N ones into an
/// `acc` accumulator, or none (then the FMA loop): the target (compute
/// capability `arch`, 0 for none) must have tensor cores and an instruction
/// for the operands (f16, bf16, i8, fp8, and f32 with input precision
/// "tf32"), the accumulator be f32, f16 or i32, M, N and K powers of two, K
/// at least the instruction's, and M and N multiples of 16 * warpsM and
/// 8 * warpsN for some warpsM x warpsN = numWarps. Of those grids:
/// `warpsM` when given and possible (a layout already chose it); else
/// numWarps x 1 when `chained` (a dot whose result feeds another dot, or
/// fed by one: the rows of P stay with the warp that computed them, and
/// softmax's row reductions within it) or `warpgroups` (Hopper's wgmma:
/// warps in fours along M, each with all of N) and possible; else the grid
/// whose warps read the fewest fragment registers per K step.
std::optional<MmaTiling>
chooseMmaTiling(Type input, StringRef precision, Type acc, int64_t M,
                int64_t N, int64_t K, unsigned numWarps,
                unsigned threadsPerWarp, int64_t arch, bool chained = false,
                std::optional<int64_t> warpsM = std::nullopt,
                bool warpgroups = false);

/// The warps along M of `layout` when it is an accumulator layout of
/// getMmaAccumulatorLayout's form; none otherwise.
std::optional<int64_t> getMmaAccumulatorWarpsM(Attribute layout);

/// The blocked layout whose registers are the accumulators of `tiling`'s
/// mma.sync tiles: lane l of a warp holds rows l / 4 and columns
/// 2 * (l % 4) + {0, 1} of every 8x8 block of its warp (threadsPerWarp
/// [8, 4], sizePerThread [1, 2]); the warps' 8x8 blocks interleave
/// (warpsPerCTA [warpsM, warpsN]). A tile is two 8-row blocks of one warp:
/// mma.sync adds rows and columns independently, so they need not be
/// adjacent.
BlockedLayoutAttr getMmaAccumulatorLayout(MLIRContext *context,
                                          const MmaTiling &tiling);

/// The swizzled layout in which mma.sync's operands are staged: rows of
/// `rowElements` elements of `elementBytes` bytes (along `order[0]`), their
/// 16-byte chunks XOR-swizzled by (row / perPhase) % maxPhase, perPhase
/// rows filling 128 bytes, so that the eight rows one ldmatrix phase reads
/// fall in distinct banks. `slabbed` (Hopper's wgmma) cuts rows longer
/// than 128 bytes into 128-byte slabs stored one after another, so that
/// every slab is a swizzled operand a wgmma descriptor can name.
/// `placedWarpsM` (not 0) stores the rows in the order wgmma reads an A
/// operand through a descriptor (SharedLayoutAttr's warpsM).
SharedLayoutAttr getMmaOperandSharedLayout(MLIRContext *context,
                                           int64_t rowElements,
                                           int64_t elementBytes,
                                           ArrayRef<unsigned> order,
                                           bool slabbed = false,
                                           unsigned placedWarpsM = 0);

} // namespace mlir::kitegpu

#endif // KITE_DIALECTS_KITEGPU_MMATILING_H
