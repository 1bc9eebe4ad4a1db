//===- JitCompileTest.cpp - kite::compile through the cache, then launch --===//
//
// A kernel given as kite IR text is compiled for the first Vulkan device
// (lavapipe here) through kite::Cache::global() (a fresh directory: see
// JitTestMain.cpp) and launched with typed arguments.
//
//===----------------------------------------------------------------------===//
#include "kite/Cache.h"
#include "kite/Jit.h"

#include "CacheTestSupport.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace {

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

kite::Device openDevice() {
  kite::Result<kite::Device> device = kite::Device::open("vulkan");
  EXPECT_TRUE(device.ok()) << device.message();
  return device.ok() ? *device : kite::Device();
}

TEST(JitCompile, ParseErrorsNameTheStageAndTheLine) {
  kite::Device device = openDevice();
  kite::CacheStats before = kite::Cache::global().stats();
  kite::Result<kite::CompiledKernel> kernel =
      kite::compile("func.func @k() attributes {kite.kernel} {\n"
                    "  %x = kite.no_such_op : i32\n"
                    "  return\n"
                    "}\n",
                    device);
  ASSERT_FALSE(kernel.ok());
  EXPECT_TRUE(contains(kernel.message(), "compile: stage 'kite' failed:\n"
                                         "<kite-ir>:2:"))
      << kernel.message();
  EXPECT_TRUE(contains(kernel.message(), "kite.no_such_op"))
      << kernel.message();
  // Nothing is stored for IR that does not compile.
  EXPECT_EQ(kite::Cache::global().stats().stores, before.stores);
}

TEST(JitCompile, KernelWithoutKiteKernelIsAnError) {
  kite::Device device = openDevice();
  kite::Result<kite::CompiledKernel> kernel =
      kite::compile("func.func @helper() {\n  return\n}\n", device);
  ASSERT_FALSE(kernel.ok());
  EXPECT_TRUE(contains(kernel.message(), "kite.kernel")) << kernel.message();
}

TEST(JitCompile, OptionsAndDeviceAreChecked) {
  kite::Device device = openDevice();
  kite::CompileOptions options;
  options.numWarps = 3;
  kite::Result<kite::CompiledKernel> kernel =
      kite::compile("module {}", device, options);
  ASSERT_FALSE(kernel.ok());
  EXPECT_EQ(kernel.message(),
            "compile: numWarps must be a power of two, got 3");

  kernel = kite::compile("module {}", kite::Device());
  ASSERT_FALSE(kernel.ok());
  EXPECT_EQ(kernel.message(), "compile: the device is not open");
}

std::string vectorAddIR() {
  std::string ir = kite::testing::readFile(
      std::string(KITE_TEST_SOURCE_DATA_DIR) + "/vector_add.kite.mlir");
  EXPECT_FALSE(ir.empty());
  return ir;
}

/// Runs the vector add on n elements (1024 per program) and checks every
/// element against the host, and that nothing past n was written.
void expectVectorAddRuns(const kite::Device &device,
                         const kite::CompiledKernel &kernel, int32_t n) {
  kite::Device handle = device;
  std::vector<float> x(n), y(n);
  for (int32_t i = 0; i < n; ++i) {
    x[i] = 0.5f * float(i);
    y[i] = 1000.0f - float(i % 97);
  }
  uint64_t bytes = uint64_t(n) * 4;
  kite::Buffer a = *handle.allocate(bytes), b = *handle.allocate(bytes),
               out = *handle.allocate(bytes + 64);
  ASSERT_TRUE(handle.upload(a, x.data(), bytes));
  ASSERT_TRUE(handle.upload(b, y.data(), bytes));
  ASSERT_TRUE(handle.fill(out, 0xdeadbeef));
  uint32_t programs = uint32_t((n + 1023) / 1024);
  kite::Status status =
      kite::launch(device, kernel, {programs, 1, 1}, a, b, out, n);
  ASSERT_TRUE(status) << status.message();
  std::vector<float> result(n + 16);
  ASSERT_TRUE(handle.download(out, result.data(), result.size() * 4));
  for (int32_t i = 0; i < n; ++i)
    ASSERT_EQ(result[i], x[i] + y[i]) << "at " << i;
  for (int32_t i = n; i < n + 16; ++i) {
    uint32_t bits;
    std::memcpy(&bits, &result[i], 4);
    ASSERT_EQ(bits, 0xdeadbeefu) << "written past n at " << i;
  }
}

TEST(JitCompile, VectorAddRunsOnTheDevice) {
  kite::Device device = openDevice();
  kite::Result<kite::CompiledKernel> kernel =
      kite::compile(vectorAddIR(), device);
  ASSERT_TRUE(kernel.ok()) << kernel.message();
  const kite::DeviceProperties &p = device.properties();
  EXPECT_EQ(kernel->name, "add_kernel");
  EXPECT_EQ(kernel->argTypes,
            (std::vector<std::string>{"!kite.ptr<f32>", "!kite.ptr<f32>",
                                      "!kite.ptr<f32>", "i32"}));
  EXPECT_EQ(kernel->argDivisibility, (std::vector<uint32_t>{16, 16, 16, 1}));
  EXPECT_EQ(kernel->numWarps, 4);
  EXPECT_EQ(kernel->threadsPerWarp, int(p.subgroupSize));
  EXPECT_EQ(kernel->numThreads, 4 * p.subgroupSize);
  EXPECT_EQ(kernel->target, p.name);
  EXPECT_EQ(kernel->cacheKey.size(), 64u);
  ASSERT_EQ(kernel->stages.size(), 4u);
  EXPECT_TRUE(contains(kernel->stages["kite"], "kite.load"));
  EXPECT_TRUE(contains(kernel->stages["kitegpu"], "#kitegpu.blocked"));
  EXPECT_TRUE(contains(kernel->stages["threads"], "kitethread.kernel_arg 3"));
  if (!kernel->stages["spirv"].empty()) // Empty without SPIRV-Tools.
    EXPECT_TRUE(contains(kernel->stages["spirv"], "\"add_kernel\""));
  ASSERT_FALSE(kernel->spirv.empty());
  EXPECT_EQ(kernel->spirv[0], 0x07230203u); // The SPIR-V magic number.

  // n is not a multiple of the 1024 elements of a program, nor of 4.
  expectVectorAddRuns(device, *kernel, 3001);
  expectVectorAddRuns(device, *kernel, 1);
}

TEST(JitCompile, SecondCompileIsACacheHitWithTheSameBinary) {
  kite::Device device = openDevice();
  kite::Cache &cache = kite::Cache::global();
  std::string ir = vectorAddIR() + "// a copy of its own\n";
  kite::CacheStats before = cache.stats();
  kite::Result<kite::CompiledKernel> first = kite::compile(ir, device);
  ASSERT_TRUE(first.ok()) << first.message();
  kite::CacheStats afterFirst = cache.stats();
  EXPECT_EQ(afterFirst.misses, before.misses + 1);
  EXPECT_EQ(afterFirst.stores, before.stores + 1);

  kite::Result<kite::CompiledKernel> second = kite::compile(ir, device);
  ASSERT_TRUE(second.ok()) << second.message();
  kite::CacheStats afterSecond = cache.stats();
  EXPECT_EQ(afterSecond.memoryHits, afterFirst.memoryHits + 1);
  EXPECT_EQ(afterSecond.misses, afterFirst.misses);
  EXPECT_EQ(second->cacheKey, first->cacheKey);
  EXPECT_EQ(second->spirv, first->spirv);
  EXPECT_EQ(second->stages, first->stages);

  // From the disk, as another process would find it.
  cache.clearMemory();
  kite::Result<kite::CompiledKernel> third = kite::compile(ir, device);
  ASSERT_TRUE(third.ok()) << third.message();
  EXPECT_EQ(cache.stats().diskHits, afterSecond.diskHits + 1);
  EXPECT_EQ(cache.stats().misses, afterSecond.misses);
  EXPECT_EQ(third->spirv, first->spirv);
  EXPECT_EQ(third->stages, first->stages);
  EXPECT_EQ(third->argTypes, first->argTypes);
  EXPECT_EQ(third->numThreads, first->numThreads);
  EXPECT_EQ(third->argDivisibility, first->argDivisibility);
  expectVectorAddRuns(device, *third, 2500);
}

TEST(JitCompile, OptionsAndTheIRAreInTheKey) {
  kite::Device device = openDevice();
  std::string ir = vectorAddIR();
  kite::Result<kite::CompiledKernel> four = kite::compile(ir, device);
  kite::CompileOptions options;
  options.numWarps = 2;
  kite::Result<kite::CompiledKernel> two = kite::compile(ir, device, options);
  kite::Result<kite::CompiledKernel> other =
      kite::compile(ir + "\n// another comment\n", device);
  ASSERT_TRUE(four.ok() && two.ok() && other.ok())
      << four.message() << two.message() << other.message();
  EXPECT_NE(two->cacheKey, four->cacheKey);
  EXPECT_NE(other->cacheKey, four->cacheKey);
  EXPECT_EQ(two->numThreads, 2 * device.properties().subgroupSize);
  expectVectorAddRuns(device, *two, 2049);
}

TEST(JitCompile, DamagedCacheFileIsRecompiled) {
  kite::Device device = openDevice();
  kite::Cache &cache = kite::Cache::global();
  std::string ir = vectorAddIR() + "// damaged on disk\n";
  kite::Result<kite::CompiledKernel> first = kite::compile(ir, device);
  ASSERT_TRUE(first.ok()) << first.message();

  // Flip bytes of the stored binary, keeping its size.
  std::string path =
      cache.entriesDirectory() + "/" + first->cacheKey + "/kernel.spv";
  std::string binary = kite::testing::readFile(path);
  ASSERT_EQ(binary.size(), first->spirv.size() * 4);
  for (size_t i = 20; i < binary.size(); i += 7)
    binary[i] = char(~binary[i]);
  kite::testing::writeFile(path, binary);
  cache.clearMemory();

  kite::CacheStats before = cache.stats();
  kite::Result<kite::CompiledKernel> again = kite::compile(ir, device);
  ASSERT_TRUE(again.ok()) << again.message();
  kite::CacheStats after = cache.stats();
  EXPECT_EQ(after.damagedEntries, before.damagedEntries + 1);
  EXPECT_EQ(after.misses, before.misses + 1);
  EXPECT_EQ(after.stores, before.stores + 1);
  EXPECT_EQ(again->spirv, first->spirv);
  // The recompiled entry replaced the damaged one on disk.
  EXPECT_EQ(kite::testing::readFile(path),
            std::string(reinterpret_cast<const char *>(first->spirv.data()),
                        first->spirv.size() * 4));
  expectVectorAddRuns(device, *again, 3001);
}

TEST(JitCompile, AnEntryThatPassesItsChecksButCannotBeUsedIsReplaced) {
  kite::Device device = openDevice();
  kite::Cache &cache = kite::Cache::global();
  for (const char *damage : {"metadata", "binary"}) {
    std::string ir = vectorAddIR() + "// unusable: " + damage + "\n";
    kite::Result<kite::CompiledKernel> first = kite::compile(ir, device);
    ASSERT_TRUE(first.ok()) << first.message();
    std::string entry = cache.entriesDirectory() + "/" + first->cacheKey;
    // Checksums right, contents not: what a broken or older build could
    // have stored. 16 zero words are not SPIR-V: the device refuses them.
    if (damage == std::string("metadata"))
      kite::testing::rewriteInEntry(entry, "metadata.json", "{not json");
    else
      kite::testing::rewriteInEntry(entry, "kernel.spv", std::string(64, '\0'));
    cache.clearMemory();
    kite::CacheStats before = cache.stats();
    kite::Result<kite::CompiledKernel> again = kite::compile(ir, device);
    ASSERT_TRUE(again.ok()) << damage << ": " << again.message();
    EXPECT_EQ(cache.stats().stores, before.stores + 1) << damage;
    EXPECT_EQ(again->spirv, first->spirv) << damage;
    expectVectorAddRuns(device, *again, 1000);
    // Replaced on disk: the next process reads it back whole.
    cache.clearMemory();
    before = cache.stats();
    ASSERT_TRUE(kite::compile(ir, device).ok());
    EXPECT_EQ(cache.stats().diskHits, before.diskHits + 1) << damage;
  }
}

TEST(JitCompile, LaunchWithAMistypedArgumentNamesIt) {
  kite::Device device = openDevice();
  kite::Result<kite::CompiledKernel> kernel =
      kite::compile(vectorAddIR(), device);
  ASSERT_TRUE(kernel.ok()) << kernel.message();
  kite::Buffer a = *device.allocate(64);
  kite::Status status =
      kite::launch(device, *kernel, {1, 1, 1}, a, a, a, uint64_t(16));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.message(),
            "launch add_kernel: argument 3 is i32 in the kernel, got a C++ "
            "uint64_t (i64); pass int32_t or uint32_t");
  status = kite::launch(device, *kernel, {1, 1, 1}, a, 16, a, 16);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.message(),
            "launch add_kernel: argument 1 is !kite.ptr<f32> in the kernel, "
            "got a C++ int32_t (i32); pass kite::Buffer");
  status = kite::launch(device, *kernel, {1, 1, 1}, a, a, a);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.message(),
            "launch add_kernel: the kernel takes 4 arguments, got 3");
}

TEST(JitCompile, LaunchKeepsTheDivisibilityTheKernelWasCompiledFor) {
  kite::Device device = openDevice();
  std::string ir = vectorAddIR();
  size_t at = ir.find("%n: i32)");
  ASSERT_NE(at, std::string::npos);
  ir.replace(at, 8, "%n: i32 {kite.divisibility = 16 : i32})");
  kite::Result<kite::CompiledKernel> kernel = kite::compile(ir, device);
  ASSERT_TRUE(kernel.ok()) << kernel.message();
  EXPECT_EQ(kernel->argDivisibility[3], 16u);
  expectVectorAddRuns(device, *kernel, 3008);
  kite::Buffer a = *device.allocate(4096);
  kite::Status status =
      kite::launch(device, *kernel, {1, 1, 1}, a, a, a, 1000 + 1);
  ASSERT_FALSE(status);
  EXPECT_EQ(status.message(),
            "launch add_kernel: argument 3 was compiled as divisible by 16 "
            "(kite.divisibility), but it is 1001");
}

} // namespace

namespace {
TEST(JitCompile, VulkanIgnoresTheNvidiaOptions) {
  kite::Device device = openDevice();
  kite::CompileOptions options;
  options.numStages = 0; // documented as ignored on Vulkan
  options.fpFusion = false;
  kite::Result<kite::CompiledKernel> kernel =
      kite::compile(vectorAddIR(), device, options);
  ASSERT_TRUE(kernel.ok()) << kernel.message();
  EXPECT_EQ(kernel->cacheKey, kite::compile(vectorAddIR(), device)->cacheKey);
  EXPECT_EQ(kernel->backend, "vulkan");
}
} // namespace
