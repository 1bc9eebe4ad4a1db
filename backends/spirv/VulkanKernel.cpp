//===- VulkanKernel.cpp - check SPIR-V, build compute pipelines -----------===//
#include "backends/spirv/VulkanKernel.h"
#include "backends/spirv/VulkanDevice.h"

#ifdef KITE_HAVE_SPIRV_TOOLS
#include <spirv-tools/libspirv.h>
#endif

#include <cstring>

using namespace kite;
using namespace kite::vulkan;

namespace {
constexpr uint32_t kSpirvMagic = 0x07230203;
constexpr uint32_t kOpEntryPoint = 15;
constexpr uint32_t kExecutionModelGLCompute = 5;
} // namespace

/// The GLCompute entry points of a module whose instruction stream is sound;
/// sets `error` and returns early otherwise.
static std::vector<std::string>
computeEntryPoints(const std::vector<uint32_t> &words, std::string &error) {
  std::vector<std::string> names;
  for (size_t at = 5; at < words.size();) {
    uint32_t count = words[at] >> 16, opcode = words[at] & 0xffff;
    if (count == 0 || at + count > words.size()) {
      error = "truncated instruction at word " + std::to_string(at);
      return names;
    }
    if (opcode == kOpEntryPoint && count >= 4 &&
        words[at + 1] == kExecutionModelGLCompute) {
      const char *text = reinterpret_cast<const char *>(&words[at + 3]);
      names.emplace_back(text, strnlen(text, (count - 3) * 4));
    }
    at += count;
  }
  return names;
}

std::string kite::vulkan::checkSpirvModule(const std::vector<uint32_t> &words,
                                           const std::string &entryPoint,
                                           uint32_t vulkanVersion) {
  if (words.size() < 5 || words[0] != kSpirvMagic)
    return "not a SPIR-V module (no magic number 0x07230203)";
  std::string error;
  std::vector<std::string> names = computeEntryPoints(words, error);
  if (!error.empty())
    return "malformed SPIR-V: " + error;
  if (std::find(names.begin(), names.end(), entryPoint) == names.end()) {
    std::string known;
    for (const std::string &name : names)
      known += (known.empty() ? "" : ", ") + name;
    return "the module has no GLCompute entry point '" + entryPoint +
           "' (it has: " + (known.empty() ? "none" : known) + ")";
  }
#ifdef KITE_HAVE_SPIRV_TOOLS
  spv_context context = spvContextCreate(vulkanVersion >= VK_API_VERSION_1_3
                                             ? SPV_ENV_VULKAN_1_3
                                             : SPV_ENV_VULKAN_1_2);
  spv_const_binary_t binary{words.data(), words.size()};
  spv_diagnostic diagnostic = nullptr;
  spv_result_t result = spvValidate(context, &binary, &diagnostic);
  if (result != SPV_SUCCESS)
    error = std::string("invalid SPIR-V (spirv-val): ") +
            (diagnostic && diagnostic->error ? diagnostic->error
                                             : "validation failed");
  spvDiagnosticDestroy(diagnostic);
  spvContextDestroy(context);
#endif
  return error;
}

std::string VulkanKernel::cacheKey(const KernelSpec &spec) {
  std::string key(reinterpret_cast<const char *>(spec.spirv.data()),
                  spec.spirv.size() * 4);
  key += '\0' + spec.entryPoint + '\0';
  for (uint32_t size : spec.localSize)
    key += std::to_string(size) + ',';
  key += std::to_string(spec.pushConstantBytes) + ',' +
         std::to_string(static_cast<int>(spec.argumentPassing));
  return key;
}

Result<std::shared_ptr<VulkanKernel>>
VulkanKernel::build(VulkanDevice &device, const KernelSpec &spec) {
  std::string invalid = checkSpirvModule(spec.spirv, spec.entryPoint,
                                         device.physicalDevice().apiVersion);
  if (!invalid.empty())
    return Status::error("loadKernel: " + invalid);

  const VulkanFunctions &fn = device.fn;
  std::shared_ptr<VulkanKernel> kernel(new VulkanKernel(device, spec));
  VkShaderModuleCreateInfo moduleInfo{
      VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  moduleInfo.codeSize = spec.spirv.size() * 4;
  moduleInfo.pCode = spec.spirv.data();
  if (VkResult r = fn.vkCreateShaderModule(device.handle(), &moduleInfo,
                                           nullptr, &kernel->module);
      r != VK_SUCCESS)
    return Status::error(callFailed("vkCreateShaderModule", r));

  // No descriptor sets: buffers are reached through addresses passed in
  // the push constants (docs/vulkan-abi.md).
  VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0,
                            spec.pushConstantBytes};
  VkPipelineLayoutCreateInfo layoutInfo{
      VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  layoutInfo.pushConstantRangeCount = 1;
  layoutInfo.pPushConstantRanges = &range;
  if (VkResult r = fn.vkCreatePipelineLayout(device.handle(), &layoutInfo,
                                             nullptr, &kernel->layoutHandle);
      r != VK_SUCCESS)
    return Status::error(callFailed("vkCreatePipelineLayout", r));

  // The workgroup size as specialization constants 0, 1, 2 (GLSL's
  // local_size_x_id etc.); ignored by shaders that fix their LocalSize.
  VkSpecializationMapEntry entries[3];
  for (uint32_t i = 0; i < 3; ++i)
    entries[i] = {i, i * 4, 4};
  VkSpecializationInfo specialization{3, entries, sizeof(spec.localSize),
                                      spec.localSize.data()};
  VkComputePipelineCreateInfo pipelineInfo{
      VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  pipelineInfo.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
  pipelineInfo.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  pipelineInfo.stage.module = kernel->module;
  pipelineInfo.stage.pName = spec.entryPoint.c_str();
  pipelineInfo.stage.pSpecializationInfo = &specialization;
  pipelineInfo.layout = kernel->layoutHandle;
  if (VkResult r = fn.vkCreateComputePipelines(device.handle(), VK_NULL_HANDLE,
                                               1, &pipelineInfo, nullptr,
                                               &kernel->pipelineHandle);
      r != VK_SUCCESS)
    return Status::error(callFailed("vkCreateComputePipelines", r));
  return kernel;
}

VulkanKernel::~VulkanKernel() {
  const VulkanFunctions &fn = device.fn;
  if (pipelineHandle)
    fn.vkDestroyPipeline(device.handle(), pipelineHandle, nullptr);
  if (layoutHandle)
    fn.vkDestroyPipelineLayout(device.handle(), layoutHandle, nullptr);
  if (module)
    fn.vkDestroyShaderModule(device.handle(), module, nullptr);
}
