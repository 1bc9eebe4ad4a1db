//===- CudaDeviceTest.cpp - kite::Device on CUDA: listing, opening, memory ===//
//
// Runs Kite's CUDA runtime against the fake driver (fake_cuda/, named by
// KITE_LIBCUDA, which ctest sets): one "Fake GPU" of sm_90 made of host
// memory, whose log shows every driver call Kite made.
//
//===----------------------------------------------------------------------===//
#include "FakeCudaLog.h"
#include "kite/Device.h"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>

namespace {

namespace log = fake_cuda_log;

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

kite::Device openCuda() {
  kite::Result<kite::Device> device = kite::Device::open("cuda:0");
  EXPECT_TRUE(device.ok()) << device.message();
  return device.ok() ? *device : kite::Device();
}

TEST(CudaDevices, AreListedFirstWithTheirProperties) {
  REQUIRE_FAKE_CUDA();
  std::vector<kite::DeviceProperties> devices = kite::listDevices();
  ASSERT_FALSE(devices.empty());
  const kite::DeviceProperties &p = devices[0];
  EXPECT_EQ(p.name, "cuda:0");
  EXPECT_EQ(p.backend, "cuda");
  EXPECT_EQ(p.deviceName, "Fake GPU 0");
  EXPECT_EQ(p.arch, "sm_90a"); // its own features: wgmma
  EXPECT_EQ(p.uuid, "f0f1f2f3-f4f5-f6f7-f8f9-fafbfcfdfe00");
  EXPECT_EQ(p.driverVersion, 12040u);
  EXPECT_EQ(p.apiVersion, "12.4");
  EXPECT_EQ(p.driverInfo, "CUDA 12.4");
  EXPECT_EQ(p.vendor, "NVIDIA");
  EXPECT_EQ(p.deviceType, "discrete-gpu");
  EXPECT_EQ(p.multiprocessorCount, 132u);
  EXPECT_EQ(p.subgroupSize, 32u);
  EXPECT_EQ(p.maxSharedMemoryBytes, 232448u);
  EXPECT_EQ(p.memoryBytes, uint64_t(16) << 30);
  EXPECT_EQ(p.maxWorkGroupInvocations, 1024u);
  EXPECT_EQ(p.maxWorkGroupCount,
            (std::array<uint32_t, 3>{2147483647u, 65535u, 65535u}));
  EXPECT_EQ(p.maxWorkGroupSize, (std::array<uint32_t, 3>{1024u, 1024u, 64u}));
  EXPECT_TRUE(p.unsupportedReason.empty()) << p.unsupportedReason;
  // Vulkan devices follow every CUDA device; cuda-sim comes last.
  bool vulkanSeen = false, simSeen = false;
  for (const kite::DeviceProperties &d : devices) {
    if (d.backend == "cuda-sim") {
      simSeen = true;
      continue;
    }
    EXPECT_FALSE(simSeen) << d.name << " is listed after cuda-sim";
    if (d.backend == "vulkan")
      vulkanSeen = true;
    else
      EXPECT_FALSE(vulkanSeen) << d.name << " is listed after a Vulkan device";
  }
  EXPECT_EQ(devices.back().name, "cuda-sim:sm_90");
}

TEST(CudaDevices, OpenByNameGivesOneSharedDevice) {
  REQUIRE_FAKE_CUDA();
  kite::Device device = openCuda();
  ASSERT_TRUE(device.valid());
  EXPECT_EQ(device.properties().name, "cuda:0");
  for (const char *name : {"cuda", ""}) {
    kite::Result<kite::Device> again = kite::Device::open(name);
    ASSERT_TRUE(again.ok()) << again.message();
    EXPECT_EQ(again->properties().name, "cuda:0") << "open('" << name << "')";
  }
  // The primary context is retained once per device, not per open.
  EXPECT_TRUE(contains(log::live(), "\"retained\": [1]")) << log::live();
}

TEST(CudaDevices, OpenReportsMissingDevicesAndVulkanOptions) {
  REQUIRE_FAKE_CUDA();
  kite::Result<kite::Device> missing = kite::Device::open("cuda:3");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.message(), "no device cuda:3 (1 CUDA devices found)");
  kite::DeviceOptions options;
  options.stagingCopies = true;
  kite::Result<kite::Device> withOptions =
      kite::Device::open("cuda:0", options);
  ASSERT_FALSE(withOptions.ok());
  EXPECT_TRUE(contains(withOptions.message(), "apply to Vulkan devices"))
      << withOptions.message();
}

TEST(CudaDevices, FailuresWhileOpeningNameTheCall) {
  REQUIRE_FAKE_CUDA();
  {
    log::Failing failing("cuDevicePrimaryCtxRetain=CUDA_ERROR_OUT_OF_MEMORY");
    kite::Result<kite::Device> device = kite::Device::open("cuda:0");
    ASSERT_FALSE(device.ok());
    EXPECT_EQ(device.message(),
              "cuDevicePrimaryCtxRetain failed: CUDA_ERROR_OUT_OF_MEMORY");
  }
  {
    // A device that cannot be described is listed as unusable, with why.
    log::Failing failing("cuDeviceGetAttribute=CUDA_ERROR_UNKNOWN");
    std::vector<kite::DeviceProperties> devices = kite::listDevices();
    ASSERT_FALSE(devices.empty());
    EXPECT_EQ(devices[0].unsupportedReason,
              "cuDeviceGetAttribute failed: CUDA_ERROR_UNKNOWN");
    kite::Result<kite::Device> device = kite::Device::open("cuda:0");
    EXPECT_EQ(device.message(), "cannot use cuda:0 (Fake GPU 0): "
                                "cuDeviceGetAttribute failed: "
                                "CUDA_ERROR_UNKNOWN");
    kite::Result<kite::Device> any = kite::Device::open("cuda");
    EXPECT_EQ(any.message(), "no usable CUDA device: cuda:0 (Fake GPU 0): "
                             "cuDeviceGetAttribute failed: CUDA_ERROR_UNKNOWN");
  }
  EXPECT_TRUE(kite::Device::open("cuda:0").ok());
}

TEST(CudaDevices, ReleaseTheirContextAndMemoryWhenDropped) {
  REQUIRE_FAKE_CUDA();
  {
    kite::Device device = openCuda();
    kite::Result<kite::Buffer> buffer = device.allocate(100);
    ASSERT_TRUE(buffer.ok()) << buffer.message();
    EXPECT_TRUE(contains(log::live(), "\"allocations\": 1")) << log::live();
  }
  EXPECT_EQ(log::live(), "{\"allocations\": 0, \"modules\": 0, \"retained\": "
                         "[0], \"context_depth\": 0}");
}

TEST(CudaMemory, RoundTripsThroughTheDevice) {
  REQUIRE_FAKE_CUDA();
  kite::Device device = openCuda();
  kite::Result<kite::Buffer> buffer = device.allocate(64);
  ASSERT_TRUE(buffer.ok()) << buffer.message();
  EXPECT_NE(buffer->address(), 0u);
  EXPECT_EQ(buffer->address() % 256, 0u);
  EXPECT_EQ(kite::deviceOfAddress(buffer->address() + 8), "cuda:0");
  int local = 0;
  EXPECT_EQ(kite::deviceOfAddress(reinterpret_cast<uintptr_t>(&local)), "");

  std::vector<uint32_t> in(16), out(16);
  std::iota(in.begin(), in.end(), 100u);
  ASSERT_TRUE(device.upload(*buffer, in.data(), 64));
  ASSERT_TRUE(device.download(*buffer, out.data(), 64));
  EXPECT_EQ(out, in);
  ASSERT_TRUE(device.fill(*buffer, 0xdeadbeef, 16, 8));
  ASSERT_TRUE(device.download(*buffer, out.data(), 64));
  EXPECT_EQ(out[3], 103u);
  EXPECT_EQ(out[4], 0xdeadbeefu);
  EXPECT_EQ(out[5], 0xdeadbeefu);
  EXPECT_EQ(out[6], 106u);
  uint32_t word = 0;
  ASSERT_TRUE(device.download(*buffer, &word, 4, 60));
  EXPECT_EQ(word, 115u);
  // Every call ran in the primary context, and left the thread as it was.
  EXPECT_TRUE(contains(log::live(), "\"context_depth\": 0")) << log::live();
  EXPECT_EQ(log::calls("cuCtxPushCurrent_v2").size(),
            log::calls("cuCtxPopCurrent_v2").size());
}

TEST(CudaMemory, OperationsWaitForEarlierLaunches) {
  REQUIRE_FAKE_CUDA();
  kite::Device device = openCuda();
  kite::Result<kite::Buffer> buffer = device.allocate(16);
  ASSERT_TRUE(buffer.ok());
  uint32_t data[4] = {};
  log::clear();
  ASSERT_TRUE(device.download(*buffer, data, 16));
  std::vector<std::string> calls = log::calls();
  ASSERT_GE(calls.size(), 3u);
  EXPECT_TRUE(contains(calls[1], "cuCtxSynchronize")) << calls[1];
  EXPECT_TRUE(contains(calls[2], "cuMemcpyDtoH_v2")) << calls[2];
}

TEST(CudaMemory, FailuresNameTheCallAndTheError) {
  REQUIRE_FAKE_CUDA();
  kite::Device device = openCuda();
  kite::Result<kite::Buffer> buffer = device.allocate(16);
  ASSERT_TRUE(buffer.ok());
  uint32_t data[4] = {};
  {
    log::Failing failing("cuMemAlloc_v2=CUDA_ERROR_OUT_OF_MEMORY");
    kite::Result<kite::Buffer> none = device.allocate(1 << 20);
    ASSERT_FALSE(none.ok());
    EXPECT_EQ(none.message(), "cuMemAlloc failed: CUDA_ERROR_OUT_OF_MEMORY");
  }
  {
    log::Failing failing("cuMemcpyHtoD_v2=CUDA_ERROR_INVALID_VALUE");
    kite::Status status = device.upload(*buffer, data, 16);
    EXPECT_EQ(status.message(),
              "cuMemcpyHtoD failed: CUDA_ERROR_INVALID_VALUE");
  }
  {
    log::Failing failing("cuMemcpyDtoH_v2=CUDA_ERROR_ILLEGAL_ADDRESS");
    kite::Status status = device.download(*buffer, data, 16);
    EXPECT_EQ(status.message(),
              "cuMemcpyDtoH failed: CUDA_ERROR_ILLEGAL_ADDRESS");
  }
  {
    log::Failing failing("cuMemsetD32_v2=CUDA_ERROR_INVALID_VALUE");
    kite::Status status = device.fill(*buffer, 0);
    EXPECT_EQ(status.message(), "cuMemsetD32 failed: CUDA_ERROR_INVALID_VALUE");
  }
  {
    log::Failing failing("cuCtxSynchronize=CUDA_ERROR_ILLEGAL_ADDRESS");
    kite::Status status = device.synchronize();
    EXPECT_EQ(status.message(),
              "synchronize: cuCtxSynchronize failed: "
              "CUDA_ERROR_ILLEGAL_ADDRESS (a kernel accessed memory outside "
              "its tensors, or misaligned: check the masks of its loads and "
              "stores; KITE_INTERPRET=1 checks every access; launches are "
              "asynchronous: this may be the error of an earlier launch; the "
              "process cannot use this GPU any more)");
    status = device.download(*buffer, data, 16);
    EXPECT_TRUE(contains(status.message(), "download: cuCtxSynchronize"))
        << status.message();
  }
  {
    log::Failing failing("cuCtxSynchronize=CUDA_ERROR_ASSERT");
    EXPECT_EQ(device.synchronize().message(),
              "synchronize: cuCtxSynchronize failed: CUDA_ERROR_ASSERT (a "
              "kl.device_assert failed: the driver printed its message, file "
              "and line on stderr; the process cannot use this GPU any more)");
  }
  {
    log::Failing failing("cuCtxSynchronize=CUDA_ERROR_LAUNCH_FAILED");
    EXPECT_EQ(device.synchronize().message(),
              "synchronize: cuCtxSynchronize failed: CUDA_ERROR_LAUNCH_FAILED "
              "(launches are asynchronous: this may be the error of an "
              "earlier launch)");
  }
  {
    log::Failing failing("cuCtxPushCurrent_v2=CUDA_ERROR_INVALID_CONTEXT");
    kite::Status status = device.upload(*buffer, data, 16);
    EXPECT_EQ(status.message(),
              "cuCtxPushCurrent failed: CUDA_ERROR_INVALID_CONTEXT");
  }
  // A code the driver cannot name still says what it is.
  {
    log::Failing failing("cuMemAlloc_v2=12345");
    kite::Result<kite::Buffer> none = device.allocate(16);
    EXPECT_EQ(none.message(), "cuMemAlloc failed: CUresult(12345)");
  }
  EXPECT_TRUE(device.upload(*buffer, data, 16));
}

TEST(CudaMemory, EmptyBuffersStillHaveAnAddress) {
  REQUIRE_FAKE_CUDA();
  kite::Device device = openCuda();
  kite::Result<kite::Buffer> buffer = device.allocate(0);
  ASSERT_TRUE(buffer.ok()) << buffer.message();
  EXPECT_NE(buffer->address(), 0u);
  EXPECT_EQ(buffer->size(), 0u);
  EXPECT_TRUE(device.fill(*buffer, 7));
  buffer->release();
  EXPECT_FALSE(buffer->valid());
}

} // namespace
