//===- FloatConversionsToNVVM.cpp - cvt_pack/cvt_unpack to PTX cvt --------===//
//
// The hardware float conversions the thread lowering emits for NVIDIA
// targets that have them (lib/Conversion/KiteGPUToThreads/EmulatedFloats.cpp
// decides, from the architecture: fp8 from sm_89, bf16 from sm_80), each
// one NVVM intrinsic, which the NVPTX backend selects as one cvt:
//
//   kitethread.cvt_pack f8E4M3FN  llvm.nvvm.ff.to.e4m3x2.rn  cvt.rn.satfinite.e4m3x2.f32
//   kitethread.cvt_pack f8E5M2    llvm.nvvm.ff.to.e5m2x2.rn  cvt.rn.satfinite.e5m2x2.f32
//   kitethread.cvt_pack bf16      llvm.nvvm.ff2bf16x2.rn     cvt.rn.bf16x2.f32
//   kitethread.cvt_unpack f8E4M3FN  llvm.nvvm.e4m3x2.to.f16x2.rn  cvt.rn.f16x2.e4m3x2
//   kitethread.cvt_unpack f8E5M2    llvm.nvvm.e5m2x2.to.f16x2.rn  cvt.rn.f16x2.e5m2x2
//
// PTX puts the first source operand of a packing cvt in the high half of
// the result, so cvt_pack's `high` goes first; an unpacking cvt's low byte
// becomes the low half, element 0 of <2 x half>, as cvt_unpack's. Intrinsic
// calls rather than inline PTX: LLVM knows them (no side effects, their
// operand types), and cuda-sim implements them (NvvmConversions.cpp).
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/emitter/FloatConversionsToNVVM.h"

#include "dialects/KiteThread/KiteThreadOps.h"
#include "mlir/Conversion/LLVMCommon/Pattern.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

using namespace mlir;

namespace {
struct CvtPackLowering : ConvertOpToLLVMPattern<kitethread::CvtPackOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(kitethread::CvtPackOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type format = op.getFormat();
    StringRef name = format.isBF16()                   ? "llvm.nvvm.ff2bf16x2.rn"
                     : isa<Float8E4M3FNType>(format) ? "llvm.nvvm.ff.to.e4m3x2.rn"
                                                     : "llvm.nvvm.ff.to.e5m2x2.rn";
    Type result = format.isBF16() ? Type(VectorType::get({2}, format))
                                  : op.getType();
    Value packed =
        LLVM::CallIntrinsicOp::create(
            rewriter, op.getLoc(), result, rewriter.getStringAttr(name),
            ValueRange{adaptor.getHigh(), adaptor.getLow()})
            .getResult(0);
    if (packed.getType() != op.getType())
      packed = LLVM::BitcastOp::create(rewriter, op.getLoc(), op.getType(),
                                       packed);
    rewriter.replaceOp(op, packed);
    return success();
  }
};

struct CvtUnpackLowering : ConvertOpToLLVMPattern<kitethread::CvtUnpackOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(kitethread::CvtUnpackOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    StringRef name = isa<Float8E4M3FNType>(op.getFormat())
                         ? "llvm.nvvm.e4m3x2.to.f16x2.rn"
                         : "llvm.nvvm.e5m2x2.to.f16x2.rn";
    rewriter.replaceOp(op, LLVM::CallIntrinsicOp::create(
                               rewriter, op.getLoc(), op.getType(),
                               rewriter.getStringAttr(name),
                               ValueRange{adaptor.getPacked()}));
    return success();
  }
};
} // namespace

void mlir::kitenvptx::populateFloatConversionsToNVVMPatterns(
    LLVMTypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<CvtPackLowering, CvtUnpackLowering>(converter);
}
