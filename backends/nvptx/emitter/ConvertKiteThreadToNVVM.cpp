//===- ConvertKiteThreadToNVVM.cpp - thread-level IR to LLVM + NVVM -------===//
//
// 1. the kernel's launch arguments become function parameters (in the order
//    of `kitethread.arg-types`, or of the kernel_arg indices);
// 2. masked loads become predicated `ld.global` in inline PTX
//    (MaskedLoadsToNVVM.cpp); masked stores and atomics scf.if around
//    unmasked ones;
// 3. workgroup memref.alloc become views of one dynamic shared-memory
//    array, overlapped where their live ranges allow;
// 4. math functions the NVPTX backend cannot select (exp, log, sin, ...) are
//    rewritten (MathOpsToNVVM.cpp): f32 polynomials, or calls of libdevice
//    for f64 and f32 sin/cos/tan (Libdevice.cpp); shuffles of values that are
//    not 32 bits wide become 32-bit ones (WideShuffles.cpp);
// 5. scf -> cf, then one conversion to the LLVM dialect with the upstream
//    arith/math/cf/func/memref/vector/ub and GPU->NVVM patterns, the
//    kitethread patterns below, atomics (AtomicOpsToNVVM.cpp),
//    print/assert (DebugOpsToNVVM.cpp), mma_sync (MmaToNVVM.cpp) and the
//    hardware float conversions (FloatConversionsToNVVM.cpp);
// 6. the kernel is marked nvvm.kernel with nvvm.reqntid and nvvm.minctasm = 1
//    (see the end of the pass): launches always use
//    exactly num-threads threads, and ptxas allocates registers better knowing
//    it (with only .maxntid, ptxas 13 spilled a 32x32x16 matmul at 48
//    registers on sm_90).
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/emitter/AtomicOpsToNVVM.h"
#include "backends/nvptx/emitter/DebugOpsToNVVM.h"
#include "backends/nvptx/emitter/FloatConversionsToNVVM.h"
#include "backends/nvptx/emitter/Libdevice.h"
#include "backends/nvptx/emitter/MaskedLoadsToNVVM.h"
#include "backends/nvptx/emitter/MathOpsToNVVM.h"
#include "backends/nvptx/emitter/AsyncCopiesToNVVM.h"
#include "backends/nvptx/emitter/TmaToNVVM.h"
#include "backends/nvptx/emitter/MmaToNVVM.h"
#include "backends/nvptx/emitter/Passes.h"
#include "backends/nvptx/emitter/WideShuffles.h"
#include "dialects/Kite/KiteDialect.h"
#include "dialects/KiteThread/KiteThreadDialect.h"
#include "dialects/KiteThread/KiteThreadModule.h"
#include "dialects/KiteThread/KiteThreadOps.h"
#include "dialects/KiteThread/WorkgroupBufferPlacement.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/GPUToNVVM/GPUToNVVMPass.h"
#include "mlir/Conversion/LLVMCommon/ConversionTarget.h"
#include "mlir/Conversion/LLVMCommon/Pattern.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::kitenvptx {
#define GEN_PASS_DEF_CONVERTKITETHREADTONVVM
#include "backends/nvptx/emitter/Passes.h.inc"
} // namespace mlir::kitenvptx

using namespace mlir;

/// kernel_arg i -> the kernel's i-th parameter.
static void materializeArguments(func::FuncOp kernel, ArrayRef<Type> types) {
  kernel.setFunctionType(
      FunctionType::get(kernel.getContext(), types, /*results=*/{}));
  Block &entry = kernel.getBody().front();
  for (Type type : types)
    entry.addArgument(type, kernel.getLoc());
  kernel.walk([&](kitethread::KernelArgOp op) {
    op.replaceAllUsesWith(entry.getArgument(op.getIndex()));
    op.erase();
  });
}

/// Masked stores and atomics -> scf.if around the unmasked access; masked
/// off, an atomic yields zero. (Masked loads are predicated instead.)
static void lowerMasks(ModuleOp module) {
  auto zero = [](OpBuilder &b, Location loc, Type type) -> Value {
    return arith::ConstantOp::create(b, loc, cast<TypedAttr>(b.getZeroAttr(type)));
  };
  module.walk([&](kitethread::StoreOp op) {
    if (!op.getMask())
      return;
    OpBuilder b(op);
    auto ifOp = scf::IfOp::create(b, op.getLoc(), TypeRange{}, op.getMask(),
                                  /*withElseRegion=*/false);
    b.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    kitethread::StoreOp::create(b, op.getLoc(), op.getAddr(), op.getValue(),
                                Value(), op.getAlignmentAttr());
    op.erase();
  });
  module.walk([&](kitethread::AtomicRMWOp op) {
    if (!op.getMask())
      return;
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto ifOp = scf::IfOp::create(b, loc, op.getType(), op.getMask(),
                                  /*withElseRegion=*/true);
    b.setInsertionPointToStart(ifOp.thenBlock());
    auto rmw = kitethread::AtomicRMWOp::create(
        b, loc, op.getType(), op.getKindAttr(), op.getAddr(), op.getVal(),
        Value(), op.getSemAttr(), op.getScopeAttr());
    scf::YieldOp::create(b, loc, rmw.getResult());
    b.setInsertionPointToStart(ifOp.elseBlock());
    scf::YieldOp::create(b, loc, zero(b, loc, op.getType()));
    op.replaceAllUsesWith(ifOp.getResult(0));
    op.erase();
  });
}

/// Workgroup memref.alloc -> views of one dynamic shared-memory array,
/// `extern .shared .align 16 .b8 __kite_shared[]` (more where a buffer asks
/// for more alignment; address space 3 after the
/// GPU->NVVM type conversion), sized at launch: the module's
/// `kitenvptx.shared-bytes` says how many bytes.
///
/// Buffers share bytes where their live ranges do not overlap: first fit,
/// in order of first use, 16-byte aligned (WorkgroupBufferPlacement.h, as
/// the SPIR-V emitter places its buffers).
static LogicalResult allocateSharedMemory(ModuleOp module) {
  struct Buffer {
    memref::AllocOp alloc;
    kitethread::LiveRange live;
    int64_t bytes, alignment, offset = 0;
  };
  kitethread::BufferLiveness liveness(module);
  SmallVector<Buffer> buffers;
  WalkResult walk = module.walk([&](memref::AllocOp alloc) {
    MemRefType type = alloc.getType();
    auto space = dyn_cast_or_null<gpu::AddressSpaceAttr>(type.getMemorySpace());
    if (!space || space.getValue() != gpu::AddressSpace::Workgroup)
      return WalkResult::advance(); // private arrays go through memref-to-llvm
    if (!type.hasStaticShape() || !type.getLayout().isIdentity()) {
      alloc.emitError() << "shared memory needs a static, row-major shape";
      return WalkResult::interrupt();
    }
    int64_t bytes = type.getNumElements() *
                    llvm::divideCeil(type.getElementTypeBitWidth(), 8);
    // wgmma's swizzled operands: aligned to their swizzle's period
    // (kitethread.alignment, set by the thread lowering).
    int64_t alignment = 16;
    if (auto attr = alloc->getAttrOfType<IntegerAttr>(kitethread::kAlignmentAttr))
      alignment = std::max<int64_t>(alignment, attr.getInt());
    buffers.push_back({alloc, liveness.of(alloc), bytes, alignment});
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();

  llvm::stable_sort(buffers, [](const Buffer &a, const Buffer &b) {
    return a.live.first < b.live.first;
  });
  kitethread::FirstFitPlacement placement(/*alignment=*/16);
  int64_t alignment = 16;
  for (Buffer &buffer : buffers) {
    buffer.offset =
        placement.place(buffer.live, buffer.bytes, buffer.alignment);
    alignment = std::max(alignment, buffer.alignment);
  }
  int64_t total = placement.size();
  module->setAttr("kitenvptx.shared-bytes",
                  Builder(module.getContext()).getI64IntegerAttr(total));
  if (buffers.empty())
    return success();

  MLIRContext *context = module.getContext();
  auto workgroup = gpu::AddressSpaceAttr::get(context, gpu::AddressSpace::Workgroup);
  auto arrayType = MemRefType::get({0}, IntegerType::get(context, 8),
                                   MemRefLayoutAttrInterface(), workgroup);
  OpBuilder moduleBuilder = OpBuilder::atBlockBegin(module.getBody());
  memref::GlobalOp::create(moduleBuilder, module.getLoc(), "__kite_shared",
                           moduleBuilder.getStringAttr("public"), arrayType,
                           /*initial_value=*/Attribute(), /*constant=*/false,
                           moduleBuilder.getI64IntegerAttr(alignment));
  for (Buffer &buffer : buffers) {
    memref::AllocOp alloc = buffer.alloc;
    OpBuilder b(alloc);
    Location loc = alloc.getLoc();
    Value base = memref::GetGlobalOp::create(b, loc, arrayType, "__kite_shared");
    Value offset = arith::ConstantIndexOp::create(b, loc, buffer.offset);
    auto view = memref::ViewOp::create(b, loc, alloc.getType(), base, offset,
                                       ValueRange{});
    for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
      if (isa<memref::DeallocOp>(user))
        user->erase();
    alloc.replaceAllUsesWith(view.getResult());
    alloc.erase();
  }
  return success();
}

namespace {
template <typename Op>
struct GridOpLowering : ConvertOpToLLVMPattern<Op> {
  using ConvertOpToLLVMPattern<Op>::ConvertOpToLLVMPattern;
  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type i32 = rewriter.getI32Type();
    Location loc = op.getLoc();
    Value value;
    constexpr bool isId = std::is_same_v<Op, kitethread::ProgramIdOp>;
    switch (op.getAxis()) {
    case 0:
      value = isId ? NVVM::BlockIdXOp::create(rewriter, loc, i32).getResult()
                   : NVVM::GridDimXOp::create(rewriter, loc, i32).getResult();
      break;
    case 1:
      value = isId ? NVVM::BlockIdYOp::create(rewriter, loc, i32).getResult()
                   : NVVM::GridDimYOp::create(rewriter, loc, i32).getResult();
      break;
    default:
      value = isId ? NVVM::BlockIdZOp::create(rewriter, loc, i32).getResult()
                   : NVVM::GridDimZOp::create(rewriter, loc, i32).getResult();
      break;
    }
    rewriter.replaceOp(op, value);
    return success();
  }
};

/// A global pointer (address space 1) at the i64 device address.
static Value globalPointer(OpBuilder &b, Location loc, Value addr) {
  return LLVM::IntToPtrOp::create(
      b, loc, LLVM::LLVMPointerType::get(b.getContext(), 1), addr);
}

struct LoadLowering : ConvertOpToLLVMPattern<kitethread::LoadOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult
  matchAndRewrite(kitethread::LoadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getMask())
      return rewriter.notifyMatchFailure(op, "masks are lowered before");
    Type type = getTypeConverter()->convertType(op.getType());
    Value ptr = globalPointer(rewriter, op.getLoc(), adaptor.getAddr());
    rewriter.replaceOpWithNewOp<LLVM::LoadOp>(op, type, ptr, op.getAlignment());
    return success();
  }
};

struct StoreLowering : ConvertOpToLLVMPattern<kitethread::StoreOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult
  matchAndRewrite(kitethread::StoreOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getMask())
      return rewriter.notifyMatchFailure(op, "masks are lowered before");
    Value ptr = globalPointer(rewriter, op.getLoc(), adaptor.getAddr());
    rewriter.replaceOpWithNewOp<LLVM::StoreOp>(op, adaptor.getValue(), ptr,
                                               op.getAlignment());
    return success();
  }
};

/// kitethread.gdc_wait / gdc_launch_dependents: griddepcontrol on sm_90 and
/// later. Older architectures have no programmatic dependent launch (each
/// launch starts after the previous one ends): nothing to wait for.
template <typename Op, NVVM::GridDepActionKind kind>
struct GridDependencyLowering : ConvertOpToLLVMPattern<Op> {
  GridDependencyLowering(const LLVMTypeConverter &converter, unsigned smVersion)
      : ConvertOpToLLVMPattern<Op>(converter), smVersion(smVersion) {}
  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (smVersion >= 90)
      NVVM::GriddepcontrolOp::create(rewriter, op.getLoc(), kind);
    rewriter.eraseOp(op);
    return success();
  }
  unsigned smVersion;
};

/// 90 for "sm_90" and "sm_90a"; 0 when `chip` names no SM version.
static unsigned smVersion(StringRef chip) {
  unsigned version = 0;
  if (chip.consume_front("sm_"))
    (void)chip.take_while(llvm::isDigit).getAsInteger(10, version);
  return version;
}

struct ConvertKiteThreadToNVVMPass
    : kitenvptx::impl::ConvertKiteThreadToNVVMBase<ConvertKiteThreadToNVVMPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    FailureOr<func::FuncOp> kernel = kitethread::getKernel(module, "NVPTX");
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
    FailureOr<SmallVector<Type>> argTypes = kitethread::getLaunchArgTypes(module);
    if (failed(argTypes))
      return signalPassFailure();
    std::string name = kernel->getName().str();
    materializeArguments(*kernel, *argTypes);
    kitenvptx::predicateMaskedLoads(module);
    lowerMasks(module);
    if (failed(allocateSharedMemory(module)) || failed(kitenvptx::prepareMath(module)) ||
        failed(kitenvptx::splitShufflesTo32Bits(module)))
      return signalPassFailure();
    if (fpFusion)
      kitenvptx::allowFpFusion(module);

    // scf -> cf first: the LLVM patterns take unstructured control flow.
    {
      RewritePatternSet patterns(context);
      populateSCFToControlFlowConversionPatterns(patterns);
      ConversionTarget target(*context);
      target.addIllegalOp<scf::ForOp, scf::IfOp, scf::IndexSwitchOp,
                          scf::ParallelOp, scf::WhileOp,
                          scf::ExecuteRegionOp>();
      target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
      if (failed(applyPartialConversion(module, target, std::move(patterns))))
        return signalPassFailure();
    }

    LowerToLLVMOptions options(context);
    LLVMTypeConverter converter(context, options);
    configureGpuToNVVMTypeConverter(converter);
    RewritePatternSet patterns(context);
    arith::populateArithToLLVMConversionPatterns(converter, patterns);
    populateMathToLLVMConversionPatterns(converter, patterns);
    cf::populateControlFlowToLLVMConversionPatterns(converter, patterns);
    populateFuncToLLVMConversionPatterns(converter, patterns);
    populateFinalizeMemRefToLLVMConversionPatterns(converter, patterns);
    populateVectorToLLVMConversionPatterns(converter, patterns);
    ub::populateUBToLLVMConversionPatterns(converter, patterns);
    {
      // Only the gpu-op patterns: the set also maps math and arith ops to
      // libdevice calls (__nv_expf, __nv_fmaf), which Kite does not link;
      // those ops go through MathToLLVM/ArithToLLVM to LLVM intrinsics.
      RewritePatternSet gpuPatterns(context);
      populateGpuToNVVMConversionPatterns(converter, gpuPatterns);
      for (std::unique_ptr<RewritePattern> &pattern :
           gpuPatterns.getNativePatterns()) {
        std::optional<OperationName> root = pattern->getRootKind();
        if (root && root->getDialectNamespace() ==
                        gpu::GPUDialect::getDialectNamespace())
          patterns.add(std::move(pattern));
      }
    }
    patterns.add<GridOpLowering<kitethread::ProgramIdOp>,
                 GridOpLowering<kitethread::NumProgramsOp>, LoadLowering,
                 StoreLowering>(converter);
    patterns.add<
        GridDependencyLowering<kitethread::GdcWaitOp,
                               NVVM::GridDepActionKind::wait>,
        GridDependencyLowering<kitethread::GdcLaunchDependentsOp,
                               NVVM::GridDepActionKind::launch_dependents>>(
        converter, smVersion(chip));
    kitenvptx::populateAtomicOpsToNVVMPatterns(converter, smVersion(chip),
                                               patterns);
    kitenvptx::populateDebugOpsToNVVMPatterns(converter, patterns);
    kitenvptx::populateMmaToNVVMPatterns(converter, patterns);
    kitenvptx::populateAsyncCopiesToNVVMPatterns(converter, patterns);
    kitenvptx::populateTmaToNVVMPatterns(converter, patterns);
    kitenvptx::populateFloatConversionsToNVVMPatterns(converter, patterns);

    LLVMConversionTarget target(*context);
    // Not configureGpuToNVVMConversionLegality: it makes llvm.intr.floor,
    // sqrt, ... illegal (for libdevice), but the NVPTX backend selects them.
    target.addLegalDialect<NVVM::NVVMDialect>();
    target.addLegalOp<ModuleOp>();
    target.addIllegalDialect<kitethread::KiteThreadDialect, arith::ArithDialect,
                             math::MathDialect, cf::ControlFlowDialect,
                             func::FuncDialect, memref::MemRefDialect,
                             vector::VectorDialect, gpu::GPUDialect,
                             ub::UBDialect>();
    if (failed(applyFullConversion(module, target, std::move(patterns))))
      return signalPassFailure();
    OpPassManager cleanup(ModuleOp::getOperationName());
    cleanup.addPass(createReconcileUnrealizedCastsPass());
    if (failed(runPipeline(cleanup, module)))
      return signalPassFailure();

    // What the NVPTX backend cannot select would abort LLVM: report it.
    WalkResult unsupported = module.walk([&](Operation *op) {
      if (!isa<LLVM::ExpOp, LLVM::LogOp, LLVM::Log10Op, LLVM::Log2Op,
               LLVM::PowOp, LLVM::SinOp, LLVM::CosOp, LLVM::TanOp,
               LLVM::TanhOp, LLVM::SinhOp, LLVM::CoshOp, LLVM::ASinOp,
               LLVM::ACosOp, LLVM::ATanOp, LLVM::ATan2Op, LLVM::Exp10Op>(op) &&
          !(isa<LLVM::Exp2Op>(op) &&
            getElementTypeOrSelf(op->getResult(0).getType()).isF64()))
        return WalkResult::advance();
      op->emitError() << "'" << op->getName()
                      << "' has no NVPTX instruction, and Kite calls no "
                         "libdevice function for it";
      return WalkResult::interrupt();
    });
    if (unsupported.wasInterrupted())
      return signalPassFailure();

    auto fn = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
    if (!fn) {
      module.emitError() << "the kernel '" << name << "' was not converted";
      return signalPassFailure();
    }
    fn->removeAttr(kite::KiteDialect::getKernelAttrName());
    OpBuilder b(context);
    fn->setAttr(NVVM::NVVMDialect::getKernelFuncAttrName(), b.getUnitAttr());
    fn->setAttr(NVVM::NVVMDialect::getReqntidAttrName(),
                b.getDenseI32ArrayAttr(
                    {static_cast<int32_t>(numThreads.getInt()), 1, 1}));
    // One resident block per SM is enough: without this, ptxas 13 caps
    // registers for an occupancy it guesses, and spilled (layernorm of 8192
    // columns at 8 warps: 80 registers and 24 bytes of spills on sm_90).
    fn->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(), b.getI32IntegerAttr(1));
  }
};
} // namespace
