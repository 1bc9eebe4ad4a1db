//===- VulkanInstance.cpp - create the instance, describe devices ---------===//
#include "backends/spirv/VulkanInstance.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <unistd.h>

using namespace kite::vulkan;

VulkanInstance *VulkanInstance::get(std::string *error) {
  static std::string why;
  static pid_t owner = getpid();
  static VulkanInstance *created = [] {
    auto *candidate = new VulkanInstance();
    why = candidate->create();
    if (why.empty())
      return candidate;
    delete candidate;
    return static_cast<VulkanInstance *>(nullptr);
  }();
  // Drivers do not survive fork(): a child must open Vulkan afresh, which
  // this process-wide instance cannot do.
  if (created && getpid() != owner) {
    if (error)
      *error = "Vulkan cannot be used in a process forked after it was "
               "initialized (start workers with multiprocessing's 'spawn')";
    return nullptr;
  }
  if (!created && error)
    *error = why;
  return created;
}

static bool hasInstanceExtension(const VulkanFunctions &fn, const char *name) {
  uint32_t count = 0;
  if (fn.vkEnumerateInstanceExtensionProperties(nullptr, &count, nullptr) !=
      VK_SUCCESS)
    return false;
  std::vector<VkExtensionProperties> extensions(count);
  fn.vkEnumerateInstanceExtensionProperties(nullptr, &count, extensions.data());
  return std::any_of(extensions.begin(), extensions.end(), [&](auto &e) {
    return std::strcmp(e.extensionName, name) == 0;
  });
}

std::string VulkanInstance::create() {
  if (std::string why = loadVulkanLoader(fn); !why.empty())
    return why;
  if (VkResult r = fn.vkEnumerateInstanceVersion(&version); r != VK_SUCCESS)
    return callFailed("vkEnumerateInstanceVersion", r);
  if (version < VK_API_VERSION_1_2)
    return "the Vulkan loader supports Vulkan " +
           std::to_string(VK_API_VERSION_MAJOR(version)) + "." +
           std::to_string(VK_API_VERSION_MINOR(version)) +
           "; Kite needs 1.2 (buffer device addresses)";
  version = std::min<uint32_t>(version, VK_API_VERSION_1_3);

  VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.pApplicationName = "kite";
  app.pEngineName = "kite";
  app.apiVersion = version;
  VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  info.pApplicationInfo = &app;
  // MoltenVK and other non-conformant drivers are only listed on request.
  const char *portability = "VK_KHR_portability_enumeration";
  if (hasInstanceExtension(fn, portability)) {
    info.enabledExtensionCount = 1;
    info.ppEnabledExtensionNames = &portability;
    info.flags |= VK_INSTANCE_CREATE_ENUMERATE_PORTABILITY_BIT_KHR;
  }
  if (VkResult r = fn.vkCreateInstance(&info, nullptr, &instance);
      r != VK_SUCCESS)
    return callFailed("vkCreateInstance", r);
  if (std::string missing = loadInstanceFunctions(instance, fn);
      !missing.empty())
    return "the Vulkan loader lacks " + missing;

  uint32_t count = 0;
  if (VkResult r = fn.vkEnumeratePhysicalDevices(instance, &count, nullptr);
      r != VK_SUCCESS)
    return callFailed("vkEnumeratePhysicalDevices", r);
  std::vector<VkPhysicalDevice> handles(count);
  if (VkResult r =
          fn.vkEnumeratePhysicalDevices(instance, &count, handles.data());
      r != VK_SUCCESS && r != VK_INCOMPLETE)
    return callFailed("vkEnumeratePhysicalDevices", r);
  handles.resize(count);
  for (unsigned i = 0; i < handles.size(); ++i)
    physical.push_back(describe(handles[i], i));
  return "";
}

static std::string vendorName(uint32_t id) {
  switch (id) {
  case 0x10DE:
    return "NVIDIA";
  case 0x1002:
    return "AMD";
  case 0x8086:
    return "Intel";
  case 0x13B5:
    return "ARM";
  case 0x5143:
    return "Qualcomm";
  case 0x106B:
    return "Apple";
  case VK_VENDOR_ID_MESA:
    return "Mesa";
  }
  char hex[16];
  std::snprintf(hex, sizeof(hex), "0x%x", id);
  return hex;
}

static const char *deviceTypeName(VkPhysicalDeviceType type) {
  switch (type) {
  case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
    return "discrete-gpu";
  case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
    return "integrated-gpu";
  case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
    return "virtual-gpu";
  case VK_PHYSICAL_DEVICE_TYPE_CPU:
    return "cpu";
  default:
    return "other";
  }
}

static std::string uuidString(const uint8_t (&uuid)[VK_UUID_SIZE]) {
  std::string text;
  for (unsigned i = 0; i < VK_UUID_SIZE; ++i) {
    char hex[3];
    std::snprintf(hex, sizeof(hex), "%02x", uuid[i]);
    if (i == 4 || i == 6 || i == 8 || i == 10)
      text += '-';
    text += hex;
  }
  return text;
}

PhysicalDevice VulkanInstance::describe(VkPhysicalDevice handle,
                                        unsigned index) const {
  PhysicalDevice device;
  device.handle = handle;
  kite::DeviceProperties &p = device.properties;
  p.name = "vulkan:" + std::to_string(index);
  p.backend = "vulkan";

  VkPhysicalDeviceProperties basic;
  fn.vkGetPhysicalDeviceProperties(handle, &basic);
  device.apiVersion = std::min(basic.apiVersion, version);
  p.deviceName = basic.deviceName;
  p.deviceType = deviceTypeName(basic.deviceType);
  p.vendorId = basic.vendorID;
  p.vendor = vendorName(basic.vendorID);
  p.deviceId = basic.deviceID;
  p.driverVersion = basic.driverVersion;
  p.apiVersion = std::to_string(VK_API_VERSION_MAJOR(basic.apiVersion)) + "." +
                 std::to_string(VK_API_VERSION_MINOR(basic.apiVersion)) + "." +
                 std::to_string(VK_API_VERSION_PATCH(basic.apiVersion));
  const VkPhysicalDeviceLimits &limits = basic.limits;
  p.maxSharedMemoryBytes = limits.maxComputeSharedMemorySize;
  p.maxPushConstantBytes = limits.maxPushConstantsSize;
  for (int i = 0; i < 3; ++i) {
    p.maxWorkGroupCount[i] = limits.maxComputeWorkGroupCount[i];
    p.maxWorkGroupSize[i] = limits.maxComputeWorkGroupSize[i];
  }
  p.maxWorkGroupInvocations = limits.maxComputeWorkGroupInvocations;
  if (device.apiVersion < VK_API_VERSION_1_2) {
    p.unsupportedReason = "the device supports Vulkan " + p.apiVersion +
                          "; Kite needs 1.2 (buffer device addresses)";
    return device;
  }

  uint32_t count = 0;
  fn.vkEnumerateDeviceExtensionProperties(handle, nullptr, &count, nullptr);
  std::vector<VkExtensionProperties> extensions(count);
  fn.vkEnumerateDeviceExtensionProperties(handle, nullptr, &count,
                                          extensions.data());
  for (const VkExtensionProperties &e : extensions)
    if (std::strcmp(e.extensionName,
                    VK_EXT_SHADER_ATOMIC_FLOAT_EXTENSION_NAME) == 0)
      device.hasAtomicFloatExtension = true;
  device.hasSubgroupSizeControl = device.apiVersion >= VK_API_VERSION_1_3;

  VkPhysicalDeviceProperties2 properties{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2};
  VkPhysicalDeviceVulkan11Properties v11{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_PROPERTIES};
  VkPhysicalDeviceVulkan12Properties v12{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_PROPERTIES};
  VkPhysicalDeviceSubgroupSizeControlProperties sizeControl{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES};
  properties.pNext = &v11;
  v11.pNext = &v12;
  if (device.hasSubgroupSizeControl)
    v12.pNext = &sizeControl;
  fn.vkGetPhysicalDeviceProperties2(handle, &properties);
  p.uuid = uuidString(v11.deviceUUID);
  p.driverName = v12.driverName;
  p.driverInfo = v12.driverInfo;
  p.subgroupSize = v11.subgroupSize;
  p.minSubgroupSize = p.maxSubgroupSize = v11.subgroupSize;
  if (device.hasSubgroupSizeControl) {
    p.minSubgroupSize = sizeControl.minSubgroupSize;
    p.maxSubgroupSize = sizeControl.maxSubgroupSize;
  }
  p.maxAllocationBytes = v11.maxMemoryAllocationSize;
  p.signedZeroInfNanPreserveWidths =
      (v12.shaderSignedZeroInfNanPreserveFloat16 ? 16 : 0) |
      (v12.shaderSignedZeroInfNanPreserveFloat32 ? 32 : 0) |
      (v12.shaderSignedZeroInfNanPreserveFloat64 ? 64 : 0);

  VkPhysicalDeviceFeatures2 features{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  VkPhysicalDeviceVulkan11Features f11{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
  VkPhysicalDeviceVulkan12Features f12{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  VkPhysicalDeviceShaderAtomicFloatFeaturesEXT atomicFloat{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_ATOMIC_FLOAT_FEATURES_EXT};
  features.pNext = &f11;
  f11.pNext = &f12;
  if (device.hasAtomicFloatExtension)
    f12.pNext = &atomicFloat;
  fn.vkGetPhysicalDeviceFeatures2(handle, &features);
  p.int8 = f12.shaderInt8;
  p.int16 = features.features.shaderInt16;
  p.int64 = features.features.shaderInt64;
  p.fp16 = f12.shaderFloat16;
  p.fp64 = features.features.shaderFloat64;
  p.storage8 = f12.storageBuffer8BitAccess;
  p.storage16 = f11.storageBuffer16BitAccess;
  p.fp32AtomicAdd = device.hasAtomicFloatExtension &&
                    atomicFloat.shaderBufferFloat32AtomicAdd;

  fn.vkGetPhysicalDeviceMemoryProperties(handle, &device.memory);
  uint32_t families = 0;
  fn.vkGetPhysicalDeviceQueueFamilyProperties(handle, &families, nullptr);
  std::vector<VkQueueFamilyProperties> queues(families);
  fn.vkGetPhysicalDeviceQueueFamilyProperties(handle, &families, queues.data());
  for (uint32_t i = 0; i < families && device.computeQueueFamily == ~0u; ++i)
    if (queues[i].queueFlags & VK_QUEUE_COMPUTE_BIT)
      device.computeQueueFamily = i;

  if (!f12.bufferDeviceAddress)
    p.unsupportedReason = "the device lacks bufferDeviceAddress";
  else if (!p.int64)
    p.unsupportedReason = "the device lacks shaderInt64 (64-bit addresses)";
  else if (device.computeQueueFamily == ~0u)
    p.unsupportedReason = "the device has no compute queue";
  return device;
}
