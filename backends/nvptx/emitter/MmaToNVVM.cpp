//===- MmaToNVVM.cpp - kitethread.mma_sync to PTX mma.sync ----------------===//
//
// One m16n8k16 tensor-core step of a warp, as the PTX instruction itself in
// inline assembly: its operands are already the fragment registers the ISA
// names (A and B as .b32 pairs of halves, C and D as .f32), so the string is
// the whole lowering, and cuda-sim and ptxas read it as written. The asm has
// no side effects: equal mma_sync ops may be merged and dead ones dropped.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/emitter/MmaToNVVM.h"
#include "dialects/KiteThread/KiteThreadOps.h"

#include "mlir/Conversion/LLVMCommon/Pattern.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

using namespace mlir;

namespace {
struct MmaSyncLowering : ConvertOpToLLVMPattern<kitethread::MmaSyncOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(kitethread::MmaSyncOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    std::string ab = op.getAbType().isBF16() ? "bf16" : "f16";
    // D: $0..$3, A: $4..$7, B: $8..$9, C: $10..$13.
    std::string asmString = "mma.sync.aligned.m16n8k16.row.col.f32." + ab +
                            "." + ab +
                            ".f32 {$0, $1, $2, $3}, {$4, $5, $6, $7}, "
                            "{$8, $9}, {$10, $11, $12, $13};";
    std::string constraints = "=f,=f,=f,=f,r,r,r,r,r,r,f,f,f,f";
    SmallVector<Value> operands(adaptor.getA());
    llvm::append_range(operands, adaptor.getB());
    llvm::append_range(operands, adaptor.getC());
    Type f32 = rewriter.getF32Type();
    auto resultType = LLVM::LLVMStructType::getLiteral(
        rewriter.getContext(), SmallVector<Type>(4, f32));
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
} // namespace

void mlir::kitenvptx::populateMmaToNVVMPatterns(LLVMTypeConverter &converter,
                                                RewritePatternSet &patterns) {
  patterns.add<MmaSyncLowering>(converter);
}
