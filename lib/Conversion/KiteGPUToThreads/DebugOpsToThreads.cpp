//===- DebugOpsToThreads.cpp - print, assert, barriers, gdc ---------------===//
//
// kite.gdc_wait and kite.gdc_launch_dependents (grid dependency control)
// become their kitethread ops, executed by every thread; each emitter
// decides what the target makes of them.
//
// Each thread prints the registers it holds (every operand's registers in
// turn, pointers as addresses) and asserts each register of the condition.
// Where the tensors printed (all of one type) are replicated (a 4-element
// block over 128 threads), only the threads owning their first register
// print, so that each value is printed once.
// `hex` and the unsigned flags are carried to kitethread.print, per register.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "dialects/Kite/KiteOps.h"
#include "dialects/KiteThread/KiteThreadModule.h"
#include "dialects/KiteThread/KiteThreadOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

using namespace mlir;
using namespace mlir::kitegpu;

namespace {

struct PrintToThreads : ThreadPattern<kite::PrintOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(kite::PrintOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    SmallVector<Value> values;
    SmallVector<bool> isUnsigned;
    std::optional<ArrayRef<bool>> argUnsigned = op.getIsUnsigned();
    for (auto [i, registers] : llvm::enumerate(adaptor.getArgs())) {
      llvm::append_range(values, registers);
      isUnsigned.append(registers.size(), argUnsigned && (*argUnsigned)[i]);
    }
    // Tensors of one type (shape and layout) have the same owners: print
    // from the owners of the first register; else every thread prints.
    RankedTensorType tensorType;
    bool oneType = true;
    for (Value arg : op.getArgs())
      if (auto tensor = dyn_cast<RankedTensorType>(arg.getType())) {
        oneType = oneType && (!tensorType || tensor == tensorType);
        tensorType = tensor;
      }
    Value owner;
    if (tensorType && oneType) {
      SmallVector<Value> owners =
          emitRegisterOwners(rewriter, loc, tensorType, grid);
      owner = owners.empty() ? Value() : owners.front();
    }
    if (owner) {
      auto ifOp = scf::IfOp::create(rewriter, loc, owner, /*withElse=*/false);
      rewriter.setInsertionPointToStart(&ifOp.getThenRegion().front());
    }
    DenseBoolArrayAttr flags;
    if (llvm::is_contained(isUnsigned, true))
      flags = rewriter.getDenseBoolArrayAttr(isUnsigned);
    kitethread::PrintOp::create(rewriter, loc, op.getPrefixAttr(),
                                op.getHexAttr(), flags, values);
    rewriter.eraseOp(op);
    return success();
  }
};

struct AssertToThreads : OpConversionPattern<kite::AssertOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(kite::AssertOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    for (Value cond : adaptor.getCond())
      kitethread::AssertOp::create(rewriter, op.getLoc(), cond,
                                   op.getMessageAttr());
    rewriter.eraseOp(op);
    return success();
  }
};

/// A barrier of the workgroup that also orders global memory (the SPIR-V
/// emitter reads the attribute; bar.sync does so on NVIDIA anyway).
struct DebugBarrierToThreads : OpConversionPattern<kite::DebugBarrierOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(kite::DebugBarrierOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto barrier = gpu::BarrierOp::create(rewriter, op.getLoc());
    barrier->setAttr(kitethread::kGlobalMemoryBarrierAttr,
                     rewriter.getUnitAttr());
    rewriter.eraseOp(op);
    return success();
  }
};

/// An assumption has told AxisInfo what it knows by now.
struct AssumeToThreads : OpConversionPattern<kite::AssumeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(kite::AssumeOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.eraseOp(op);
    return success();
  }
};

template <typename From, typename To>
struct GridDependencyToThreads : OpConversionPattern<From> {
  using OpConversionPattern<From>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(From op, typename From::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<To>(op);
    return success();
  }
};

} // namespace

void mlir::kitegpu::populateDebugOpsToThreads(const TypeConverter &converter,
                                              const ThreadGrid &grid,
                                              RewritePatternSet &patterns) {
  patterns.add<PrintToThreads>(converter, patterns.getContext(), grid);
  patterns.add<AssertToThreads, AssumeToThreads, DebugBarrierToThreads,
               GridDependencyToThreads<kite::GdcWaitOp, kitethread::GdcWaitOp>,
               GridDependencyToThreads<kite::GdcLaunchDependentsOp,
                                       kitethread::GdcLaunchDependentsOp>>(
      converter, patterns.getContext());
}
