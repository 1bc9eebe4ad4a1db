//===- TensorCore.h - warp-wide mma and ldmatrix semantics ------*- C++ -*-===//
//
// The tensor-core instructions of sm_80 (and sm_89's fp8 mma) with the
// fragment layouts of the PTX ISA ("Matrix Fragments for mma.m16n8k*"),
// written once: the inline-PTX handlers and the NVVM intrinsics' rewrite
// both come here.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_BACKENDS_NVPTX_SIM_TENSORCORE_H
#define KITE_BACKENDS_NVPTX_SIM_TENSORCORE_H

#include <cstdint>
#include <string>

namespace kite::sim {

class SimThread;

/// One mma.sync shape and type combination.
struct MmaShape {
  unsigned m = 16, n = 8, k = 16;
  std::string aType, bType; ///< f16, bf16, tf32, s8, u8, e4m3, e5m2
  std::string cType, dType; ///< f32, f16, s32
  bool saturate = false;    ///< .satfinite (integer accumulators clamp)
  unsigned aRegisters() const;
  unsigned bRegisters() const;
  unsigned cRegisters() const; ///< Also the destination's count.
};

/// Parses "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32"'s modifiers;
/// false with `why` for a combination the simulator lacks.
bool parseMmaShape(const std::string &text, MmaShape &shape, std::string &why);

/// This lane's part of a warp-wide mma: `a`, `b`, `c` its fragment registers
/// (32 bits each), `d` receives its destination registers.
void warpMma(SimThread &thread, const MmaShape &shape, const uint32_t *a,
             const uint32_t *b, const uint32_t *c, uint32_t *d);

/// The value of an mma operand element of `type` (f16, bf16, tf32, f32,
/// s8, u8, s32, e4m3, e5m2) from its bits.
double mmaElementValue(const std::string &type, uint32_t bits);

/// This lane's part of ldmatrix .m8n8 (b16) of `count` (1, 2, 4) matrices,
/// transposed or not: `address` the row this lane names (lanes 0-7 matrix
/// 0, 8-15 matrix 1, ...); `d` receives one register per matrix.
void warpLdmatrix(SimThread &thread, unsigned count, bool transposed,
                  uint64_t address, uint32_t *d);

} // namespace kite::sim

#endif // KITE_BACKENDS_NVPTX_SIM_TENSORCORE_H
