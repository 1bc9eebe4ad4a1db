//===- LaunchTest.cpp - kernels on a Vulkan device: the argument ABI ------===//
//
// Runs the hand-written SPIR-V of test/unit/data (assembled and validated by
// the build) through Device::loadKernel and Device::launch.
//
//===----------------------------------------------------------------------===//
#include "kite/Device.h"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>

namespace {

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

std::vector<uint32_t> readSpirv(const std::string &name) {
  std::ifstream in(std::string(KITE_TEST_DATA_DIR) + "/" + name + ".spv",
                   std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  EXPECT_FALSE(bytes.empty()) << name;
  std::vector<uint32_t> words(bytes.size() / 4);
  std::memcpy(words.data(), bytes.data(), words.size() * 4);
  return words;
}

/// Buffers a, b, c of n floats with a[i] = i, b[i] = 1000 - 2i, c = NaN bits.
struct VectorAddBuffers {
  kite::Buffer a, b, c;
  uint32_t n;

  VectorAddBuffers(kite::Device &device, uint32_t n) : n(n) {
    std::vector<float> x(n), y(n);
    for (uint32_t i = 0; i < n; ++i) {
      x[i] = float(i);
      y[i] = 1000.0f - 2.0f * float(i);
    }
    a = *device.allocate(n * 4);
    b = *device.allocate(n * 4);
    c = *device.allocate(n * 4);
    EXPECT_TRUE(device.upload(a, x.data(), n * 4));
    EXPECT_TRUE(device.upload(b, y.data(), n * 4));
    EXPECT_TRUE(device.fill(c, 0x7fc00000));
  }

  /// Checks c[i] == a[i] + b[i] + bias for every i.
  void expectSums(kite::Device &device, float bias = 0.0f) {
    std::vector<float> out(n);
    ASSERT_TRUE(device.download(c, out.data(), n * 4));
    for (uint32_t i = 0; i < n; ++i)
      ASSERT_EQ(out[i], 1000.0f - float(i) + bias) << "at " << i;
  }

  /// The packed arguments of vector_add.spvasm: {u64 a, b, c; u32 n}.
  std::vector<uint8_t> inlineArgs() const {
    std::vector<uint8_t> args(28);
    uint64_t pointers[3] = {a.address(), b.address(), c.address()};
    std::memcpy(args.data(), pointers, 24);
    std::memcpy(args.data() + 24, &n, 4);
    return args;
  }
};

kite::KernelSpec vectorAddSpec(uint32_t local) {
  kite::KernelSpec spec;
  spec.spirv = readSpirv("vector_add");
  spec.localSize = {local, 1, 1};
  spec.pushConstantBytes = 52; // The header and 28 bytes of arguments.
  return spec;
}

kite::Device openDevice(const kite::DeviceOptions &options = {}) {
  kite::Result<kite::Device> device = kite::Device::open("vulkan", options);
  EXPECT_TRUE(device.ok()) << device.message();
  return device.ok() ? *device : kite::Device();
}

TEST(Launch, VectorAddInPushConstants) {
  kite::Device device = openDevice();
  VectorAddBuffers buffers(device, 1000);
  kite::Result<kite::Kernel> kernel = device.loadKernel(vectorAddSpec(8));
  ASSERT_TRUE(kernel.ok()) << kernel.message();
  EXPECT_EQ(kite::chooseArgumentPassing(28, 128),
            kite::ArgumentPassing::PushConstants);
  std::vector<uint8_t> args = buffers.inlineArgs();
  kite::Status status =
      device.launch(*kernel, {125, 1, 1}, args.data(), args.size());
  ASSERT_TRUE(status) << status.message();
  EXPECT_EQ(device.lastLaunchDispatches(), 1u);
  buffers.expectSums(device);
}

TEST(Launch, LocalSizeComesFromTheSpec) {
  kite::Device device = openDevice();
  VectorAddBuffers buffers(device, 1000);
  // 63 programs of 16 cover 1000 elements only if the shader sees 16.
  kite::Result<kite::Kernel> kernel = device.loadKernel(vectorAddSpec(16));
  ASSERT_TRUE(kernel.ok()) << kernel.message();
  EXPECT_EQ(kernel->localSize()[0], 16u);
  std::vector<uint8_t> args = buffers.inlineArgs();
  ASSERT_TRUE(device.launch(*kernel, {63, 1, 1}, args.data(), args.size()));
  buffers.expectSums(device);
}

TEST(Launch, GridsLargerThanOneDispatchAreSplit) {
  kite::DeviceOptions options;
  options.maxWorkGroupCount = {4, 2, 1};
  kite::Device device = openDevice(options);
  EXPECT_EQ(device.dispatchLimit(), (std::array<uint32_t, 3>{4, 2, 1}));
  kite::Result<kite::Kernel> kernel = device.loadKernel(vectorAddSpec(8));
  ASSERT_TRUE(kernel.ok()) << kernel.message();

  // 1D: 125 programs in dispatches of at most 4.
  VectorAddBuffers line(device, 1000);
  std::vector<uint8_t> args = line.inlineArgs();
  ASSERT_TRUE(device.launch(*kernel, {125, 1, 1}, args.data(), args.size()));
  EXPECT_EQ(device.lastLaunchDispatches(), 32u);
  line.expectSums(device);

  // 3D: 5 x 3 x 2 programs; x in 2 pieces of 4 and 1, y in 2, z in 2.
  VectorAddBuffers grid(device, 237);
  args = grid.inlineArgs();
  ASSERT_TRUE(device.launch(*kernel, {5, 3, 2}, args.data(), args.size()));
  EXPECT_EQ(device.lastLaunchDispatches(), 2u * 2u * 2u);
  grid.expectSums(device);
}

/// vector_add_args_buffer.spvasm's block: bias @120, a, b, c @128, n @152.
std::vector<uint8_t> bufferArgs(const VectorAddBuffers &buffers, float bias) {
  std::vector<uint8_t> args(156, 0xee);
  uint64_t pointers[3] = {buffers.a.address(), buffers.b.address(),
                          buffers.c.address()};
  std::memcpy(args.data() + 120, &bias, 4);
  std::memcpy(args.data() + 128, pointers, 24);
  std::memcpy(args.data() + 152, &buffers.n, 4);
  return args;
}

TEST(Launch, LargeArgumentsGoThroughABuffer) {
  kite::DeviceOptions options;
  options.maxWorkGroupCount = {16, 1, 1};
  kite::Device device = openDevice(options);
  ASSERT_EQ(kite::chooseArgumentPassing(156, 128),
            kite::ArgumentPassing::Buffer);
  kite::KernelSpec spec;
  spec.spirv = readSpirv("vector_add_args_buffer");
  spec.localSize = {8, 1, 1};
  spec.pushConstantBytes = 32; // The header and the block's address.
  spec.argumentPassing = kite::ArgumentPassing::Buffer;
  kite::Result<kite::Kernel> kernel = device.loadKernel(spec);
  ASSERT_TRUE(kernel.ok()) << kernel.message();

  VectorAddBuffers buffers(device, 999);
  std::vector<uint8_t> args = bufferArgs(buffers, 0.5f);
  kite::Status status =
      device.launch(*kernel, {125, 1, 1}, args.data(), args.size());
  ASSERT_TRUE(status) << status.message();
  EXPECT_EQ(device.lastLaunchDispatches(), 8u);
  buffers.expectSums(device, 0.5f);

  // The block is reused: a second launch sees its own arguments.
  VectorAddBuffers second(device, 64);
  args = bufferArgs(second, -3.0f);
  ASSERT_TRUE(device.launch(*kernel, {8, 1, 1}, args.data(), args.size()));
  second.expectSums(device, -3.0f);
}

TEST(Launch, ASmallerPushConstantLimitIsObeyed) {
  kite::DeviceOptions options;
  options.maxPushConstantBytes = 48;
  kite::Device device = openDevice(options);
  EXPECT_EQ(device.properties().maxPushConstantBytes, 48u);
  // 28 bytes of arguments no longer fit beside the header.
  EXPECT_EQ(
      kite::chooseArgumentPassing(28, device.properties().maxPushConstantBytes),
      kite::ArgumentPassing::Buffer);
  kite::Result<kite::Kernel> kernel = device.loadKernel(vectorAddSpec(8));
  ASSERT_FALSE(kernel.ok());
  EXPECT_TRUE(contains(kernel.message(), "loadKernel: the kernel's push "
                                         "constants take 52 bytes; the "
                                         "device allows 48"))
      << kernel.message();
}

TEST(Launch, ArgumentsThatDoNotFitAreRefused) {
  kite::Device device = openDevice();
  kite::Result<kite::Kernel> kernel = device.loadKernel(vectorAddSpec(8));
  ASSERT_TRUE(kernel.ok()) << kernel.message();
  std::vector<uint8_t> args(40);
  kite::Status status =
      device.launch(*kernel, {1, 1, 1}, args.data(), args.size());
  EXPECT_TRUE(contains(status.message(), "launch: 40 argument bytes do not "
                                         "fit the kernel's push constants"))
      << status.message();
  // An empty grid runs nothing.
  EXPECT_TRUE(device.launch(*kernel, {0, 4, 1}, nullptr, 0));
  EXPECT_EQ(device.lastLaunchDispatches(), 0u);
  // Vulkan launches are synchronous, on no stream.
  status = device.launch(*kernel, {1, 1, 1}, nullptr, 0, /*stream=*/1);
  EXPECT_EQ(status.message(), "launch: " + device.properties().name +
                                  " has no streams: pass stream 0");
  EXPECT_TRUE(device.synchronize());
}

TEST(Launch, InvalidKernelsAreRefusedWithTheCallNamed) {
  kite::Device device = openDevice();
  auto loadError = [&](kite::KernelSpec spec) {
    kite::Result<kite::Kernel> kernel = device.loadKernel(spec);
    EXPECT_FALSE(kernel.ok());
    return kernel.ok() ? std::string() : kernel.message();
  };
  kite::KernelSpec garbage = vectorAddSpec(8);
  garbage.spirv = {1, 2, 3, 4, 5, 6};
  EXPECT_TRUE(contains(loadError(garbage), "loadKernel: not a SPIR-V module"));

  kite::KernelSpec truncated = vectorAddSpec(8);
  truncated.spirv.resize(6); // The header and half of OpCapability.
  EXPECT_TRUE(contains(loadError(truncated),
                       "loadKernel: malformed SPIR-V: truncated instruction"));

  kite::KernelSpec wrongEntry = vectorAddSpec(8);
  wrongEntry.entryPoint = "add";
  EXPECT_TRUE(contains(loadError(wrongEntry),
                       "loadKernel: the module has no GLCompute entry point "
                       "'add' (it has: main)"));

  kite::KernelSpec invalid = vectorAddSpec(1);
  invalid.spirv = readSpirv("invalid_store_to_input");
  invalid.pushConstantBytes = 24;
  std::string message = loadError(invalid);
  EXPECT_TRUE(contains(message, "loadKernel: invalid SPIR-V (spirv-val): "))
      << message;
  EXPECT_TRUE(contains(message, "read-only")) << message;

  kite::KernelSpec tooMuchPush = vectorAddSpec(8);
  tooMuchPush.pushConstantBytes = 4096;
  EXPECT_TRUE(contains(loadError(tooMuchPush), "the device allows"));
  kite::KernelSpec noHeader = vectorAddSpec(8);
  noHeader.pushConstantBytes = 16;
  EXPECT_TRUE(contains(loadError(noHeader), "at least 24"));
  kite::KernelSpec zeroLocal = vectorAddSpec(0);
  EXPECT_TRUE(contains(loadError(zeroLocal), "local size 0"));
}

TEST(Launch, KernelsBelongToTheirDevice) {
  kite::Device device = openDevice();
  kite::DeviceOptions options;
  options.stagingCopies = true;
  kite::Device other = openDevice(options);
  kite::Result<kite::Kernel> kernel = device.loadKernel(vectorAddSpec(8));
  ASSERT_TRUE(kernel.ok()) << kernel.message();
  kite::Status status = other.launch(*kernel, {1, 1, 1}, nullptr, 0);
  EXPECT_TRUE(contains(status.message(), "loaded on another device"))
      << status.message();

  // The same spec loads the cached pipeline.
  kite::Result<kite::Kernel> again = device.loadKernel(vectorAddSpec(8));
  ASSERT_TRUE(again.ok());

  // Device memory without host mapping: launches still see uploads.
  VectorAddBuffers buffers(other, 100);
  kite::Result<kite::Kernel> staged = other.loadKernel(vectorAddSpec(8));
  ASSERT_TRUE(staged.ok()) << staged.message();
  std::vector<uint8_t> args = buffers.inlineArgs();
  ASSERT_TRUE(other.launch(*staged, {13, 1, 1}, args.data(), args.size()));
  buffers.expectSums(other);
}

} // namespace
