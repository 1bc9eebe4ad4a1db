//===- JitCudaTest.cpp - kite::compile for NVIDIA, launched on the fake ---===//
//
// The C++ JIT's CUDA half: PTX for an architecture named without a device,
// through the cache (a fresh directory: JitTestMain.cpp), checked by ptxas
// where the toolkit is installed; then compiled for cuda:0 of the fake
// driver (test/unit/fake_cuda, KITE_LIBCUDA), which records each launch's
// parameters as the real driver reads them.
//
//===----------------------------------------------------------------------===//
#include "CacheTestSupport.h"
#include "FakeCudaLog.h"
#include "kite/Cache.h"
#include "kite/Jit.h"
#include "kite/Ptx.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace {

namespace log = fake_cuda_log;

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

std::string vectorAddIR() {
  std::string ir = kite::testing::readFile(
      std::string(KITE_TEST_SOURCE_DATA_DIR) + "/vector_add.kite.mlir");
  EXPECT_FALSE(ir.empty());
  return ir;
}

/// ptxas's exit status on `ptx` for `arch` (-1: no ptxas here).
int ptxas(const std::string &ptx, const std::string &arch) {
  const char *tool = "/usr/local/cuda/bin/ptxas";
  if (std::FILE *exists = std::fopen(tool, "r"))
    std::fclose(exists);
  else
    return -1;
  kite::testing::TemporaryDirectory dir;
  std::string file = dir.path + "/kernel.ptx";
  std::ofstream(file) << ptx;
  std::string command = std::string(tool) + " -arch=" + arch + " " + file +
                        " -o " + dir.path + "/kernel.cubin 2>&1";
  return std::system(command.c_str());
}

TEST(JitCuda, CompilesForAnArchitectureWithoutADevice) {
  kite::Result<kite::CompiledKernel> kernel =
      kite::compile(vectorAddIR(), "cuda:sm_80");
  ASSERT_TRUE(kernel.ok()) << kernel.message();
  EXPECT_EQ(kernel->backend, "cuda");
  EXPECT_EQ(kernel->arch, "sm_80");
  EXPECT_EQ(kernel->target, "cuda:sm_80");
  EXPECT_EQ(kernel->name, "add_kernel");
  EXPECT_EQ(kernel->threadsPerWarp, 32);
  EXPECT_EQ(kernel->numThreads, 128u);
  EXPECT_TRUE(kernel->spirv.empty());
  EXPECT_TRUE(contains(kernel->ptx, ".target sm_80")) << kernel->ptx;
  EXPECT_TRUE(contains(kernel->ptx, ".entry add_kernel")) << kernel->ptx;
  EXPECT_TRUE(contains(kernel->ptx, "ld.global")) << kernel->ptx;
  std::vector<std::string> stages;
  for (const auto &[name, text] : kernel->stages) {
    stages.push_back(name);
    EXPECT_FALSE(text.empty()) << name;
  }
  std::sort(stages.begin(), stages.end());
  std::vector<std::string> expected = kite::compiledStageNames("cuda");
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(stages, expected);
  EXPECT_EQ(kernel->stages["ptx"], kernel->ptx);
  int status = ptxas(kernel->ptx, "sm_80");
  if (status >= 0)
    EXPECT_EQ(status, 0) << "ptxas refused the PTX";
}

TEST(JitCuda, TheCacheKeepsItAndTheOptionsAreInTheKey) {
  kite::Cache &cache = kite::Cache::global();
  std::string ir = vectorAddIR() + "// the CUDA copy\n";
  kite::CacheStats before = cache.stats();
  kite::Result<kite::CompiledKernel> first = kite::compile(ir, "cuda:sm_90");
  ASSERT_TRUE(first.ok()) << first.message();
  kite::Result<kite::CompiledKernel> second = kite::compile(ir, "cuda:sm_90");
  ASSERT_TRUE(second.ok()) << second.message();
  EXPECT_EQ(cache.stats().stores, before.stores + 1);
  EXPECT_EQ(second->cacheKey, first->cacheKey);
  EXPECT_EQ(second->ptx, first->ptx);
  kite::CompileOptions options;
  options.numStages = 2;
  kite::Result<kite::CompiledKernel> staged = kite::compile(ir, "cuda:sm_90", options);
  ASSERT_TRUE(staged.ok()) << staged.message();
  EXPECT_NE(staged->cacheKey, first->cacheKey);
  options = {};
  options.fpFusion = false;
  EXPECT_NE(kite::compile(ir, "cuda:sm_90", options)->cacheKey, first->cacheKey);
  EXPECT_NE(kite::compile(ir, "cuda:sm_90a")->cacheKey, first->cacheKey);
}

TEST(JitCuda, AnEntryThatPassesItsChecksButIsNotWhatWasAskedIsReplaced) {
  kite::Cache &cache = kite::Cache::global();
  // Checksums right, contents not: what a broken build or a hostile file
  // could have stored under the key.
  const std::pair<const char *, std::string> damages[] = {
      {"another architecture", "\"sm_80\""},
      {"another entry", "\"add_kernel\""},
      {"too many threads", "\"num_threads\":128"},
      {"a divisibility past 32 bits", "[16,16,16,1]"}};
  const std::string replacements[] = {"\"sm_75\"", "\"other_kernel\"",
                                      "\"num_threads\":4294967424",
                                      "[16,16,16,4294967297]"};
  for (size_t i = 0; i < 4; ++i) {
    std::string ir = vectorAddIR() + "// damaged: " + damages[i].first + "\n";
    kite::Result<kite::CompiledKernel> first = kite::compile(ir, "cuda:sm_80");
    ASSERT_TRUE(first.ok()) << first.message();
    std::string entry = cache.entriesDirectory() + "/" + first->cacheKey;
    std::string metadata = kite::testing::readFile(entry + "/metadata.json");
    size_t at = metadata.find(damages[i].second);
    ASSERT_NE(at, std::string::npos) << metadata;
    metadata.replace(at, damages[i].second.size(), replacements[i]);
    kite::testing::rewriteInEntry(entry, "metadata.json", metadata);
    cache.clearMemory();
    kite::CacheStats before = cache.stats();
    kite::Result<kite::CompiledKernel> again = kite::compile(ir, "cuda:sm_80");
    ASSERT_TRUE(again.ok()) << damages[i].first << ": " << again.message();
    EXPECT_EQ(cache.stats().stores, before.stores + 1) << damages[i].first;
    EXPECT_EQ(again->arch, "sm_80");
    EXPECT_EQ(again->name, "add_kernel");
    EXPECT_EQ(again->numThreads, 128u);
    EXPECT_EQ(again->argDivisibility, first->argDivisibility);
  }
}

TEST(JitCuda, TargetsThatAreNoArchitectureAreRefused) {
  std::string ir = vectorAddIR();
  kite::Result<kite::CompiledKernel> vulkan = kite::compile(ir, "vulkan:0");
  ASSERT_FALSE(vulkan.ok());
  EXPECT_TRUE(contains(vulkan.message(), "needs its device")) << vulkan.message();
  for (const char *target : {"cuda:0", "cuda", "sm_80", "cuda:sm_", "cuda:sm_80x",
                             "cuda:sm_8a0", "cuda:sm_1234567", ""}) {
    kite::Result<kite::CompiledKernel> kernel = kite::compile(ir, target);
    ASSERT_FALSE(kernel.ok()) << target;
    EXPECT_TRUE(contains(kernel.message(), "name an NVIDIA architecture"))
        << kernel.message();
  }
  kite::CompileOptions options;
  options.numStages = 0;
  kite::Result<kite::CompiledKernel> kernel = kite::compile(ir, "cuda:sm_80", options);
  ASSERT_FALSE(kernel.ok());
  EXPECT_TRUE(contains(kernel.message(), "numStages must be at least 1"));
}

TEST(JitCuda, SharedMemoryPerBlockFollowsTheArchitecture) {
  EXPECT_EQ(kite::maxSharedBytesPerBlock("sm_80"), 163u * 1024);
  EXPECT_EQ(kite::maxSharedBytesPerBlock("sm_86"), 99u * 1024);
  EXPECT_EQ(kite::maxSharedBytesPerBlock("sm_90a"), 227u * 1024);
  // An architecture the table does not name: the closest older one's (sm_87).
  EXPECT_EQ(kite::maxSharedBytesPerBlock("sm_88"), 163u * 1024);
  EXPECT_EQ(kite::maxSharedBytesPerBlock("sm_30"), 48u * 1024);
  EXPECT_EQ(kite::maxSharedBytesPerBlock("gfx90a"), 0u);
}

kite::Device openFakeCuda() {
  kite::Result<kite::Device> device = kite::Device::open("cuda:0");
  EXPECT_TRUE(device.ok()) << device.message();
  return device.ok() ? *device : kite::Device();
}

using fake_cuda_log::lastLine;

TEST(JitCuda, CompilesForTheDeviceAndLaunchesWithTypedArguments) {
  REQUIRE_FAKE_CUDA();
  kite::Device device = openFakeCuda();
  kite::Result<kite::CompiledKernel> kernel = kite::compile(vectorAddIR(), device);
  ASSERT_TRUE(kernel.ok()) << kernel.message();
  const kite::DeviceProperties &p = device.properties();
  EXPECT_EQ(kernel->arch, p.arch);
  EXPECT_EQ(kernel->target, "cuda:" + p.arch);
  kite::Result<kite::Buffer> x = device.allocate(4096), y = device.allocate(4096),
                             out = device.allocate(4096);
  ASSERT_TRUE(x.ok() && y.ok() && out.ok());
  log::clear();
  ASSERT_TRUE(kite::launch(device, *kernel, {3, 1, 1}, *x, *y, *out, int32_t(-7)));
  std::string module = lastLine("cuModuleLoadData");
  std::string launch = lastLine("cuLaunchKernel");
  EXPECT_TRUE(contains(launch, "\"function\": \"add_kernel\"")) << launch;
  EXPECT_TRUE(contains(launch, "\"grid\": [3, 1, 1]")) << launch;
  EXPECT_TRUE(contains(launch, "\"block\": [128, 1, 1]")) << launch;
  // Each pointer as its 8 little-endian bytes, then the i32.
  char first[17];
  uint64_t address = x->address();
  for (int b = 0; b < 8; ++b)
    std::snprintf(first + 2 * b, 3, "%02x", unsigned((address >> (8 * b)) & 0xff));
  EXPECT_TRUE(contains(launch, std::string("\"params\": [\"") + first + "\""))
      << launch;
  EXPECT_TRUE(contains(launch, "\"f9ffffff\"]")) << launch;
  ASSERT_TRUE(device.synchronize());

  // Launched again: the module is loaded once.
  log::clear();
  ASSERT_TRUE(kite::launch(device, *kernel, {1, 1, 1}, *x, *y, *out, int32_t(1)));
  EXPECT_TRUE(log::calls("cuModuleLoadData").empty());
  EXPECT_EQ(log::calls("cuLaunchKernel").size(), 1u);
}

TEST(JitCuda, LaunchSaysWhatDoesNotMatch) {
  REQUIRE_FAKE_CUDA();
  kite::Device device = openFakeCuda();
  std::string other = device.properties().arch == "sm_80" ? "sm_86" : "sm_80";
  kite::Result<kite::CompiledKernel> kernel =
      kite::compile(vectorAddIR(), "cuda:" + other);
  ASSERT_TRUE(kernel.ok()) << kernel.message();
  kite::Result<kite::Buffer> x = device.allocate(4096);
  ASSERT_TRUE(x.ok());
  kite::Status status =
      kite::launch(device, *kernel, {1, 1, 1}, *x, *x, *x, int32_t(4));
  ASSERT_FALSE(status);
  EXPECT_TRUE(contains(status.message(), "compiled for " + other + ", but 'cuda:0' is " +
                                             device.properties().arch))
      << status.message();

  kite::Result<kite::CompiledKernel> own = kite::compile(vectorAddIR(), device);
  ASSERT_TRUE(own.ok()) << own.message();
  status = kite::launch(device, *own, {1, 1, 1}, *x, *x, *x, int64_t(4));
  ASSERT_FALSE(status);
  EXPECT_TRUE(contains(status.message(), "argument 3 is i32 in the kernel, got a "
                                         "C++ int64_t"))
      << status.message();
}

} // namespace
