//===- DebugOpsToNVVM.cpp - kitethread.print/assert to CUDA calls ---------===//
//
// kitethread.print becomes one `vprintf(format, args)` call per thread:
//   "pid (X, Y, Z) thread T: <prefix>v0 v1 ...\n"
// (one per 28 values: CUDA's printf takes 32 arguments at most)
// Its arguments are packed into a local buffer as C varargs are promoted
// (floats to double, integers narrower than 32 bits to int), each at its
// natural alignment, which is what the driver's vprintf reads.
//
// kitethread.assert becomes a branch to `__assertfail(message, file, line,
// function, 1)` where the condition is false; the driver then stops the
// kernel and the next synchronisation reports CUDA_ERROR_ASSERT. The file and
// line come from the op's location when it has one.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/emitter/DebugOpsToNVVM.h"
#include "dialects/KiteThread/KiteThreadModule.h"
#include "dialects/KiteThread/KiteThreadOps.h"

#include "mlir/Conversion/LLVMCommon/Pattern.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/xxhash.h"

using namespace mlir;

namespace {

LLVM::LLVMFuncOp declareFunction(ModuleOp module, OpBuilder &b, StringRef name,
                                 LLVM::LLVMFunctionType type) {
  if (auto existing = module.lookupSymbol<LLVM::LLVMFuncOp>(name))
    return existing;
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(module.getBody());
  return LLVM::LLVMFuncOp::create(b, module.getLoc(), name, type);
}

/// The address of a NUL-terminated constant string (one global per text).
Value stringAddress(ModuleOp module, OpBuilder &b, Location loc,
                    StringRef text) {
  std::string data = text.str();
  data.push_back('\0');
  std::string name = "__kite_str_" + llvm::utohexstr(llvm::xxh3_64bits(data));
  auto global = module.lookupSymbol<LLVM::GlobalOp>(name);
  if (!global) {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(module.getBody());
    auto type = LLVM::LLVMArrayType::get(b.getI8Type(), data.size());
    global = LLVM::GlobalOp::create(b, loc, type, /*isConstant=*/true,
                                    LLVM::Linkage::Internal, name,
                                    b.getStringAttr(data));
  }
  return LLVM::AddressOfOp::create(b, loc, global);
}

/// "%%" for every "%", so that user text is never read as a conversion.
std::string escapeFormat(StringRef text) {
  std::string out;
  for (char c : text) {
    out.push_back(c);
    if (c == '%')
      out.push_back('%');
  }
  return out;
}

/// vprintf(format, buffer), the buffer a struct of `values` at their
/// natural alignment (what the driver's vprintf reads).
void callVprintf(OpBuilder &b, Location loc, ModuleOp module,
                 StringRef format, ArrayRef<Value> values) {
  auto ptrType = LLVM::LLVMPointerType::get(b.getContext());
  SmallVector<Type> fields;
  for (Value value : values)
    fields.push_back(value.getType());
  auto bufferType = LLVM::LLVMStructType::getLiteral(b.getContext(), fields);
  Value one = LLVM::ConstantOp::create(b, loc, b.getI64Type(),
                                       b.getI64IntegerAttr(1));
  Value buffer = LLVM::AllocaOp::create(b, loc, ptrType, bufferType, one, 8);
  for (auto [i, value] : llvm::enumerate(values)) {
    Value field =
        LLVM::GEPOp::create(b, loc, ptrType, bufferType, buffer,
                            ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
    LLVM::StoreOp::create(b, loc, value, field);
  }
  auto vprintf = declareFunction(
      module, b, "vprintf",
      LLVM::LLVMFunctionType::get(b.getI32Type(), {ptrType, ptrType}));
  Value text = stringAddress(module, b, loc, format);
  LLVM::CallOp::create(b, loc, vprintf, ValueRange{text, buffer});
}

struct PrintLowering : ConvertOpToLLVMPattern<kitethread::PrintOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(kitethread::PrintOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto module = op->getParentOfType<ModuleOp>();
    Type i32 = rewriter.getI32Type(), f64 = rewriter.getF64Type();

    SmallVector<Value> header{NVVM::BlockIdXOp::create(rewriter, loc, i32),
                              NVVM::BlockIdYOp::create(rewriter, loc, i32),
                              NVVM::BlockIdZOp::create(rewriter, loc, i32),
                              NVVM::ThreadIdXOp::create(rewriter, loc, i32)};
    // The values as C varargs are promoted, and their conversions.
    // hex: integers, and the bits of floats, as 0x...; unsigned integers
    // (op's isUnsigned) as %u.
    bool hex = op.getHex();
    std::optional<ArrayRef<bool>> isUnsigned = op.getIsUnsigned();
    SmallVector<std::pair<Value, StringRef>> printed;
    for (auto [i, value] : llvm::enumerate(adaptor.getArgs())) {
      Type type = value.getType();
      bool unsignedValue = isUnsigned && (*isUnsigned)[i];
      if (auto floatType = dyn_cast<FloatType>(type); floatType && hex) {
        value = LLVM::BitcastOp::create(
            rewriter, loc, rewriter.getIntegerType(floatType.getWidth()), value);
        type = value.getType();
        unsignedValue = true;
      }
      if (isa<FloatType>(type)) {
        if (type != f64)
          value = LLVM::FPExtOp::create(rewriter, loc, f64, value);
        printed.push_back({value, "%f"});
      } else if (type.isInteger(1)) {
        value = LLVM::ZExtOp::create(rewriter, loc, i32, value);
        printed.push_back({value, hex ? "0x%x" : "%d"});
      } else if (auto intType = dyn_cast<IntegerType>(type)) {
        if (intType.getWidth() > 64)
          return rewriter.notifyMatchFailure(op, "integers wider than 64 bits");
        bool wide = intType.getWidth() > 32;
        if (intType.getWidth() < 32)
          value = unsignedValue || hex
                      ? LLVM::ZExtOp::create(rewriter, loc, i32, value).getResult()
                      : LLVM::SExtOp::create(rewriter, loc, i32, value).getResult();
        StringRef format = hex              ? (wide ? "0x%llx" : "0x%x")
                           : unsignedValue ? (wide ? "%llu" : "%u")
                                           : (wide ? "%lld" : "%d");
        printed.push_back({value, format});
      } else {
        return op.emitError() << "kl.device_print cannot print a value of type "
                              << type << " on NVIDIA GPUs";
      }
    }
    // CUDA's printf takes at most 32 arguments after the format: a thread
    // with more values prints several lines, each with the header, so that
    // lines of different threads interleaving stay readable.
    constexpr size_t kValuesPerLine = 32 - 4;
    std::string prefix =
        "pid (%u, %u, %u) thread %u: " + escapeFormat(op.getPrefix());
    size_t start = 0;
    do {
      size_t end = std::min(printed.size(), start + kValuesPerLine);
      std::string format = prefix;
      SmallVector<Value> values(header);
      for (size_t i = start; i < end; ++i) {
        format += (i == start ? "" : " ");
        format += printed[i].second;
        values.push_back(printed[i].first);
      }
      callVprintf(rewriter, loc, module, format + "\n", values);
      start = end;
    } while (start < printed.size());
    rewriter.eraseOp(op);
    return success();
  }
};

struct AssertLowering : ConvertOpToLLVMPattern<kitethread::AssertOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(kitethread::AssertOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto module = op->getParentOfType<ModuleOp>();
    auto ptrType = LLVM::LLVMPointerType::get(rewriter.getContext());
    Type i32 = rewriter.getI32Type(), i64 = rewriter.getI64Type();
    auto [file, line] = kitethread::getFileAndLine(loc);
    if (file.empty())
      file = "<unknown>";
    std::string message = op.getMessage().empty()
                              ? std::string("kl.device_assert")
                              : op.getMessage().str();
    std::string function = "<kernel>";
    if (auto fn = op->getParentOfType<FunctionOpInterface>())
      function = fn.getName().str();

    // before: ... cond_br %cond, ^after, ^fail
    // ^fail:  __assertfail(...); br ^after
    Block *before = op->getBlock();
    Block *after = rewriter.splitBlock(before, std::next(op->getIterator()));
    Block *fail = rewriter.createBlock(after);
    rewriter.setInsertionPointToEnd(before);
    LLVM::CondBrOp::create(rewriter, loc, adaptor.getCond(), after,
                           ValueRange{}, fail, ValueRange{});
    rewriter.setInsertionPointToEnd(fail);
    auto assertfail = declareFunction(
        module, rewriter, "__assertfail",
        LLVM::LLVMFunctionType::get(
            LLVM::LLVMVoidType::get(rewriter.getContext()),
            {ptrType, ptrType, i32, ptrType, i64}));
    Value args[] = {
        stringAddress(module, rewriter, loc, message),
        stringAddress(module, rewriter, loc, file),
        LLVM::ConstantOp::create(rewriter, loc, i32,
                                 rewriter.getI32IntegerAttr(line)),
        stringAddress(module, rewriter, loc, function),
        LLVM::ConstantOp::create(rewriter, loc, i64,
                                 rewriter.getI64IntegerAttr(1))};
    LLVM::CallOp::create(rewriter, loc, assertfail, args);
    LLVM::BrOp::create(rewriter, loc, ValueRange{}, after);
    rewriter.eraseOp(op);
    return success();
  }
};

} // namespace

void mlir::kitenvptx::populateDebugOpsToNVVMPatterns(
    LLVMTypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<PrintLowering, AssertLowering>(converter);
}
