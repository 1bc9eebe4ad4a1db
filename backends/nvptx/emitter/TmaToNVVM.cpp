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
    Value dst = elementAddress(*getTypeConverter(), rewriter, loc,
                               op.getBuffer(), adaptor.getBuffer(),
                               adaptor.getIndex());
    Value barrier = elementAddress(*getTypeConverter(), rewriter, loc,
                                   op.getBarriers(), adaptor.getBarriers(),
                                   adaptor.getBarrier());
    // Inline PTX, as Triton writes it: the CTA's own shared address stands
    // for its shared::cluster one, where NVVM's intrinsic would convert it
    // through a generic address (four instructions a box), and no unused
    // multicast or cache-hint operands.
    size_t rank = adaptor.getCoordinates().size();
    std::string text = "cp.async.bulk.tensor." + std::to_string(rank) +
                       "d.shared::cluster.global.tile.mbarrier::complete_tx::"
                       "bytes [$0], [$1, {";
    std::string constraints = "r,l";
    for (size_t i = 0; i < rank; ++i) {
      text += (i ? ", $" : "$") + std::to_string(2 + i);
      constraints += ",r";
    }
    text += "}], [$" + std::to_string(2 + rank) + "];";
    constraints += ",r";
    SmallVector<Value> operands{dst, adaptor.getMap()};
    llvm::append_range(operands, adaptor.getCoordinates());
    operands.push_back(barrier);
    LLVM::InlineAsmOp::create(
        rewriter, loc, TypeRange(), operands, text, constraints,
        /*has_side_effects=*/true, /*is_align_stack=*/false,
        LLVM::tailcallkind::TailCallKind::None,
        LLVM::AsmDialectAttr::get(rewriter.getContext(),
                                  LLVM::AsmDialect::AD_ATT),
        /*operand_attrs=*/ArrayAttr());
    rewriter.eraseOp(op);
    return success();
  }
};

struct TmaStoreLowering : ConvertOpToLLVMPattern<kitethread::TmaStoreOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult
  matchAndRewrite(kitethread::TmaStoreOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value src = elementAddress(*getTypeConverter(), rewriter, loc,
                               op.getBuffer(), adaptor.getBuffer(),
                               adaptor.getIndex());
    Value map = LLVM::IntToPtrOp::create(
        rewriter, loc, LLVM::LLVMPointerType::get(rewriter.getContext()),
        adaptor.getMap());
    NVVM::CpAsyncBulkTensorSharedCTAToGlobalOp::create(
        rewriter, loc, map, src, adaptor.getCoordinates(),
        /*l2CacheHint=*/Value(), NVVM::TMAStoreMode::TILE,
        /*predicate=*/Value());
    rewriter.eraseOp(op);
    return success();
  }
};

struct BulkCommitGroupLowering
    : ConvertOpToLLVMPattern<kitethread::BulkCommitGroupOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult
  matchAndRewrite(kitethread::BulkCommitGroupOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<NVVM::CpAsyncBulkCommitGroupOp>(op);
    return success();
  }
};

struct BulkWaitGroupReadLowering
    : ConvertOpToLLVMPattern<kitethread::BulkWaitGroupReadOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult
  matchAndRewrite(kitethread::BulkWaitGroupReadOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<NVVM::CpAsyncBulkWaitGroupOp>(
        op, rewriter.getI32IntegerAttr(op.getPending()),
        rewriter.getUnitAttr());
    return success();
  }
};
} // namespace

void mlir::kitenvptx::populateTmaToNVVMPatterns(LLVMTypeConverter &converter,
                                                RewritePatternSet &patterns) {
  patterns.add<MbarrierInitLowering, MbarrierInvalLowering,
               MbarrierArriveExpectTxLowering, MbarrierTryWaitLowering,
               TmaLoadLowering, TmaStoreLowering, BulkCommitGroupLowering,
               BulkWaitGroupReadLowering>(converter);
}
