//===- VulkanLaunch.cpp - load kernels, dispatch grids --------------------===//
//
// The argument ABI (docs/vulkan-abi.md): the push-constant block starts with
// the launch header {u32 programIdOffset[3]; u32 grid[3]}, followed either by
// the packed arguments or by the u64 address of a buffer holding them.
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/VulkanDevice.h"
#include "backends/spirv/VulkanKernel.h"

#include <algorithm>
#include <cstring>

using namespace kite;
using namespace kite::vulkan;

Result<std::shared_ptr<detail::KernelImpl>>
VulkanDevice::loadKernel(const KernelSpec &spec) {
  uint32_t pushLimit = effective.maxPushConstantBytes;
  if (spec.pushConstantBytes > pushLimit)
    return Status::error("loadKernel: the kernel's push constants take " +
                         std::to_string(spec.pushConstantBytes) +
                         " bytes; the device allows " +
                         std::to_string(pushLimit));
  std::string key = VulkanKernel::cacheKey(spec);
  std::lock_guard<std::mutex> guard(mutex);
  auto found = kernels.find(key);
  if (found != kernels.end())
    return std::shared_ptr<detail::KernelImpl>(found->second);
  Result<std::shared_ptr<VulkanKernel>> kernel =
      VulkanKernel::build(*this, spec);
  if (!kernel)
    return kernel.status();
  kernels.emplace(std::move(key), *kernel);
  return std::shared_ptr<detail::KernelImpl>(*kernel);
}

Status VulkanDevice::reserveArgumentBlock(uint64_t bytes) {
  if (argsBlock.bytes >= bytes)
    return Status::success();
  destroyAllocation(*this, argsBlock);
  // Grow geometrically so that a sequence of larger launches reallocates
  // rarely.
  Result<Allocation> block =
      createAllocation(*this, std::max<uint64_t>(bytes, 2 * argsBlock.bytes),
                       MemoryUse::Staging);
  if (!block)
    return block.status();
  argsBlock = *block;
  return Status::success();
}

Status VulkanDevice::launch(detail::KernelImpl &kernelImpl,
                            std::array<uint32_t, 3> grid, const void *args,
                            uint64_t argBytes, uint64_t /*stream*/) {
  auto &kernel = static_cast<VulkanKernel &>(kernelImpl);
  const std::array<uint32_t, 3> &limit = effective.maxWorkGroupCount;
  const KernelSpec &spec = kernel.spec;
  std::lock_guard<std::mutex> guard(mutex);
  dispatches = 0;
  if (grid[0] == 0 || grid[1] == 0 || grid[2] == 0)
    return Status::success();

  // The whole push-constant block; the first three words change per dispatch.
  std::vector<uint32_t> block(spec.pushConstantBytes / 4, 0);
  std::memcpy(&block[3], grid.data(), 12);
  if (spec.argumentPassing == ArgumentPassing::PushConstants) {
    if (argBytes)
      std::memcpy(&block[kLaunchHeaderBytes / 4], args, argBytes);
  } else {
    if (Status status = reserveArgumentBlock(argBytes); !status)
      return status;
    if (argBytes)
      std::memcpy(argsBlock.mapped, args, argBytes);
    std::memcpy(&block[kLaunchHeaderBytes / 4], &argsBlock.address, 8);
  }

  uint64_t count = 0;
  Status status = submitAndWait([&](VkCommandBuffer cb) {
    fn.vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, kernel.pipeline());
    fn.vkCmdPushConstants(cb, kernel.layout(), VK_SHADER_STAGE_COMPUTE_BIT, 0,
                          spec.pushConstantBytes, block.data());
    // Programs of one launch are independent, so the dispatches need no
    // barriers between them.
    for (uint32_t z = 0; z < grid[2]; z += std::min(limit[2], grid[2] - z))
      for (uint32_t y = 0; y < grid[1]; y += std::min(limit[1], grid[1] - y))
        for (uint32_t x = 0; x < grid[0];
             x += std::min(limit[0], grid[0] - x)) {
          uint32_t offset[3] = {x, y, z};
          fn.vkCmdPushConstants(cb, kernel.layout(),
                                VK_SHADER_STAGE_COMPUTE_BIT, 0, 12, offset);
          fn.vkCmdDispatch(cb, std::min(limit[0], grid[0] - x),
                           std::min(limit[1], grid[1] - y),
                           std::min(limit[2], grid[2] - z));
          ++count;
        }
  });
  dispatches = count;
  return status;
}
