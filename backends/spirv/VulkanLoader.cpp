//===- VulkanLoader.cpp - dlopen libvulkan, resolve its functions ---------===//
#include "backends/spirv/VulkanLoader.h"

#include <dlfcn.h>

using namespace kite::vulkan;

std::string kite::vulkan::loadVulkanLoader(VulkanFunctions &functions) {
  // Never closed: the instance and every device live until the process ends.
  void *library = dlopen("libvulkan.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!library)
    library = dlopen("libvulkan.so", RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char *why = dlerror();
    return std::string("cannot open the Vulkan loader libvulkan.so.1: ") +
           (why ? why : "unknown error");
  }
  functions.vkGetInstanceProcAddr = reinterpret_cast<PFN_vkGetInstanceProcAddr>(
      dlsym(library, "vkGetInstanceProcAddr"));
  if (!functions.vkGetInstanceProcAddr)
    return "the Vulkan loader has no vkGetInstanceProcAddr";
  auto global = [&](const char *name) {
    return functions.vkGetInstanceProcAddr(VK_NULL_HANDLE, name);
  };
  functions.vkCreateInstance =
      reinterpret_cast<PFN_vkCreateInstance>(global("vkCreateInstance"));
  functions.vkEnumerateInstanceVersion =
      reinterpret_cast<PFN_vkEnumerateInstanceVersion>(
          global("vkEnumerateInstanceVersion"));
  functions.vkEnumerateInstanceExtensionProperties =
      reinterpret_cast<PFN_vkEnumerateInstanceExtensionProperties>(
          global("vkEnumerateInstanceExtensionProperties"));
  if (!functions.vkCreateInstance ||
      !functions.vkEnumerateInstanceExtensionProperties)
    return "the Vulkan loader lacks vkCreateInstance";
  if (!functions.vkEnumerateInstanceVersion)
    return "the Vulkan loader only supports Vulkan 1.0 (Kite needs 1.2)";
  return "";
}

std::string kite::vulkan::loadInstanceFunctions(VkInstance instance,
                                                VulkanFunctions &functions) {
#define KITE_LOAD_VULKAN_FUNCTION(name)                                        \
  functions.name = reinterpret_cast<PFN_##name>(                               \
      functions.vkGetInstanceProcAddr(instance, #name));                       \
  if (!functions.name)                                                         \
    return #name;
  KITE_VULKAN_INSTANCE_FUNCTIONS(KITE_LOAD_VULKAN_FUNCTION)
#undef KITE_LOAD_VULKAN_FUNCTION
  return "";
}

std::string kite::vulkan::resultName(VkResult result) {
  switch (result) {
#define KITE_RESULT_NAME(name)                                                 \
  case name:                                                                   \
    return #name;
    KITE_RESULT_NAME(VK_SUCCESS)
    KITE_RESULT_NAME(VK_NOT_READY)
    KITE_RESULT_NAME(VK_TIMEOUT)
    KITE_RESULT_NAME(VK_EVENT_SET)
    KITE_RESULT_NAME(VK_EVENT_RESET)
    KITE_RESULT_NAME(VK_INCOMPLETE)
    KITE_RESULT_NAME(VK_ERROR_OUT_OF_HOST_MEMORY)
    KITE_RESULT_NAME(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    KITE_RESULT_NAME(VK_ERROR_INITIALIZATION_FAILED)
    KITE_RESULT_NAME(VK_ERROR_DEVICE_LOST)
    KITE_RESULT_NAME(VK_ERROR_MEMORY_MAP_FAILED)
    KITE_RESULT_NAME(VK_ERROR_LAYER_NOT_PRESENT)
    KITE_RESULT_NAME(VK_ERROR_EXTENSION_NOT_PRESENT)
    KITE_RESULT_NAME(VK_ERROR_FEATURE_NOT_PRESENT)
    KITE_RESULT_NAME(VK_ERROR_INCOMPATIBLE_DRIVER)
    KITE_RESULT_NAME(VK_ERROR_TOO_MANY_OBJECTS)
    KITE_RESULT_NAME(VK_ERROR_FORMAT_NOT_SUPPORTED)
    KITE_RESULT_NAME(VK_ERROR_FRAGMENTED_POOL)
    KITE_RESULT_NAME(VK_ERROR_UNKNOWN)
    KITE_RESULT_NAME(VK_ERROR_OUT_OF_POOL_MEMORY)
    KITE_RESULT_NAME(VK_ERROR_INVALID_EXTERNAL_HANDLE)
    KITE_RESULT_NAME(VK_ERROR_FRAGMENTATION)
    KITE_RESULT_NAME(VK_ERROR_INVALID_OPAQUE_CAPTURE_ADDRESS)
    KITE_RESULT_NAME(VK_PIPELINE_COMPILE_REQUIRED)
    KITE_RESULT_NAME(VK_ERROR_INVALID_SHADER_NV)
#undef KITE_RESULT_NAME
  default:
    return "VkResult(" + std::to_string(static_cast<int>(result)) + ")";
  }
}

std::string kite::vulkan::callFailed(const char *call, VkResult result) {
  return std::string(call) + " failed: " + resultName(result);
}
