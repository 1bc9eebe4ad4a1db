//===- CudaKernel.cpp - load a module, find its kernel, set its limits ----===//
#include "backends/cuda/CudaKernel.h"
#include "backends/cuda/CudaDevice.h"

#include <cstdint>

using namespace kite;
using namespace kite::cuda;

std::string
kite::cuda::packedArgumentOffsets(const std::vector<uint32_t> &sizes,
                                  std::vector<uint64_t> &offsets,
                                  uint64_t &totalBytes) {
  offsets.clear();
  uint64_t end = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    uint32_t size = sizes[i];
    if (size != 1 && size != 2 && size != 4 && size != 8)
      return "argument " + std::to_string(i) + " is " + std::to_string(size) +
             " bytes; packed arguments are 1, 2, 4 or 8 bytes";
    end = (end + size - 1) / size * size;
    offsets.push_back(end);
    end += size;
  }
  totalBytes = end;
  return "";
}

std::string CudaKernel::cacheKey(const KernelSpec &spec) {
  std::string key;
  key += static_cast<char>(spec.format);
  key += spec.entryPoint + '\0';
  for (uint32_t v : spec.localSize)
    key += std::to_string(v) + ',';
  key += std::to_string(spec.dynamicSharedBytes) + ';';
  key += spec.programmaticDependentLaunch ? "pdl;" : ";";
  for (uint32_t size : spec.argSizes)
    key += std::to_string(size) + ',';
  key += '\0';
  key += spec.image;
  return key;
}

/// The JIT's error log without trailing NULs and newlines.
/// What a user can do about a module the driver would not load.
static std::string loadErrorHint(CUresult result) {
  switch (result) {
  case 222: // CUDA_ERROR_UNSUPPORTED_PTX_VERSION
    return " (the driver is older than the PTX Kite wrote: update the driver, "
           "or install the CUDA toolkit, whose ptxas makes the binary instead)";
  case 200: // CUDA_ERROR_INVALID_IMAGE
  case 209: // CUDA_ERROR_NO_BINARY_FOR_GPU
    return " (the binary is not for this GPU or is newer than the driver: "
           "KITE_PTXAS=none leaves the PTX to the driver's compiler)";
  default:
    return "";
  }
}

static std::string trimmedLog(const std::string &log) {
  size_t end = log.find('\0');
  std::string text = log.substr(0, end);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
    text.pop_back();
  return text;
}

Result<std::shared_ptr<CudaKernel>> CudaKernel::load(CudaDevice &device,
                                                     const KernelSpec &spec) {
  const CudaDriver &driver = device.driver;
  const DeviceProperties &p = device.properties();
  std::shared_ptr<CudaKernel> kernel(new CudaKernel(device, spec));
  if (std::string why = packedArgumentOffsets(spec.argSizes, kernel->offsets,
                                              kernel->packedBytes);
      !why.empty())
    return Status::error("loadKernel: " + why);

  // PTX is read up to its NUL, which std::string provides; a cubin carries
  // its own size. The JIT writes why PTX fails into the error log.
  std::string log(16 * 1024, '\0');
  int options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {
      log.data(), reinterpret_cast<void *>(static_cast<uintptr_t>(log.size()))};
  if (CUresult r = driver.cuModuleLoadDataEx(
          &kernel->module, spec.image.c_str(), 2, options, values)) {
    std::string message = driver.callFailed("cuModuleLoadDataEx", r);
    if (std::string text = trimmedLog(log); !text.empty())
      message += ": " + text;
    return Status::error(message + loadErrorHint(r));
  }
  if (CUresult r = driver.cuModuleGetFunction(&kernel->handle, kernel->module,
                                              spec.entryPoint.c_str()))
    return Status::error(driver.callFailed("cuModuleGetFunction", r) +
                         " (looking for kernel '" + spec.entryPoint + "')");

  // Registers per thread bound the block size below the device's limit.
  int maxThreads = 0, staticShared = 0;
  if (Status status =
          device.check("cuFuncGetAttribute",
                       driver.cuFuncGetAttribute(
                           &maxThreads, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK,
                           kernel->handle));
      !status)
    return status;
  uint64_t threads =
      uint64_t(spec.localSize[0]) * spec.localSize[1] * spec.localSize[2];
  if (threads > static_cast<uint64_t>(maxThreads))
    return Status::error("loadKernel: kernel '" + spec.entryPoint +
                         "' runs at most " + std::to_string(maxThreads) +
                         " threads per block on " + p.name + ", not " +
                         std::to_string(threads) +
                         " (it needs too many registers; use fewer warps)");
  if (Status status =
          device.check("cuFuncGetAttribute",
                       driver.cuFuncGetAttribute(
                           &staticShared, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES,
                           kernel->handle));
      !status)
    return status;
  uint64_t shared = uint64_t(staticShared) + spec.dynamicSharedBytes;
  if (shared > p.maxSharedMemoryBytes)
    return Status::error("loadKernel: kernel '" + spec.entryPoint + "' needs " +
                         std::to_string(shared) + " bytes of shared memory (" +
                         std::to_string(staticShared) + " static, " +
                         std::to_string(spec.dynamicSharedBytes) +
                         " dynamic); " + p.name + " allows " +
                         std::to_string(p.maxSharedMemoryBytes) + " per block");
  // Beyond 48 KiB of dynamic shared memory a kernel must opt in.
  if (spec.dynamicSharedBytes > kDefaultDynamicSharedBytes)
    if (Status status = device.check(
            "cuFuncSetAttribute",
            driver.cuFuncSetAttribute(
                kernel->handle, CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                static_cast<int>(spec.dynamicSharedBytes)));
        !status)
      return status;
  return kernel;
}

CudaKernel::~CudaKernel() {
  if (!module)
    return;
  CurrentContext current(device);
  if (current.status())
    device.driver.cuModuleUnload(module);
}
