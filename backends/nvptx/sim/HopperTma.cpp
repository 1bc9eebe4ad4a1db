//===- HopperTma.cpp - cp.async.bulk, tensor maps, bulk groups ------------===//
//
// The tensor memory accelerator's copies. A copy into shared memory waits in
// its block's queue until a thread waits on its mbarrier (completeBulkLoads,
// from mbarrier.try_wait/test_wait): then the box is read from global
// memory, written to shared memory with the map's swizzle, and its bytes
// complete on the barrier. A copy out of shared memory waits in its thread's
// bulk groups until cp.async.bulk.wait_group (or the thread's exit). So a
// kernel that reads a tile before waiting, or reuses a buffer before the
// store has read it, sees stale bytes, as it may on a GPU.
//
// The box's elements lie in shared memory densely, innermost dimension
// first; the swizzle modes then permute 16-byte chunks by the address's
// bits as wgmma's descriptors read them: 128B XORs bits 4-6 with bits 7-9,
// 64B bits 4-5 with 7-8, 32B bit 4 with bit 7. Elements outside the tensor
// read as zeros (or NaN, all-ones bytes, if the map asks) and are not
// written by stores; the whole box counts as the copy's transaction bytes.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/sim/Hopper.h"
#include "backends/nvptx/sim/SimScheduler.h"

#include <cstring>
#include <sstream>

using namespace kite::sim;

namespace {

constexpr uint32_t kMagic = 0x4d54534b; // "KSTM"

std::string hex(uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

/// A tensor map as Hopper.h encodes it.
struct TensorMap {
  unsigned rank = 0, elementBytes = 0, swizzle = 0; // swizzle in bytes
  bool nanFill = false;
  uint64_t global = 0;
  uint32_t dims[5] = {}, box[5] = {}, elementStrides[5] = {};
  uint64_t strides[5] = {}; ///< In bytes; strides[0] is elementBytes.
  uint64_t boxBytes() const {
    uint64_t n = elementBytes;
    for (unsigned i = 0; i < rank; ++i)
      n *= box[i];
    return n;
  }
};

template <typename T> T field(const uint8_t *bytes, unsigned offset) {
  T v;
  std::memcpy(&v, bytes + offset, sizeof v);
  return v;
}

uint32_t magicOf(const uint8_t *bytes) { return field<uint32_t>(bytes, 0); }

/// Decodes the 128 bytes of a tensor map; "" or what is wrong with them.
std::string decodeMap(const uint8_t *bytes, TensorMap &m) {
  if (field<uint32_t>(bytes, 0) != kMagic)
    return "is not a tensor map of cuda-sim (kite.sim.tensor_map encodes "
           "them; a CUtensorMap is opaque, and the simulator reads only its "
           "own encoding)";
  m.rank = bytes[4];
  m.elementBytes = bytes[5];
  unsigned swizzle = bytes[6];
  m.nanFill = bytes[7] != 0;
  m.global = field<uint64_t>(bytes, 8);
  if (m.rank < 1 || m.rank > 5 || swizzle > 3 ||
      (m.elementBytes != 1 && m.elementBytes != 2 && m.elementBytes != 4 &&
       m.elementBytes != 8))
    return "is a corrupt tensor map (rank, element size or swizzle)";
  m.swizzle = swizzle == 0 ? 0 : 16u << swizzle;
  m.strides[0] = m.elementBytes;
  for (unsigned i = 0; i < 5; ++i) {
    m.dims[i] = field<uint32_t>(bytes, 16 + 4 * i);
    m.box[i] = field<uint32_t>(bytes, 36 + 4 * i);
    m.elementStrides[i] = field<uint32_t>(bytes, 88 + 4 * i);
    if (i > 0)
      m.strides[i] = field<uint64_t>(bytes, 56 + 8 * (i - 1));
  }
  for (unsigned i = 0; i < m.rank; ++i) {
    if (m.box[i] < 1 || m.box[i] > 256 || m.dims[i] < 1)
      return "is a corrupt tensor map (a box or tensor dimension)";
    if (m.elementStrides[i] != 1)
      return "has element strides other than 1, which the simulator does "
             "not implement";
  }
  uint64_t inner = uint64_t(m.box[0]) * m.elementBytes;
  if (inner % 16)
    return "has a box whose inner dimension, " + std::to_string(inner) +
           " bytes, is no multiple of 16";
  if (m.swizzle && inner > m.swizzle)
    return "has a box whose inner dimension, " + std::to_string(inner) +
           " bytes, exceeds its swizzle's " + std::to_string(m.swizzle);
  return "";
}

/// The swizzled shared-memory address of byte `offset` of a box at `base`.
uint64_t swizzled(uint64_t address, unsigned swizzle) {
  if (!swizzle)
    return address;
  uint64_t mask = swizzle / 16 - 1;
  return address ^ (((address >> 7) & mask) << 4);
}

/// Checks that `bytes` at `shared` lie in the block's shared memory, aligned
/// to `align`.
void checkShared(SimThread &t, const char *what, uint64_t shared,
                 uint64_t bytes, unsigned align) {
  auto base = reinterpret_cast<uint64_t>(t.cta->shared);
  if (shared < base || shared + bytes > base + t.cta->sharedBytes)
    t.fail(std::string(what) + ": the " + std::to_string(bytes) +
           " bytes at shared address " + hex(shared) +
           " are not all in the block's shared memory (" +
           std::to_string(t.cta->sharedBytes) + " bytes)");
  if ((shared - base) % align)
    t.fail(std::string(what) + ": the shared memory address (offset " +
           hex(shared - base) + ") is not " + std::to_string(align) +
           "-byte aligned");
}

TensorMap readMap(SimThread &t, const char *what, const uint8_t *bytes,
                  uint64_t address, unsigned rank) {
  TensorMap m;
  std::string why = decodeMap(bytes, m);
  if (!why.empty())
    t.fail(std::string(what) + ": the tensor map at " + hex(address) + " " +
           why);
  if (m.rank != rank)
    t.fail(std::string(what) + ": a " + std::to_string(rank) +
           "-d copy with a tensor map of rank " + std::to_string(m.rank));
  return m;
}

/// Copies the box between global and shared memory, element by element.
void copyBox(SimThread &t, const TensorMap &m, const BulkCopy &c) {
  unsigned eb = m.elementBytes;
  uint64_t rows = 1;
  for (unsigned i = 1; i < m.rank; ++i)
    rows *= m.box[i];
  uint64_t globalBytes = 0;
  for (uint64_t row = 0; row < rows; ++row) {
    // The row's coordinates in dimensions 1 and up.
    int64_t coordinate[5] = {};
    uint64_t rest = row;
    bool inside = true;
    uint64_t rowAddress = m.global;
    for (unsigned i = 1; i < m.rank; ++i) {
      coordinate[i] = int64_t(c.coordinates[i]) + int64_t(rest % m.box[i]);
      rest /= m.box[i];
      inside &= coordinate[i] >= 0 && coordinate[i] < int64_t(m.dims[i]);
      rowAddress += uint64_t(coordinate[i]) * m.strides[i];
    }
    for (uint32_t x = 0; x < m.box[0]; ++x) {
      int64_t g = int64_t(c.coordinates[0]) + x;
      bool in = inside && g >= 0 && g < int64_t(m.dims[0]);
      auto *smem = reinterpret_cast<uint8_t *>(
          swizzled(c.shared + (row * m.box[0] + x) * eb, m.swizzle));
      const auto *global =
          reinterpret_cast<uint8_t *>(rowAddress + uint64_t(g) * eb);
      if (c.toShared) {
        if (in)
          std::memcpy(smem, global, eb);
        else
          std::memset(smem, m.nanFill ? 0xff : 0, eb);
      } else if (in) {
        std::memcpy(const_cast<uint8_t *>(global), smem, eb);
      }
      globalBytes += in ? eb : 0;
    }
  }
  t.counters.add(c.toShared ? Counter::global_load_bytes
                            : Counter::global_store_bytes,
                 globalBytes);
  t.counters.add(c.toShared ? Counter::shared_store_bytes
                            : Counter::shared_load_bytes,
                 m.boxBytes());
}

/// Performs `c` now (for `t`, whose counters it adds to).
void perform(SimThread &t, const BulkCopy &c) {
  if (c.tensor) {
    TensorMap m;
    decodeMap(c.map.data(), m); // checked when the copy was issued
    copyBox(t, m, c);
  } else {
    auto *shared = reinterpret_cast<void *>(c.shared);
    auto *global = reinterpret_cast<void *>(c.global);
    if (c.toShared)
      std::memcpy(shared, global, c.bytes);
    else
      std::memcpy(global, shared, c.bytes);
    t.counters.add(c.toShared ? Counter::global_load_bytes
                              : Counter::global_store_bytes,
                   c.bytes);
    t.counters.add(c.toShared ? Counter::shared_store_bytes
                              : Counter::shared_load_bytes,
                   c.bytes);
  }
  if (c.toShared)
    mbarrierCompleteTx(t, c.mbarrier, c.bytes);
}

uint32_t parityOf(uint64_t mbarrier) {
  uint64_t word;
  std::memcpy(&word, reinterpret_cast<const void *>(mbarrier), 8);
  return uint32_t(word >> 61) & 1;
}

void issue(SimThread &t, BulkCopy copy) {
  t.counters.add(Counter::bulk_copies);
  t.counters.add(Counter::bulk_copy_bytes, copy.bytes);
  if (copy.toShared)
    t.cta->pendingBulkLoads.push_back(copy);
  else
    t.bulkUncommitted.push_back(copy);
}

BulkCopy tensorCopy(SimThread &t, const char *what, unsigned rank,
                    uint64_t shared, uint64_t map, const int32_t *coordinates,
                    bool toShared) {
  BulkCopy copy;
  copy.tensor = true;
  copy.toShared = toShared;
  copy.shared = shared;
  std::memcpy(copy.map.data(), reinterpret_cast<const void *>(map), 128);
  TensorMap m = readMap(t, what, copy.map.data(), map, rank);
  for (unsigned i = 0; i < rank; ++i)
    copy.coordinates[i] = coordinates[i];
  copy.bytes = uint32_t(m.boxBytes());
  checkShared(t, what, shared, copy.bytes, 128);
  return copy;
}

} // namespace

void kite::sim::bulkTensorLoad(SimThread &t, unsigned rank, uint64_t shared,
                               uint64_t map, const int32_t *coordinates,
                               uint64_t mbarrier) {
  BulkCopy copy = tensorCopy(t, "cp.async.bulk.tensor", rank, shared, map,
                             coordinates, true);
  copy.mbarrier = mbarrier;
  issue(t, copy);
}

void kite::sim::bulkTensorStore(SimThread &t, unsigned rank, uint64_t map,
                                const int32_t *coordinates, uint64_t shared) {
  issue(t, tensorCopy(t, "cp.async.bulk.tensor", rank, shared, map, coordinates,
                      false));
}

void kite::sim::bulkLoad(SimThread &t, uint64_t shared, uint64_t global,
                         uint32_t bytes, uint64_t mbarrier) {
  if (bytes % 16)
    t.fail("cp.async.bulk: the size " + std::to_string(bytes) +
           " is no multiple of 16");
  checkShared(t, "cp.async.bulk", shared, bytes, 16);
  BulkCopy copy;
  copy.shared = shared;
  copy.global = global;
  copy.bytes = bytes;
  copy.mbarrier = mbarrier;
  issue(t, copy);
}

void kite::sim::bulkStore(SimThread &t, uint64_t global, uint64_t shared,
                          uint32_t bytes) {
  if (bytes % 16)
    t.fail("cp.async.bulk: the size " + std::to_string(bytes) +
           " is no multiple of 16");
  checkShared(t, "cp.async.bulk", shared, bytes, 16);
  BulkCopy copy;
  copy.toShared = false;
  copy.shared = shared;
  copy.global = global;
  copy.bytes = bytes;
  issue(t, copy);
}

void kite::sim::tensorMapReplace(SimThread &t, uint64_t map,
                                 const std::string &field, uint32_t ordinal,
                                 uint64_t value) {
  auto *bytes = reinterpret_cast<uint8_t *>(map);
  if (magicOf(bytes) != kMagic) {
    // A template (Triton zeroes 128 bytes first) becomes a map of cuda-sim.
    uint32_t magic = kMagic;
    std::memcpy(bytes, &magic, 4);
  }
  auto put = [&](unsigned offset, auto v) {
    std::memcpy(bytes + offset, &v, sizeof v);
  };
  bool perDimension = field == "box_dim" || field == "global_dim" ||
                      field == "global_stride" || field == "element_stride";
  if (perDimension && ordinal >= (field == "global_stride" ? 4u : 5u))
    t.fail("tensormap.replace." + field + ": ordinal " +
           std::to_string(ordinal) + " is past the tensor map's dimensions");
  // The element types of tensormap.replace's .elemtype, by size.
  static const uint8_t elementBytes[] = {1, 2, 4, 4, 8, 8, 2, 4, 4, 8, 2, 4, 4};
  if (field == "global_address")
    put(8, value);
  else if (field == "rank" && value < 5) // the rank less one
    bytes[4] = uint8_t(value + 1);
  else if (field == "box_dim")
    put(36 + 4 * ordinal, uint32_t(value));
  else if (field == "global_dim")
    put(16 + 4 * ordinal, uint32_t(value));
  else if (field == "global_stride")
    put(56 + 8 * ordinal, value);
  else if (field == "element_stride")
    put(88 + 4 * ordinal, uint32_t(value));
  else if (field == "elemtype" && value < sizeof elementBytes) {
    bytes[5] = elementBytes[value];
    put(108, uint32_t(value));
  } else if (field == "swizzle_mode" && value <= 3)
    bytes[6] = uint8_t(value);
  else if (field == "fill_mode" && value <= 1)
    bytes[7] = uint8_t(value);
  else if (field == "interleave_layout" && value == 0)
    return;
  else
    t.fail("tensormap.replace." + field + " with the value " +
           std::to_string(value) + " is not implemented");
}

void kite::sim::bulkCommit(SimThread &t) {
  t.bulkGroups.push_back(std::move(t.bulkUncommitted));
  t.bulkUncommitted.clear();
}

void kite::sim::bulkWait(SimThread &t, uint32_t pending) {
  while (t.bulkGroups.size() > pending) {
    std::vector<BulkCopy> group = std::move(t.bulkGroups.front());
    t.bulkGroups.erase(t.bulkGroups.begin());
    for (const BulkCopy &c : group)
      perform(t, c);
  }
}

void kite::sim::completeBulkLoads(SimThread &t, uint64_t mbarrier) {
  std::vector<BulkCopy> &pending = t.cta->pendingBulkLoads;
  uint32_t parity = parityOf(mbarrier);
  for (size_t i = 0; i < pending.size();) {
    if (pending[i].mbarrier != mbarrier) {
      ++i;
      continue;
    }
    BulkCopy copy = pending[i];
    pending.erase(pending.begin() + long(i));
    perform(t, copy);
    if (parityOf(mbarrier) != parity)
      return;
  }
}

void kite::sim::finishBulkCopies(SimThread &t) {
  if (t.bulkUncommitted.empty() && t.bulkGroups.empty())
    return;
  bulkCommit(t);
  bulkWait(t, 0);
}
