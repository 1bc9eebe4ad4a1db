//===- CudaDevice.h - a CUDA device behind kite::Device ---------*- C++ -*-===//
#ifndef KITE_BACKENDS_CUDA_CUDADEVICE_H
#define KITE_BACKENDS_CUDA_CUDADEVICE_H

#include "backends/cuda/CudaLoader.h"
#include "lib/Runtime/DeviceImpl.h"

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

namespace kite::cuda {

class CudaKernel;

/// Every CUDA device the driver reports, usable or not; empty without a
/// driver (CudaProperties.cpp).
std::vector<DeviceProperties> listCudaDevices();

/// "cuda:N" for the device whose memory holds `address`, or "" when no CUDA
/// device's does (a host pointer) or there is no driver.
std::string cudaDeviceOfAddress(uint64_t address);

/// One device through its primary context, the context the CUDA runtime
/// (and so PyTorch and CuPy) uses, so that memory and streams are shared
/// with them. Kite makes it current around each call and restores the
/// caller's context after. Launches are asynchronous on the stream given;
/// memory operations wait for the whole device (CudaDevice.cpp).
class CudaDevice final : public detail::DeviceImpl {
public:
  /// Opens device `ordinal` of the driver (retains its primary context).
  static Result<std::shared_ptr<CudaDevice>> open(unsigned ordinal);
  ~CudaDevice() override;

  const DeviceProperties &properties() const override { return props; }
  std::array<uint32_t, 3> dispatchLimit() const override {
    return props.maxWorkGroupCount;
  }

  Result<std::shared_ptr<detail::BufferImpl>> allocate(uint64_t bytes) override;
  Status upload(detail::BufferImpl &buffer, const void *data, uint64_t bytes,
                uint64_t offset) override;
  Status download(detail::BufferImpl &buffer, void *data, uint64_t bytes,
                  uint64_t offset) override;
  Status fill(detail::BufferImpl &buffer, uint32_t pattern, uint64_t offset,
              uint64_t bytes) override;
  Result<std::shared_ptr<detail::KernelImpl>>
  loadKernel(const KernelSpec &spec) override;
  Status launch(detail::KernelImpl &kernel, std::array<uint32_t, 3> grid,
                const void *args, uint64_t argBytes, uint64_t stream) override;
  Status synchronize() override;
  uint64_t lastLaunchDispatches() const override { return dispatches; }

  // For CudaBuffer and CudaKernel.
  const CudaDriver &driver;
  /// A Status for a driver call's result: its message names the call.
  Status check(const char *call, CUresult result) const;

private:
  CudaDevice(const CudaDriver &driver, CUdevice device,
             const DeviceProperties &properties)
      : driver(driver), device(device), props(properties) {}
  /// Waits for every launch on the device (any stream), naming `why` the
  /// wait happens when an earlier asynchronous launch failed.
  Status synchronizeFor(const char *why);

  CUdevice device;
  CUcontext context = nullptr;
  DeviceProperties props;
  std::mutex mutex; ///< Guards `kernels`.
  /// Loaded modules by everything that went into them (CudaKernel.cpp).
  std::map<std::string, std::shared_ptr<CudaKernel>> kernels;
  std::atomic<uint64_t> dispatches{0};

  friend class CurrentContext;
};

/// Makes a device's primary context current on this thread for its lifetime
/// (cuCtxPushCurrent / cuCtxPopCurrent), leaving the caller's context
/// current again afterwards.
class CurrentContext {
public:
  explicit CurrentContext(const CudaDevice &device);
  ~CurrentContext();
  CurrentContext(const CurrentContext &) = delete;
  CurrentContext &operator=(const CurrentContext &) = delete;
  /// Whether the context could be made current (check before any call).
  const Status &status() const { return pushed; }

private:
  const CudaDriver &driver;
  Status pushed;
};

/// Device memory from cuMemAlloc; freed with cuMemFree.
class CudaBuffer final : public detail::BufferImpl {
public:
  CudaBuffer(const CudaDevice &device, CUdeviceptr pointer, uint64_t bytes)
      : device(device), pointer(pointer), requested(bytes) {}
  ~CudaBuffer() override { release(); }
  uint64_t address() const override { return pointer; }
  uint64_t size() const override { return requested; }
  bool released() const override { return pointer == 0; }
  void release() override;

private:
  const CudaDevice &device;
  CUdeviceptr pointer;
  uint64_t requested;
};

} // namespace kite::cuda

#endif // KITE_BACKENDS_CUDA_CUDADEVICE_H
