//===- TargetChecks.cpp - the Vulkan target and what it accepts -----------===//
#include "backends/spirv/emitter/KiteThreadToSPIRV.h"
#include "dialects/Kite/KiteDialect.h"
#include "dialects/KiteThread/KiteThreadModule.h"
#include "dialects/KiteThread/KiteThreadOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/DenseSet.h"

using namespace mlir;
using namespace mlir::kitespirv;
using spirv::Capability;
using spirv::Extension;

spirv::TargetEnvAttr
mlir::kitespirv::getVulkanTargetEnv(MLIRContext *context,
                                    const TargetFeatures &features) {
  SmallVector<Capability> caps = {
      Capability::Shader, Capability::PhysicalStorageBufferAddresses,
      Capability::GroupNonUniform, Capability::GroupNonUniformShuffle,
      Capability::GroupNonUniformArithmetic};
  SmallVector<Extension> exts = {Extension::SPV_KHR_physical_storage_buffer};
  if (features.int8)
    caps.append({Capability::Int8, Capability::StorageBuffer8BitAccess});
  if (features.int16)
    caps.append({Capability::Int16, Capability::StorageBuffer16BitAccess});
  if (features.float16)
    caps.append({Capability::Float16, Capability::StorageBuffer16BitAccess});
  if (features.int64)
    caps.append({Capability::Int64, Capability::Int64Atomics});
  if (features.float64)
    caps.push_back(Capability::Float64);
  if (features.signedZeroInfNanPreserveWidths)
    caps.push_back(Capability::SignedZeroInfNanPreserve);
  if (features.int8)
    exts.push_back(Extension::SPV_KHR_8bit_storage);
  if (features.int16 || features.float16)
    exts.push_back(Extension::SPV_KHR_16bit_storage);
  if (features.atomicFloatAdd) {
    caps.push_back(Capability::AtomicFloat32AddEXT);
    exts.push_back(Extension::SPV_EXT_shader_atomic_float_add);
  }
  Builder b(context);
  auto limits = spirv::ResourceLimitsAttr::get(
      context, features.maxComputeSharedMemorySize,
      /*max_compute_workgroup_invocations=*/1024,
      b.getI32ArrayAttr({1024, 1024, 64}), features.subgroupSize, std::nullopt,
      std::nullopt, ArrayAttr(), ArrayAttr());
  return spirv::TargetEnvAttr::get(
      spirv::VerCapExtAttr::get(spirv::Version::V_1_5, caps, exts, context),
      limits, spirv::ClientAPI::Vulkan);
}

/// Why `type` (a scalar) is unavailable, or "" if it is fine.
static std::string missingFeature(Type type, const TargetFeatures &f) {
  if (type.isIndex() || type.isInteger(1) || type.isInteger(32) ||
      type.isF32())
    return "";
  if (type.isInteger(8))
    return f.int8 ? "" : "shaderInt8 and storageBuffer8BitAccess (int8)";
  if (type.isInteger(16))
    return f.int16 ? "" : "shaderInt16 and storageBuffer16BitAccess (int16)";
  if (type.isInteger(64))
    return f.int64 ? "" : "shaderInt64 (int64)";
  if (type.isF16())
    return f.float16 ? ""
                     : "shaderFloat16 and storageBuffer16BitAccess (float16)";
  if (type.isF64())
    return f.float64 ? "" : "shaderFloat64 (float64)";
  return "none: the SPIR-V emitter has no lowering for this type";
}

/// Checks one type (and the element type of a vector or memref).
static LogicalResult checkType(Operation *op, Type type,
                               const TargetFeatures &features,
                               llvm::DenseSet<Type> &reported) {
  if (auto vector = dyn_cast<VectorType>(type)) {
    if (vector.getRank() != 1 || vector.getNumElements() > 4) {
      if (!reported.insert(type).second)
        return failure();
      return op->emitError()
             << type << " cannot be a SPIR-V vector for Vulkan: vectors have "
             << "one dimension of at most 4 elements";
    }
  }
  if (!isa<VectorType, MemRefType, IntegerType, FloatType, IndexType>(type))
    return success();
  Type element = getElementTypeOrSelf(type);
  std::string feature = missingFeature(element, features);
  if (feature.empty())
    return success();
  if (!reported.insert(element).second)
    return failure();
  return op->emitError() << "uses " << element
                         << ", which the SPIR-V target does not enable; the "
                            "Vulkan device feature it needs: "
                         << feature;
}

static LogicalResult checkShuffle(gpu::ShuffleOp op, unsigned subgroupSize) {
  IntegerAttr width;
  if (matchPattern(op.getWidth(), m_Constant(&width)) &&
      width.getValue().getZExtValue() == subgroupSize)
    return success();
  return op.emitError() << "gpu.shuffle must span the whole subgroup: its "
                           "width must be the constant "
                        << subgroupSize << " (option subgroup-size)";
}

/// Every workgroup buffer left after shareWorkgroupMemory becomes a
/// Workgroup variable of its own, so a workgroup needs all their bytes
/// together; the thread lowering checked each op's buffers, this checks the
/// sum (several ops in one kernel).
static LogicalResult checkWorkgroupMemory(ModuleOp module,
                                          const TargetFeatures &features) {
  int64_t total = 0;
  WalkResult result = module.walk([&](memref::AllocOp alloc) {
    MemRefType type = alloc.getType();
    auto space = dyn_cast_or_null<gpu::AddressSpaceAttr>(type.getMemorySpace());
    if (!space || space.getValue() != gpu::AddressSpace::Workgroup ||
        !type.hasStaticShape())
      return WalkResult::advance();
    int64_t bytes = type.getNumElements() *
                    llvm::divideCeil(type.getElementTypeBitWidth(), 8);
    total += bytes;
    if (total <= features.maxComputeSharedMemorySize)
      return WalkResult::advance();
    alloc.emitError() << "this kernel's workgroup memory reaches " << total
                      << " bytes here (this buffer: " << bytes
                      << "), more than the device's "
                         "maxComputeSharedMemorySize ("
                      << features.maxComputeSharedMemorySize
                      << "); use smaller blocks";
    return WalkResult::interrupt();
  });
  return failure(result.wasInterrupted());
}

LogicalResult mlir::kitespirv::checkTarget(ModuleOp module,
                                           const TargetFeatures &features) {
  llvm::DenseSet<Type> reported;
  bool ok = succeeded(checkWorkgroupMemory(module, features));
  module.walk([&](Operation *op) {
    for (Type type : op->getResultTypes())
      ok &= succeeded(checkType(op, type, features, reported));
    for (Type type : op->getOperandTypes())
      ok &= succeeded(checkType(op, type, features, reported));
    if (auto shuffle = dyn_cast<gpu::ShuffleOp>(op))
      ok &= succeeded(checkShuffle(shuffle, features.subgroupSize));
    if (isa<kitethread::KernelArgOp>(op) && !features.int64 &&
        reported.insert(IntegerType::get(op->getContext(), 64)).second) {
      op->emitError() << "launch arguments are read through a 64-bit device "
                         "address, which needs the Vulkan device feature "
                         "shaderInt64 (int64)";
      ok = false;
    }
  });
  return success(ok);
}

/// Size (and alignment) of a launch argument: its width; i1 is a u32
/// (docs/vulkan-abi.md).
static int64_t getArgSize(Type type) {
  return type.isInteger(1) ? 4 : type.getIntOrFloatBitWidth() / 8;
}

FailureOr<SmallVector<int64_t>>
mlir::kitespirv::computeArgOffsets(ModuleOp module) {
  FailureOr<SmallVector<Type>> types = kitethread::getLaunchArgTypes(module);
  if (failed(types))
    return failure();
  SmallVector<int64_t> offsets;
  int64_t offset = 0;
  for (Type type : *types) {
    int64_t size = getArgSize(type);
    offset = llvm::alignTo(offset, size);
    offsets.push_back(offset);
    offset += size;
  }
  return offsets;
}
