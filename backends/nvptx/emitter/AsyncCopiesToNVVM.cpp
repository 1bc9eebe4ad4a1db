//===- AsyncCopiesToNVVM.cpp - kitethread async copies to cp.async --------===//
//
// The software pipeliner's copies (docs/lowering.md, "Software
// pipelining"): a masked-off copy still writes its bytes, as zeros (PTX's
// src-size 0), so that a slot whose rows fall outside the tensor reads as
// the `other = 0` of the load it replaced.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/emitter/AsyncCopiesToNVVM.h"

#include "dialects/KiteThread/KiteThreadOps.h"
#include "mlir/Conversion/LLVMCommon/Pattern.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;

namespace {
struct AsyncCopyLowering : ConvertOpToLLVMPattern<kitethread::AsyncCopyOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(kitethread::AsyncCopyOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value index = LLVM::ZExtOp::create(rewriter, loc, rewriter.getI64Type(),
                                       adaptor.getIndex());
    Value dst = getStridedElementPtr(
        rewriter, loc, cast<MemRefType>(op.getBuffer().getType()),
        adaptor.getBuffer(), {index});
    Value src = LLVM::IntToPtrOp::create(
        rewriter, loc, LLVM::LLVMPointerType::get(rewriter.getContext(), 1),
        adaptor.getSrc());
    int32_t bytes = op.getBytes();
    Value srcSize;
    if (Value mask = adaptor.getMask()) {
      Type i32 = rewriter.getI32Type();
      srcSize = LLVM::SelectOp::create(
          rewriter, loc, mask,
          LLVM::ConstantOp::create(rewriter, loc, i32, bytes),
          LLVM::ConstantOp::create(rewriter, loc, i32, 0));
    }
    // .cg (L2 only) takes 16 bytes; smaller copies go through L1 (.ca).
    auto modifier = NVVM::LoadCacheModifierKindAttr::get(
        rewriter.getContext(), bytes == 16 ? NVVM::LoadCacheModifierKind::CG
                                           : NVVM::LoadCacheModifierKind::CA);
    NVVM::CpAsyncOp::create(rewriter, loc, dst, src,
                            rewriter.getI32IntegerAttr(bytes), modifier,
                            srcSize);
    rewriter.eraseOp(op);
    return success();
  }
};

struct AsyncCommitGroupLowering
    : ConvertOpToLLVMPattern<kitethread::AsyncCommitGroupOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(kitethread::AsyncCommitGroupOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<NVVM::CpAsyncCommitGroupOp>(op);
    return success();
  }
};

struct AsyncWaitGroupLowering
    : ConvertOpToLLVMPattern<kitethread::AsyncWaitGroupOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(kitethread::AsyncWaitGroupOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<NVVM::CpAsyncWaitGroupOp>(op, op.getPending());
    return success();
  }
};
} // namespace

void mlir::kitenvptx::populateAsyncCopiesToNVVMPatterns(
    LLVMTypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<AsyncCopyLowering, AsyncCommitGroupLowering,
               AsyncWaitGroupLowering>(converter);
}
