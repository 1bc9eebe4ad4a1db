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

namespace {

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

kite::Device openDevice() {
  kite::Result<kite::Device> device = kite::Device::open();
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

} // namespace
