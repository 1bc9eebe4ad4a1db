//===- CudaLoaderTest.cpp - loading the CUDA driver, naming its errors ----===//
//
// Links the CUDA runtime directly (not through libkite) to load drivers one
// after another: the fake (test/unit/fake_cuda) made to fail cuInit, a
// missing library, and the CUDA toolkit's stub library where it is installed.
//
//===----------------------------------------------------------------------===//
#include "backends/cuda/CudaLoader.h"
#include "backends/cuda/CudaKernel.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

namespace {

using kite::cuda::CudaDriver;

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

TEST(CudaLoader, LoadsTheFakeDriver) {
  std::string error;
  std::unique_ptr<CudaDriver> driver =
      CudaDriver::load(KITE_FAKE_CUDA_LIBRARY, error);
  ASSERT_TRUE(driver) << error;
  EXPECT_EQ(driver->path(), KITE_FAKE_CUDA_LIBRARY);
  int count = 0;
  EXPECT_EQ(driver->cuDeviceGetCount(&count), 0);
  EXPECT_EQ(count, 1);
  EXPECT_EQ(driver->errorName(2), "CUDA_ERROR_OUT_OF_MEMORY");
}

TEST(CudaLoader, ReportsAFailingCuInit) {
  setenv("KITE_FAKE_CUDA_FAIL", "cuInit=CUDA_ERROR_NO_DEVICE", 1);
  std::string error;
  std::unique_ptr<CudaDriver> driver =
      CudaDriver::load(KITE_FAKE_CUDA_LIBRARY, error);
  unsetenv("KITE_FAKE_CUDA_FAIL");
  EXPECT_FALSE(driver);
  EXPECT_EQ(error, "cuInit failed: CUDA_ERROR_NO_DEVICE");
}

TEST(CudaLoader, ReportsAMissingLibrary) {
  std::string error;
  EXPECT_FALSE(CudaDriver::load("/nonexistent/libcuda.so.1", error));
  EXPECT_TRUE(contains(error, "cannot open the CUDA driver "
                              "/nonexistent/libcuda.so.1: "))
      << error;
}

TEST(CudaLoader, SaysWhatTheToolkitStubIs) {
  std::string stub = KITE_CUDA_STUB_LIBRARY;
  if (stub.empty())
    GTEST_SKIP() << "the CUDA toolkit's stubs/libcuda.so is not installed";
  std::string error;
  EXPECT_FALSE(CudaDriver::load(stub, error));
  EXPECT_EQ(error, "cuInit failed: CUDA_ERROR_STUB_LIBRARY (" + stub +
                       " is the CUDA toolkit's stub library, which only "
                       "satisfies the linker: install the NVIDIA driver, or "
                       "point KITE_LIBCUDA at its libcuda.so.1)");
}

TEST(CudaErrors, KiteNamesWhatTheDriverCannot) {
  EXPECT_STREQ(kite::cuda::knownErrorName(0), "CUDA_SUCCESS");
  EXPECT_STREQ(kite::cuda::knownErrorName(34), "CUDA_ERROR_STUB_LIBRARY");
  EXPECT_STREQ(kite::cuda::knownErrorName(218), "CUDA_ERROR_INVALID_PTX");
  EXPECT_STREQ(kite::cuda::knownErrorName(999), "CUDA_ERROR_UNKNOWN");
  EXPECT_STREQ(kite::cuda::knownErrorName(12345), "");
}

TEST(CudaArguments, EachAtTheNextOffsetAlignedToItsSize) {
  std::vector<uint64_t> offsets;
  uint64_t total = 0;
  // pointer, i32, i64, f32, i1 (a 32-bit word), f16, i8, f64
  EXPECT_EQ(kite::cuda::packedArgumentOffsets({8, 4, 8, 4, 4, 2, 1, 8}, offsets,
                                              total),
            "");
  EXPECT_EQ(offsets, (std::vector<uint64_t>{0, 8, 16, 24, 28, 32, 34, 40}));
  EXPECT_EQ(total, 48u);
  EXPECT_EQ(kite::cuda::packedArgumentOffsets({}, offsets, total), "");
  EXPECT_TRUE(offsets.empty());
  EXPECT_EQ(total, 0u);
  EXPECT_EQ(kite::cuda::packedArgumentOffsets({4, 16}, offsets, total),
            "argument 1 is 16 bytes; packed arguments are 1, 2, 4 or 8 bytes");
}

} // namespace
