//===- DebugOpsToNVVM.cpp - kitethread.print/assert to CUDA calls ---------===//
//
// kitethread.print becomes one `vprintf(format, args)` call per thread:
//   "pid (X, Y, Z) thread T: <prefix>v0 v1 ...\n"
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

/// The file and line of `loc`, looking through names, fusions and calls.
std::pair<std::string, unsigned> fileAndLine(Location loc) {
  std::pair<std::string, unsigned> found{"<unknown>", 0};
  loc->walk([&](Location inner) {
    if (auto file = dyn_cast<FileLineColLoc>(inner)) {
      found = {file.getFilename().str(), file.getLine()};
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return found;
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

struct PrintLowering : ConvertOpToLLVMPattern<kitethread::PrintOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(kitethread::PrintOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto module = op->getParentOfType<ModuleOp>();
    Type i32 = rewriter.getI32Type(), f64 = rewriter.getF64Type();
    auto ptrType = LLVM::LLVMPointerType::get(rewriter.getContext());

    std::string format = "pid (%u, %u, %u) thread %u: " +
                         escapeFormat(op.getPrefix());
    SmallVector<Value> values{
        NVVM::BlockIdXOp::create(rewriter, loc, i32),
        NVVM::BlockIdYOp::create(rewriter, loc, i32),
        NVVM::BlockIdZOp::create(rewriter, loc, i32),
        NVVM::ThreadIdXOp::create(rewriter, loc, i32)};
    for (auto [i, value] : llvm::enumerate(adaptor.getArgs())) {
      Type type = value.getType();
      if (i)
        format += " ";
      if (isa<FloatType>(type)) {
        if (type != f64)
          value = LLVM::FPExtOp::create(rewriter, loc, f64, value);
        format += "%f";
      } else if (type.isInteger(1)) {
        value = LLVM::ZExtOp::create(rewriter, loc, i32, value);
        format += "%d";
      } else if (auto intType = dyn_cast<IntegerType>(type)) {
        if (intType.getWidth() < 32)
          value = LLVM::SExtOp::create(rewriter, loc, i32, value);
        format += intType.getWidth() > 32 ? "%lld" : "%d";
        if (intType.getWidth() > 64)
          return rewriter.notifyMatchFailure(op, "integers wider than 64 bits");
      } else {
        return op.emitError() << "kl.device_print cannot print a value of type "
                              << type << " on NVIDIA GPUs";
      }
      values.push_back(value);
    }
    format += "\n";

    // The varargs buffer: a struct of the promoted values, natural layout.
    SmallVector<Type> fields;
    for (Value value : values)
      fields.push_back(value.getType());
    auto bufferType = LLVM::LLVMStructType::getLiteral(rewriter.getContext(),
                                                       fields);
    Value one = LLVM::ConstantOp::create(rewriter, loc, rewriter.getI64Type(),
                                         rewriter.getI64IntegerAttr(1));
    Value buffer =
        LLVM::AllocaOp::create(rewriter, loc, ptrType, bufferType, one, 8);
    for (auto [i, value] : llvm::enumerate(values)) {
      Value field = LLVM::GEPOp::create(
          rewriter, loc, ptrType, bufferType, buffer,
          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(i)});
      LLVM::StoreOp::create(rewriter, loc, value, field);
    }

    auto vprintf = declareFunction(
        module, rewriter, "vprintf",
        LLVM::LLVMFunctionType::get(i32, {ptrType, ptrType}));
    Value text = stringAddress(module, rewriter, loc, format);
    LLVM::CallOp::create(rewriter, loc, vprintf, ValueRange{text, buffer});
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
    auto [file, line] = fileAndLine(loc);
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
