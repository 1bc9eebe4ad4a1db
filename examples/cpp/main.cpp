// The same kernel two ways on one device (argv[1]: "vulkan:0", "cuda:0"):
// compiled at run time from its IR (kite::compile), and compiled ahead of
// time by kite-compile into add_aot.h/.cpp (kite_aot::add_kernel). Each
// result is checked against the host's sum.
#include "add_aot.h"
#include "kite/Kite.h"

#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

namespace {

int check(kite::Device &device, const char *how, const kite::Buffer &out,
          const std::vector<float> &expected) {
  std::vector<float> got(expected.size());
  if (!device.synchronize() ||
      !device.download(out, got.data(), got.size() * sizeof(float))) {
    std::printf("%s: reading the result failed\n", how);
    return 1;
  }
  int wrong = 0;
  for (size_t i = 0; i < got.size(); ++i)
    wrong += got[i] != expected[i];
  std::printf("%s: %d of %zu wrong\n", how, wrong, got.size());
  return wrong != 0;
}

} // namespace

int main(int argc, char **argv) {
  const char *name = argc > 1 ? argv[1] : "vulkan";
  // The fake CUDA driver of the tests records launches without running
  // them: results are then not checked.
  const bool runs = argc < 3;
  kite::Result<kite::Device> device = kite::Device::open(name);
  if (!device) {
    std::printf("%s\n", device.message().c_str());
    return 1;
  }
  const int32_t n = 5000;
  std::vector<float> x(n), y(n), sum(n);
  for (int32_t i = 0; i < n; ++i) {
    x[i] = 0.5f * i;
    y[i] = 3.0f - i;
    sum[i] = x[i] + y[i];
  }
  const uint64_t bytes = n * sizeof(float);
  auto bx = device->allocate(bytes), by = device->allocate(bytes);
  auto jitOut = device->allocate(bytes), aotOut = device->allocate(bytes);
  if (!bx || !by || !jitOut || !aotOut ||
      !device->upload(*bx, x.data(), bytes) || !device->upload(*by, y.data(), bytes)) {
    std::printf("allocation or upload failed\n");
    return 1;
  }
  const std::array<uint32_t, 3> grid = {uint32_t((n + 1023) / 1024), 1, 1};
  int failed = 0;

  std::ifstream file(KITE_EXAMPLE_IR);
  std::stringstream ir;
  ir << file.rdbuf();
  kite::Result<kite::CompiledKernel> jit = kite::compile(ir.str(), *device);
  if (!jit) {
    std::printf("JIT: %s\n", jit.message().c_str());
    return 1;
  }
  kite::Status launched = kite::launch(*device, *jit, grid, *bx, *by, *jitOut, n);
  std::printf("JIT (%s): %s\n", jit->target.c_str(),
              launched ? "launched" : launched.message().c_str());
  failed |= !launched || (runs && check(*device, "JIT", *jitOut, sum));

  kite::Result<kite::CompiledKernel> chosen = kite_aot::add_kernel_for(*device);
  if (!chosen) {
    std::printf("AOT: %s\n", chosen.message().c_str());
  } else {
    launched = kite_aot::add_kernel(*device, grid, *bx, *by, *aotOut, n);
    std::printf("AOT (%s): %s\n", chosen->target.c_str(),
                launched ? "launched" : launched.message().c_str());
    failed |= !launched || (runs && check(*device, "AOT", *aotOut, sum));
  }
  return failed;
}
