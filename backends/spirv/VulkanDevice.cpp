//===- VulkanDevice.cpp - open a device, submit work, copy memory ---------===//
#include "backends/spirv/VulkanDevice.h"
#include "backends/spirv/VulkanKernel.h"

#include <algorithm>
#include <cstring>

using namespace kite;
using namespace kite::vulkan;

Result<std::shared_ptr<VulkanDevice>>
VulkanDevice::open(unsigned index, const DeviceOptions &options) {
  std::string why;
  VulkanInstance *instance = VulkanInstance::get(&why);
  if (!instance)
    return Status::error(why);
  const std::vector<PhysicalDevice> &devices = instance->devices();
  if (index >= devices.size())
    return Status::error("no device vulkan:" + std::to_string(index) + " (" +
                         std::to_string(devices.size()) +
                         " Vulkan devices found)");
  const PhysicalDevice &physical = devices[index];
  if (!physical.properties.unsupportedReason.empty())
    return Status::error("cannot use " + physical.properties.name + " (" +
                         physical.properties.deviceName +
                         "): " + physical.properties.unsupportedReason);
  std::shared_ptr<VulkanDevice> device(
      new VulkanDevice(instance->functions(), physical, options));
  if (Status status = device->create(); !status)
    return status;
  return device;
}

VulkanDevice::VulkanDevice(const VulkanFunctions &fn,
                           const PhysicalDevice &physical,
                           const DeviceOptions &options)
    : fn(fn), physical(physical), options(options),
      effective(physical.properties) {
  // The test options only ever lower the device's limits.
  for (int i = 0; i < 3; ++i)
    if (options.maxWorkGroupCount[i])
      effective.maxWorkGroupCount[i] = std::min(options.maxWorkGroupCount[i],
                                                effective.maxWorkGroupCount[i]);
  if (options.maxPushConstantBytes)
    effective.maxPushConstantBytes =
        std::min(options.maxPushConstantBytes, effective.maxPushConstantBytes);
}

Status VulkanDevice::create() {
  const DeviceProperties &p = physical.properties;
  // Enable what kernels may use and the device supports; nothing else.
  VkPhysicalDeviceFeatures2 features{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2};
  features.features.shaderInt64 = VK_TRUE;
  features.features.shaderInt16 = p.int16;
  features.features.shaderFloat64 = p.fp64;
  VkPhysicalDeviceVulkan11Features f11{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_1_FEATURES};
  f11.storageBuffer16BitAccess = p.storage16;
  VkPhysicalDeviceVulkan12Features f12{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
  f12.bufferDeviceAddress = VK_TRUE;
  f12.shaderInt8 = p.int8;
  f12.shaderFloat16 = p.fp16;
  f12.storageBuffer8BitAccess = p.storage8;
  VkPhysicalDeviceVulkan13Features f13{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
  f13.subgroupSizeControl = physical.hasSubgroupSizeControl;
  f13.computeFullSubgroups = physical.hasSubgroupSizeControl;
  VkPhysicalDeviceShaderAtomicFloatFeaturesEXT atomicFloat{
      VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_ATOMIC_FLOAT_FEATURES_EXT};
  atomicFloat.shaderBufferFloat32AtomicAdd = p.fp32AtomicAdd;
  features.pNext = &f11;
  f11.pNext = &f12;
  void **tail = &f12.pNext;
  if (physical.hasSubgroupSizeControl) {
    *tail = &f13;
    tail = &f13.pNext;
  }
  std::vector<const char *> extensions;
  if (p.fp32AtomicAdd) {
    *tail = &atomicFloat;
    extensions.push_back(VK_EXT_SHADER_ATOMIC_FLOAT_EXTENSION_NAME);
  }

  float priority = 1.0f;
  VkDeviceQueueCreateInfo queueInfo{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queueInfo.queueFamilyIndex = physical.computeQueueFamily;
  queueInfo.queueCount = 1;
  queueInfo.pQueuePriorities = &priority;
  VkDeviceCreateInfo info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  info.pNext = &features;
  info.queueCreateInfoCount = 1;
  info.pQueueCreateInfos = &queueInfo;
  info.enabledExtensionCount = static_cast<uint32_t>(extensions.size());
  info.ppEnabledExtensionNames = extensions.data();
  if (VkResult r = fn.vkCreateDevice(physical.handle, &info, nullptr, &device);
      r != VK_SUCCESS)
    return Status::error(callFailed("vkCreateDevice", r));
  fn.vkGetDeviceQueue(device, physical.computeQueueFamily, 0, &queue);

  VkCommandPoolCreateInfo poolInfo{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  poolInfo.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
  poolInfo.queueFamilyIndex = physical.computeQueueFamily;
  if (VkResult r = fn.vkCreateCommandPool(device, &poolInfo, nullptr, &pool);
      r != VK_SUCCESS)
    return Status::error(callFailed("vkCreateCommandPool", r));
  VkCommandBufferAllocateInfo bufferInfo{
      VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  bufferInfo.commandPool = pool;
  bufferInfo.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  bufferInfo.commandBufferCount = 1;
  if (VkResult r = fn.vkAllocateCommandBuffers(device, &bufferInfo, &commands);
      r != VK_SUCCESS)
    return Status::error(callFailed("vkAllocateCommandBuffers", r));
  VkFenceCreateInfo fenceInfo{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  if (VkResult r = fn.vkCreateFence(device, &fenceInfo, nullptr, &fence);
      r != VK_SUCCESS)
    return Status::error(callFailed("vkCreateFence", r));
  return Status::success();
}

VulkanDevice::~VulkanDevice() {
  if (!device)
    return;
  fn.vkDeviceWaitIdle(device);
  kernels.clear(); // Destroys the pipelines, which need the device.
  destroyAllocation(*this, argsBlock);
  if (fence)
    fn.vkDestroyFence(device, fence, nullptr);
  if (pool)
    fn.vkDestroyCommandPool(device, pool, nullptr);
  fn.vkDestroyDevice(device, nullptr);
}

Status VulkanDevice::submitAndWait(
    const std::function<void(VkCommandBuffer)> &record) {
  if (VkResult r = fn.vkResetCommandBuffer(commands, 0); r != VK_SUCCESS)
    return Status::error(callFailed("vkResetCommandBuffer", r));
  VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
  if (VkResult r = fn.vkBeginCommandBuffer(commands, &begin); r != VK_SUCCESS)
    return Status::error(callFailed("vkBeginCommandBuffer", r));
  record(commands);
  // Make the device's writes visible to the host reads that follow the wait.
  VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask =
      VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
  barrier.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
  fn.vkCmdPipelineBarrier(
      commands,
      VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
      VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &barrier, 0, nullptr, 0, nullptr);
  if (VkResult r = fn.vkEndCommandBuffer(commands); r != VK_SUCCESS)
    return Status::error(callFailed("vkEndCommandBuffer", r));
  VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
  submit.commandBufferCount = 1;
  submit.pCommandBuffers = &commands;
  if (VkResult r = fn.vkQueueSubmit(queue, 1, &submit, fence); r != VK_SUCCESS)
    return Status::error(callFailed("vkQueueSubmit", r));
  VkResult waited = fn.vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX);
  fn.vkResetFences(device, 1, &fence);
  if (waited != VK_SUCCESS)
    return Status::error(callFailed("vkWaitForFences", waited));
  return Status::success();
}

Result<std::shared_ptr<detail::BufferImpl>>
VulkanDevice::allocate(uint64_t bytes) {
  Result<Allocation> allocation =
      createAllocation(*this, bytes, MemoryUse::Device);
  if (!allocation)
    return allocation.status();
  return std::shared_ptr<detail::BufferImpl>(
      std::make_shared<VulkanBuffer>(*this, *allocation, bytes));
}

Status VulkanDevice::upload(detail::BufferImpl &buffer, const void *data,
                            uint64_t bytes, uint64_t offset) {
  const Allocation &target = static_cast<VulkanBuffer &>(buffer).memory();
  std::lock_guard<std::mutex> guard(mutex);
  if (target.mapped) {
    std::memcpy(static_cast<char *>(target.mapped) + offset, data, bytes);
    return Status::success();
  }
  Result<Allocation> staging =
      createAllocation(*this, bytes, MemoryUse::Staging);
  if (!staging)
    return staging.status();
  std::memcpy(staging->mapped, data, bytes);
  Status status = submitAndWait([&](VkCommandBuffer cb) {
    VkBufferCopy region{0, offset, bytes};
    fn.vkCmdCopyBuffer(cb, staging->buffer, target.buffer, 1, &region);
  });
  destroyAllocation(*this, *staging);
  return status;
}

Status VulkanDevice::download(detail::BufferImpl &buffer, void *data,
                              uint64_t bytes, uint64_t offset) {
  const Allocation &source = static_cast<VulkanBuffer &>(buffer).memory();
  std::lock_guard<std::mutex> guard(mutex);
  if (source.mapped) {
    std::memcpy(data, static_cast<const char *>(source.mapped) + offset, bytes);
    return Status::success();
  }
  Result<Allocation> staging =
      createAllocation(*this, bytes, MemoryUse::Staging);
  if (!staging)
    return staging.status();
  Status status = submitAndWait([&](VkCommandBuffer cb) {
    VkBufferCopy region{offset, 0, bytes};
    fn.vkCmdCopyBuffer(cb, source.buffer, staging->buffer, 1, &region);
  });
  if (status)
    std::memcpy(data, staging->mapped, bytes);
  destroyAllocation(*this, *staging);
  return status;
}

Status VulkanDevice::fill(detail::BufferImpl &buffer, uint32_t pattern,
                          uint64_t offset, uint64_t bytes) {
  const Allocation &target = static_cast<VulkanBuffer &>(buffer).memory();
  std::lock_guard<std::mutex> guard(mutex);
  if (target.mapped) {
    auto *words = reinterpret_cast<uint32_t *>(
        static_cast<char *>(target.mapped) + offset);
    std::fill(words, words + bytes / 4, pattern);
    return Status::success();
  }
  return submitAndWait([&](VkCommandBuffer cb) {
    fn.vkCmdFillBuffer(cb, target.buffer, offset, bytes, pattern);
  });
}
