//===- SPIRVBinary.cpp - serialize, validate and disassemble --------------===//
#include "backends/spirv/emitter/SPIRVBinary.h"

#include "mlir/Dialect/SPIRV/IR/SPIRVOps.h"
#include "mlir/Target/SPIRV/Serialization.h"

#ifdef KITE_HAVE_SPIRV_TOOLS
#include "spirv-tools/libspirv.hpp"
#endif

using namespace mlir;

LogicalResult mlir::kitespirv::serializeKernel(Operation *op,
                                               SmallVectorImpl<uint32_t> &words) {
  auto spvModule = dyn_cast<spirv::ModuleOp>(op);
  if (!spvModule) {
    SmallVector<spirv::ModuleOp> found;
    if (auto module = dyn_cast<ModuleOp>(op))
      llvm::append_range(found, module.getOps<spirv::ModuleOp>());
    if (found.size() != 1)
      return op->emitError()
             << "expected one spirv.module to serialize, found "
             << found.size() << " (run convert-kitethread-to-spirv first)";
    spvModule = found.front();
  }
  spirv::SerializationOptions options;
  options.emitSymbolName = true;
  return spirv::serialize(spvModule, words, options);
}

#ifdef KITE_HAVE_SPIRV_TOOLS
LogicalResult mlir::kitespirv::validateForVulkan(ArrayRef<uint32_t> words,
                                                 Location loc) {
  spvtools::SpirvTools tools(SPV_ENV_VULKAN_1_2);
  bool reported = false;
  tools.SetMessageConsumer([&](spv_message_level_t, const char *,
                               const spv_position_t &, const char *message) {
    emitError(loc) << "invalid SPIR-V for Vulkan 1.2: " << message;
    reported = true;
  });
  if (tools.Validate(words.data(), words.size()))
    return success();
  if (!reported)
    emitError(loc) << "invalid SPIR-V for Vulkan 1.2";
  return failure();
}

std::string mlir::kitespirv::disassemble(ArrayRef<uint32_t> words) {
  spvtools::SpirvTools tools(SPV_ENV_VULKAN_1_2);
  std::string text;
  if (!tools.Disassemble(words.data(), words.size(), &text,
                         SPV_BINARY_TO_TEXT_OPTION_FRIENDLY_NAMES |
                             SPV_BINARY_TO_TEXT_OPTION_INDENT))
    return "";
  return text;
}
#else
LogicalResult mlir::kitespirv::validateForVulkan(ArrayRef<uint32_t>,
                                                 Location) {
  return success();
}

std::string mlir::kitespirv::disassemble(ArrayRef<uint32_t>) { return ""; }
#endif
