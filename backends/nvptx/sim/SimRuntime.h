//===- SimRuntime.h - what simulated code calls -----------------*- C++ -*-===//
//
// The host functions that take the place of what only a GPU has: special
// registers, barriers, warp-synchronous instructions, inline PTX, printf and
// assert. HostRetarget.cpp rewrites a kernel's calls to reach them, and the
// JIT resolves their names (runtimeSymbols()) to these addresses.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_BACKENDS_NVPTX_SIM_SIMRUNTIME_H
#define KITE_BACKENDS_NVPTX_SIM_SIMRUNTIME_H

#include <cstdint>
#include <utility>
#include <vector>

namespace kite::sim {

/// The special registers kite_sim_sreg reads.
enum class SpecialRegister : uint32_t {
  TidX,
  TidY,
  TidZ,
  NtidX,
  NtidY,
  NtidZ,
  CtaidX,
  CtaidY,
  CtaidZ,
  NctaidX,
  NctaidY,
  NctaidZ,
  LaneId,
  WarpId,
  NwarpId,
  SmId,
  NsmId,
  GridId,
  LanemaskEq,
  LanemaskLt,
  LanemaskLe,
  LanemaskGt,
  LanemaskGe,
  Clock,
  ClusterCtaRank,
  ClusterNctaRank,
};

/// Every runtime function by the name HostRetarget.cpp calls it.
const std::vector<std::pair<const char *, void *>> &runtimeSymbols();

} // namespace kite::sim

#endif // KITE_BACKENDS_NVPTX_SIM_SIMRUNTIME_H
