//===- JitArgumentsTest.cpp - typed launch arguments of compiled kernels --===//
//
// kite::packArguments and kite::launch against docs/vulkan-abi.md: the bytes
// themselves, the type checks and their messages, and hand-written
// thread-level kernels (through kite::emitSpirv) that read every kind of
// argument on the first Vulkan device (lavapipe here).
//
//===----------------------------------------------------------------------===//
#include "kite/Jit.h"
#include "kite/Spirv.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

namespace {

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

kite::CompiledKernel kernelTaking(std::vector<std::string> argTypes) {
  kite::CompiledKernel kernel;
  kernel.name = "k";
  kernel.argTypes = std::move(argTypes);
  return kernel;
}

template <typename T> T read(const std::vector<uint8_t> &bytes, size_t at) {
  T value;
  EXPECT_LE(at + sizeof(T), bytes.size());
  std::memcpy(&value, bytes.data() + at, sizeof(T));
  return value;
}

kite::Device openDevice() {
  kite::Result<kite::Device> device = kite::Device::open("vulkan");
  EXPECT_TRUE(device.ok()) << device.message();
  return device.ok() ? *device : kite::Device();
}

kite::SpirvOptions emitterOptions(const kite::DeviceProperties &p) {
  kite::SpirvOptions options;
  options.subgroupSize = p.subgroupSize;
  options.int8 = p.int8 && p.storage8;
  options.int16 = p.int16 && p.storage16;
  options.int64 = p.int64;
  options.float16 = p.fp16 && p.storage16;
  options.float64 = p.fp64;
  return options;
}

/// A CompiledKernel made by hand from thread-level IR: what compile() gives
/// for a kernel with these arguments, minus the tile-level stages.
kite::CompiledKernel fromThreadIR(const kite::Device &device,
                                  const std::string &ir,
                                  const std::string &name, uint32_t threads,
                                  std::vector<std::string> argTypes) {
  kite::SpirvResult spirv =
      kite::emitSpirv(ir, emitterOptions(device.properties()));
  EXPECT_TRUE(spirv.ok) << (spirv.diagnostics.empty()
                                ? ""
                                : spirv.diagnostics[0].message);
  kite::CompiledKernel kernel = kernelTaking(std::move(argTypes));
  kernel.name = name;
  kernel.numThreads = threads;
  kernel.target = device.properties().name;
  kernel.spirv.resize(spirv.binary.size() / 4);
  std::memcpy(kernel.spirv.data(), spirv.binary.data(), spirv.binary.size());
  return kernel;
}

TEST(JitArguments, PackedInOrderEachAlignedToItsSize) {
  kite::CompiledKernel kernel = kernelTaking(
      {"i8", "i64", "i1", "i16", "f32", "f16", "f64", "i32", "bf16"});
  kite::Result<std::vector<uint8_t>> bytes =
      kite::packArguments(kernel, int8_t(-2), uint64_t(0x0102030405060708),
                          true, int16_t(-300), 1.5f, kite::Half{0x3c00}, -0.25,
                          uint32_t(0xdeadbeef), kite::BFloat16{0x3f80});
  ASSERT_TRUE(bytes.ok()) << bytes.message();
  // i8 @0, i64 @8, i1 @16 (a u32), i16 @20, f32 @24, f16 @28, f64 @32,
  // i32 @40, bf16 @44.
  ASSERT_EQ(bytes->size(), 46u);
  EXPECT_EQ(read<int8_t>(*bytes, 0), -2);
  EXPECT_EQ(read<uint64_t>(*bytes, 8), 0x0102030405060708u);
  EXPECT_EQ(read<uint32_t>(*bytes, 16), 1u);
  EXPECT_EQ(read<int16_t>(*bytes, 20), -300);
  EXPECT_EQ(read<float>(*bytes, 24), 1.5f);
  EXPECT_EQ(read<uint16_t>(*bytes, 28), 0x3c00);
  EXPECT_EQ(read<double>(*bytes, 32), -0.25);
  EXPECT_EQ(read<uint32_t>(*bytes, 40), 0xdeadbeefu);
  EXPECT_EQ(read<uint16_t>(*bytes, 44), 0x3f80);
}

TEST(JitArguments, BuffersPassTheirAddress) {
  kite::Device device = openDevice();
  kite::Result<kite::Buffer> buffer = device.allocate(64);
  ASSERT_TRUE(buffer.ok()) << buffer.message();
  kite::Result<std::vector<uint8_t>> bytes =
      kite::packArguments(kernelTaking({"i32", "!kite.ptr<f32>"}), 7, *buffer);
  ASSERT_TRUE(bytes.ok()) << bytes.message();
  ASSERT_EQ(bytes->size(), 16u);
  EXPECT_EQ(read<int32_t>(*bytes, 0), 7);
  EXPECT_EQ(read<uint64_t>(*bytes, 8), buffer->address());

  buffer->release();
  bytes =
      kite::packArguments(kernelTaking({"i32", "!kite.ptr<f32>"}), 7, *buffer);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.message(), "launch k: argument 1 is an empty or released "
                             "kite::Buffer");
}

TEST(JitArguments, TypeMismatchNamesTheArgumentAndBothTypes) {
  kite::Device device = openDevice();
  kite::Buffer buffer = *device.allocate(64);
  kite::CompiledKernel kernel = kernelTaking({"!kite.ptr<f32>", "i32", "f32"});
  kite::Result<std::vector<uint8_t>> bytes =
      kite::packArguments(kernel, buffer, int64_t(5), 1.0f);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.message(), "launch k: argument 1 is i32 in the kernel, got "
                             "a C++ int64_t (i64); pass int32_t or uint32_t");

  bytes = kite::packArguments(kernel, buffer, 5, 1.0);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.message(), "launch k: argument 2 is f32 in the kernel, got "
                             "a C++ double (f64); pass float");

  bytes = kite::packArguments(kernel, 0, 5, 1.0f);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.message(),
            "launch k: argument 0 is !kite.ptr<f32> in the kernel, got a C++ "
            "int32_t (i32); pass kite::Buffer");
}

TEST(JitArguments, DivisibilityPromisesAreKept) {
  kite::CompiledKernel kernel = kernelTaking({"i32", "i64", "i8"});
  kernel.argDivisibility = {16, 16, 1};
  EXPECT_TRUE(kite::packArguments(kernel, -32, uint64_t(1) << 40, int8_t(3)));

  kite::Result<std::vector<uint8_t>> bytes =
      kite::packArguments(kernel, -40, int64_t(16), int8_t(3));
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.message(), "launch k: argument 0 was compiled as divisible "
                             "by 16 (kite.divisibility), but it is -40");
  bytes =
      kite::packArguments(kernel, uint32_t(0xfffffff0), int64_t(24), int8_t(3));
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.message(), "launch k: argument 1 was compiled as divisible "
                             "by 16 (kite.divisibility), but it is 24");
}

TEST(JitArguments, WrongCountIsAnError) {
  kite::Result<std::vector<uint8_t>> bytes =
      kite::packArguments(kernelTaking({"i32", "i32"}), 1);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.message(), "launch k: the kernel takes 2 arguments, got 1");
  EXPECT_TRUE(kite::packArguments(kernelTaking({})).ok());
}

TEST(JitArguments, UnpassableTypeIsNamed) {
  kite::Result<std::vector<uint8_t>> bytes =
      kite::packArguments(kernelTaking({"tensor<4xf32>"}), 1);
  ASSERT_FALSE(bytes.ok());
  EXPECT_TRUE(contains(bytes.message(), "argument 0 has the type "
                                        "tensor<4xf32>, which cannot be "
                                        "passed"))
      << bytes.message();
}

// out[i] = (flag ? x[i] * alpha : 0) + bias, for i < n; 64 threads, one
// element each (the kernel of test/python/test_vulkan_abi.py).
constexpr const char *kAxpb = R"(
module attributes {"kitethread.num-threads" = 64 : i32} {
  func.func @axpb() attributes {kite.kernel} {
    %x = kitethread.kernel_arg 0 : i64
    %flag = kitethread.kernel_arg 1 : i1
    %out = kitethread.kernel_arg 2 : i64
    %n = kitethread.kernel_arg 3 : i32
    %alpha = kitethread.kernel_arg 4 : f32
    %bias = kitethread.kernel_arg 5 : i64
    %pid = kitethread.program_id x : i32
    %tid = gpu.thread_id x
    %t = arith.index_cast %tid : index to i32
    %c64 = arith.constant 64 : i32
    %base = arith.muli %pid, %c64 : i32
    %i = arith.addi %base, %t : i32
    %mask = arith.cmpi slt, %i, %n : i32
    %i64 = arith.extsi %i : i32 to i64
    %c4 = arith.constant 4 : i64
    %off = arith.muli %i64, %c4 : i64
    %xa = arith.addi %x, %off : i64
    %oa = arith.addi %out, %off : i64
    %v = kitethread.load %xa, %mask align 4 : f32
    %scaled = arith.mulf %v, %alpha : f32
    %zero = arith.constant 0.0 : f32
    %picked = arith.select %flag, %scaled, %zero : f32
    %b = arith.sitofp %bias : i64 to f32
    %r = arith.addf %picked, %b : f32
    kitethread.store %oa, %r, %mask align 4 : f32
    return
  }
}
)";

TEST(JitArguments, LaunchRunsAThreadLevelKernel) {
  kite::Device device = openDevice();
  kite::CompiledKernel kernel = fromThreadIR(
      device, kAxpb, "axpb", 64,
      {"!kite.ptr<f32>", "i1", "!kite.ptr<f32>", "i32", "f32", "i64"});
  const int32_t n = 150;
  std::vector<float> x(n);
  for (int i = 0; i < n; ++i)
    x[i] = float(i);
  kite::Buffer in = *device.allocate(n * 4), out = *device.allocate(n * 4 + 32);
  ASSERT_TRUE(device.upload(in, x.data(), n * 4));
  for (bool flag : {true, false}) {
    ASSERT_TRUE(device.fill(out, 0x7fc00000)); // NaN: untouched stays NaN.
    kite::Status status = kite::launch(device, kernel, {3, 1, 1}, in, flag, out,
                                       n, 0.5f, int64_t(-3));
    ASSERT_TRUE(status) << status.message();
    std::vector<float> result(n + 8);
    ASSERT_TRUE(device.download(out, result.data(), result.size() * 4));
    for (int i = 0; i < n; ++i)
      ASSERT_EQ(result[i], (flag ? i * 0.5f : 0.0f) - 3.0f) << "at " << i;
    for (int i = n; i < n + 8; ++i)
      EXPECT_TRUE(std::isnan(result[i])) << "written past n at " << i;
  }
}

// out[0..5] = a, b, c, d, e ? 1 : 0, f as f32, read from arguments of every
// width: i64 @0, i8 @8, i16 @10, f16 @12, f64 @16, i1 @24, i64 @32.
constexpr const char *kEveryWidth = R"(
module attributes {"kitethread.num-threads" = 1 : i32} {
  func.func @widths() attributes {kite.kernel} {
    %out = kitethread.kernel_arg 0 : i64
    %a = kitethread.kernel_arg 1 : i8
    %b = kitethread.kernel_arg 2 : i16
    %c = kitethread.kernel_arg 3 : f16
    %d = kitethread.kernel_arg 4 : f64
    %e = kitethread.kernel_arg 5 : i1
    %f = kitethread.kernel_arg 6 : i64
    %af = arith.sitofp %a : i8 to f32
    %bf = arith.sitofp %b : i16 to f32
    %cf = arith.extf %c : f16 to f32
    %df = arith.truncf %d : f64 to f32
    %one = arith.constant 1.0 : f32
    %zero = arith.constant 0.0 : f32
    %ef = arith.select %e, %one, %zero : f32
    %ff = arith.sitofp %f : i64 to f32
    %c4 = arith.constant 4 : i64
    %p1 = arith.addi %out, %c4 : i64
    %p2 = arith.addi %p1, %c4 : i64
    %p3 = arith.addi %p2, %c4 : i64
    %p4 = arith.addi %p3, %c4 : i64
    %p5 = arith.addi %p4, %c4 : i64
    kitethread.store %out, %af align 4 : f32
    kitethread.store %p1, %bf align 4 : f32
    kitethread.store %p2, %cf align 4 : f32
    kitethread.store %p3, %df align 4 : f32
    kitethread.store %p4, %ef align 4 : f32
    kitethread.store %p5, %ff align 4 : f32
    return
  }
}
)";

TEST(JitArguments, LaunchPassesEveryWidth) {
  kite::Device device = openDevice();
  const kite::DeviceProperties &p = device.properties();
  if (!(p.int8 && p.storage8 && p.int16 && p.fp16 && p.storage16 && p.fp64))
    GTEST_SKIP() << p.deviceName << " lacks 8/16-bit or fp64 arithmetic";
  kite::CompiledKernel kernel =
      fromThreadIR(device, kEveryWidth, "widths", 1,
                   {"!kite.ptr<f32>", "i8", "i16", "f16", "f64", "i1", "i64"});
  kite::Buffer out = *device.allocate(24);
  kite::Status status = kite::launch(
      device, kernel, {1, 1, 1}, out, int8_t(-7), int16_t(-1234),
      kite::Half{0xc100} /* -2.5 */, 3.25, true, -(int64_t(1) << 40));
  ASSERT_TRUE(status) << status.message();
  float result[6];
  ASSERT_TRUE(device.download(out, result, sizeof(result)));
  EXPECT_EQ(result[0], -7.0f);
  EXPECT_EQ(result[1], -1234.0f);
  EXPECT_EQ(result[2], -2.5f);
  EXPECT_EQ(result[3], 3.25f);
  EXPECT_EQ(result[4], 1.0f);
  EXPECT_EQ(result[5], -std::ldexp(1.0f, 40));
}

TEST(JitArguments, LaunchRefusesBadArgumentsBeforeRunning) {
  kite::Device device = openDevice();
  kite::CompiledKernel kernel = fromThreadIR(
      device, kAxpb, "axpb", 64,
      {"!kite.ptr<f32>", "i1", "!kite.ptr<f32>", "i32", "f32", "i64"});
  kite::Buffer in = *device.allocate(256), out = *device.allocate(256);
  kite::Status status = kite::launch(device, kernel, {1, 1, 1}, in, true, out,
                                     64, 0.5f, -3); // -3 is an int: i32
  ASSERT_FALSE(status);
  EXPECT_EQ(status.message(), "launch axpb: argument 5 is i64 in the kernel, "
                              "got a C++ int32_t (i32); pass int64_t or "
                              "uint64_t");

  kernel.target = "vulkan:7";
  status = kite::launch(device, kernel, {1, 1, 1}, in, true, out, 64, 0.5f,
                        int64_t(-3));
  ASSERT_FALSE(status);
  EXPECT_TRUE(contains(status.message(), "compiled for 'vulkan:7'"))
      << status.message();
}

} // namespace
