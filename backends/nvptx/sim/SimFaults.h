//===- SimFaults.h - memory faults of simulated code ------------*- C++ -*-===//
//
// Simulated kernels run in the user's process, on host memory. A wild access
// must become the launch's error, not the end of the process: while a launch
// runs, SIGSEGV and SIGBUS on its OS thread jump back to the scheduler
// (Launch::faultReturn) with a message naming the kernel and the address.
// Faults anywhere else go to the handler that was there before.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_BACKENDS_NVPTX_SIM_SIMFAULTS_H
#define KITE_BACKENDS_NVPTX_SIM_SIMFAULTS_H

#include <cstddef>
#include <cstdint>

namespace kite::sim {

class Launch;

/// Makes the faults of simulated code on this OS thread errors of `launch`
/// while it lives.
class FaultScope {
public:
  explicit FaultScope(Launch &launch);
  ~FaultScope();
  FaultScope(const FaultScope &) = delete;
  FaultScope &operator=(const FaultScope &) = delete;

private:
  Launch *previous;
};

/// A CTA's shared memory, mapped below 2 GiB so that 32-bit shared
/// addresses (the PTX `.shared` window, `cvta.to.shared`) survive being
/// truncated and extended again, and aligned to 1 MiB, so that the low bits
/// of an address are its offset in the block.
struct SharedBlock {
  explicit SharedBlock(size_t bytes);
  ~SharedBlock();
  SharedBlock(SharedBlock &&other) noexcept;
  SharedBlock(const SharedBlock &) = delete;
  uint8_t *data = nullptr;
  size_t mapped = 0;
};

/// Device memory of cuda-sim: `bytes` (rounded up to 256) with inaccessible
/// pages on both sides, so that a far out-of-bounds access faults.
struct GuardedAllocation {
  static GuardedAllocation allocate(uint64_t bytes);
  void release();
  uint8_t *data = nullptr;
  uint8_t *mapping = nullptr;
  size_t mapped = 0;
};

} // namespace kite::sim

#endif // KITE_BACKENDS_NVPTX_SIM_SIMFAULTS_H
