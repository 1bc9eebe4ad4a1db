//===- DebugOpsToSPIRV.cpp - print, assert and debug_barrier on Vulkan ----===//
//
// Vulkan has no printf of its own: device printing needs the
// NonSemantic.DebugPrintf instruction set and a validation layer to collect
// the output. With SpirvOptions::debugBuffer, print and assert were turned
// into debug-buffer records before (DebugBuffer.cpp); without it (the C++
// JIT API), they are dropped here, with a remark saying so
// (docs/spirv-emitter.md); the interpreter runs them.
//
// kitethread.gdc_wait and gdc_launch_dependents are dropped: Vulkan runs
// dispatches of one queue in order, so there is no dependent launch to
// control.
//
// A gpu.barrier marked kitethread.global_memory (kl.debug_barrier's, and
// those around a scalar atomic) orders global memory too: the upstream
// pattern's semantics cover workgroup memory only, and global pointers are
// PhysicalStorageBuffer (UniformMemory). Its memory scope is the workgroup,
// or the device for a gpu- or sys-scope atomic, whose ordering reaches the
// other workgroups.
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/emitter/KiteThreadToSPIRV.h"
#include "dialects/KiteThread/KiteThreadModule.h"
#include "dialects/KiteThread/KiteThreadOps.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVOps.h"

#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::kitespirv;

namespace {
template <typename Op>
struct DropWithRemark : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;

  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    op.emitRemark() << "'" << op->getName()
                    << "' is dropped: the SPIR-V emitter has no debug printf "
                       "support on Vulkan (run with KITE_INTERPRET=1 to see "
                       "it)";
    rewriter.eraseOp(op);
    return success();
  }
};

template <typename Op> struct Drop : OpConversionPattern<Op> {
  using OpConversionPattern<Op>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(Op op, typename Op::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.eraseOp(op);
    return success();
  }
};

struct GlobalMemoryBarrier : OpConversionPattern<gpu::BarrierOp> {
  GlobalMemoryBarrier(const TypeConverter &converter, MLIRContext *context)
      : OpConversionPattern(converter, context, /*benefit=*/2) {}

  LogicalResult
  matchAndRewrite(gpu::BarrierOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    std::optional<StringRef> scope = kitethread::getGlobalMemoryScope(op);
    if (!scope)
      return failure();
    auto semantics = spirv::MemorySemantics::AcquireRelease |
                     spirv::MemorySemantics::WorkgroupMemory |
                     spirv::MemorySemantics::UniformMemory;
    // Vulkan has no wider memory scope than Device: "sys" is Device too.
    spirv::Scope memoryScope =
        *scope == "cta" ? spirv::Scope::Workgroup : spirv::Scope::Device;
    rewriter.replaceOpWithNewOp<spirv::ControlBarrierOp>(
        op, spirv::Scope::Workgroup, memoryScope, semantics);
    return success();
  }
};
} // namespace

void mlir::kitespirv::populateDebugOpPatterns(
    const SPIRVTypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<DropWithRemark<kitethread::PrintOp>,
               DropWithRemark<kitethread::AssertOp>>(converter,
                                                     patterns.getContext());
  patterns.add<GlobalMemoryBarrier, Drop<kitethread::GdcWaitOp>,
               Drop<kitethread::GdcLaunchDependentsOp>>(converter,
                                                        patterns.getContext());
}
