//===- CudaProperties.cpp - what each CUDA device is and can do -----------===//
#include "backends/cuda/CudaDevice.h"

#include <cstdio>
#include <iterator>

using namespace kite;
using namespace kite::cuda;

namespace {

/// The oldest architecture Kite's NVPTX emitter targets.
constexpr int kMinimumComputeCapability = 50;

/// "12.4" for the driver version 12040.
std::string cudaVersion(int version) {
  return std::to_string(version / 1000) + "." +
         std::to_string(version % 1000 / 10);
}

std::string uuidText(const CUuuid &uuid) {
  std::string text;
  char hex[3];
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      text += '-';
    std::snprintf(hex, sizeof(hex), "%02x",
                  static_cast<unsigned char>(uuid.bytes[i]));
    text += hex;
  }
  return text;
}

/// The properties of device `ordinal`; a failing query makes it unusable
/// (unsupportedReason says which) rather than hiding it.
DeviceProperties describe(const CudaDriver &driver, int ordinal,
                          int driverVersion) {
  DeviceProperties p;
  p.name = "cuda:" + std::to_string(ordinal);
  p.backend = "cuda";
  p.vendor = "NVIDIA";
  p.vendorId = 0x10de;
  p.driverName = "NVIDIA";
  p.driverVersion = static_cast<uint32_t>(driverVersion);
  p.apiVersion = cudaVersion(driverVersion);
  p.driverInfo = "CUDA " + p.apiVersion;
  auto fail = [&](const char *call, CUresult r) {
    p.unsupportedReason = driver.callFailed(call, r);
    return p;
  };

  CUdevice device = 0;
  if (CUresult r = driver.cuDeviceGet(&device, ordinal))
    return fail("cuDeviceGet", r);
  char name[256] = {};
  if (CUresult r = driver.cuDeviceGetName(name, sizeof(name) - 1, device))
    return fail("cuDeviceGetName", r);
  p.deviceName = name;
  CUuuid uuid{};
  if (CUresult r = driver.cuDeviceGetUuid(&uuid, device))
    return fail("cuDeviceGetUuid", r);
  p.uuid = uuidText(uuid);
  size_t memory = 0;
  if (CUresult r = driver.cuDeviceTotalMem(&memory, device))
    return fail("cuDeviceTotalMem", r);
  p.memoryBytes = memory;
  p.maxAllocationBytes = memory;

  constexpr int attributes[] = {
      CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR,
      CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR,
      CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT,
      CU_DEVICE_ATTRIBUTE_WARP_SIZE,
      CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN,
      CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK,
      CU_DEVICE_ATTRIBUTE_INTEGRATED,
      CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X,
      CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y,
      CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z,
      CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X,
      CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y,
      CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z,
  };
  int value[std::size(attributes)] = {};
  for (size_t i = 0; i < std::size(attributes); ++i)
    if (CUresult r =
            driver.cuDeviceGetAttribute(&value[i], attributes[i], device))
      return fail("cuDeviceGetAttribute", r);
  int capability = value[0] * 10 + value[1];
  // Code for this very device may use its architecture's own features:
  // sm_90a on a Hopper (wgmma); plain sm_90 PTX may not.
  p.arch = "sm_" + std::to_string(capability) + (capability == 90 ? "a" : "");
  p.multiprocessorCount = static_cast<uint32_t>(value[2]);
  p.subgroupSize = p.minSubgroupSize = p.maxSubgroupSize =
      static_cast<uint32_t>(value[3]);
  p.maxSharedMemoryBytes = static_cast<uint32_t>(value[4]);
  p.maxWorkGroupInvocations = static_cast<uint32_t>(value[5]);
  p.deviceType = value[6] ? "integrated-gpu" : "discrete-gpu";
  for (int i = 0; i < 3; ++i) {
    p.maxWorkGroupSize[i] = static_cast<uint32_t>(value[7 + i]);
    p.maxWorkGroupCount[i] = static_cast<uint32_t>(value[10 + i]);
  }
  p.int8 = p.int16 = p.int64 = p.fp64 = true;
  p.storage8 = p.storage16 = true;
  p.fp16 = capability >= 53;
  p.fp32AtomicAdd = true;
  if (capability < kMinimumComputeCapability)
    p.unsupportedReason = "Kite needs compute capability 5.0 or newer, not " +
                          std::to_string(value[0]) + "." +
                          std::to_string(value[1]);
  return p;
}

} // namespace

std::vector<DeviceProperties> kite::cuda::listCudaDevices() {
  std::vector<DeviceProperties> devices;
  CudaDriver *driver = CudaDriver::get();
  int count = 0, version = 0;
  if (!driver || driver->cuDeviceGetCount(&count) != CUDA_SUCCESS ||
      driver->cuDriverGetVersion(&version) != CUDA_SUCCESS)
    return devices;
  for (int i = 0; i < count; ++i)
    devices.push_back(describe(*driver, i, version));
  return devices;
}

std::string kite::cuda::cudaDeviceOfAddress(uint64_t address) {
  CudaDriver *driver = CudaDriver::get();
  int ordinal = -1;
  if (!driver || driver->cuPointerGetAttribute(
                     &ordinal, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, address))
    return "";
  return "cuda:" + std::to_string(ordinal);
}
