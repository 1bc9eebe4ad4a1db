//===- FakeCudaLog.h - what the fake CUDA driver was asked -----*- C++ -*-===//
//
// For tests run with KITE_LIBCUDA naming test/unit/fake_cuda's library:
// reads its call log and live objects, and makes its calls fail on demand.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_TEST_UNIT_FAKECUDALOG_H
#define KITE_TEST_UNIT_FAKECUDALOG_H

#include <gtest/gtest.h>

#include <cstdlib>
#include <dlfcn.h>
#include <sstream>
#include <string>
#include <vector>

namespace fake_cuda_log {

/// A function the fake exports for tests. dlopen of the library Kite opened
/// returns the same, already loaded copy.
template <typename F> F entry(const char *name) {
  const char *path = std::getenv("KITE_LIBCUDA");
  void *library = path ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : nullptr;
  return library ? reinterpret_cast<F>(dlsym(library, name)) : nullptr;
}

inline void clear() {
  if (auto f = entry<void (*)()>("kiteFakeCudaClearLog"))
    f();
}

/// Every line of the log whose call is `call` (all lines for "").
inline std::vector<std::string> calls(const std::string &call = "") {
  auto f = entry<const char *(*)()>("kiteFakeCudaLog");
  std::vector<std::string> lines;
  if (!f)
    return lines;
  std::istringstream log(f());
  for (std::string line; std::getline(log, line);)
    if (call.empty() ||
        line.find("\"call\": \"" + call + "\"") != std::string::npos)
      lines.push_back(line);
  return lines;
}

/// The last line of the log whose call is `call`, or "".
inline std::string lastLine(const std::string &call) {
  std::vector<std::string> lines = calls(call);
  return lines.empty() ? "" : lines.back();
}

/// {"allocations": N, "modules": M, "retained": [...], "context_depth": D}
inline std::string live() {
  auto f = entry<const char *(*)()>("kiteFakeCudaLive");
  return f ? f() : "";
}

/// Makes the fake fail calls while it lives ("cuMemAlloc_v2=2,...").
class Failing {
public:
  explicit Failing(const std::string &spec) {
    setenv("KITE_FAKE_CUDA_FAIL", spec.c_str(), 1);
  }
  ~Failing() { unsetenv("KITE_FAKE_CUDA_FAIL"); }
};

} // namespace fake_cuda_log

/// Skips a test that needs the fake driver when it is not the one Kite uses.
#define REQUIRE_FAKE_CUDA()                                                    \
  if (!fake_cuda_log::entry<const char *(*)()>("kiteFakeCudaLog"))             \
  GTEST_SKIP() << "KITE_LIBCUDA does not name the fake CUDA driver"

#endif // KITE_TEST_UNIT_FAKECUDALOG_H
