//===- MmaTiling.cpp - how a dot is spread over NVIDIA tensor cores -------===//
//
//   operands        instruction        staged as
//   f16, bf16       m16n8k16           themselves
//   f32 ("tf32")    m16n8k8 tf32       f32 (the low 13 bits are ignored)
//   i8              m16n8k32 s8        i8, i32 accumulators (saturating)
//   fp8, sm_89+     m16n8k32 e4m3/e5m2 their bits
//   fp8, sm_80-88   m16n8k16 f16       f16 (exact)
//   fnuz fp8        m16n8k16 f16       f16 (exact; no mma takes them)
//
//===----------------------------------------------------------------------===//
#include "dialects/KiteGPU/MmaTiling.h"

#include "dialects/Kite/Float8Formats.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::kitegpu;

/// Bytes of one ldmatrix row: an instruction's K is two of them.
static constexpr int64_t kChunkBytes = 16;
static constexpr int64_t kTileM = 16, kTileN = 8;

/// The mma operand type and the staged type for operands of `input`.
static std::optional<std::pair<Type, Type>>
getMmaOperandTypes(Type input, StringRef precision, int64_t arch) {
  MLIRContext *context = input.getContext();
  if (input.isF16() || input.isBF16() || input.isSignlessInteger(8))
    return std::pair{input, input};
  if (input.isF32() && precision == "tf32")
    return std::pair{Type(FloatTF32Type::get(context)), input};
  Type f16 = Float16Type::get(context);
  if (isa<Float8E4M3FNType, Float8E5M2Type>(input))
    return arch >= 89 ? std::pair{input, input} : std::pair{f16, f16};
  // Every value of the other fp8 formats is an f16 value too (not of the
  // e8m0 scales, which are no dot operands).
  const kite::Float8Format *fp8 = kite::getFloat8Format(input);
  if (fp8 && !fp8->isScale)
    return std::pair{f16, f16};
  return std::nullopt;
}

std::optional<MmaTiling>
mlir::kitegpu::chooseMmaTiling(Type input, StringRef precision, Type acc,
                               int64_t M, int64_t N, int64_t K,
                               unsigned numWarps, unsigned threadsPerWarp,
                               int64_t arch, bool chained,
                               std::optional<int64_t> warpsMWanted,
                               bool warpgroups) {
  if (arch < 80 || threadsPerWarp != 32 ||
      (!acc.isF32() && !acc.isF16() && !acc.isSignlessInteger(32)))
    return std::nullopt;
  auto types = getMmaOperandTypes(input, precision, arch);
  if (!types)
    return std::nullopt;
  Type abType = types->first, staged = types->second;
  int64_t vec = kChunkBytes / (staged.getIntOrFloatBitWidth() / 8);
  if (!llvm::isPowerOf2_64(M) || !llvm::isPowerOf2_64(N) ||
      !llvm::isPowerOf2_64(K) || K < 2 * vec)
    return std::nullopt;
  auto tilingOf = [&](int64_t warpsM) -> std::optional<MmaTiling> {
    int64_t warpsN = numWarps / warpsM;
    if (warpsM < 1 || warpsM > numWarps || M % (kTileM * warpsM) ||
        N % (kTileN * warpsN))
      return std::nullopt;
    return MmaTiling{abType, staged, 2 * vec, warpsM, warpsN,
                     M / (kTileM * warpsM), N / (kTileN * warpsN)};
  };
  if (warpsMWanted)
    if (auto tiling = tilingOf(*warpsMWanted))
      return tiling;
  // wgmma (MmaDotToThreads.cpp) gives each warp of a warpgroup all N
  // columns of its rows: every warp along M.
  if (chained || (warpgroups && numWarps % 4 == 0))
    if (auto tiling = tilingOf(numWarps))
      return tiling;
  // The grid whose warps read the fewest fragment registers per K step (4
  // per row of tiles, 2 per column).
  std::optional<MmaTiling> best;
  auto cost = [](const MmaTiling &t) { return 4 * t.tilesM + 2 * t.tilesN; };
  for (int64_t warpsM = 1; warpsM <= numWarps; warpsM *= 2)
    if (auto tiling = tilingOf(warpsM))
      if (!best || cost(*tiling) < cost(*best))
        best = tiling;
  return best;
}

std::optional<int64_t>
mlir::kitegpu::getMmaAccumulatorWarpsM(Attribute attr) {
  auto layout = dyn_cast_or_null<BlockedLayoutAttr>(attr);
  if (!layout || layout.getSizePerThread_() != ArrayRef<unsigned>{1, 2} ||
      layout.getThreadsPerWarp_() != ArrayRef<unsigned>{8, 4} ||
      layout.getOrder_() != ArrayRef<unsigned>{1, 0})
    return std::nullopt;
  return layout.getWarpsPerCTA_()[0];
}

BlockedLayoutAttr
mlir::kitegpu::getMmaAccumulatorLayout(MLIRContext *context,
                                       const MmaTiling &tiling) {
  return BlockedLayoutAttr::get(
      context, {1, 2}, {8, 4},
      {unsigned(tiling.warpsM), unsigned(tiling.warpsN)}, {1, 0});
}

SharedLayoutAttr mlir::kitegpu::getMmaOperandSharedLayout(
    MLIRContext *context, int64_t rowElements, int64_t elementBytes,
    ArrayRef<unsigned> order, bool slabbed, unsigned placedWarpsM) {
  int64_t rowBytes = rowElements * elementBytes;
  unsigned perPhase = std::max<int64_t>(1, 128 / rowBytes);
  unsigned maxPhase = std::max<unsigned>(1, 8 / perPhase);
  unsigned slab = slabbed && rowBytes > 128 ? 128 / elementBytes : 0;
  return SharedLayoutAttr::get(context, 16 / elementBytes, perPhase, maxPhase,
                               order, slab, placedWarpsM);
}
