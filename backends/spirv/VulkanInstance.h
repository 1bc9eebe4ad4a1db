//===- VulkanInstance.h - the process's Vulkan instance and devices -*- C++
//-*-//
#ifndef KITE_BACKENDS_SPIRV_VULKANINSTANCE_H
#define KITE_BACKENDS_SPIRV_VULKANINSTANCE_H

#include "backends/spirv/VulkanLoader.h"
#include "kite/Device.h"

#include <string>
#include <vector>

namespace kite::vulkan {

/// One physical device: what listDevices() reports and what opening it needs.
struct PhysicalDevice {
  VkPhysicalDevice handle = VK_NULL_HANDLE;
  uint32_t apiVersion = 0; ///< min(instance version, device version).
  uint32_t computeQueueFamily = ~0u;
  VkPhysicalDeviceMemoryProperties memory{};
  bool hasAtomicFloatExtension = false;
  bool hasSubgroupSizeControl = false; ///< Vulkan 1.3.
  DeviceProperties properties;
};

/// The Vulkan instance, created on first use and kept until the process
/// exits (drivers tear themselves down at exit; destroying the instance from
/// a static destructor races with that).
class VulkanInstance {
public:
  /// Null when Vulkan cannot be used here; then `error` says why.
  static VulkanInstance *get(std::string *error = nullptr);

  const VulkanFunctions &functions() const { return fn; }
  VkInstance handle() const { return instance; }
  uint32_t apiVersion() const { return version; }
  const std::vector<PhysicalDevice> &devices() const { return physical; }

private:
  VulkanInstance() = default;
  std::string create();
  PhysicalDevice describe(VkPhysicalDevice device, unsigned index) const;

  VulkanFunctions fn;
  VkInstance instance = VK_NULL_HANDLE;
  uint32_t version = 0;
  std::vector<PhysicalDevice> physical;
};

} // namespace kite::vulkan

#endif // KITE_BACKENDS_SPIRV_VULKANINSTANCE_H
