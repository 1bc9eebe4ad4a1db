//===- VulkanLoader.h - Vulkan entry points loaded at run time --*- C++ -*-===//
//
// libkite opens libvulkan.so.1 with dlopen instead of linking it, so that a
// machine without a Vulkan loader still loads libkite (and uses CUDA or the
// interpreter); there listDevices() is simply empty.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_BACKENDS_SPIRV_VULKANLOADER_H
#define KITE_BACKENDS_SPIRV_VULKANLOADER_H

#ifndef VK_NO_PROTOTYPES
#define VK_NO_PROTOTYPES
#endif
#include <vulkan/vulkan_core.h>

#include <string>

namespace kite::vulkan {

// Functions loaded from the instance (device-level ones go through the
// loader's trampolines, which is fast enough for a compute runtime).
#define KITE_VULKAN_INSTANCE_FUNCTIONS(X)                                      \
  X(vkDestroyInstance)                                                         \
  X(vkEnumeratePhysicalDevices)                                                \
  X(vkGetPhysicalDeviceProperties)                                             \
  X(vkGetPhysicalDeviceProperties2)                                            \
  X(vkGetPhysicalDeviceFeatures2)                                              \
  X(vkGetPhysicalDeviceMemoryProperties)                                       \
  X(vkGetPhysicalDeviceQueueFamilyProperties)                                  \
  X(vkEnumerateDeviceExtensionProperties)                                      \
  X(vkCreateDevice)                                                            \
  X(vkDestroyDevice)                                                           \
  X(vkGetDeviceQueue)                                                          \
  X(vkDeviceWaitIdle)                                                          \
  X(vkCreateBuffer)                                                            \
  X(vkDestroyBuffer)                                                           \
  X(vkGetBufferMemoryRequirements)                                             \
  X(vkAllocateMemory)                                                          \
  X(vkFreeMemory)                                                              \
  X(vkBindBufferMemory)                                                        \
  X(vkMapMemory)                                                               \
  X(vkUnmapMemory)                                                             \
  X(vkFlushMappedMemoryRanges)                                                 \
  X(vkInvalidateMappedMemoryRanges)                                            \
  X(vkGetBufferDeviceAddress)                                                  \
  X(vkCreateShaderModule)                                                      \
  X(vkDestroyShaderModule)                                                     \
  X(vkCreatePipelineLayout)                                                    \
  X(vkDestroyPipelineLayout)                                                   \
  X(vkCreateComputePipelines)                                                  \
  X(vkDestroyPipeline)                                                         \
  X(vkCreateCommandPool)                                                       \
  X(vkDestroyCommandPool)                                                      \
  X(vkAllocateCommandBuffers)                                                  \
  X(vkResetCommandBuffer)                                                      \
  X(vkBeginCommandBuffer)                                                      \
  X(vkEndCommandBuffer)                                                        \
  X(vkCmdBindPipeline)                                                         \
  X(vkCmdPushConstants)                                                        \
  X(vkCmdDispatch)                                                             \
  X(vkCmdCopyBuffer)                                                           \
  X(vkCmdFillBuffer)                                                           \
  X(vkCmdPipelineBarrier)                                                      \
  X(vkCreateFence)                                                             \
  X(vkDestroyFence)                                                            \
  X(vkResetFences)                                                             \
  X(vkWaitForFences)                                                           \
  X(vkQueueSubmit)

/// The Vulkan functions Kite calls, as pointers.
struct VulkanFunctions {
  PFN_vkGetInstanceProcAddr vkGetInstanceProcAddr = nullptr;
  PFN_vkCreateInstance vkCreateInstance = nullptr;
  PFN_vkEnumerateInstanceVersion vkEnumerateInstanceVersion = nullptr;
  PFN_vkEnumerateInstanceExtensionProperties
      vkEnumerateInstanceExtensionProperties = nullptr;
#define KITE_DECLARE_VULKAN_FUNCTION(name) PFN_##name name = nullptr;
  KITE_VULKAN_INSTANCE_FUNCTIONS(KITE_DECLARE_VULKAN_FUNCTION)
#undef KITE_DECLARE_VULKAN_FUNCTION
};

/// Opens the Vulkan loader and resolves the global functions. Returns an
/// empty string on success, else why the loader could not be used.
std::string loadVulkanLoader(VulkanFunctions &functions);

/// Resolves every instance function; returns the first missing name, or an
/// empty string.
std::string loadInstanceFunctions(VkInstance instance,
                                  VulkanFunctions &functions);

/// "VK_ERROR_OUT_OF_DEVICE_MEMORY", or "VkResult(-1000)" for unknown codes.
std::string resultName(VkResult result);

/// "<call> failed: <VkResult name>", the message of every Vulkan error.
std::string callFailed(const char *call, VkResult result);

} // namespace kite::vulkan

#endif // KITE_BACKENDS_SPIRV_VULKANLOADER_H
