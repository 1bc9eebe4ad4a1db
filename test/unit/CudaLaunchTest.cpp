//===- CudaLaunchTest.cpp - kernels on CUDA: loading, parameters, limits --===//
//
// Against the fake driver (see CudaDeviceTest.cpp), which records each
// launch's parameters by copying the sizes the PTX declares from the
// pointers Kite passes, exactly as the driver does.
//
//===----------------------------------------------------------------------===//
#include "FakeCudaLog.h"
#include "kite/Device.h"

#include <gtest/gtest.h>

#include <cstring>

namespace {

namespace log = fake_cuda_log;

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

/// A kernel taking (pointer, i32, i64, f32, i1, f16), as LLVM's NVPTX
/// backend declares them.
const char *kScalePtx = R"(
.version 8.0
.target sm_90
.address_size 64

.visible .entry scale(
	.param .u64 .ptr .global .align 1 scale_param_0,
	.param .u32 scale_param_1,
	.param .u64 scale_param_2,
	.param .f32 scale_param_3,
	.param .u8 scale_param_4,
	.param .align 2 .b8 scale_param_5[2]
)
.maxntid 128, 1, 1
{
	ret;
}
)";

kite::KernelSpec scaleSpec() {
  kite::KernelSpec spec;
  spec.format = kite::KernelFormat::Ptx;
  spec.image = kScalePtx;
  spec.entryPoint = "scale";
  spec.localSize = {128, 1, 1};
  spec.argSizes = {8, 4, 8, 4, 4, 2};
  return spec;
}

/// The packed bytes of docs/cuda-abi.md for scaleSpec's arguments.
std::vector<uint8_t> packScale(uint64_t pointer, int32_t n, int64_t big,
                               float alpha, bool flag, uint16_t half) {
  std::vector<uint8_t> bytes(34, 0xee); // Padding must not matter.
  std::memcpy(&bytes[0], &pointer, 8);
  std::memcpy(&bytes[8], &n, 4);
  std::memcpy(&bytes[16], &big, 8);
  std::memcpy(&bytes[24], &alpha, 4);
  uint32_t word = flag ? 1 : 0;
  std::memcpy(&bytes[28], &word, 4);
  std::memcpy(&bytes[32], &half, 2);
  return bytes;
}

kite::Device openCuda() {
  kite::Result<kite::Device> device = kite::Device::open("cuda:0");
  EXPECT_TRUE(device.ok()) << device.message();
  return device.ok() ? *device : kite::Device();
}

using fake_cuda_log::lastLine;

TEST(CudaLaunch, PassesEachParameterFromItsPackedOffset) {
  REQUIRE_FAKE_CUDA();
  kite::Device device = openCuda();
  kite::Result<kite::Kernel> kernel = device.loadKernel(scaleSpec());
  ASSERT_TRUE(kernel.ok()) << kernel.message();
  EXPECT_EQ(kernel->format(), kite::KernelFormat::Ptx);
  std::vector<uint8_t> args = packScale(
      0x0123456789abcdefull, -2, 0x1122334455667788ll, 1.5f, true, 0x3c00);
  ASSERT_TRUE(device.launch(*kernel, {7, 2, 1}, args.data(), args.size()));
  EXPECT_EQ(device.lastLaunchDispatches(), 1u);
  std::string launch = lastLine("cuLaunchKernel");
  EXPECT_TRUE(contains(launch, "\"function\": \"scale\"")) << launch;
  EXPECT_TRUE(contains(launch, "\"grid\": [7, 2, 1]")) << launch;
  EXPECT_TRUE(contains(launch, "\"block\": [128, 1, 1]")) << launch;
  EXPECT_TRUE(contains(launch, "\"shared\": 0, \"stream\": 0")) << launch;
  // Little-endian bytes; the i1 is the first byte of its word (.param .u8).
  EXPECT_TRUE(contains(launch, "\"params\": [\"efcdab8967452301\", "
                               "\"feffffff\", \"8877665544332211\", "
                               "\"0000c03f\", \"01\", \"003c\"]"))
      << launch;
}

TEST(CudaLaunch, QueuesOnTheGivenStreamAndReturns) {
  REQUIRE_FAKE_CUDA();
  kite::Device device = openCuda();
  kite::Result<kite::Kernel> kernel = device.loadKernel(scaleSpec());
  ASSERT_TRUE(kernel.ok()) << kernel.message();
  std::vector<uint8_t> args = packScale(0, 0, 0, 0, false, 0);
  log::clear();
  ASSERT_TRUE(
      device.launch(*kernel, {1, 1, 1}, args.data(), args.size(), 0xabc0));
  EXPECT_TRUE(contains(lastLine("cuLaunchKernel"), "\"stream\": 43968"));
  // Asynchronous: nothing waited for the launch.
  EXPECT_TRUE(log::calls("cuCtxSynchronize").empty());
  ASSERT_TRUE(device.synchronize());
  EXPECT_EQ(log::calls("cuCtxSynchronize").size(), 1u);
}

TEST(CudaLaunch, LoadsEachSpecOnce) {
  REQUIRE_FAKE_CUDA();
  kite::Device device = openCuda();
  log::clear();
  ASSERT_TRUE(device.loadKernel(scaleSpec()).ok());
  ASSERT_TRUE(device.loadKernel(scaleSpec()).ok());
  std::vector<std::string> loads = log::calls("cuModuleLoadDataEx");
  ASSERT_EQ(loads.size(), 1u);
  // The PTX, byte for byte, with the JIT's error log attached.
  std::string image(kScalePtx);
  std::string hex;
  for (unsigned char c : image) {
    char digits[3];
    std::snprintf(digits, sizeof(digits), "%02x", c);
    hex += digits;
  }
  EXPECT_TRUE(contains(loads[0], "\"image\": \"" + hex + "\""));
  EXPECT_TRUE(contains(loads[0], "\"options\": [5, 6]")) << loads[0];
}

TEST(CudaLaunch, OptsInToMoreThan48KiBOfDynamicSharedMemory) {
  REQUIRE_FAKE_CUDA();
  kite::Device device = openCuda();
  kite::KernelSpec spec = scaleSpec();
  spec.dynamicSharedBytes = 100 * 1024;
  kite::Result<kite::Kernel> kernel = device.loadKernel(spec);
  ASSERT_TRUE(kernel.ok()) << kernel.message();
  EXPECT_TRUE(contains(lastLine("cuFuncSetAttribute"),
                       "\"attribute\": 8, \"value\": 102400"));
  std::vector<uint8_t> args = packScale(0, 0, 0, 0, false, 0);
  ASSERT_TRUE(device.launch(*kernel, {1, 1, 1}, args.data(), args.size()));
  EXPECT_TRUE(contains(lastLine("cuLaunchKernel"), "\"shared\": 102400"));

  spec.dynamicSharedBytes = 240 * 1024;
  kite::Result<kite::Kernel> tooMuch = device.loadKernel(spec);
  ASSERT_FALSE(tooMuch.ok());
  EXPECT_EQ(tooMuch.message(),
            "loadKernel: kernel 'scale' needs 245760 bytes of shared memory "
            "(0 static, 245760 dynamic); cuda:0 allows 232448 per block");
}

TEST(CudaLaunch, PtxTheDriverRejectsShowsTheJitLog) {
  REQUIRE_FAKE_CUDA();
  kite::Device device = openCuda();
  kite::KernelSpec spec = scaleSpec();
  spec.image.replace(spec.image.find("sm_90"), 5, "sm_100");
  kite::Result<kite::Kernel> kernel = device.loadKernel(spec);
  ASSERT_FALSE(kernel.ok());
  EXPECT_EQ(kernel.message(),
            "cuModuleLoadDataEx failed: CUDA_ERROR_INVALID_PTX: ptxas "
            "application ptx input, line 3; error   : the .target sm_100 is "
            "newer than the device (sm_90)");
}

TEST(CudaLaunch, LoadErrorsNameTheCall) {
  REQUIRE_FAKE_CUDA();
  kite::Device device = openCuda();
  kite::KernelSpec spec = scaleSpec();
  spec.entryPoint = "missing";
  kite::Result<kite::Kernel> kernel = device.loadKernel(spec);
  EXPECT_EQ(kernel.message(), "cuModuleGetFunction failed: "
                              "CUDA_ERROR_NOT_FOUND (looking for kernel "
                              "'missing')");
  // A cubin goes to the driver as it is; the JIT log explains a refusal.
  spec = scaleSpec();
  spec.format = kite::KernelFormat::Cubin;
  // An ELF header alone: its section headers would start at byte 64.
  spec.image = std::string("\x7f"
                           "ELF\x02\x01\x01",
                           7) +
               std::string(57, '\0');
  spec.image[0x28] = 64;
  kernel = device.loadKernel(spec);
  EXPECT_EQ(kernel.message(), "cuModuleLoadDataEx failed: "
                              "CUDA_ERROR_INVALID_IMAGE: not a 64-bit ELF "
                              "with sections (the binary is not for this GPU "
                              "or is newer than the driver: KITE_PTXAS=none "
                              "leaves the PTX to the driver's compiler)");
  EXPECT_TRUE(contains(lastLine("cuModuleLoadDataEx"), "\"7f454c46020101"));
  {
    log::Failing failing("cuFuncGetAttribute=CUDA_ERROR_INVALID_HANDLE");
    spec = scaleSpec();
    spec.localSize = {64, 1, 1}; // Another spec: not the cached kernel.
    kernel = device.loadKernel(spec);
    EXPECT_EQ(kernel.message(),
              "cuFuncGetAttribute failed: CUDA_ERROR_INVALID_HANDLE");
  }
  {
    log::Failing failing("cuFuncSetAttribute=CUDA_ERROR_INVALID_VALUE");
    spec = scaleSpec();
    spec.dynamicSharedBytes = 64 * 1024;
    kernel = device.loadKernel(spec);
    EXPECT_EQ(kernel.message(),
              "cuFuncSetAttribute failed: CUDA_ERROR_INVALID_VALUE");
  }
  spec = scaleSpec();
  spec.localSize = {256, 1, 1}; // The PTX says .maxntid 128.
  kernel = device.loadKernel(spec);
  EXPECT_EQ(kernel.message(),
            "loadKernel: kernel 'scale' runs at most 128 threads per block "
            "on cuda:0, not 256 (it needs too many registers; use fewer "
            "warps)");
  spec = scaleSpec();
  spec.argSizes = {8, 3};
  kernel = device.loadKernel(spec);
  EXPECT_EQ(kernel.message(), "loadKernel: argument 1 is 3 bytes; packed "
                              "arguments are 1, 2, 4 or 8 bytes");
  spec = scaleSpec();
  spec.format = kite::KernelFormat::Spirv;
  spec.spirv = {0x07230203};
  kernel = device.loadKernel(spec);
  EXPECT_EQ(kernel.message(),
            "loadKernel: cuda:0 runs PTX or cubins, not SPIR-V");
  spec = scaleSpec();
  spec.image.clear();
  kernel = device.loadKernel(spec);
  EXPECT_EQ(kernel.message(),
            "loadKernel: KernelSpec::image is empty; it should hold PTX");
}

TEST(CudaLaunch, LaunchErrorsSayWhatIsWrong) {
  REQUIRE_FAKE_CUDA();
  kite::Device device = openCuda();
  kite::Result<kite::Kernel> kernel = device.loadKernel(scaleSpec());
  ASSERT_TRUE(kernel.ok()) << kernel.message();
  std::vector<uint8_t> args = packScale(0, 0, 0, 0, false, 0);
  kite::Status status =
      device.launch(*kernel, {1u << 31, 1, 1}, args.data(), args.size());
  EXPECT_EQ(status.message(), "launch: grid (2147483648, 1, 1) exceeds "
                              "cuda:0's limit of (2147483647, 65535, 65535) "
                              "blocks");
  status = device.launch(*kernel, {1, 65536, 1}, args.data(), args.size());
  EXPECT_TRUE(contains(status.message(), "grid (1, 65536, 1) exceeds"));
  status = device.launch(*kernel, {1, 1, 1}, args.data(), 32);
  EXPECT_EQ(status.message(), "launch: kernel 'scale' takes 34 bytes of "
                              "packed arguments (6 arguments), not 32");
  {
    log::Failing failing("cuLaunchKernel=CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES");
    status = device.launch(*kernel, {1, 1, 1}, args.data(), args.size());
    EXPECT_EQ(status.message(),
              "cuLaunchKernel failed: CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES");
  }
  // An empty grid launches nothing.
  log::clear();
  EXPECT_TRUE(device.launch(*kernel, {0, 4, 1}, args.data(), args.size()));
  EXPECT_TRUE(log::calls("cuLaunchKernel").empty());
  EXPECT_EQ(device.lastLaunchDispatches(), 0u);
}

TEST(CudaLaunch, KernelsWithoutArgumentsPassNoParameters) {
  REQUIRE_FAKE_CUDA();
  kite::Device device = openCuda();
  kite::KernelSpec spec;
  spec.format = kite::KernelFormat::Ptx;
  spec.image = ".version 8.0\n.target sm_80\n.address_size 64\n"
               ".visible .entry nothing()\n{\n\tret;\n}\n";
  spec.entryPoint = "nothing";
  spec.localSize = {32, 1, 1};
  kite::Result<kite::Kernel> kernel = device.loadKernel(spec);
  ASSERT_TRUE(kernel.ok()) << kernel.message();
  ASSERT_TRUE(device.launch(*kernel, {3, 1, 1}, nullptr, 0));
  EXPECT_TRUE(contains(lastLine("cuLaunchKernel"), "\"params\": []"));
}

TEST(CudaLaunch, VulkanDevicesRunNoPtx) {
  REQUIRE_FAKE_CUDA();
  kite::Result<kite::Device> vulkan = kite::Device::open("vulkan");
  if (!vulkan.ok())
    GTEST_SKIP() << "no Vulkan device: " << vulkan.message();
  kite::Result<kite::Kernel> kernel = vulkan->loadKernel(scaleSpec());
  EXPECT_EQ(kernel.message(), "loadKernel: " + vulkan->properties().name +
                                  " runs SPIR-V, not PTX");
}

} // namespace
