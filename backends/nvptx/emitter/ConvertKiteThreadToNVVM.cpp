//===- ConvertKiteThreadToNVVM.cpp - thread-level IR to LLVM + NVVM -------===//
//
// 1. the kernel's launch arguments become function parameters (in the order
//    of `kitethread.arg-types`, or of the kernel_arg indices);
// 2. masked loads, stores and atomics become scf.if around unmasked ones;
// 3. workgroup memref.alloc become memref.global in shared memory;
// 4. math functions the NVPTX backend cannot select (exp, log, sin, ...) are
//    rewritten as f32 polynomials (no libdevice); f64 ones are reported;
// 5. scf -> cf, then one conversion to the LLVM dialect with the upstream
//    arith/math/cf/func/memref/vector/ub and GPU->NVVM patterns, the
//    kitethread patterns below and print/assert (DebugOpsToNVVM.cpp);
// 6. the kernel is marked nvvm.kernel with nvvm.reqntid: launches always use
//    exactly num-threads threads, and ptxas allocates registers better knowing
//    it (with only .maxntid, ptxas 13 spilled a 32x32x16 matmul at 48
//    registers on sm_90).
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/emitter/Passes.h"
#include "backends/nvptx/emitter/DebugOpsToNVVM.h"
#include "dialects/Kite/KiteDialect.h"
#include "dialects/KiteThread/KiteThreadModule.h"
#include "dialects/KiteThread/KiteThreadDialect.h"
#include "dialects/KiteThread/KiteThreadOps.h"

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
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Pass/PassManager.h"
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

/// Masked accesses -> scf.if around the unmasked access; masked off, a load
/// yields `other` (or zero) and an atomic zero.
static void lowerMasks(ModuleOp module) {
  auto zero = [](OpBuilder &b, Location loc, Type type) -> Value {
    return arith::ConstantOp::create(b, loc, cast<TypedAttr>(b.getZeroAttr(type)));
  };
  module.walk([&](kitethread::LoadOp op) {
    if (!op.getMask())
      return;
    OpBuilder b(op);
    Location loc = op.getLoc();
    auto ifOp = scf::IfOp::create(b, loc, op.getType(), op.getMask(),
                                  /*withElseRegion=*/true);
    b.setInsertionPointToStart(ifOp.thenBlock());
    auto load = kitethread::LoadOp::create(b, loc, op.getType(), op.getAddr(),
                                           Value(), Value(),
                                           op.getAlignmentAttr());
    scf::YieldOp::create(b, loc, load.getResult());
    b.setInsertionPointToStart(ifOp.elseBlock());
    Value other = op.getOther() ? op.getOther() : zero(b, loc, op.getType());
    scf::YieldOp::create(b, loc, other);
    op.replaceAllUsesWith(ifOp.getResult(0));
    op.erase();
  });
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
    auto rmw = kitethread::AtomicRMWOp::create(b, loc, op.getType(),
                                               op.getKindAttr(), op.getAddr(),
                                               op.getVal(), Value());
    scf::YieldOp::create(b, loc, rmw.getResult());
    b.setInsertionPointToStart(ifOp.elseBlock());
    scf::YieldOp::create(b, loc, zero(b, loc, op.getType()));
    op.replaceAllUsesWith(ifOp.getResult(0));
    op.erase();
  });
}

/// Workgroup memref.alloc -> a memref.global in shared memory (address space
/// 3 after the GPU->NVVM type conversion), 16-byte aligned.
static LogicalResult allocateSharedMemory(ModuleOp module) {
  SmallVector<memref::AllocOp> allocs;
  module.walk([&](memref::AllocOp op) { allocs.push_back(op); });
  OpBuilder moduleBuilder = OpBuilder::atBlockBegin(module.getBody());
  unsigned counter = 0;
  for (memref::AllocOp alloc : allocs) {
    MemRefType type = alloc.getType();
    auto space = dyn_cast_or_null<gpu::AddressSpaceAttr>(type.getMemorySpace());
    if (!space || space.getValue() != gpu::AddressSpace::Workgroup)
      continue; // private arrays go through memref-to-llvm as allocas
    if (!type.hasStaticShape())
      return alloc.emitError() << "shared memory needs a static shape";
    std::string name = "__kite_shared_" + std::to_string(counter++);
    memref::GlobalOp::create(
        moduleBuilder, alloc.getLoc(), name, moduleBuilder.getStringAttr("private"),
        type, moduleBuilder.getUnitAttr(), /*constant=*/false,
        moduleBuilder.getI64IntegerAttr(16));
    OpBuilder b(alloc);
    auto global = memref::GetGlobalOp::create(b, alloc.getLoc(), type, name);
    for (Operation *user : llvm::make_early_inc_range(alloc->getUsers()))
      if (isa<memref::DeallocOp>(user))
        user->erase();
    alloc.replaceAllUsesWith(global.getResult());
    alloc.erase();
  }
  return success();
}

/// The math functions the NVPTX backend has no instruction for (it would
/// need libdevice): f16 ones run in f32, f32 ones become MLIR's polynomial
/// approximations; f64 ones are an error.
static LogicalResult prepareMath(ModuleOp module) {
  static const llvm::StringSet<> expanded = {
      "acos",  "asin", "atan",  "atan2", "cbrt",  "cos",   "erf",  "erfc",
      "exp",   "expm1", "log",  "log1p", "log2",  "sin",   "tanh", "tan",
      "powf",  "sinh", "cosh",  "asinh", "acosh", "atanh", "fpowi", "ipowi"};
  bool ok = true;
  module.walk([&](Operation *op) {
    if (!isa<math::MathDialect>(op->getDialect()) || op->getNumResults() != 1)
      return;
    StringRef name = op->getName().stripDialect();
    if (!expanded.contains(name) && name != "exp2")
      return;
    Type element = getElementTypeOrSelf(op->getResult(0).getType());
    if (element.isF64()) {
      op->emitError() << "'" << op->getName()
                      << "' on f64 is not supported on NVPTX yet: it needs "
                         "libdevice, which Kite does not link";
      ok = false;
    }
  });
  if (!ok)
    return failure();
  RewritePatternSet patterns(module.getContext());
  // tan, sinh, powf, ... in terms of exp, log, sin, cos.
  math::populateExpansionPatterns(patterns, {"tan", "sinh", "cosh", "asinh",
                                             "acosh", "atanh", "powf", "fpowi",
                                             "ipowi", "exp2"});
  // Upstream asks with the op's full name ("math.exp").
  auto predicate = [&](StringRef name) {
    name.consume_front("math.");
    return expanded.contains(name);
  };
  populateMathF32ExpansionPatterns(patterns, predicate);
  populateMathPolynomialApproximationPatterns(patterns, predicate);
  return applyPatternsGreedily(module, std::move(patterns));
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

/// Device scope, acquire-release (docs/kitethread-dialect.md).
constexpr StringLiteral kDeviceScope = "device";

static LLVM::AtomicBinOp getBinOp(kite::RMWOp kind) {
  switch (kind) {
  case kite::RMWOp::Add:
    return LLVM::AtomicBinOp::add;
  case kite::RMWOp::FAdd:
    return LLVM::AtomicBinOp::fadd;
  case kite::RMWOp::Max:
    return LLVM::AtomicBinOp::max;
  case kite::RMWOp::UMax:
    return LLVM::AtomicBinOp::umax;
  case kite::RMWOp::Min:
    return LLVM::AtomicBinOp::min;
  case kite::RMWOp::UMin:
    return LLVM::AtomicBinOp::umin;
  case kite::RMWOp::FMax:
    return LLVM::AtomicBinOp::fmax;
  case kite::RMWOp::FMin:
    return LLVM::AtomicBinOp::fmin;
  case kite::RMWOp::And:
    return LLVM::AtomicBinOp::_and;
  case kite::RMWOp::Or:
    return LLVM::AtomicBinOp::_or;
  case kite::RMWOp::Xor:
    return LLVM::AtomicBinOp::_xor;
  case kite::RMWOp::Xchg:
    return LLVM::AtomicBinOp::xchg;
  }
  llvm_unreachable("unknown RMW kind");
}

struct AtomicRMWLowering : ConvertOpToLLVMPattern<kitethread::AtomicRMWOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult
  matchAndRewrite(kitethread::AtomicRMWOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getMask())
      return rewriter.notifyMatchFailure(op, "masks are lowered before");
    Value ptr = globalPointer(rewriter, op.getLoc(), adaptor.getAddr());
    unsigned bytes = op.getType().getIntOrFloatBitWidth() / 8;
    rewriter.replaceOpWithNewOp<LLVM::AtomicRMWOp>(
        op, getBinOp(op.getKind()), ptr, adaptor.getVal(),
        LLVM::AtomicOrdering::acq_rel, kDeviceScope, bytes);
    return success();
  }
};

struct AtomicCASLowering : ConvertOpToLLVMPattern<kitethread::AtomicCASOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult
  matchAndRewrite(kitethread::AtomicCASOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type type = op.getType();
    unsigned bits = type.getIntOrFloatBitWidth();
    // cmpxchg takes integers: floats go through their bits.
    Type intType = rewriter.getIntegerType(bits);
    auto toInt = [&](Value v) -> Value {
      return isa<FloatType>(type) ? LLVM::BitcastOp::create(rewriter, loc,
                                                            intType, v)
                                  : v;
    };
    Value ptr = globalPointer(rewriter, loc, adaptor.getAddr());
    auto cas = LLVM::AtomicCmpXchgOp::create(
        rewriter, loc, ptr, toInt(adaptor.getCmp()), toInt(adaptor.getVal()),
        LLVM::AtomicOrdering::acq_rel, LLVM::AtomicOrdering::acquire,
        kDeviceScope, bits / 8);
    Value old = LLVM::ExtractValueOp::create(rewriter, loc, cas, 0);
    if (isa<FloatType>(type))
      old = LLVM::BitcastOp::create(rewriter, loc, type, old);
    rewriter.replaceOp(op, old);
    return success();
  }
};

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
    lowerMasks(module);
    if (failed(allocateSharedMemory(module)) || failed(prepareMath(module)))
      return signalPassFailure();

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
                 StoreLowering, AtomicRMWLowering, AtomicCASLowering>(converter);
    kitenvptx::populateDebugOpsToNVVMPatterns(converter, patterns);

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
                      << "' has no NVPTX instruction and Kite does not link "
                         "libdevice";
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
  }
};
} // namespace
