//===- DebugOpsToThreads.cpp - kite.print and kite.assert -----------------===//
//
// Each thread prints the registers it holds (every operand's registers in
// turn, pointers as addresses) and asserts each register of the condition.
// `hex` is not carried: kitethread.print chooses the format per type.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "dialects/Kite/KiteOps.h"
#include "dialects/KiteThread/KiteThreadOps.h"

using namespace mlir;
using namespace mlir::kitegpu;

namespace {

struct PrintToThreads : OpConversionPattern<kite::PrintOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(kite::PrintOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<Value> values;
    for (ValueRange registers : adaptor.getArgs())
      llvm::append_range(values, registers);
    rewriter.replaceOpWithNewOp<kitethread::PrintOp>(op, op.getPrefixAttr(),
                                                     values);
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

} // namespace

void mlir::kitegpu::populateDebugOpsToThreads(const TypeConverter &converter,
                                              RewritePatternSet &patterns) {
  patterns.add<PrintToThreads, AssertToThreads>(converter,
                                                patterns.getContext());
}
