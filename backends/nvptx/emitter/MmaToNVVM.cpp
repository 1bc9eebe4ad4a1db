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
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/Matchers.h"

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

/// Inline PTX with side effects (wgmma's instructions must stay in order).
LLVM::InlineAsmOp createAsm(ConversionPatternRewriter &rewriter, Location loc,
                            Type resultType, ValueRange operands,
                            StringRef text, StringRef constraints) {
  return LLVM::InlineAsmOp::create(
      rewriter, loc, resultType, operands, text, constraints,
      /*has_side_effects=*/true, /*is_align_stack=*/false,
      LLVM::tailcallkind::TailCallKind::None,
      LLVM::AsmDialectAttr::get(rewriter.getContext(),
                                LLVM::AsmDialect::AD_ATT),
      /*operand_attrs=*/ArrayAttr());
}

/// The inline-asm constraint of an accumulator register.
StringRef registerConstraint(Type type) { return type.isF32() ? "f" : "r"; }

/// "=c,...,=c,0,1,...": `count` results of constraint `c`, each tied to the
/// input of the same position.
std::string tiedConstraints(TypeRange types) {
  std::string outputs, inputs;
  for (auto [i, type] : llvm::enumerate(types)) {
    outputs += (i ? ",=" : "=") + registerConstraint(type).str();
    inputs += "," + std::to_string(i);
  }
  return outputs + inputs;
}

Type getStructOf(MLIRContext *context, TypeRange types) {
  return types.size() == 1
             ? types.front()
             : LLVM::LLVMStructType::getLiteral(context, SmallVector<Type>(types));
}

SmallVector<Value> unpackResults(ConversionPatternRewriter &rewriter,
                                 Location loc, Value result, size_t count) {
  if (count == 1)
    return {result};
  SmallVector<Value> values;
  for (size_t i = 0; i < count; ++i)
    values.push_back(LLVM::ExtractValueOp::create(rewriter, loc, result, i));
  return values;
}

/// wgmma.mma_async with A in registers and B through a matrix descriptor:
/// the start address of B in 16-byte units (bits 0-13), the leading and
/// stride byte offsets (16-29, 32-45, 16-byte units) and the swizzle mode
/// (62-63: 1 for 128 bytes, 2 for 64, 3 for 32).
struct WgmmaLowering : ConvertOpToLLVMPattern<kitethread::WgmmaOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(kitethread::WgmmaOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type i64 = rewriter.getI64Type();
    auto constant = [&](uint64_t value) {
      return LLVM::ConstantOp::create(rewriter, loc, i64,
                                      rewriter.getI64IntegerAttr(value))
          .getResult();
    };
    // The matrix descriptor of an operand at element `index` of `buffer`.
    auto describeAt = [&](Value buffer, Value converted, Value index,
                          int64_t swizzle, int64_t leading, int64_t stride) {
      Value address = getStridedElementPtr(
          rewriter, loc, cast<MemRefType>(buffer.getType()), converted,
          {LLVM::ZExtOp::create(rewriter, loc, i64, index)});
      Value start = LLVM::PtrToIntOp::create(rewriter, loc, i64, address);
      start = LLVM::AndOp::create(
          rewriter, loc,
          LLVM::LShrOp::create(rewriter, loc, start, constant(4)),
          constant(0x3fff));
      uint64_t mode = swizzle == 128 ? 1 : swizzle == 64 ? 2 : 3;
      uint64_t fields = ((uint64_t(leading) >> 4) & 0x3fff) << 16 |
                        ((uint64_t(stride) >> 4) & 0x3fff) << 32 | mode << 62;
      return LLVM::OrOp::create(rewriter, loc, start, constant(fields))
          .getResult();
    };
    // An index that is a value plus a constant (a K step's, a tile's
    // offset: every wgmma of a dot reads one buffer from the same base) is
    // described as the base's descriptor plus the constant in 16-byte
    // units: one add per instruction, the base's descriptor shared. Exact:
    // a shared address is below 256 KiB (on cuda-sim too: the start field
    // holds the offset in the block), so the start field does not carry.
    auto describe = [&](Value buffer, Value converted, Value original,
                        Value index, int64_t swizzle, int64_t leading,
                        int64_t stride) {
      int64_t bytes = llvm::divideCeil(
          cast<MemRefType>(buffer.getType()).getElementTypeBitWidth(), 8);
      APInt offset;
      Value base;
      if (matchPattern(original, m_ConstantInt(&offset))) {
        base = LLVM::ConstantOp::create(rewriter, loc, index.getType(),
                                        rewriter.getIntegerAttr(
                                            index.getType(), 0));
      } else if (auto add = original.getDefiningOp<arith::AddIOp>();
                 add && matchPattern(add.getRhs(), m_ConstantInt(&offset))) {
        base = rewriter.getRemappedValue(add.getLhs());
      }
      int64_t offsetBytes = base ? offset.getSExtValue() * bytes : 0;
      if (!base || offsetBytes < 0 || offsetBytes % 16 ||
          base.getType() != index.getType())
        return describeAt(buffer, converted, index, swizzle, leading, stride);
      Value described =
          describeAt(buffer, converted, base, swizzle, leading, stride);
      if (!offsetBytes)
        return described;
      return LLVM::AddOp::create(rewriter, loc, described,
                                 constant(uint64_t(offsetBytes) >> 4))
          .getResult();
    };
    Value descriptor =
        describe(op.getBuffer(), adaptor.getBuffer(), op.getBIndex(),
                 adaptor.getBIndex(), op.getBSwizzle(), op.getBLeading(),
                 op.getBStride());
    Value aDescriptor;
    if (op.getABuffer())
      aDescriptor = describe(op.getABuffer(), adaptor.getABuffer(),
                             op.getAIndex(), adaptor.getAIndex(),
                             *op.getASwizzle(), *op.getALeading(),
                             *op.getAStride());

    auto [ab, acc] = getMmaTypes(op.getAbType());
    int64_t results = op.getD().size();
    // Integer products saturate at the accumulator's range, as mma.sync's
    // do (.satfinite), instead of wrapping.
    std::string text = ("wgmma.mma_async.sync.aligned.m64n" + Twine(op.getN()) +
                        "k" + Twine(op.getK()) +
                        (acc == "s32" ? ".satfinite." : ".") + acc + "." + ab +
                        "." + ab + " {")
                           .str();
    for (int64_t i = 0; i < results; ++i)
      text += (i ? ", $" : "$") + std::to_string(i);
    int64_t a = 2 * results;
    auto operand = [](int64_t i) { return "$" + std::to_string(i); };
    // A: its four registers, or its descriptor.
    int64_t next = aDescriptor ? a + 1 : a + 4;
    text += aDescriptor ? "}, " + operand(a)
                        : "}, {" + operand(a) + ", " + operand(a + 1) + ", " +
                              operand(a + 2) + ", " + operand(a + 3) + "}";
    text += ", " + operand(next) + ", " + operand(next + 1);
    // imm-scale-a, imm-scale-b (floats), then imm-trans-a (A in memory)
    // and imm-trans-b (16-bit types).
    if (acc == "f32")
      text += ", 1, 1";
    if (ab == "f16" || ab == "bf16")
      text += std::string(aDescriptor ? ", 0" : "") +
              (op.getBTransposed() ? ", 1" : ", 0");
    text += ";";
    std::string constraints = tiedConstraints(op.getC().getTypes()) +
                              (aDescriptor ? ",l" : ",r,r,r,r") + ",l,b";
    // C all zeros (the first K step of a dot without an accumulator):
    // scale-d false, D = A * B, and C's registers need no zeros (poison
    // ties them). Only a sum of exactly -0 differs from + 0: it stays -0.
    bool zeroC = llvm::all_of(adaptor.getC(), [](Value c) {
      return matchPattern(c, m_AnyZeroFloat()) || matchPattern(c, m_Zero());
    });
    SmallVector<Value> operands;
    for (Value c : adaptor.getC())
      operands.push_back(
          zeroC ? LLVM::PoisonOp::create(rewriter, loc, c.getType()).getResult()
                : c);
    if (aDescriptor)
      operands.push_back(aDescriptor);
    llvm::append_range(operands, adaptor.getA());
    operands.push_back(descriptor);
    operands.push_back(LLVM::ConstantOp::create(
        rewriter, loc, rewriter.getI1Type(), rewriter.getBoolAttr(!zeroC)));
    auto mma = createAsm(rewriter, loc,
                         getStructOf(rewriter.getContext(), op.getD().getTypes()),
                         operands, text, constraints);
    rewriter.replaceOp(op, unpackResults(rewriter, loc, mma.getResult(0),
                                         results));
    return success();
  }
};

/// An op of no operands and no results that is one PTX statement with side
/// effects: `wgmma.fence`, `wgmma.commit_group`, `fence.proxy.async`.
template <typename SourceOp>
struct FixedAsmLowering : ConvertOpToLLVMPattern<SourceOp> {
  FixedAsmLowering(const LLVMTypeConverter &converter, StringRef text)
      : ConvertOpToLLVMPattern<SourceOp>(converter), text(text.str()) {}
  LogicalResult
  matchAndRewrite(SourceOp op, typename SourceOp::Adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    createAsm(rewriter, op.getLoc(), Type(), {}, text, "");
    rewriter.eraseOp(op);
    return success();
  }
  std::string text;
};

/// The accumulators go through the wait as tied operands, so that nothing
/// reads them before it.
struct WgmmaWaitLowering : ConvertOpToLLVMPattern<kitethread::WgmmaWaitOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;
  LogicalResult
  matchAndRewrite(kitethread::WgmmaWaitOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    std::string text =
        "wgmma.wait_group.sync.aligned " + std::to_string(op.getPending()) + ";";
    if (op.getValues().empty()) {
      createAsm(rewriter, loc, Type(), {}, text, "");
      rewriter.eraseOp(op);
      return success();
    }
    auto wait = createAsm(
        rewriter, loc,
        getStructOf(rewriter.getContext(), op.getValues().getTypes()),
        adaptor.getValues(), text, tiedConstraints(op.getValues().getTypes()));
    rewriter.replaceOp(op, unpackResults(rewriter, loc, wait.getResult(0),
                                         op.getValues().size()));
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
  patterns.add<MmaSyncLowering, LdmatrixLowering, WgmmaLowering,
               WgmmaWaitLowering>(converter);
  patterns.add<FixedAsmLowering<kitethread::WgmmaFenceOp>>(
      converter, "wgmma.fence.sync.aligned;");
  patterns.add<FixedAsmLowering<kitethread::WgmmaCommitOp>>(
      converter, "wgmma.commit_group.sync.aligned;");
  patterns.add<FixedAsmLowering<kitethread::FenceAsyncSharedOp>>(
      converter, "fence.proxy.async.shared::cta;");
}
