//===- MmaToNVVM.cpp - kitethread.mma_sync and ldmatrix to PTX ------------===//
//
// One m16n8kK tensor-core step of a warp, as the PTX instruction itself in
// inline assembly: its operands are already the fragment registers the ISA
// names (A and B as .b32 words of packed elements, C and D as .f32 or
// .s32), so the string is the whole lowering, and cuda-sim and ptxas read it
// as written. The asm has no side effects: equal mma_sync ops may be merged
// and dead ones dropped. ldmatrix becomes NVVM's intrinsic.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/emitter/MmaToNVVM.h"
#include "dialects/KiteThread/KiteThreadOps.h"

#include "mlir/Conversion/LLVMCommon/Pattern.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

using namespace mlir;

namespace {
/// The PTX name of `type` as an mma operand, and of its accumulator.
std::pair<StringRef, StringRef> getMmaTypes(Type type) {
  if (type.isF16())
    return {"f16", "f32"};
  if (type.isBF16())
    return {"bf16", "f32"};
  if (type.isTF32())
    return {"tf32", "f32"};
  if (isa<Float8E4M3FNType>(type))
    return {"e4m3", "f32"};
  if (isa<Float8E5M2Type>(type))
    return {"e5m2", "f32"};
  return {"s8", "s32"};
}

struct MmaSyncLowering : ConvertOpToLLVMPattern<kitethread::MmaSyncOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(kitethread::MmaSyncOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto [ab, acc] = getMmaTypes(op.getAbType());
    // Integer products saturate at the accumulator's range (.satfinite),
    // as Triton's do, instead of wrapping.
    std::string asmString = ("mma.sync.aligned.m16n8k" + Twine(op.getK()) +
                             ".row.col" + (acc == "s32" ? ".satfinite" : "") +
                             "." + acc + "." + ab + "." + ab + "." + acc +
                             " {$0, $1, $2, $3}, {$4, $5, $6, $7}, "
                             "{$8, $9}, {$10, $11, $12, $13};")
                                .str();
    // D: $0..$3, A: $4..$7, B: $8..$9, C: $10..$13.
    std::string c = acc == "s32" ? "r" : "f";
    std::string constraints = "=" + c + ",=" + c + ",=" + c + ",=" + c +
                              ",r,r,r,r,r,r," + c + "," + c + "," + c + "," +
                              c;
    SmallVector<Value> operands(adaptor.getA());
    llvm::append_range(operands, adaptor.getB());
    llvm::append_range(operands, adaptor.getC());
    Type accType = op.getD().front().getType();
    auto resultType = LLVM::LLVMStructType::getLiteral(
        rewriter.getContext(), SmallVector<Type>(4, accType));
    auto mma = LLVM::InlineAsmOp::create(
        rewriter, loc, resultType, operands, asmString, constraints,
        /*has_side_effects=*/false, /*is_align_stack=*/false,
        LLVM::tailcallkind::TailCallKind::None,
        LLVM::AsmDialectAttr::get(rewriter.getContext(),
                                  LLVM::AsmDialect::AD_ATT),
        /*operand_attrs=*/ArrayAttr());
    SmallVector<Value> results;
    for (int64_t i = 0; i < 4; ++i)
      results.push_back(
          LLVM::ExtractValueOp::create(rewriter, loc, mma.getResult(0), i));
    rewriter.replaceOp(op, results);
    return success();
  }
};

/// ldmatrix as NVVM's intrinsic on the element's address in the shared
/// memory view (cuda-sim runs the intrinsic as the instruction).
struct LdmatrixLowering : ConvertOpToLLVMPattern<kitethread::LdmatrixOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(kitethread::LdmatrixOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value index = LLVM::ZExtOp::create(rewriter, loc, rewriter.getI64Type(),
                                       adaptor.getIndex());
    Value address = getStridedElementPtr(
        rewriter, loc, cast<MemRefType>(op.getBuffer().getType()),
        adaptor.getBuffer(), {index});
    MLIRContext *context = rewriter.getContext();
    int64_t count = op.getCount();
    Type i32 = rewriter.getI32Type();
    Type resultType =
        count == 1 ? i32
                   : LLVM::LLVMStructType::getLiteral(
                         context, SmallVector<Type>(count, i32));
    Value words = NVVM::LdMatrixOp::create(
        rewriter, loc, resultType, address, count,
        op.getTranspose() ? NVVM::MMALayout::col : NVVM::MMALayout::row,
        NVVM::LdStMatrixShapeAttr::get(context, 8, 8),
        NVVM::LdStMatrixEltType::B16);
    SmallVector<Value> results;
    for (int64_t i = 0; i < count; ++i)
      results.push_back(
          count == 1 ? words
                     : LLVM::ExtractValueOp::create(rewriter, loc, words, i)
                           .getResult());
    rewriter.replaceOp(op, results);
    return success();
  }
};
} // namespace

void mlir::kitenvptx::populateMmaToNVVMPatterns(LLVMTypeConverter &converter,
                                                RewritePatternSet &patterns) {
  patterns.add<MmaSyncLowering, LdmatrixLowering>(converter);
}
