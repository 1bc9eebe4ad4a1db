//===- TmaToNVVM.cpp - kitethread TMA copies and mbarriers to NVVM --------===//
//
// The software pipeliner's copies of host tensor descriptors on Hopper
// (docs/lowering.md, "TMA"): one thread expects a slot's bytes on the
// slot's mbarrier and issues the boxes; every thread waits for the phase.
// The tensor map is in global memory (the launch wrote it), addressed
// generically.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/emitter/TmaToNVVM.h"

#include "dialects/KiteThread/KiteThreadOps.h"
#include "mlir/Conversion/LLVMCommon/Pattern.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;

namespace {
/// The address of `buffer[index]` (workgroup memory, a shared pointer).
Value elementAddress(const LLVMTypeConverter &converter,
                     ConversionPatternRewriter &rewriter, Location loc,
                     Value original, Value buffer, Value index) {
  Value wide =
      LLVM::ZExtOp::create(rewriter, loc, rewriter.getI64Type(), index);
  return LLVM::getStridedElementPtr(rewriter, loc, converter,
                                    cast<MemRefType>(original.getType()),
                                    buffer, {wide});
}

struct MbarrierInitLowering
    : ConvertOpToLLVMPattern<kitethread::MbarrierInitOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult
  matchAndRewrite(kitethread::MbarrierInitOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value address = elementAddress(*getTypeConverter(), rewriter, loc, op.getBarriers(),
                                   adaptor.getBarriers(), adaptor.getIndex());
    Value count = LLVM::ConstantOp::create(rewriter, loc, rewriter.getI32Type(),
                                           op.getCount());
    NVVM::MBarrierInitOp::create(rewriter, loc, address, count, Value());
    rewriter.eraseOp(op);
    return success();
  }
};

struct MbarrierInvalLowering
    : ConvertOpToLLVMPattern<kitethread::MbarrierInvalOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult
  matchAndRewrite(kitethread::MbarrierInvalOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value address =
        elementAddress(*getTypeConverter(), rewriter, op.getLoc(), op.getBarriers(),
                       adaptor.getBarriers(), adaptor.getIndex());
    NVVM::MBarrierInvalOp::create(rewriter, op.getLoc(), address);
    rewriter.eraseOp(op);
    return success();
  }
};

struct MbarrierArriveExpectTxLowering
    : ConvertOpToLLVMPattern<kitethread::MbarrierArriveExpectTxOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult
  matchAndRewrite(kitethread::MbarrierArriveExpectTxOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value address = elementAddress(*getTypeConverter(), rewriter, loc, op.getBarriers(),
                                   adaptor.getBarriers(), adaptor.getIndex());
    Value bytes = LLVM::ConstantOp::create(rewriter, loc, rewriter.getI32Type(),
                                           op.getBytes());
    NVVM::MBarrierArriveExpectTxOp::create(rewriter, loc, Type(), address,
                                           bytes, NVVM::MemScopeKind::CTA,
                                           /*relaxed=*/false, Value());
    rewriter.eraseOp(op);
    return success();
  }
};

struct MbarrierTryWaitLowering
    : ConvertOpToLLVMPattern<kitethread::MbarrierTryWaitOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult
  matchAndRewrite(kitethread::MbarrierTryWaitOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value address = elementAddress(*getTypeConverter(), rewriter, loc, op.getBarriers(),
                                   adaptor.getBarriers(), adaptor.getIndex());
    rewriter.replaceOpWithNewOp<NVVM::MBarrierTryWaitOp>(
        op, rewriter.getI1Type(), address, adaptor.getParity(), Value(),
        NVVM::MemScopeKind::CTA);
    return success();
  }
};

struct TmaLoadLowering : ConvertOpToLLVMPattern<kitethread::TmaLoadOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult
  matchAndRewrite(kitethread::TmaLoadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value dst = elementAddress(*getTypeConverter(), rewriter, loc, op.getBuffer(),
                               adaptor.getBuffer(), adaptor.getIndex());
    Value barrier = elementAddress(*getTypeConverter(), rewriter, loc, op.getBarriers(),
                                   adaptor.getBarriers(), adaptor.getBarrier());
    // shared::cluster addresses a CTA's own shared memory too.
    dst = LLVM::AddrSpaceCastOp::create(
        rewriter, loc,
        LLVM::LLVMPointerType::get(rewriter.getContext(),
                                   int(NVVM::NVVMMemorySpace::SharedCluster)),
        dst);
    Value map = LLVM::IntToPtrOp::create(
        rewriter, loc, LLVM::LLVMPointerType::get(rewriter.getContext()),
        adaptor.getMap());
    NVVM::CpAsyncBulkTensorGlobalToSharedClusterOp::create(
        rewriter, loc, dst, map, adaptor.getCoordinates(), barrier,
        /*im2colOffsets=*/ValueRange(), /*multicastMask=*/Value(),
        /*l2CacheHint=*/Value(), NVVM::TMALoadMode::TILE, /*isCTAOnly=*/false,
        /*group=*/NVVM::CTAGroupKindAttr(), /*predicate=*/Value());
    rewriter.eraseOp(op);
    return success();
  }
};
} // namespace

void mlir::kitenvptx::populateTmaToNVVMPatterns(LLVMTypeConverter &converter,
                                                RewritePatternSet &patterns) {
  patterns.add<MbarrierInitLowering, MbarrierInvalLowering,
               MbarrierArriveExpectTxLowering, MbarrierTryWaitLowering,
               TmaLoadLowering>(converter);
}
