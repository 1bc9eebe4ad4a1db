//===- DeviceTest.cpp - kite::Device: listing, opening, buffers -----------===//
//
// Runs on whatever Vulkan device the machine has; on GPU-less CI that is
// Mesa's lavapipe, whose exact properties are checked too.
//
//===----------------------------------------------------------------------===//
#include "kite/Device.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <random>
#include <regex>
#include <sys/wait.h>
#include <unistd.h>

namespace {

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

kite::Device openDevice(const kite::DeviceOptions &options = {}) {
  kite::Result<kite::Device> device = kite::Device::open("vulkan", options);
  EXPECT_TRUE(device.ok()) << device.message();
  return device.ok() ? *device : kite::Device();
}

TEST(Devices, ListsAtLeastOneUsableVulkanDevice) {
  // CUDA devices, where a driver is installed, come first.
  std::vector<kite::DeviceProperties> devices;
  for (const kite::DeviceProperties &p : kite::listDevices())
    if (p.backend == "vulkan")
      devices.push_back(p);
  ASSERT_FALSE(devices.empty());
  for (size_t i = 0; i < devices.size(); ++i)
    EXPECT_EQ(devices[i].name, "vulkan:" + std::to_string(i));
  EXPECT_TRUE(std::any_of(devices.begin(), devices.end(),
                          [](auto &d) { return d.unsupportedReason.empty(); }));
}

TEST(Devices, PropertiesAreSane) {
  kite::Device device = openDevice();
  ASSERT_TRUE(device.valid());
  const kite::DeviceProperties &p = device.properties();
  EXPECT_FALSE(p.deviceName.empty());
  EXPECT_FALSE(p.vendor.empty());
  EXPECT_FALSE(p.driverName.empty());
  EXPECT_TRUE(std::regex_match(
      p.uuid, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                         "[0-9a-f]{12}")))
      << p.uuid;
  EXPECT_TRUE(std::regex_match(p.apiVersion, std::regex("1\\.[2-9]\\.[0-9]+")))
      << p.apiVersion;
  // Vulkan's required minimums.
  EXPECT_GE(p.subgroupSize, 1u);
  EXPECT_EQ(p.subgroupSize & (p.subgroupSize - 1), 0u);
  EXPECT_LE(p.minSubgroupSize, p.subgroupSize);
  EXPECT_GE(p.maxSubgroupSize, p.subgroupSize);
  EXPECT_GE(p.maxSharedMemoryBytes, 16384u);
  EXPECT_GE(p.maxPushConstantBytes, 128u);
  for (int i = 0; i < 3; ++i)
    EXPECT_GE(p.maxWorkGroupCount[i], 65535u);
  EXPECT_GE(p.maxWorkGroupInvocations, 128u);
  EXPECT_TRUE(p.int64); // Opening requires it.
  EXPECT_EQ(device.dispatchLimit(), p.maxWorkGroupCount);
  EXPECT_TRUE(p.unsupportedReason.empty());
}

TEST(Devices, LavapipeProperties) {
  kite::Device device = openDevice();
  const kite::DeviceProperties &p = device.properties();
  if (p.driverName != "llvmpipe")
    GTEST_SKIP() << "not lavapipe: " << p.driverName;
  EXPECT_EQ(p.deviceType, "cpu");
  EXPECT_EQ(p.subgroupSize, 8u);
  EXPECT_EQ(p.maxSharedMemoryBytes, 32768u);
  // 128 bytes on Mesa 22.3, 256 on Mesa 25.
  EXPECT_GE(p.maxPushConstantBytes, 128u);
  EXPECT_EQ(p.maxPushConstantBytes & (p.maxPushConstantBytes - 1), 0u);
  EXPECT_TRUE(p.int8 && p.int16 && p.int64 && p.fp16 && p.fp64);
  EXPECT_TRUE(p.storage8 && p.storage16);
  EXPECT_TRUE(contains(p.driverInfo, "Mesa")) << p.driverInfo;
}

TEST(Devices, OpenByName) {
  kite::Result<kite::Device> first = kite::Device::open("vulkan:0");
  ASSERT_TRUE(first.ok()) << first.message();
  EXPECT_EQ(first->properties().name, "vulkan:0");
  kite::Result<kite::Device> again = kite::Device::open("vulkan");
  ASSERT_TRUE(again.ok()) << again.message();
  EXPECT_EQ(again->properties().uuid, first->properties().uuid);

  // One device for every open: a buffer from one handle works with another.
  kite::Result<kite::Buffer> buffer = first->allocate(16);
  ASSERT_TRUE(buffer.ok()) << buffer.message();
  uint32_t in[4] = {1, 2, 3, 4}, out[4] = {};
  EXPECT_TRUE(again->upload(*buffer, in, sizeof(in)));
  EXPECT_TRUE(again->download(*buffer, out, sizeof(out)));
  EXPECT_EQ(out[3], 4u);
}

TEST(Devices, OpenReportsBadNames) {
  kite::Result<kite::Device> missing = kite::Device::open("vulkan:99");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(contains(missing.message(), "no device vulkan:99"))
      << missing.message();
  for (const char *name :
       {"metal:0", "cuda:", "vulkan:", "vulkan:x", "vulkan0"}) {
    kite::Result<kite::Device> bad = kite::Device::open(name);
    ASSERT_FALSE(bad.ok()) << name;
    EXPECT_TRUE(contains(bad.message(), "unknown device")) << bad.message();
  }
}

TEST(Devices, ForkedChildrenAreToldNotToUseTheParentsVulkan) {
  kite::Device device = openDevice();
  ASSERT_TRUE(device.valid());
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    kite::Result<kite::Device> child = kite::Device::open("vulkan:1");
    std::vector<kite::DeviceProperties> devices = kite::listDevices();
    bool told = !child.ok() && contains(child.message(), "forked") &&
                std::none_of(devices.begin(), devices.end(),
                             [](auto &p) { return p.backend == "vulkan"; });
    _exit(told ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/// Uploads random bytes at several offsets and reads them back.
void roundTrip(kite::Device &device) {
  const size_t bytes = (1 << 20) + 12;
  kite::Result<kite::Buffer> buffer = device.allocate(bytes);
  ASSERT_TRUE(buffer.ok()) << buffer.message();
  EXPECT_EQ(buffer->size(), bytes);
  EXPECT_NE(buffer->address(), 0u);
  EXPECT_EQ(buffer->address() % 4, 0u);

  std::vector<uint8_t> data(bytes);
  std::mt19937 random(7);
  for (uint8_t &byte : data)
    byte = static_cast<uint8_t>(random());
  ASSERT_TRUE(device.upload(*buffer, data.data(), bytes)) << "upload";
  std::vector<uint8_t> back(bytes);
  kite::Status status = device.download(*buffer, back.data(), bytes);
  ASSERT_TRUE(status) << status.message();
  EXPECT_EQ(back, data);

  // Partial copies at odd offsets.
  std::vector<uint8_t> part = {9, 8, 7, 6, 5};
  ASSERT_TRUE(device.upload(*buffer, part.data(), part.size(), 1001));
  std::vector<uint8_t> window(7);
  ASSERT_TRUE(device.download(*buffer, window.data(), window.size(), 1000));
  EXPECT_EQ(window,
            (std::vector<uint8_t>{data[1000], 9, 8, 7, 6, 5, data[1006]}));

  // fill: all of it, then a range.
  ASSERT_TRUE(device.fill(*buffer, 0xdeadbeef));
  std::vector<uint32_t> words(bytes / 4);
  ASSERT_TRUE(device.download(*buffer, words.data(), bytes));
  EXPECT_TRUE(std::all_of(words.begin(), words.end(),
                          [](uint32_t w) { return w == 0xdeadbeef; }));
  ASSERT_TRUE(device.fill(*buffer, 7, 8, 16));
  uint32_t head[8];
  ASSERT_TRUE(device.download(*buffer, head, sizeof(head)));
  EXPECT_EQ(head[1], 0xdeadbeefu);
  EXPECT_EQ(head[2], 7u);
  EXPECT_EQ(head[5], 7u);
  EXPECT_EQ(head[6], 0xdeadbeefu);
}

TEST(Buffers, RoundTripMapped) {
  kite::Device device = openDevice();
  roundTrip(device);
}

TEST(Buffers, RoundTripThroughStagingCopies) {
  kite::DeviceOptions options;
  options.stagingCopies = true;
  kite::Device device = openDevice(options);
  roundTrip(device);
}

TEST(Buffers, DistinctAddressesAndEmptyBuffers) {
  kite::Device device = openDevice();
  kite::Result<kite::Buffer> a = device.allocate(64), b = device.allocate(64);
  kite::Result<kite::Buffer> empty = device.allocate(0);
  ASSERT_TRUE(a.ok() && b.ok() && empty.ok()) << empty.message();
  EXPECT_NE(a->address(), b->address());
  EXPECT_EQ(empty->size(), 0u);
  EXPECT_TRUE(device.upload(*empty, nullptr, 0));
}

TEST(Buffers, MisuseIsReportedNotFatal) {
  kite::Device device = openDevice();
  kite::Result<kite::Buffer> buffer = device.allocate(64);
  ASSERT_TRUE(buffer.ok());
  char bytes[128] = {};
  kite::Status outside = device.upload(*buffer, bytes, 16, 56);
  EXPECT_TRUE(contains(outside.message(), "upload: bytes [56, 56 + 16) are "
                                          "outside the buffer of 64 bytes"))
      << outside.message();
  EXPECT_TRUE(
      contains(device.fill(*buffer, 0, 2, 4).message(), "multiples of 4"));
  EXPECT_FALSE(device.download(kite::Buffer(), bytes, 1));

  kite::Result<kite::Buffer> huge =
      device.allocate(device.properties().maxAllocationBytes + 1);
  ASSERT_FALSE(huge.ok());
  EXPECT_TRUE(contains(huge.message(), "allocate: ")) << huge.message();

  kite::Buffer copy = *buffer;
  buffer->release();
  buffer->release();
  EXPECT_EQ(copy.address(), 0u);
  EXPECT_FALSE(copy.valid());
  kite::Status released = device.download(copy, bytes, 4);
  EXPECT_TRUE(contains(released.message(), "download: the buffer was released"))
      << released.message();

  kite::DeviceOptions options;
  options.stagingCopies = true;
  kite::Device other = openDevice(options);
  kite::Result<kite::Buffer> foreign = other.allocate(16);
  ASSERT_TRUE(foreign.ok());
  EXPECT_TRUE(contains(device.upload(*foreign, bytes, 4).message(),
                       "belongs to another device"));
}

} // namespace
