//===- VulkanBuffer.cpp - buffers with device addresses -------------------===//
#include "backends/spirv/VulkanBuffer.h"
#include "backends/spirv/VulkanDevice.h"

#include <mutex>
#include <string>
#include <sys/resource.h>

using namespace kite;
using namespace kite::vulkan;

/// The first memory type allowed by `typeBits` that has all of `wanted`.
static uint32_t findMemoryType(const VkPhysicalDeviceMemoryProperties &memory,
                               uint32_t typeBits,
                               VkMemoryPropertyFlags wanted) {
  for (uint32_t i = 0; i < memory.memoryTypeCount; ++i)
    if ((typeBits & (1u << i)) &&
        (memory.memoryTypes[i].propertyFlags & wanted) == wanted)
      return i;
  return ~0u;
}

/// Picks the memory type for `use`, best first; ~0u when none fits.
static uint32_t chooseMemoryType(const VulkanDevice &device, uint32_t typeBits,
                                 MemoryUse use) {
  const VkPhysicalDeviceMemoryProperties &memory =
      device.physicalDevice().memory;
  const VkMemoryPropertyFlags local = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
  const VkMemoryPropertyFlags host = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                     VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
  std::vector<VkMemoryPropertyFlags> preferences;
  if (use == MemoryUse::Staging)
    preferences = {host | VK_MEMORY_PROPERTY_HOST_CACHED_BIT, host};
  else if (device.stagingCopies())
    preferences = {local, 0};
  else // Integrated GPUs, CPUs and resizable BAR map device memory directly.
    preferences = {local | host, local, 0};
  for (VkMemoryPropertyFlags wanted : preferences)
    if (uint32_t type = findMemoryType(memory, typeBits, wanted); type != ~0u)
      return type;
  return ~0u;
}

/// Why a CPU device cannot allocate `bytes` under the process's file-size
/// limit, or "". lavapipe (Mesa 25) backs each allocation with a memfd that
/// it grows with ftruncate and maps without checking the result: past
/// RLIMIT_FSIZE (`ulimit -f`) the first touch of the memory is a SIGBUS
/// that kills the process. Refuse such an allocation instead.
static std::string fileSizeLimitProblem(const VulkanDevice &device,
                                        uint64_t bytes) {
  struct rlimit limit;
  if (device.properties().deviceType != "cpu" ||
      getrlimit(RLIMIT_FSIZE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return "";
  // The driver rounds the file up to whole pages (and adds one).
  uint64_t needed = ((bytes + 4095) & ~uint64_t(4095)) + 4096;
  if (needed <= uint64_t(limit.rlim_cur))
    return "";
  return "cannot allocate " + std::to_string(bytes) + " bytes on " +
         device.properties().name +
         ": this CPU device backs memory with files, and the process's "
         "file-size limit (RLIMIT_FSIZE, `ulimit -f`) is " +
         std::to_string(uint64_t(limit.rlim_cur)) +
         " bytes; raise it, or use device='interpreter'";
}

Result<Allocation> kite::vulkan::createAllocation(VulkanDevice &device,
                                                  uint64_t bytes,
                                                  MemoryUse use) {
  if (std::string why = fileSizeLimitProblem(device, bytes); !why.empty())
    return Status::error(why);
  const VulkanFunctions &fn = device.fn;
  VkDevice handle = device.handle();
  Allocation allocation;
  // Vulkan has no empty buffers, and fill() works in whole words.
  allocation.bytes = std::max<uint64_t>(4, (bytes + 3) & ~uint64_t(3));

  VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = allocation.bytes;
  info.usage =
      VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_UNIFORM_BUFFER_BIT |
      VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT |
      VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  if (VkResult r =
          fn.vkCreateBuffer(handle, &info, nullptr, &allocation.buffer);
      r != VK_SUCCESS)
    return Status::error(callFailed("vkCreateBuffer", r));

  VkMemoryRequirements requirements;
  fn.vkGetBufferMemoryRequirements(handle, allocation.buffer, &requirements);
  uint32_t type = chooseMemoryType(device, requirements.memoryTypeBits, use);
  if (type == ~0u) {
    destroyAllocation(device, allocation);
    return Status::error("vkAllocateMemory: no memory type fits the buffer");
  }
  VkMemoryAllocateFlagsInfo flags{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO};
  flags.flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT;
  VkMemoryAllocateInfo allocate{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  allocate.pNext = &flags;
  allocate.allocationSize = requirements.size;
  allocate.memoryTypeIndex = type;
  if (VkResult r =
          fn.vkAllocateMemory(handle, &allocate, nullptr, &allocation.memory);
      r != VK_SUCCESS) {
    destroyAllocation(device, allocation);
    return Status::error(callFailed("vkAllocateMemory", r));
  }
  if (VkResult r = fn.vkBindBufferMemory(handle, allocation.buffer,
                                         allocation.memory, 0);
      r != VK_SUCCESS) {
    destroyAllocation(device, allocation);
    return Status::error(callFailed("vkBindBufferMemory", r));
  }

  VkMemoryPropertyFlags properties =
      device.physicalDevice().memory.memoryTypes[type].propertyFlags;
  bool mappable = (properties & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) &&
                  (properties & VK_MEMORY_PROPERTY_HOST_COHERENT_BIT) &&
                  (use == MemoryUse::Staging || !device.stagingCopies());
  if (mappable) {
    if (VkResult r = fn.vkMapMemory(handle, allocation.memory, 0, VK_WHOLE_SIZE,
                                    0, &allocation.mapped);
        r != VK_SUCCESS) {
      destroyAllocation(device, allocation);
      return Status::error(callFailed("vkMapMemory", r));
    }
  }
  VkBufferDeviceAddressInfo addressInfo{
      VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO};
  addressInfo.buffer = allocation.buffer;
  allocation.address = fn.vkGetBufferDeviceAddress(handle, &addressInfo);
  return allocation;
}

void kite::vulkan::destroyAllocation(VulkanDevice &device,
                                     Allocation &allocation) {
  const VulkanFunctions &fn = device.fn;
  if (allocation.mapped)
    fn.vkUnmapMemory(device.handle(), allocation.memory);
  if (allocation.buffer)
    fn.vkDestroyBuffer(device.handle(), allocation.buffer, nullptr);
  if (allocation.memory)
    fn.vkFreeMemory(device.handle(), allocation.memory, nullptr);
  allocation = Allocation();
}

void VulkanBuffer::release() {
  if (released())
    return;
  // Not while a command that may use the buffer is running.
  std::lock_guard<std::mutex> guard(device.lock());
  destroyAllocation(device, allocation);
}
