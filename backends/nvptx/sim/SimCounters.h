//===- SimCounters.h - what a launch on cuda-sim executed -------*- C++ -*-===//
//
// Counted per thread (the instrumentation of SimInstrument.cpp and the
// runtime functions add to the running thread's counters) and summed per
// launch. The names are what Python's kite.sim statistics show.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_BACKENDS_NVPTX_SIM_SIMCOUNTERS_H
#define KITE_BACKENDS_NVPTX_SIM_SIMCOUNTERS_H

#include <array>
#include <cstdint>

namespace kite::sim {

#define KITE_SIM_COUNTERS(X)                                                   \
  X(global_load_bytes)                                                         \
  X(global_store_bytes)                                                        \
  X(global_loads_8)                                                            \
  X(global_loads_16)                                                           \
  X(global_loads_32)                                                           \
  X(global_loads_64)                                                           \
  X(global_loads_128)                                                          \
  X(global_stores_8)                                                           \
  X(global_stores_16)                                                          \
  X(global_stores_32)                                                          \
  X(global_stores_64)                                                          \
  X(global_stores_128)                                                         \
  X(shared_load_bytes)                                                         \
  X(shared_store_bytes)                                                        \
  X(shared_loads)                                                              \
  X(shared_stores)                                                             \
  X(local_load_bytes)                                                          \
  X(local_store_bytes)                                                         \
  X(atomics)                                                                   \
  X(barriers)                                                                  \
  X(shuffles)                                                                  \
  X(votes)                                                                     \
  X(float_ops)                                                                 \
  X(int_ops)                                                                   \
  X(mma_m16n8k16)                                                              \
  X(mma_m16n8k8)                                                               \
  X(mma_m16n8k32)                                                              \
  X(mma_m16n8k4)                                                               \
  X(mma_other)                                                                 \
  X(ldmatrix)                                                                  \
  X(cp_async)                                                                  \
  X(cp_async_bytes)                                                            \
  X(wgmma)                                                                     \
  X(stmatrix)                                                                  \
  X(mbarriers)                                                                 \
  X(bulk_copies)                                                               \
  X(bulk_copy_bytes)                                                           \
  X(instructions)

enum class Counter : unsigned {
#define KITE_SIM_COUNTER_ENUM(name) name,
  KITE_SIM_COUNTERS(KITE_SIM_COUNTER_ENUM)
#undef KITE_SIM_COUNTER_ENUM
      count
};

inline constexpr unsigned kCounterCount = unsigned(Counter::count);

/// The counters' names, in Counter order.
const char *counterName(Counter counter);

struct SimCounters {
  std::array<uint64_t, kCounterCount> values{};
  void add(Counter counter, uint64_t amount = 1) {
    values[unsigned(counter)] += amount;
  }
  SimCounters &operator+=(const SimCounters &other) {
    for (unsigned i = 0; i < kCounterCount; ++i)
      values[i] += other.values[i];
    return *this;
  }
};

} // namespace kite::sim

#endif // KITE_BACKENDS_NVPTX_SIM_SIMCOUNTERS_H
