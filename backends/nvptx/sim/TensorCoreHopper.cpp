//===- TensorCoreHopper.cpp - wgmma, stmatrix and elect.sync --------------===//
//
// wgmma.mma_async is a collective of a warpgroup (4 warps, 128 threads):
// each thread hands the warpgroup its operands (SimThread::exchange[0]
// points at its WgmmaOperands); the last to arrive reads A and B, from
// shared memory through their matrix descriptors or A from the threads'
// registers (in mma.sync's A fragment layout of the warp's 16 rows, for
// every type), computes D = A * B (+ D when scale-d), and writes each thread's
// accumulator registers through the ISA's fragment layout: thread t of warp w
// holds, in element i of its registers, row 16w + t/4 + 8 * ((i / 2) % 2) and
// column 8 * (i / 4) + 2 * (t % 4) + i % 2. The result is ready when the
// instruction returns, which the ISA allows (only wgmma.wait_group promises
// it); the threads' wgmma groups are counted for wait_group.
//
// A matrix descriptor (the PTX ISA's "matrix descriptor" of wgmma) holds the
// start address (bits 0-13, in 16-byte units), the leading and stride
// dimension byte offsets (bits 16-29 and 32-45, 16-byte units), a base
// offset (bits 49-51; only 0 is implemented) and the swizzle mode (bits
// 62-63: 0 none, 1 128B, 2 64B, 3 32B). Element (mn, k) lies where the
// ISA's canonical layouts put it (T = 16 / element bytes elements per
// 16-byte chunk, W the swizzle's bytes; offsets in bytes):
//   K-major, none:     (mn%8)*16 + (mn/8)*SBO + (k%T)*eb + (k/T)*LBO
//   K-major, W:        (mn%8)*W  + (mn/8)*SBO + k*eb
//   MN-major, none:    (mn%T)*eb + (mn/T)*SBO + (k%8)*16 + (k/8)*LBO
//   MN-major, W:       (mn%(W/eb))*eb + (mn/(W/eb))*LBO + (k%8)*W + (k/8)*SBO
// and the swizzle XORs the address's bits 4-6 (128B; 4-5 for 64B, 4 for
// 32B) with its bits 7-9: it acts on the shared address, start included.
// Products are summed in double and rounded once to D's type, as mma.sync's
// are (TensorCore.cpp).
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/sim/Hopper.h"
#include "backends/nvptx/sim/PtxFloat.h"
#include "backends/nvptx/sim/SimScheduler.h"
#include "backends/nvptx/sim/TensorCore.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cmath>
#include <cstring>
#include <sstream>
#include <vector>

using namespace kite::sim;

namespace {

std::string hex(uint64_t v) {
  std::ostringstream s;
  s << "0x" << std::hex << v;
  return s.str();
}

unsigned bytesOf(const std::string &type) {
  if (type == "f16" || type == "bf16")
    return 2;
  if (type == "tf32")
    return 4;
  return 1; // e4m3, e5m2, s8, u8
}

struct Descriptor {
  uint64_t start = 0, lbo = 0, sbo = 0;
  unsigned swizzle = 0, baseOffset = 0;
};

Descriptor decodeDescriptor(uint64_t d) {
  Descriptor s;
  s.start = (d & 0x3fff) << 4;
  s.lbo = ((d >> 16) & 0x3fff) << 4;
  s.sbo = ((d >> 32) & 0x3fff) << 4;
  s.baseOffset = unsigned(d >> 49) & 7;
  static const unsigned modes[] = {0, 128, 64, 32};
  s.swizzle = modes[d >> 62];
  return s;
}

/// The offset in shared memory of element (mn, k).
uint64_t elementOffset(const Descriptor &d, bool kMajor, unsigned mn,
                       unsigned k, unsigned eb) {
  unsigned t = 16 / eb;
  uint64_t offset;
  if (kMajor && !d.swizzle)
    offset = (mn % 8) * 16 + (mn / 8) * d.sbo + (k % t) * eb + (k / t) * d.lbo;
  else if (kMajor)
    offset = (mn % 8) * d.swizzle + (mn / 8) * d.sbo + uint64_t(k) * eb;
  else if (!d.swizzle)
    offset = (mn % t) * eb + (mn / t) * d.sbo + (k % 8) * 16 + (k / 8) * d.lbo;
  else {
    unsigned w = d.swizzle / eb;
    offset = (mn % w) * eb + (mn / w) * d.lbo + (k % 8) * d.swizzle +
             (k / 8) * d.sbo;
  }
  uint64_t address = d.start + offset;
  if (d.swizzle)
    address ^= ((address >> 7) & (d.swizzle / 16 - 1)) << 4;
  return address;
}

/// Reads an operand's rows x k elements (row-major, [mn][k]) through its
/// descriptor.
void readMatrix(SimThread &self, const char *name, uint64_t descriptor,
                bool kMajor, unsigned rows, unsigned k, const std::string &type,
                std::vector<double> &out) {
  Descriptor d = decodeDescriptor(descriptor);
  if (d.baseOffset)
    self.fail("wgmma.mma_async: the descriptor of " + std::string(name) + " (" +
              hex(descriptor) + ") has a matrix base offset of " +
              std::to_string(d.baseOffset) +
              "; the simulator implements only 0");
  unsigned eb = bytesOf(type);
  const uint8_t *shared = self.cta->shared;
  uint64_t size = self.cta->sharedBytes;
  out.assign(size_t(rows) * k, 0);
  for (unsigned r = 0; r < rows; ++r)
    for (unsigned c = 0; c < k; ++c) {
      uint64_t offset = elementOffset(d, kMajor, r, c, eb);
      if (offset + eb > size)
        self.fail("wgmma.mma_async: the descriptor of " + std::string(name) +
                  " (" + hex(descriptor) + ", " +
                  (kMajor ? "K-major" : "MN-major") + ") puts element (" +
                  std::to_string(r) + ", " + std::to_string(c) +
                  ") at shared offset " + hex(offset) + ", past the block's " +
                  std::to_string(size) + " bytes of shared memory");
      uint32_t bits = 0;
      std::memcpy(&bits, shared + offset, eb);
      out[size_t(r) * k + c] = mmaElementValue(type, bits);
    }
}

void wgmmaCollective(SimThread *const *threads, const void *argument) {
  const WgmmaShape &s = *static_cast<const WgmmaShape *>(argument);
  SimThread &self = *SimThread::current();
  auto operands = [&](unsigned i) -> const WgmmaOperands & {
    return *reinterpret_cast<const WgmmaOperands *>(threads[i]->exchange[0]);
  };
  const WgmmaOperands &first = operands(0);
  for (unsigned i = 1; i < 128; ++i) {
    const WgmmaOperands &o = operands(i);
    if ((o.aRegisters == nullptr) != (first.aRegisters == nullptr) ||
        (!first.aRegisters && o.aDescriptor != first.aDescriptor) ||
        o.bDescriptor != first.bDescriptor || o.scaleD != first.scaleD)
      self.fail("wgmma.mma_async: the threads of warpgroup " +
                std::to_string(threads[0]->warp / 4) +
                " give different descriptors or scale-d (thread " +
                std::to_string(threads[i]->linearId) + ": " +
                hex(o.aDescriptor) + ", " + hex(o.bDescriptor) + ", scale-d " +
                std::to_string(o.scaleD) + "; thread " +
                std::to_string(threads[0]->linearId) + ": " +
                hex(first.aDescriptor) + ", " + hex(first.bDescriptor) +
                ", scale-d " + std::to_string(first.scaleD) +
                "); they must be the same");
  }
  unsigned m = 64, n = s.n, k = s.k;
  std::vector<double> a(size_t(m) * k), b;
  if (first.aRegisters) {
    // The A fragment of mma.m16n8kK per warp, the warps stacked in M:
    // register r holds row g + 8 (r % 2), the 4 / eb elements from column
    // (r / 2) K / 2 + q 4 / eb, the first in the low bits.
    unsigned eb = s.elementBytes(), perRegister = 4 / eb;
    uint32_t mask = eb == 4 ? ~0u : (1u << (8 * eb)) - 1;
    for (unsigned i = 0; i < 128; ++i) {
      unsigned warp = i / 32, lane = i % 32, g = lane >> 2, q = lane & 3;
      const uint32_t *regs = operands(i).aRegisters;
      for (unsigned r = 0; r < 4; ++r)
        for (unsigned j = 0; j < perRegister; ++j) {
          uint32_t bits = (regs[r] >> (8 * eb * j)) & mask;
          unsigned row = 16 * warp + g + 8 * (r % 2);
          unsigned col = (r / 2) * (k / 2) + q * perRegister + j;
          a[size_t(row) * k + col] = mmaElementValue(s.aType, bits);
        }
    }
  } else {
    readMatrix(self, "A", first.aDescriptor, !first.transA, m, k, s.aType, a);
  }
  readMatrix(self, "B", first.bDescriptor, !first.transB, n, k, s.bType, b);
  double sign = double(first.scaleA) * double(first.scaleB);
  bool integer = s.dType == "s32", half = s.dType == "f16";
  unsigned elements = n / 2;
  for (unsigned i = 0; i < 128; ++i) {
    SimThread &t = *threads[i];
    uint32_t *d = operands(i).d;
    unsigned warp = i / 32, lane = i % 32, g = lane >> 2, q = lane & 3;
    for (unsigned e = 0; e < elements; ++e) {
      unsigned row = 16 * warp + g + 8 * ((e >> 1) & 1);
      unsigned col = 8 * (e >> 2) + 2 * q + (e & 1);
      uint32_t old = half ? (d[e / 2] >> (16 * (e % 2))) & 0xffff : d[e];
      const double *ar = &a[size_t(row) * k];
      const double *bc = &b[size_t(col) * k];
      uint32_t bits;
      if (integer) {
        int64_t sum = first.scaleD ? int64_t(int32_t(old)) : 0;
        for (unsigned c = 0; c < k; ++c)
          sum += int64_t(ar[c]) * int64_t(bc[c]);
        if (s.satfinite)
          sum = std::min<int64_t>(std::max<int64_t>(sum, INT32_MIN), INT32_MAX);
        bits = uint32_t(uint64_t(sum));
      } else {
        double sum = 0;
        for (unsigned c = 0; c < k; ++c)
          sum += ar[c] * bc[c];
        sum *= sign;
        if (first.scaleD)
          sum += half ? halfToFloat(uint16_t(old)) : bitsToFloat(old);
        bits = half ? floatToHalf(float(sum)) : floatToBits(float(sum));
      }
      if (half)
        d[e / 2] = (d[e / 2] & ~(0xffffu << (16 * (e % 2)))) |
                   (bits & 0xffff) << (16 * (e % 2));
      else
        d[e] = bits;
    }
    t.counters.add(Counter::wgmma);
    t.counters.add(integer ? Counter::int_ops : Counter::float_ops,
                   2 * m * n * k / 128);
  }
  // The hardware may read A and B until wgmma.wait_group retires the
  // group; the simulator read them now and checks then that they have not
  // changed (wgmmaWait).
  unsigned warpgroup = threads[0]->warp / 4;
  std::vector<std::shared_ptr<WgmmaRead>> reads;
  if (!first.aRegisters)
    reads.push_back(std::make_shared<WgmmaRead>(
        WgmmaRead{"A", first.aDescriptor, !first.transA, m, k, s.aType,
                  std::move(a), warpgroup}));
  reads.push_back(std::make_shared<WgmmaRead>(
      WgmmaRead{"B", first.bDescriptor, !first.transB, n, k, s.bType,
                std::move(b), warpgroup}));
  for (unsigned i = 0; i < 128; ++i)
    llvm::append_range(threads[i]->wgmmaOpenReads, reads);
}

struct StmatrixShape {
  unsigned count;
  bool transposed;
};

void stmatrixCollective(Warp &warp, const void *argument) {
  const auto &shape = *static_cast<const StmatrixShape *>(argument);
  uint16_t matrices[4][8][8];
  for (unsigned lane = 0; lane < 32; ++lane) {
    SimThread &t = *warp.lanes[lane];
    unsigned row = lane / 4, col = 2 * (lane % 4);
    for (unsigned j = 0; j < shape.count; ++j) {
      auto value = uint32_t(t.exchange[1 + j]);
      uint16_t lo = uint16_t(value), hi = uint16_t(value >> 16);
      if (shape.transposed) {
        matrices[j][col][row] = lo;
        matrices[j][col + 1][row] = hi;
      } else {
        matrices[j][row][col] = lo;
        matrices[j][row][col + 1] = hi;
      }
    }
  }
  for (unsigned j = 0; j < shape.count; ++j)
    for (unsigned r = 0; r < 8; ++r)
      std::memcpy(reinterpret_cast<void *>(warp.lanes[8 * j + r]->exchange[0]),
                  matrices[j][r], 16);
  for (unsigned lane = 0; lane < 32; ++lane) {
    warp.lanes[lane]->counters.add(Counter::stmatrix);
    warp.lanes[lane]->counters.add(Counter::shared_store_bytes,
                                   16 * shape.count / 4);
  }
}

} // namespace

unsigned WgmmaShape::elementBytes() const { return bytesOf(aType); }

unsigned WgmmaShape::dRegisters() const {
  return dType == "f16" ? n / 4 : n / 2;
}

bool kite::sim::parseWgmmaShape(const std::string &text, WgmmaShape &shape,
                                std::string &why) {
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(text).split(parts, '.');
  std::vector<std::string> types;
  bool shapeSeen = false;
  unsigned m = 0;
  for (llvm::StringRef p : parts) {
    if (p == "sp") {
      why = "sparse wgmma is not implemented";
      return false;
    }
    if (p.starts_with("m") && p.contains('n') && p.contains('k')) {
      if (sscanf(p.str().c_str(), "m%un%uk%u", &m, &shape.n, &shape.k) != 3)
        break;
      shapeSeen = true;
    } else if (p == "satfinite") {
      shape.satfinite = true;
    } else if (p == "f16" || p == "f32" || p == "bf16" || p == "tf32" ||
               p == "s8" || p == "u8" || p == "s32" || p == "e4m3" ||
               p == "e5m2") {
      types.push_back(p.str());
    }
  }
  if (!shapeSeen || types.size() != 3 || m != 64) {
    why = "only wgmma.mma_async.sync.aligned.m64nNkK with three types is "
          "implemented";
    return false;
  }
  shape.dType = types[0];
  shape.aType = types[1];
  shape.bType = types[2];
  auto eightBit = [](const std::string &t) {
    return t == "e4m3" || t == "e5m2";
  };
  auto integer = [](const std::string &t) { return t == "s8" || t == "u8"; };
  bool known =
      (shape.aType == "f16" && shape.bType == "f16" && shape.k == 16 &&
       (shape.dType == "f32" || shape.dType == "f16")) ||
      (shape.aType == "bf16" && shape.bType == "bf16" && shape.k == 16 &&
       shape.dType == "f32") ||
      (shape.aType == "tf32" && shape.bType == "tf32" && shape.k == 8 &&
       shape.dType == "f32") ||
      (eightBit(shape.aType) && eightBit(shape.bType) && shape.k == 32 &&
       (shape.dType == "f32" || shape.dType == "f16")) ||
      (integer(shape.aType) && integer(shape.bType) && shape.k == 32 &&
       shape.dType == "s32");
  if (!known || shape.n % 8 || shape.n < 8 || shape.n > 256) {
    why = "this wgmma shape and type combination is not in the PTX ISA";
    return false;
  }
  return true;
}

void kite::sim::warpgroupMma(SimThread &t, const WgmmaShape &shape,
                             const WgmmaOperands &operands) {
  if ((operands.transA || operands.transB) && shape.elementBytes() != 2)
    t.fail("wgmma.mma_async: imm-trans-a and imm-trans-b are only for f16 "
           "and bf16");
  if ((operands.scaleA != 1 && operands.scaleA != -1) ||
      (operands.scaleB != 1 && operands.scaleB != -1))
    t.fail("wgmma.mma_async: imm-scale-a and imm-scale-b must be 1 or -1");
  t.exchange[0] = reinterpret_cast<uint64_t>(&operands);
  t.warpgroupCollective(wgmmaCollective, &shape, "wgmma.mma_async");
}

void kite::sim::wgmmaFence(SimThread &) {}

void kite::sim::wgmmaCommit(SimThread &t) {
  // An empty group too, as the ISA says.
  t.wgmmaPendingReads.push_back(std::move(t.wgmmaOpenReads));
  t.wgmmaOpenReads.clear();
}

void kite::sim::wgmmaWait(SimThread &t, uint64_t pending) {
  // The retired groups' operands must still be what they read: a write to
  // them before the wait (a slot refilled too early) is a race the ISA
  // leaves undefined. The first thread of the warpgroup to retire a group
  // checks it.
  while (t.wgmmaPendingReads.size() > pending) {
    for (const std::shared_ptr<WgmmaRead> &read : t.wgmmaPendingReads.front()) {
      if (read->checked)
        continue;
      read->checked = true;
      std::vector<double> now;
      readMatrix(t, read->name, read->descriptor, read->kMajor, read->rows,
                 read->k, read->type, now);
      if (now.size() != read->values.size() ||
          std::memcmp(now.data(), read->values.data(),
                      now.size() * sizeof(double)) != 0)
        t.fail("wgmma.mma_async: shared memory that warpgroup " +
               std::to_string(read->warpgroup) +
               "'s wgmma reads through the descriptor of " + read->name +
               " (" + hex(read->descriptor) +
               ") was written before wgmma.wait_group retired its group; "
               "the hardware may still be reading it (wait for the group "
               "before writing what it reads)");
    }
    t.wgmmaPendingReads.pop_front();
  }
}

void kite::sim::warpStmatrix(SimThread &t, unsigned count, bool transposed,
                             uint64_t address, const uint32_t *values) {
  static const StmatrixShape shapes[2][5] = {
      {{0, false}, {1, false}, {2, false}, {0, false}, {4, false}},
      {{0, true}, {1, true}, {2, true}, {0, true}, {4, true}}};
  t.exchange[0] = address;
  for (unsigned j = 0; j < count; ++j)
    t.exchange[1 + j] = values[j];
  t.warpCollective(stmatrixCollective, &shapes[transposed][count]);
}

uint32_t kite::sim::warpElect(SimThread &t, uint32_t mask, bool &leader) {
  t.warpOp(WarpOpKind::Elect, mask, 0, 0, 0);
  leader = t.warpPredicate;
  return uint32_t(t.warpResult);
}
