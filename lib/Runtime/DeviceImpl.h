//===- DeviceImpl.h - what a backend implements behind kite::Device -*- C++
//-*-//
//
// The public handles of include/kite/Device.h forward to these interfaces;
// backends/spirv implements them with Vulkan and backends/cuda with the CUDA
// driver. Argument checks common to every backend live in
// lib/Runtime/Device.cpp, so implementations may assume sane inputs.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_LIB_RUNTIME_DEVICEIMPL_H
#define KITE_LIB_RUNTIME_DEVICEIMPL_H

#include "kite/Device.h"

#include <memory>

namespace kite::detail {

class BufferImpl {
public:
  virtual ~BufferImpl() = default;
  virtual uint64_t address() const = 0;
  /// The size the user asked for (the allocation may be larger).
  virtual uint64_t size() const = 0;
  virtual bool released() const = 0;
  virtual void release() = 0;
};

class KernelImpl {
public:
  explicit KernelImpl(KernelSpec spec) : spec(std::move(spec)) {}
  virtual ~KernelImpl() = default;
  const KernelSpec spec;
};

class DeviceImpl {
public:
  virtual ~DeviceImpl() = default;
  virtual const DeviceProperties &properties() const = 0;
  virtual std::array<uint32_t, 3> dispatchLimit() const = 0;
  virtual Result<std::shared_ptr<BufferImpl>> allocate(uint64_t bytes) = 0;
  virtual Status upload(BufferImpl &buffer, const void *data, uint64_t bytes,
                        uint64_t offset) = 0;
  virtual Status download(BufferImpl &buffer, void *data, uint64_t bytes,
                          uint64_t offset) = 0;
  virtual Status fill(BufferImpl &buffer, uint32_t pattern, uint64_t offset,
                      uint64_t bytes) = 0;
  virtual Result<std::shared_ptr<KernelImpl>>
  loadKernel(const KernelSpec &spec) = 0;
  virtual Status launch(KernelImpl &kernel, std::array<uint32_t, 3> grid,
                        const void *args, uint64_t argBytes,
                        uint64_t stream) = 0;
  virtual Status synchronize() = 0;
  virtual uint64_t lastLaunchDispatches() const = 0;
  virtual std::vector<std::pair<std::string, uint64_t>>
  lastLaunchStatistics() const {
    return {};
  }
};

} // namespace kite::detail

#endif // KITE_LIB_RUNTIME_DEVICEIMPL_H
