//===- VulkanBuffer.h - device memory with a device address -----*- C++ -*-===//
#ifndef KITE_BACKENDS_SPIRV_VULKANBUFFER_H
#define KITE_BACKENDS_SPIRV_VULKANBUFFER_H

#include "backends/spirv/VulkanLoader.h"
#include "kite/Status.h"
#include "lib/Runtime/DeviceImpl.h"

namespace kite::vulkan {

class VulkanDevice;

/// A VkBuffer bound to its own VkDeviceMemory. `mapped` is set when the
/// memory is host-visible and coherent, which lets copies skip staging.
struct Allocation {
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  void *mapped = nullptr;
  uint64_t address = 0;
  uint64_t bytes = 0; ///< The size of the VkBuffer.
};

/// Where an allocation should live.
enum class MemoryUse {
  Device,  ///< Kernel data: device-local, mapped too when that is possible.
  Staging, ///< Host-visible and coherent, for copies and argument blocks.
};

/// Creates a buffer usable as storage, uniform, copy source and target, with
/// a device address. On failure nothing is left allocated.
Result<Allocation> createAllocation(VulkanDevice &device, uint64_t bytes,
                                    MemoryUse use);
void destroyAllocation(VulkanDevice &device, Allocation &allocation);

/// A buffer handed to users. The public kite::Buffer handle keeps the
/// device alive for as long as this exists.
class VulkanBuffer final : public detail::BufferImpl {
public:
  VulkanBuffer(VulkanDevice &device, Allocation allocation,
               uint64_t requestedBytes)
      : device(device), allocation(allocation), requested(requestedBytes) {}
  ~VulkanBuffer() override { release(); }

  uint64_t address() const override { return allocation.address; }
  uint64_t size() const override { return requested; }
  bool released() const override { return allocation.buffer == VK_NULL_HANDLE; }
  void release() override;

  const Allocation &memory() const { return allocation; }

private:
  VulkanDevice &device;
  Allocation allocation;
  uint64_t requested;
};

} // namespace kite::vulkan

#endif // KITE_BACKENDS_SPIRV_VULKANBUFFER_H
