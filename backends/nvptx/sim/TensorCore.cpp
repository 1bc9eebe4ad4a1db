//===- TensorCore.cpp - warp-wide mma and ldmatrix semantics --------------===//
//
// Every lane hands its fragment registers to the warp (SimThread::exchange:
// A in 0-3, B in 4-5, C in 6-9, or the ldmatrix row address in 0); the last
// lane to arrive gathers the whole matrices through the ISA's layouts,
// computes, and scatters each lane's result into its exchange 10-13.
// Products of f16, bf16, tf32 and fp8 are exact in double and summed there,
// then rounded once to the accumulator type (hardware adds in f32 with an
// order the ISA leaves open: results may differ in the last bits).
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/sim/TensorCore.h"
#include "backends/nvptx/sim/PtxFloat.h"
#include "backends/nvptx/sim/SimScheduler.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringRef.h"

#include <cmath>
#include <cstring>
#include <vector>

using namespace kite::sim;

namespace {

constexpr unsigned kA = 0, kB = 4, kC = 6, kResult = 10;

unsigned elementBits(const std::string &type) {
  if (type == "f16" || type == "bf16")
    return 16;
  if (type == "s8" || type == "u8" || type == "e4m3" || type == "e5m2")
    return 8;
  return 32;
}

double fp8Value(uint32_t bits, bool e4m3) {
  bool sign = bits & 0x80;
  unsigned exponentBits = e4m3 ? 4 : 5, mantissaBits = e4m3 ? 3 : 2;
  int bias = e4m3 ? 7 : 15;
  uint32_t exponent = (bits >> mantissaBits) & ((1u << exponentBits) - 1);
  uint32_t mantissa = bits & ((1u << mantissaBits) - 1);
  double v;
  if (e4m3 && exponent == 15 && mantissa == 7)
    v = NAN;
  else if (!e4m3 && exponent == 31)
    v = mantissa ? NAN : INFINITY;
  else if (exponent == 0)
    v = std::ldexp(double(mantissa), 1 - bias - int(mantissaBits));
  else
    v = std::ldexp(double(mantissa | (1u << mantissaBits)),
                   int(exponent) - bias - int(mantissaBits));
  return sign ? -v : v;
}

double elementValue(const std::string &type, uint32_t bits) {
  if (type == "f16")
    return halfToFloat(uint16_t(bits));
  if (type == "bf16")
    return bf16ToFloat(uint16_t(bits));
  if (type == "tf32") // the low 13 bits are ignored
    return bitsToFloat(bits & 0xffffe000u);
  if (type == "f32")
    return bitsToFloat(bits);
  if (type == "s8")
    return double(int8_t(bits));
  if (type == "u8")
    return double(uint8_t(bits));
  if (type == "s32")
    return double(int32_t(bits));
  if (type == "e4m3" || type == "e5m2")
    return fp8Value(bits, type == "e4m3");
  return 0;
}

/// Element `i` of a lane's fragment: its register, and its bit offset there.
void place(unsigned i, unsigned bits, unsigned &reg, unsigned &shift) {
  unsigned perRegister = 32 / bits;
  reg = i / perRegister;
  shift = (i % perRegister) * bits;
}

/// (row, col) of A's element i for lane (g, t), per the ISA's tables.
void aCoordinates(const MmaShape &s, unsigned i, unsigned g, unsigned t,
                  unsigned &row, unsigned &col) {
  unsigned bits = elementBits(s.aType);
  if (bits == 16 && s.k == 16) {
    row = g + 8 * ((i >> 1) & 1);
    col = 2 * t + (i & 1) + 8 * (i >= 4);
  } else if (bits == 16 && s.k == 8) {
    row = g + 8 * (i >= 2);
    col = 2 * t + (i & 1);
  } else if (bits == 32 && s.k == 8) { // tf32
    row = g + 8 * (i & 1);
    col = t + 4 * (i >= 2);
  } else if (bits == 32 && s.k == 4) {
    row = g + 8 * i;
    col = t;
  } else if (bits == 8 && s.k == 32) {
    row = g + 8 * ((i >> 2) & 1);
    col = 4 * t + (i & 3) + 16 * (i >= 8);
  } else { // 8-bit, k = 16
    row = g + 8 * (i >= 4);
    col = 4 * t + (i & 3);
  }
}

void bCoordinates(const MmaShape &s, unsigned i, unsigned g, unsigned t,
                  unsigned &row, unsigned &col) {
  unsigned bits = elementBits(s.bType);
  col = g;
  if (bits == 16 && s.k == 16)
    row = 2 * t + (i & 1) + 8 * (i >= 2);
  else if (bits == 16 && s.k == 8)
    row = 2 * t + i;
  else if (bits == 32 && s.k == 8)
    row = t + 4 * i;
  else if (bits == 32 && s.k == 4)
    row = t;
  else if (bits == 8 && s.k == 32)
    row = 4 * t + (i & 3) + 16 * (i >= 4);
  else
    row = 4 * t + i;
}

void cCoordinates(unsigned i, unsigned g, unsigned t, unsigned &row,
                  unsigned &col) {
  row = g + 8 * (i >= 2);
  col = 2 * t + (i & 1);
}

void mmaCollective(Warp &warp, const void *argument) {
  const MmaShape &s = *static_cast<const MmaShape *>(argument);
  std::vector<double> a(s.m * s.k), b(s.k * s.n), c(s.m * s.n);
  unsigned aBits = elementBits(s.aType), bBits = elementBits(s.bType);
  unsigned aCount = s.aRegisters() * (32 / aBits);
  unsigned bCount = s.bRegisters() * (32 / bBits);
  bool halfAccumulator = s.cType == "f16";
  for (unsigned lane = 0; lane < 32; ++lane) {
    SimThread &t = *warp.lanes[lane];
    unsigned g = lane >> 2, q = lane & 3, reg, shift, row, col;
    for (unsigned i = 0; i < aCount; ++i) {
      place(i, aBits, reg, shift);
      aCoordinates(s, i, g, q, row, col);
      uint32_t bits = uint32_t(t.exchange[kA + reg] >> shift) &
                      uint32_t((uint64_t(1) << aBits) - 1);
      a[row * s.k + col] = elementValue(s.aType, bits);
    }
    for (unsigned i = 0; i < bCount; ++i) {
      place(i, bBits, reg, shift);
      bCoordinates(s, i, g, q, row, col);
      uint32_t bits = uint32_t(t.exchange[kB + reg] >> shift) &
                      uint32_t((uint64_t(1) << bBits) - 1);
      b[row * s.n + col] = elementValue(s.bType, bits);
    }
    for (unsigned i = 0; i < 4; ++i) {
      cCoordinates(i, g, q, row, col);
      uint32_t bits;
      if (halfAccumulator)
        bits = uint32_t(t.exchange[kC + i / 2] >> (16 * (i & 1))) & 0xffff;
      else
        bits = uint32_t(t.exchange[kC + i]);
      c[row * s.n + col] = elementValue(s.cType, bits);
    }
  }
  bool integer = s.dType == "s32";
  for (unsigned lane = 0; lane < 32; ++lane) {
    SimThread &t = *warp.lanes[lane];
    unsigned g = lane >> 2, q = lane & 3, row, col;
    for (unsigned r = 0; r < s.cRegisters(); ++r)
      t.exchange[kResult + r] = 0;
    for (unsigned i = 0; i < 4; ++i) {
      cCoordinates(i, g, q, row, col);
      uint32_t bits;
      if (integer) {
        int64_t sum = int64_t(c[row * s.n + col]);
        for (unsigned k = 0; k < s.k; ++k)
          sum += int64_t(a[row * s.k + k]) * int64_t(b[k * s.n + col]);
        if (s.saturate)
          sum = std::min<int64_t>(std::max<int64_t>(sum, INT32_MIN), INT32_MAX);
        bits = uint32_t(int32_t(uint32_t(uint64_t(sum))));
      } else {
        double sum = c[row * s.n + col];
        for (unsigned k = 0; k < s.k; ++k)
          sum += a[row * s.k + k] * b[k * s.n + col];
        bits = s.dType == "f16" ? floatToHalf(float(sum))
                                : floatToBits(float(sum));
      }
      if (s.dType == "f16")
        t.exchange[kResult + i / 2] |= uint64_t(bits & 0xffff)
                                       << (16 * (i & 1));
      else
        t.exchange[kResult + i] = bits;
    }
    Counter counter = s.k == 16   ? Counter::mma_m16n8k16
                      : s.k == 8  ? Counter::mma_m16n8k8
                      : s.k == 32 ? Counter::mma_m16n8k32
                      : s.k == 4  ? Counter::mma_m16n8k4
                                  : Counter::mma_other;
    t.counters.add(counter);
    t.counters.add(Counter::float_ops, integer ? 0 : 2 * s.m * s.n * s.k / 32);
    t.counters.add(Counter::int_ops, integer ? 2 * s.m * s.n * s.k / 32 : 0);
  }
}

struct LdmatrixShape {
  unsigned count;
  bool transposed;
};

void ldmatrixCollective(Warp &warp, const void *argument) {
  const auto &shape = *static_cast<const LdmatrixShape *>(argument);
  // matrices[j][row][col]: 16-bit elements of the rows lanes 8j..8j+7 name.
  uint16_t matrices[4][8][8];
  for (unsigned j = 0; j < shape.count; ++j)
    for (unsigned r = 0; r < 8; ++r)
      std::memcpy(
          matrices[j][r],
          reinterpret_cast<const void *>(warp.lanes[8 * j + r]->exchange[kA]),
          16);
  for (unsigned lane = 0; lane < 32; ++lane) {
    SimThread &t = *warp.lanes[lane];
    unsigned row = lane / 4, col = 2 * (lane % 4);
    for (unsigned j = 0; j < shape.count; ++j) {
      uint16_t lo, hi;
      if (shape.transposed) {
        lo = matrices[j][col][row];
        hi = matrices[j][col + 1][row];
      } else {
        lo = matrices[j][row][col];
        hi = matrices[j][row][col + 1];
      }
      t.exchange[kResult + j] = uint32_t(lo) | (uint32_t(hi) << 16);
    }
    t.counters.add(Counter::ldmatrix);
    t.counters.add(Counter::shared_load_bytes, 16 * shape.count / 4);
  }
}

} // namespace

double kite::sim::mmaElementValue(const std::string &type, uint32_t bits) {
  return elementValue(type, bits);
}

unsigned MmaShape::aRegisters() const {
  return m * k * elementBits(aType) / 32 / 32;
}
unsigned MmaShape::bRegisters() const {
  return k * n * elementBits(bType) / 32 / 32;
}
unsigned MmaShape::cRegisters() const { return cType == "f16" ? 2 : 4; }

bool kite::sim::parseMmaShape(const std::string &text, MmaShape &shape,
                              std::string &why) {
  llvm::SmallVector<llvm::StringRef> parts;
  llvm::StringRef(text).split(parts, '.');
  std::vector<std::string> types;
  bool shapeSeen = false, row = false, col = false;
  for (llvm::StringRef p : parts) {
    if (p.starts_with("m") && p.contains('n') && p.contains('k')) {
      unsigned m, n, k;
      if (sscanf(p.str().c_str(), "m%un%uk%u", &m, &n, &k) != 3)
        break;
      shape.m = m, shape.n = n, shape.k = k;
      shapeSeen = true;
    } else if (p == "row") {
      row = true;
    } else if (p == "col") {
      col = true;
    } else if (p == "satfinite") {
      shape.saturate = true;
    } else if (p == "f16" || p == "f32" || p == "bf16" || p == "tf32" ||
               p == "s8" || p == "u8" || p == "s32" || p == "e4m3" ||
               p == "e5m2") {
      types.push_back(p.str());
    }
  }
  if (!shapeSeen || !row || !col || types.size() != 4 || shape.m != 16 ||
      shape.n != 8) {
    why = "only mma.sync.aligned.m16n8kK.row.col with four types is "
          "implemented";
    return false;
  }
  shape.dType = types[0];
  shape.aType = types[1];
  shape.bType = types[2];
  shape.cType = types[3];
  unsigned bits = elementBits(shape.aType);
  bool known = (bits == 16 && (shape.k == 8 || shape.k == 16)) ||
               (bits == 32 && (shape.k == 4 || shape.k == 8)) ||
               (bits == 8 && (shape.k == 16 || shape.k == 32));
  if (!known || elementBits(shape.bType) != bits ||
      (shape.dType == "f16") != (shape.cType == "f16")) {
    why = "this mma shape and type combination is not implemented";
    return false;
  }
  return true;
}

void kite::sim::warpMma(SimThread &thread, const MmaShape &shape,
                        const uint32_t *a, const uint32_t *b, const uint32_t *c,
                        uint32_t *d) {
  for (unsigned i = 0; i < shape.aRegisters(); ++i)
    thread.exchange[kA + i] = a[i];
  for (unsigned i = 0; i < shape.bRegisters(); ++i)
    thread.exchange[kB + i] = b[i];
  for (unsigned i = 0; i < shape.cRegisters(); ++i)
    thread.exchange[kC + i] = c[i];
  thread.warpCollective(mmaCollective, &shape);
  for (unsigned i = 0; i < shape.cRegisters(); ++i)
    d[i] = uint32_t(thread.exchange[kResult + i]);
}

void kite::sim::warpLdmatrix(SimThread &thread, unsigned count, bool transposed,
                             uint64_t address, uint32_t *d) {
  static const LdmatrixShape shapes[2][5] = {
      {{0, false}, {1, false}, {2, false}, {0, false}, {4, false}},
      {{0, true}, {1, true}, {2, true}, {0, true}, {4, true}}};
  thread.exchange[kA] = address;
  thread.warpCollective(ldmatrixCollective, &shapes[transposed][count]);
  for (unsigned j = 0; j < count; ++j)
    d[j] = uint32_t(thread.exchange[kResult + j]);
}
