//===- Fiber.h - cooperative threads for the simulated CTA ------*- C++ -*-===//
//
// Each simulated GPU thread runs on a fiber of its own: a stack and saved
// registers, switched to and from the scheduler by hand (no kernel threads,
// no signals), so that a thread that reaches a barrier or a warp-synchronous
// instruction stops there until its peers arrive, as on hardware.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_BACKENDS_NVPTX_SIM_FIBER_H
#define KITE_BACKENDS_NVPTX_SIM_FIBER_H

#include <cstddef>
#include <cstdint>

namespace kite::sim {

/// A stack of its own and the saved stack pointer of a suspended context.
class Fiber {
public:
  using Entry = void (*)(void *arg);

  /// Allocates a `stackBytes` stack (rounded up to pages) with a guard page
  /// below it. valid() is false when the memory cannot be mapped.
  explicit Fiber(size_t stackBytes);
  ~Fiber();
  Fiber(const Fiber &) = delete;
  Fiber &operator=(const Fiber &) = delete;

  bool valid() const { return stack != nullptr; }
  /// Prepares the fiber to run `entry(arg)` at the next switchTo. `entry`
  /// must never return: it ends by switching away for good.
  void start(Entry entry, void *arg);
  /// Saves the caller's context in `from` and resumes this fiber.
  void switchFrom(Fiber &from);
  /// Whether `address` lies in this fiber's guard page (a stack overflow).
  bool inGuardPage(uintptr_t address) const;

  /// A context for the scheduler's own thread (no stack of its own).
  Fiber();

private:
  void *stack = nullptr; ///< The mapping: guard page, then the stack.
  size_t mappedBytes = 0;
  void *savedSp = nullptr;
};

} // namespace kite::sim

#endif // KITE_BACKENDS_NVPTX_SIM_FIBER_H
