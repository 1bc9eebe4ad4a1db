//===- VulkanDevice.h - a Vulkan device behind kite::Device -----*- C++ -*-===//
#ifndef KITE_BACKENDS_SPIRV_VULKANDEVICE_H
#define KITE_BACKENDS_SPIRV_VULKANDEVICE_H

#include "backends/spirv/VulkanBuffer.h"
#include "backends/spirv/VulkanInstance.h"
#include "lib/Runtime/DeviceImpl.h"

#include <functional>
#include <map>
#include <memory>
#include <mutex>

namespace kite::vulkan {

class VulkanKernel;

/// One logical device with one compute queue. Every operation records one
/// command buffer, submits it and waits on a fence, all under `mutex`, so the
/// device is safe to share between threads and launches never overlap.
class VulkanDevice final : public detail::DeviceImpl {
public:
  /// Opens physical device `index` of the instance.
  static Result<std::shared_ptr<VulkanDevice>>
  open(unsigned index, const DeviceOptions &options);
  ~VulkanDevice() override;

  /// The physical device's properties, with the limits of DeviceOptions.
  const DeviceProperties &properties() const override { return effective; }
  std::array<uint32_t, 3> dispatchLimit() const override {
    return effective.maxWorkGroupCount;
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
  /// Device::launch has checked that `stream` is 0: Vulkan has none.
  Status launch(detail::KernelImpl &kernel, std::array<uint32_t, 3> grid,
                const void *args, uint64_t argBytes, uint64_t stream) override;
  /// Every operation waited already.
  Status synchronize() override { return Status::success(); }
  uint64_t lastLaunchDispatches() const override { return dispatches; }

  // For VulkanBuffer and VulkanKernel.
  const VulkanFunctions &fn;
  VkDevice handle() const { return device; }
  const PhysicalDevice &physicalDevice() const { return physical; }
  bool stagingCopies() const { return options.stagingCopies; }
  std::mutex &lock() { return mutex; }

private:
  VulkanDevice(const VulkanFunctions &fn, const PhysicalDevice &physical,
               const DeviceOptions &options);
  Status create();
  /// Records commands with `record`, submits them and waits. Caller holds
  /// `mutex`.
  Status submitAndWait(const std::function<void(VkCommandBuffer)> &record);
  /// Makes `argsBlock` hold at least `bytes`. Caller holds `mutex`.
  Status reserveArgumentBlock(uint64_t bytes);

  const PhysicalDevice &physical;
  const DeviceOptions options;
  DeviceProperties effective;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  VkCommandPool pool = VK_NULL_HANDLE;
  VkCommandBuffer commands = VK_NULL_HANDLE;
  VkFence fence = VK_NULL_HANDLE;
  std::mutex mutex;
  /// Arguments too large for push constants, reused by every launch.
  Allocation argsBlock;
  /// Pipelines by everything that went into them (see VulkanKernel.cpp).
  std::map<std::string, std::shared_ptr<VulkanKernel>> kernels;
  uint64_t dispatches = 0;
};

} // namespace kite::vulkan

#endif // KITE_BACKENDS_SPIRV_VULKANDEVICE_H
