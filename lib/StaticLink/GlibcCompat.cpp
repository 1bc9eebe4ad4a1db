//===- GlibcCompat.cpp - a static libkite loads on glibc 2.35 -------------===//
//
// Linked into libkite only with KITE_STATIC_LLVM (cmake/KiteStaticLLVM.cmake),
// which links libstdc++ statically. Built against glibc 2.36 or newer,
// libstdc++'s std::random_device (LLVM's ThreadPool seeds with it) calls
// arc4random, which glibc added in 2.36, and libkite would then refuse to
// load on Ubuntu 22.04 (glibc 2.35). This definition, hidden inside libkite,
// takes its place with the same kernel randomness, through getrandom (glibc
// 2.25). Like glibc's own, it cannot fail: it aborts if the kernel gives no
// randomness at all.
//
//===----------------------------------------------------------------------===//
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <sys/random.h>

extern "C" __attribute__((visibility("hidden"))) uint32_t
arc4random(void) noexcept {
  uint32_t value;
  for (;;) {
    ssize_t got = getrandom(&value, sizeof(value), 0);
    if (got == static_cast<ssize_t>(sizeof(value)))
      return value;
    if (got < 0 && errno != EINTR)
      std::abort();
  }
}
