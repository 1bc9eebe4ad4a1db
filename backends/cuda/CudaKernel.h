//===- CudaKernel.h - a kernel loaded from PTX or a cubin -------*- C++ -*-===//
#ifndef KITE_BACKENDS_CUDA_CUDAKERNEL_H
#define KITE_BACKENDS_CUDA_CUDAKERNEL_H

#include "backends/cuda/CudaDriverApi.h"
#include "lib/Runtime/DeviceImpl.h"

#include <memory>
#include <string>
#include <vector>

namespace kite::cuda {

class CudaDevice;

/// One module with the function a KernelSpec names, its shared-memory limit
/// raised as the spec asks. Owned by the device's module cache; kite::Kernel
/// handles keep the device (and so the cache) alive.
class CudaKernel final : public detail::KernelImpl {
public:
  /// Loads the module and looks the function up. The device's context must
  /// be current.
  static Result<std::shared_ptr<CudaKernel>> load(CudaDevice &device,
                                                  const KernelSpec &spec);
  ~CudaKernel() override;

  CUfunction function() const { return handle; }
  /// Where each parameter starts in the packed argument bytes.
  const std::vector<uint64_t> &argumentOffsets() const { return offsets; }
  /// The size of the packed argument bytes a launch must pass.
  uint64_t argumentBytes() const { return packedBytes; }

  /// The module cache's key: everything that went into the kernel.
  static std::string cacheKey(const KernelSpec &spec);

private:
  CudaKernel(CudaDevice &device, const KernelSpec &spec)
      : KernelImpl(spec), device(device) {}

  CudaDevice &device;
  CUmodule module = nullptr;
  CUfunction handle = nullptr;
  std::vector<uint64_t> offsets;
  uint64_t packedBytes = 0;
};

/// The offset of each argument in the packed bytes (docs/cuda-abi.md): in
/// order, each at the next offset aligned to its size. Sizes must be 1, 2, 4
/// or 8; returns "" or what is wrong.
std::string packedArgumentOffsets(const std::vector<uint32_t> &sizes,
                                  std::vector<uint64_t> &offsets,
                                  uint64_t &totalBytes);

} // namespace kite::cuda

#endif // KITE_BACKENDS_CUDA_CUDAKERNEL_H
