//===- Hopper.h - sm_90's asynchronous instructions -------------*- C++ -*-===//
//
// The PTX ISA's asynchronous world of sm_90, written once for the inline-PTX
// handlers (InlinePtxHopper.cpp) and the NVVM intrinsics' runtime
// (HopperIntrinsics.cpp):
//
//  - mbarrier (HopperBarriers.cpp): the barrier's state lives in its 8 bytes
//    of shared memory, in the simulator's own encoding (below); a thread
//    waiting on a phase sleeps until the phase completes.
//  - cp.async.bulk and cp.async.bulk.tensor, with the simulator's own
//    CUtensorMap encoding (HopperTma.cpp): copies into shared memory are
//    performed when a thread first waits on their mbarrier, copies out of
//    it at cp.async.bulk.wait_group, so that reading too early sees stale
//    bytes.
//  - wgmma and stmatrix (TensorCoreHopper.cpp): warpgroup and warp
//    collectives with the ISA's fragment layouts and matrix descriptors.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_BACKENDS_NVPTX_SIM_HOPPER_H
#define KITE_BACKENDS_NVPTX_SIM_HOPPER_H

#include <cstdint>
#include <string>
#include <vector>

namespace kite::sim {

class SimThread;

// --- mbarrier ---------------------------------------------------------------
//
// The 64-bit object, as the simulator encodes it (the ISA leaves it opaque):
//   bits  0-19  arrivals still pending in the current phase
//   bits 20-39  the expected arrival count (mbarrier.init, arrive_drop)
//   bits 40-60  tx-count, 21-bit two's complement
//   bit  61     the current phase's parity
//   bits 62-63  0b01: initialised (fresh shared memory, all ones, is not)
// The state an arrive returns holds its phase's parity in bit 61 and the
// arrivals then pending in bits 0-19.

void mbarrierInit(SimThread &t, uint64_t address, uint32_t count);
void mbarrierInval(SimThread &t, uint64_t address);
/// expect-tx of `transactions` (when nonzero), then arrive-on with `count`;
/// `drop` also lowers the expected count of later phases; `noComplete`
/// fails the launch if this arrival would complete the phase. Returns the
/// state.
uint64_t mbarrierArrive(SimThread &t, uint64_t address, uint32_t count,
                        uint32_t transactions, bool drop, bool noComplete);
void mbarrierExpectTx(SimThread &t, uint64_t address, uint32_t transactions);
void mbarrierCompleteTx(SimThread &t, uint64_t address, uint32_t transactions);
/// test_wait / try_wait.parity: whether the phase with parity `parity` has
/// completed; `block` (try_wait) sleeps until it has.
bool mbarrierWait(SimThread &t, uint64_t address, uint32_t parity, bool block);
/// The parity of the phase a state (from an arrive) belongs to.
uint32_t mbarrierStateParity(uint64_t state);
uint32_t mbarrierPendingCount(uint64_t state);
/// For the deadlock message: what the sleeping `t` waits for.
std::string describeMbarrierWait(SimThread &t);

// --- cp.async.bulk ----------------------------------------------------------
//
// The simulator's CUtensorMap (128 bytes, little-endian; written by
// kite.sim.tensor_map on the host):
//   0   u32 magic 0x4d54534b ("KSTM")
//   4   u8 rank (1-5), u8 element bytes, u8 swizzle (0 none, 1 32B, 2 64B,
//       3 128B: CUtensorMapSwizzle's values), u8 out-of-bounds fill (0 zeros,
//       1 NaN: all-ones bytes)
//   8   u64 global address
//   16  u32 globalDim[5], innermost first
//   36  u32 boxDim[5]
//   56  u64 globalStrides[4]: the byte strides of dimensions 1 to 4
//   88  u32 elementStrides[5] (only 1 is implemented)
//   108 u32 the element type as tensormap.replace numbers it (6 f16, 10
//       bf16, ...), for messages only; the rest is zero.
// tensormap.replace writes these fields (and the magic, into a zeroed
// template, as Triton's in-kernel descriptors start).

/// cp.async.bulk.tensor.Nd.shared::cta.global...complete_tx: the box at
/// `coordinates` of the map at `map` into shared memory at `shared`,
/// completing its bytes on `mbarrier` (when a thread waits there).
void bulkTensorLoad(SimThread &t, unsigned rank, uint64_t shared, uint64_t map,
                    const int32_t *coordinates, uint64_t mbarrier);
/// cp.async.bulk.tensor.Nd.global.shared::cta.bulk_group: queued in the
/// thread's bulk group.
void bulkTensorStore(SimThread &t, unsigned rank, uint64_t map,
                     const int32_t *coordinates, uint64_t shared);
/// The linear forms: cp.async.bulk.shared::cta.global (into shared memory,
/// completing on `mbarrier`) and cp.async.bulk.global.shared::cta.
void bulkLoad(SimThread &t, uint64_t shared, uint64_t global, uint32_t bytes,
              uint64_t mbarrier);
void bulkStore(SimThread &t, uint64_t global, uint64_t shared, uint32_t bytes);
void bulkCommit(SimThread &t);
/// cp.async.bulk.wait_group{.read} `pending`.
void bulkWait(SimThread &t, uint32_t pending);
/// tensormap.replace.tile.<field> of the map at `map` (`ordinal` for the
/// per-dimension fields); `field` as the instruction names it.
void tensorMapReplace(SimThread &t, uint64_t map, const std::string &field,
                      uint32_t ordinal, uint64_t value);
/// Performs the copies into shared memory that complete on `mbarrier`, in
/// order, until its current phase completes (a thread waits there).
void completeBulkLoads(SimThread &t, uint64_t mbarrier);
/// At a thread's exit: its bulk copies to global memory.
void finishBulkCopies(SimThread &t);

// --- wgmma, stmatrix, elect
// ---------------------------------------------------

/// wgmma.mma_async's shape and types, decoded once when the asm is parsed.
struct WgmmaShape {
  unsigned n = 8, k = 16;
  std::string dType, aType, bType;
  bool satfinite = false;
  unsigned elementBytes() const; ///< Of A and B.
  unsigned dRegisters() const;   ///< N/2 (f32, s32) or N/4 (f16).
};

/// Parses "wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16"; false with
/// `why` for what the simulator lacks.
bool parseWgmmaShape(const std::string &text, WgmmaShape &shape,
                     std::string &why);

/// What a wgmma.mma_async read through one descriptor (of the warpgroup
/// `warpgroup`), checked again when its group is retired.
struct WgmmaRead {
  const char *name; ///< "A" or "B".
  uint64_t descriptor;
  bool kMajor;
  unsigned rows, k;
  std::string type;
  std::vector<double> values;
  unsigned warpgroup;
  bool checked = false;
};

/// One thread's part of wgmma.mma_async.
struct WgmmaOperands {
  const uint32_t *aRegisters = nullptr; ///< Four, or null: A by descriptor.
  uint64_t aDescriptor = 0, bDescriptor = 0;
  bool scaleD = true;
  int scaleA = 1, scaleB = 1;
  bool transA = false, transB = false; ///< MN-major A / B.
  uint32_t *d = nullptr;               ///< In and out.
};

/// wgmma.mma_async: a collective of the warpgroup (computed when its last
/// thread arrives; the ISA lets the result be ready before wait_group).
void warpgroupMma(SimThread &t, const WgmmaShape &shape,
                  const WgmmaOperands &operands);
void wgmmaFence(SimThread &t);
void wgmmaCommit(SimThread &t);
void wgmmaWait(SimThread &t, uint64_t pending);

/// stmatrix.sync.aligned.m8n8.x{1,2,4}{.trans}.b16: the inverse of
/// ldmatrix (TensorCore.h).
void warpStmatrix(SimThread &t, unsigned count, bool transposed,
                  uint64_t address, const uint32_t *values);

/// elect.sync: the leader's lane; `leader` whether it is this thread.
uint32_t warpElect(SimThread &t, uint32_t mask, bool &leader);

} // namespace kite::sim

#endif // KITE_BACKENDS_NVPTX_SIM_HOPPER_H
