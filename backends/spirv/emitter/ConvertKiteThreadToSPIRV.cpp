//===- ConvertKiteThreadToSPIRV.cpp - thread-level IR to a spirv.module ---===//
//
// 1. let workgroup buffers with disjoint live ranges share one variable,
//    then check the module against the target (types, vectors, shuffle
//    widths, workgroup memory);
// 2. map memref memory spaces to storage classes (workgroup -> Workgroup);
// 3. move the functions into a spirv.module and convert them with the
//    upstream arith/math/scf/func/gpu/memref/vector patterns and the
//    kitethread patterns;
// 4. declare the GLCompute entry point with every global it uses, its
//    LocalSize, and the minimal version/capabilities/extensions.
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/emitter/KiteThreadToSPIRV.h"
#include "backends/spirv/emitter/Passes.h"
#include "dialects/KiteThread/AccurateMath.h"
#include "dialects/Kite/KiteDialect.h"
#include "dialects/KiteThread/KiteThreadModule.h"
#include "dialects/KiteThread/KiteThreadOps.h"

#include "mlir/Conversion/ArithToSPIRV/ArithToSPIRV.h"
#include "mlir/Conversion/FuncToSPIRV/FuncToSPIRV.h"
#include "mlir/Conversion/GPUToSPIRV/GPUToSPIRV.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Conversion/MathToSPIRV/MathToSPIRV.h"
#include "mlir/Conversion/MemRefToSPIRV/MemRefToSPIRV.h"
#include "mlir/Conversion/SCFToSPIRV/SCFToSPIRV.h"
#include "mlir/Conversion/UBToSPIRV/UBToSPIRV.h"
#include "mlir/Conversion/VectorToSPIRV/VectorToSPIRV.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SPIRV/Transforms/Passes.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::kitespirv {
#define GEN_PASS_DEF_CONVERTKITETHREADTOSPIRV
#include "backends/spirv/emitter/Passes.h.inc"
} // namespace mlir::kitespirv

using namespace mlir;
using namespace mlir::kitespirv;

/// Workgroup memrefs are shared memory, private ones per-thread arrays.
/// Global memory is reached through kitethread addresses, not memrefs.
static std::optional<spirv::StorageClass> mapMemorySpace(Attribute space) {
  if (!space)
    return spirv::StorageClass::Function;
  auto gpuSpace = dyn_cast<gpu::AddressSpaceAttr>(space);
  if (!gpuSpace)
    return std::nullopt;
  switch (gpuSpace.getValue()) {
  case gpu::AddressSpace::Workgroup:
    return spirv::StorageClass::Workgroup;
  case gpu::AddressSpace::Private:
    return spirv::StorageClass::Function;
  default:
    return std::nullopt;
  }
}

/// What UpdateVCE misses: 64-bit atomics need Int64Atomics, and 8/16-bit
/// values in PhysicalStorageBuffer memory need the storage capabilities.
static void addMissedCapabilities(spirv::ModuleOp spvModule,
                                  SmallVectorImpl<spirv::Capability> &caps,
                                  SmallVectorImpl<spirv::Extension> &exts) {
  bool atomics64 = false, storage8 = false, storage16 = false;
  spvModule.walk([&](Operation *op) {
    atomics64 |= op->getName().getStringRef().contains("Atomic") &&
                 op->getNumResults() == 1 &&
                 op->getResult(0).getType().isInteger(64);
    auto toPtr = dyn_cast<spirv::ConvertUToPtrOp>(op);
    if (!toPtr)
      return;
    Type pointee = getElementTypeOrSelf(
        cast<spirv::PointerType>(toPtr.getType()).getPointeeType());
    storage8 |= pointee.getIntOrFloatBitWidth() == 8;
    storage16 |= pointee.getIntOrFloatBitWidth() == 16;
  });
  auto add = [&](spirv::Capability cap, std::optional<spirv::Extension> ext) {
    if (!llvm::is_contained(caps, cap))
      caps.push_back(cap);
    if (ext && !llvm::is_contained(exts, *ext))
      exts.push_back(*ext);
  };
  if (atomics64)
    add(spirv::Capability::Int64Atomics, std::nullopt);
  if (storage8)
    add(spirv::Capability::StorageBuffer8BitAccess,
        spirv::Extension::SPV_KHR_8bit_storage);
  if (storage16)
    add(spirv::Capability::StorageBuffer16BitAccess,
        spirv::Extension::SPV_KHR_16bit_storage);
}

namespace {
struct ConvertKiteThreadToSPIRVPass
    : kitespirv::impl::ConvertKiteThreadToSPIRVBase<ConvertKiteThreadToSPIRVPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    FailureOr<func::FuncOp> kernel = kitethread::getKernel(module, "SPIR-V");
    if (failed(kernel))
      return signalPassFailure();
    auto numThreads = module->getAttrOfType<IntegerAttr>(
        kitethread::KiteThreadDialect::getNumThreadsAttrName());
    if (!numThreads) {
      module.emitError() << "the module needs '"
                         << kitethread::KiteThreadDialect::getNumThreadsAttrName()
                         << "' (threads per program)";
      return signalPassFailure();
    }
    TargetFeatures features;
    features.subgroupSize = subgroupSize;
    features.int8 = int8;
    features.int16 = int16;
    features.int64 = int64;
    features.float16 = float16;
    features.float64 = float64;
    features.atomicFloatAdd = atomicFloatAdd;
    features.signedZeroInfNanPreserveWidths = signedZeroInfNanPreserveWidths;
    features.maxComputeSharedMemorySize = maxComputeSharedMemorySize;
    FailureOr<SmallVector<int64_t>> argOffsets = computeArgOffsets(module);
    // Before the check: it counts the buffers that remain, the real total.
    shareWorkgroupMemory(module);
    if (failed(checkTarget(module, features)) || failed(argOffsets))
      return signalPassFailure();
    if (failed(prepareMath(module, features)))
      return signalPassFailure();
    narrowComparisons(module);
    kitethread::defineIntegerDivision(module);
    remaindersBySign(module);
    computeZeroOperandsExactly(module);
    kitethread::exactFloatRemainders(module, features.float64);
    // MLIR's scf.for -> spirv.mlir.loop keeps a loop's results in variables
    // that only the loop body writes: a loop that runs no iteration returned
    // zeros instead of its initial values (for i in range(n) with n = 0).
    // scf.while converts correctly.
    {
      OpPassManager forToWhile(ModuleOp::getOperationName());
      forToWhile.addNestedPass<func::FuncOp>(createForToWhileLoopPass());
      if (failed(runPipeline(forToWhile, module)))
        return signalPassFailure();
    }

    spirv::MemorySpaceToStorageClassConverter spaces(mapMemorySpace);
    spirv::convertMemRefTypesAndAttrs(module, spaces);

    std::string name = kernel->getName().str();
    spirv::TargetEnvAttr targetEnv =
        getVulkanTargetEnv(&getContext(), features);
    spirv::ModuleOp spvModule = wrapInSPIRVModule(module, name, targetEnv);
    if (failed(convert(spvModule, targetEnv, *argOffsets)) ||
        failed(declareEntryPoint(spvModule, name, numThreads.getInt())))
      return signalPassFailure();
    markExactOps(spvModule);
  }

  /// Moves every function into a new spirv.module at the end of `module`.
  spirv::ModuleOp wrapInSPIRVModule(ModuleOp module, StringRef name,
                                    spirv::TargetEnvAttr targetEnv) {
    OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
    auto spvModule = spirv::ModuleOp::create(
        builder, module.getLoc(), spirv::AddressingModel::PhysicalStorageBuffer64,
        spirv::MemoryModel::GLSL450, std::nullopt, name);
    spvModule->setAttr(spirv::getTargetEnvAttrName(), targetEnv);
    Block *body = spvModule.getBody();
    for (Operation &op :
         llvm::make_early_inc_range(module.getBody()->getOperations()))
      if (&op != spvModule.getOperation())
        op.moveBefore(body, body->end());
    return spvModule;
  }

  LogicalResult convert(spirv::ModuleOp spvModule,
                        spirv::TargetEnvAttr targetEnv,
                        ArrayRef<int64_t> argOffsets) {
    SPIRVConversionOptions options;
    // Unsupported types were reported by checkTarget, not emulated.
    options.emulateLT32BitScalarTypes = false;
    options.emulateUnsupportedFloatTypes = false;
    SPIRVTypeConverter converter(targetEnv, options);
    std::unique_ptr<ConversionTarget> target =
        SPIRVConversionTarget::get(targetEnv);

    RewritePatternSet patterns(&getContext());
    ScfToSPIRVContext scfContext;
    arith::populateArithToSPIRVPatterns(converter, patterns);
    populateMathToSPIRVPatterns(converter, patterns);
    populateSCFToSPIRVPatterns(converter, scfContext, patterns);
    populateFuncToSPIRVPatterns(converter, patterns);
    populateGPUToSPIRVPatterns(converter, patterns);
    populateMemRefToSPIRVPatterns(converter, patterns);
    populateVectorToSPIRVPatterns(converter, patterns);
    ub::populateUBToSPIRVConversionPatterns(converter, patterns);
    populateKernelABIPatterns(converter, argOffsets, patterns);
    populateMemoryOpPatterns(converter, patterns);
    populateAtomicOpPatterns(converter, atomicFloatAdd, patterns);
    populateDebugOpPatterns(converter, patterns);
    populateMathOpPatterns(converter, patterns);
    return applyFullConversion(spvModule, *target, std::move(patterns));
  }

  /// The GLCompute entry point: SPIR-V 1.4+ lists every global variable the
  /// kernel uses in its interface, not only Input/Output ones.
  LogicalResult declareEntryPoint(spirv::ModuleOp spvModule, StringRef name,
                                  int32_t numThreads) {
    auto fn = spvModule.lookupSymbol<spirv::FuncOp>(name);
    fn->removeAttr(spirv::getEntryPointABIAttrName());
    fn->removeAttr(kite::KiteDialect::getKernelAttrName());
    llvm::SetVector<Attribute> interface;
    spvModule.walk([&](spirv::AddressOfOp op) {
      interface.insert(op.getVariableAttr());
    });
    OpBuilder builder = OpBuilder::atBlockEnd(spvModule.getBody());
    spirv::EntryPointOp::create(builder, fn.getLoc(),
                                spirv::ExecutionModel::GLCompute, fn,
                                interface.getArrayRef());
    spirv::ExecutionModeOp::create(builder, fn.getLoc(), fn,
                                   spirv::ExecutionMode::LocalSize,
                                   {numThreads, 1, 1});
    // Without it the driver may fold x * 0.0 to 0 and -0.0 + 0.0 to -0.0 as
    // if there were no infinities, NaNs or signed zeros (lavapipe does),
    // unlike the interpreter and the GPUs' PTX.
    bool preserved = false;
    for (int32_t width : {16, 32, 64})
      if (signedZeroInfNanPreserveWidths & unsigned(width)) {
        spirv::ExecutionModeOp::create(
            builder, fn.getLoc(), fn,
            spirv::ExecutionMode::SignedZeroInfNanPreserve, {width});
        preserved = true;
      }
    // Fold the repeated push-constant reads, then record the capabilities
    // and extensions the module uses. The version stays 1.5 (Vulkan 1.2):
    // the interface above needs 1.4 or later.
    OpPassManager pm(spirv::ModuleOp::getOperationName());
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createCSEPass());
    pm.addPass(spirv::createSPIRVUpdateVCEPass());
    if (failed(runPipeline(pm, spvModule)))
      return failure();
    spirv::VerCapExtAttr deduced = *spvModule.getVceTriple();
    SmallVector<spirv::Capability> caps(deduced.getCapabilities());
    SmallVector<spirv::Extension> exts(deduced.getExtensions());
    addMissedCapabilities(spvModule, caps, exts);
    if (preserved &&
        !llvm::is_contained(caps, spirv::Capability::SignedZeroInfNanPreserve))
      caps.push_back(spirv::Capability::SignedZeroInfNanPreserve);
    spvModule.setVceTripleAttr(spirv::VerCapExtAttr::get(
        spirv::Version::V_1_5, caps, exts, &getContext()));
    spvModule->removeAttr(spirv::getTargetEnvAttrName());
    return success();
  }
};
} // namespace
