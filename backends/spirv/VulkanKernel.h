//===- VulkanKernel.h - a compute pipeline built from SPIR-V ----*- C++ -*-===//
#ifndef KITE_BACKENDS_SPIRV_VULKANKERNEL_H
#define KITE_BACKENDS_SPIRV_VULKANKERNEL_H

#include "backends/spirv/VulkanLoader.h"
#include "lib/Runtime/DeviceImpl.h"

#include <memory>
#include <string>

namespace kite::vulkan {

class VulkanDevice;

/// The pipeline of one KernelSpec on one device. Owned by the device's
/// pipeline cache; kite::Kernel handles keep the device (and so the cache)
/// alive.
class VulkanKernel final : public detail::KernelImpl {
public:
  static Result<std::shared_ptr<VulkanKernel>> build(VulkanDevice &device,
                                                     const KernelSpec &spec);
  ~VulkanKernel() override;

  VkPipeline pipeline() const { return pipelineHandle; }
  VkPipelineLayout layout() const { return layoutHandle; }

  /// The pipeline cache's key: everything that went into the pipeline.
  static std::string cacheKey(const KernelSpec &spec);

private:
  VulkanKernel(VulkanDevice &device, const KernelSpec &spec)
      : KernelImpl(spec), device(device) {}

  VulkanDevice &device;
  VkShaderModule module = VK_NULL_HANDLE;
  VkPipelineLayout layoutHandle = VK_NULL_HANDLE;
  VkPipeline pipelineHandle = VK_NULL_HANDLE;
};

/// Checks that `words` is a SPIR-V module with a GLCompute entry point named
/// `entryPoint` and, where SPIRV-Tools is built in, that it validates for
/// the Vulkan version `vulkanVersion`. Returns "" or what is wrong. Drivers
/// are not required to survive invalid SPIR-V, so nothing else reaches them.
std::string checkSpirvModule(const std::vector<uint32_t> &words,
                             const std::string &entryPoint,
                             uint32_t vulkanVersion);

} // namespace kite::vulkan

#endif // KITE_BACKENDS_SPIRV_VULKANKERNEL_H
