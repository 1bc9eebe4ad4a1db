//===- ConvertKiteGPUToThreadsPass.cpp - convert-kitegpu-to-threads -------===//
//
// 1. check the module (target attributes, one kernel, layouts everywhere);
// 2. plan vector widths of loads/stores from AxisInfo (it needs the kernel's
//    arguments and their kite.divisibility, so it runs first);
// 3. kernel arguments become kitethread.kernel_arg, the kernel takes none;
// 4. a full dialect conversion with the 1:N type conversion (one file of
//    patterns per op family, scf through the upstream structural patterns);
// 5. the module records num-threads, arg-types and shared-bytes.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/Passes.h"
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "dialects/Kite/KiteDialect.h"
#include "dialects/KiteThread/KiteThreadOps.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "llvm/ADT/StringSwitch.h"

namespace mlir::kitegpu {
#define GEN_PASS_DEF_CONVERTKITEGPUTOTHREADS
#include "lib/Conversion/KiteGPUToThreads/Passes.h.inc"

/// Declared here, defined with the memory patterns.
AccessWidths planAccessWidths(ModuleOp module, int64_t maxVectorElements);
} // namespace mlir::kitegpu

using namespace mlir;
using namespace mlir::kitegpu;

ThreadTypeConverter::ThreadTypeConverter(MLIRContext *context) {
  // Tried last to first: tensors, pointers, then everything else unchanged.
  addConversion([](Type type) { return type; });
  addConversion([context](kite::PointerType) -> Type {
    return IntegerType::get(context, 64);
  });
  // bf16 and fp8 are computed in f32 registers and rounded
  // (EmulatedFloats.cpp).
  addConversion([context](FloatType type) -> Type {
    return isEmulatedFloat(type) ? Float32Type::get(context) : type;
  });
  // A shared-memory buffer is one workgroup buffer of all its elements.
  addConversion([](MemDescType type) -> Type {
    int64_t count = 1;
    for (int64_t size : type.getShape())
      count *= size;
    return getWorkgroupBufferType(type.getElementType(), count);
  });
  addConversion(
      [this](RankedTensorType type,
             SmallVectorImpl<Type> &results) -> std::optional<LogicalResult> {
        DistributedLayoutAttr layout = getLayout(type);
        if (!layout)
          return failure();
        Type element = convertType(type.getElementType());
        if (!element)
          return failure();
        results.append(layout.getTotalElemsPerThread(type.getShape()), element);
        return success();
      });
}

/// A tensor whose type has no distributed layout, if any.
static LogicalResult checkLayouts(func::FuncOp kernel) {
  WalkResult result = kernel.walk([](Operation *op) {
    auto bad = [](Type type) {
      auto tensor = dyn_cast<RankedTensorType>(type);
      return tensor && !getLayout(tensor);
    };
    for (Type type : op->getResultTypes())
      if (bad(type)) {
        op->emitOpError() << "has a tensor without a distributed layout ("
                          << type << "); run the kitegpu stage first";
        return WalkResult::interrupt();
      }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

/// Each argument becomes `kitethread.kernel_arg <index>` (pointers as i64
/// addresses, cast back until their users are converted); the kernel then
/// takes no arguments. Appends the launch argument types to `argTypes` and
/// the indexes of the pointers among them to `pointerArgs`.
static LogicalResult
lowerKernelArguments(func::FuncOp kernel, SmallVectorImpl<Attribute> &argTypes,
                     SmallVectorImpl<int32_t> &pointerArgs) {
  if (kernel.getNumResults())
    return kernel.emitError() << "a kernel returns nothing";
  OpBuilder b = OpBuilder::atBlockBegin(&kernel.front());
  for (BlockArgument arg : kernel.getArguments()) {
    Type type = arg.getType();
    Type threadType = type;
    if (isa<kite::PointerType>(type)) {
      threadType = b.getI64Type();
      pointerArgs.push_back(arg.getArgNumber());
    } else if (!type.isInteger(1) && !type.isInteger(8) &&
               !type.isInteger(16) && !type.isInteger(32) &&
               !type.isInteger(64) && !type.isF16() && !type.isF32() &&
               !type.isF64()) {
      return kernel.emitError()
             << "kernel argument " << arg.getArgNumber() << " has type " << type
             << ", which cannot be a launch argument";
    }
    Value value = kitethread::KernelArgOp::create(b, arg.getLoc(), threadType,
                                                  arg.getArgNumber());
    if (threadType != type)
      value = UnrealizedConversionCastOp::create(b, arg.getLoc(), type, value)
                  .getResult(0);
    arg.replaceAllUsesWith(value);
    argTypes.push_back(TypeAttr::get(threadType));
  }
  llvm::BitVector all(kernel.getNumArguments(), true);
  if (failed(kernel.eraseArguments(all)))
    return failure();
  return success();
}

/// Bytes of workgroup memory the kernel allocates, all buffers together
/// (an emitter that reuses bytes between buffers needs fewer).
static int64_t countSharedBytes(ModuleOp module) {
  int64_t bytes = 0;
  module.walk([&](memref::AllocOp alloc) {
    MemRefType type = alloc.getType();
    bytes += type.getNumElements() * getElementBytes(type.getElementType());
  });
  return bytes;
}

namespace {
struct ConvertKiteGPUToThreadsPass
    : kitegpu::impl::ConvertKiteGPUToThreadsBase<ConvertKiteGPUToThreadsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    ThreadGrid grid{getNumWarps(module), getThreadsPerWarp(module),
                    maxWorkgroupBytes, tensorCores};
    std::optional<FuseDequantize> fuse =
        llvm::StringSwitch<std::optional<FuseDequantize>>(fuseDequantize)
            .Case("unshared", FuseDequantize::Unshared)
            .Case("always", FuseDequantize::Always)
            .Case("never", FuseDequantize::Never)
            .Default(std::nullopt);
    if (!fuse) {
      module.emitError() << "convert-kitegpu-to-threads: fuse-dequantize is "
                            "unshared, always or never, not '"
                         << fuseDequantize << "'";
      return signalPassFailure();
    }
    grid.fuseDequantize = *fuse;
    grid.warpgroupMma = warpgroupMma;
    if (!grid.numWarps || !grid.threadsPerWarp) {
      module.emitError() << "convert-kitegpu-to-threads needs the module "
                            "attributes kitegpu.num-warps and "
                            "kitegpu.threads-per-warp (run the kitegpu stage)";
      return signalPassFailure();
    }
    SmallVector<func::FuncOp> kernels;
    for (auto fn : module.getOps<func::FuncOp>()) {
      if (!fn->hasAttr(kite::KiteDialect::getKernelAttrName()) ||
          fn.isExternal()) {
        fn.emitError() << "only kernels lower to threads (helpers are "
                          "inlined by the kite stage)";
        return signalPassFailure();
      }
      if (failed(checkLayouts(fn)))
        return signalPassFailure();
      kernels.push_back(fn);
    }

    AccessWidths widths = planAccessWidths(module, maxVectorElements);
    AccessWidths constantGroups = planConstantGroups(module);
    SmallVector<Attribute> argTypes;
    SmallVector<int32_t> pointerArgs;
    for (func::FuncOp kernel : kernels)
      if (failed(lowerKernelArguments(kernel, argTypes, pointerArgs)))
        return signalPassFailure();

    markFreeNaNBits(module);
    ThreadTypeConverter converter(context);
    ConversionTarget target(*context);
    target.addIllegalDialect<kite::KiteDialect, KiteGPUDialect>();
    target.addLegalDialect<kitethread::KiteThreadDialect, gpu::GPUDialect,
                           memref::MemRefDialect, vector::VectorDialect>();
    target.addLegalOp<ModuleOp, UnrealizedConversionCastOp>();
    target.addDynamicallyLegalOp<func::FuncOp>([&](func::FuncOp fn) {
      return converter.isSignatureLegal(fn.getFunctionType());
    });
    target.markUnknownOpDynamicallyLegal(
        [&](Operation *op) { return converter.isLegal(op); });

    RewritePatternSet patterns(context);
    scf::populateSCFStructuralTypeConversionsAndLegality(converter, patterns,
                                                         target);
    populateElementwiseToThreads(converter, grid, constantGroups, patterns);
    populateFp4ToThreads(converter, grid, patterns);
    populateMemoryOpsToThreads(converter, grid, widths, patterns);
    populateShapeOpsToThreads(converter, grid, patterns);
    populateReduceToThreads(converter, grid, patterns);
    populateScanToThreads(converter, grid, patterns);
    populateDotToThreads(converter, grid, patterns);
    populateGatherToThreads(converter, grid, patterns);
    populateConvertLayoutToThreads(converter, grid, patterns);
    populateDebugOpsToThreads(converter, grid, patterns);
    populateSharedMemoryToThreads(converter, grid, widths, patterns);
    populateTmaToThreads(converter, grid, patterns);
    if (failed(applyFullConversion(module, target, std::move(patterns))))
      return signalPassFailure();

    // The decoders' marks (EmulatedFloats.cpp) and the NaN marks served the
    // conversion only.
    module.walk([](Operation *op) {
      op->removeAttr(kDecodedAttrName);
      op->removeAttr(kNaNBitsFreeAttrName);
    });

    // The pointer arguments' casts meet the casts back to i64 and vanish.
    SmallVector<UnrealizedConversionCastOp> casts;
    module.walk([&](UnrealizedConversionCastOp op) { casts.push_back(op); });
    reconcileUnrealizedCasts(casts);
    drainAsyncWgmma(module);

    Builder b(context);
    module->setAttr(kitethread::KiteThreadDialect::getNumThreadsAttrName(),
                    b.getI32IntegerAttr(grid.getNumThreads()));
    module->setAttr(kitethread::KiteThreadDialect::getArgTypesAttrName(),
                    b.getArrayAttr(argTypes));
    module->setAttr(kitethread::KiteThreadDialect::getPointerArgsAttrName(),
                    b.getDenseI32ArrayAttr(pointerArgs));
    if (int64_t bytes = countSharedBytes(module))
      module->setAttr(kitethread::KiteThreadDialect::getSharedBytesAttrName(),
                      b.getI32IntegerAttr(bytes));
  }
};
} // namespace
