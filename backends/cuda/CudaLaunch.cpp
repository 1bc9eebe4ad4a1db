//===- CudaLaunch.cpp - load kernels, launch grids on a stream ------------===//
//
// The argument ABI (docs/cuda-abi.md): the kernel's parameters are the launch
// arguments in order; the packed bytes hold each at the next offset aligned
// to its size, and cuLaunchKernel gets one pointer per parameter into them.
// The driver copies each parameter's declared size from its pointer, so an
// i1 parameter (.param .u8 in PTX) reads the first byte of its 32-bit word.
// A kernel loaded for programmatic dependent launch goes through
// cuLaunchKernelEx with programmatic stream serialization (sm_90+).
//
//===----------------------------------------------------------------------===//
#include "backends/cuda/CudaDevice.h"
#include "backends/cuda/CudaKernel.h"

using namespace kite;
using namespace kite::cuda;

Result<std::shared_ptr<detail::KernelImpl>>
CudaDevice::loadKernel(const KernelSpec &spec) {
  std::string key = CudaKernel::cacheKey(spec);
  std::lock_guard<std::mutex> guard(mutex);
  auto found = kernels.find(key);
  if (found != kernels.end())
    return std::shared_ptr<detail::KernelImpl>(found->second);
  CurrentContext current(*this);
  if (!current.status())
    return current.status();
  Result<std::shared_ptr<CudaKernel>> kernel = CudaKernel::load(*this, spec);
  if (!kernel)
    return kernel.status();
  kernels.emplace(std::move(key), *kernel);
  return std::shared_ptr<detail::KernelImpl>(*kernel);
}

/// 90 for "sm_90" (and "sm_90a"), 100 for "sm_100"; 0 if unreadable.
static int computeCapability(const std::string &arch) {
  if (arch.rfind("sm_", 0) != 0)
    return 0;
  int value = 0;
  for (size_t i = 3; i < arch.size() && arch[i] >= '0' && arch[i] <= '9'; ++i)
    value = value * 10 + (arch[i] - '0');
  return value;
}

static std::string dims(const std::array<uint32_t, 3> &v) {
  return "(" + std::to_string(v[0]) + ", " + std::to_string(v[1]) + ", " +
         std::to_string(v[2]) + ")";
}

Status CudaDevice::launch(detail::KernelImpl &kernelImpl,
                          std::array<uint32_t, 3> grid, const void *args,
                          uint64_t argBytes, uint64_t stream) {
  auto &kernel = static_cast<CudaKernel &>(kernelImpl);
  const KernelSpec &spec = kernel.spec;
  dispatches = 0;
  if (argBytes != kernel.argumentBytes())
    return Status::error("launch: kernel '" + spec.entryPoint + "' takes " +
                         std::to_string(kernel.argumentBytes()) +
                         " bytes of packed arguments (" +
                         std::to_string(spec.argSizes.size()) +
                         " arguments), not " + std::to_string(argBytes));
  if (grid[0] == 0 || grid[1] == 0 || grid[2] == 0)
    return Status::success();
  const std::array<uint32_t, 3> &limit = props.maxWorkGroupCount;
  for (int i = 0; i < 3; ++i)
    if (grid[i] > limit[i])
      return Status::error("launch: grid " + dims(grid) + " exceeds " +
                           props.name + "'s limit of " + dims(limit) +
                           " blocks");

  // cuLaunchKernel copies the parameters before it returns, so the packed
  // bytes need not outlive the call.
  const std::vector<uint64_t> &offsets = kernel.argumentOffsets();
  std::vector<void *> params(offsets.size());
  for (size_t i = 0; i < offsets.size(); ++i)
    params[i] =
        const_cast<char *>(static_cast<const char *>(args) + offsets[i]);

  CurrentContext current(*this);
  if (!current.status())
    return current.status();
  const std::array<uint32_t, 3> &block = spec.localSize;
  if (spec.programmaticDependentLaunch && driver.cuLaunchKernelEx &&
      computeCapability(props.arch) >= 90) {
    // Programmatic stream serialization: this grid may start before the
    // previous one on the stream ends; its griddepcontrol.wait waits.
    CUlaunchAttribute attribute{};
    attribute.id = CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION;
    attribute.value.programmaticStreamSerializationAllowed = 1;
    CUlaunchConfig config{grid[0],
                          grid[1],
                          grid[2],
                          block[0],
                          block[1],
                          block[2],
                          spec.dynamicSharedBytes,
                          reinterpret_cast<CUstream>(stream),
                          &attribute,
                          1};
    if (Status status =
            check("cuLaunchKernelEx",
                  driver.cuLaunchKernelEx(
                      &config, kernel.function(),
                      params.empty() ? nullptr : params.data(), nullptr));
        !status)
      return status;
    dispatches = 1;
    return Status::success();
  }
  if (Status status =
          check("cuLaunchKernel",
                driver.cuLaunchKernel(
                    kernel.function(), grid[0], grid[1], grid[2], block[0],
                    block[1], block[2], spec.dynamicSharedBytes,
                    reinterpret_cast<CUstream>(stream),
                    params.empty() ? nullptr : params.data(), nullptr));
      !status)
    return status;
  dispatches = 1;
  return Status::success();
}
