//===- MemoryOpsToSPIRV.cpp - global loads and stores ---------------------===//
//
// A kitethread address is an i64 device address: it becomes a
// PhysicalStorageBuffer pointer (spirv.ConvertUToPtr), read and written with
// the `Aligned` memory operand the load or store promises. A masked access
// is an scf.if around it, which the SCF patterns turn into a structured
// selection, so masked-off threads never touch memory.
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/emitter/KiteThreadToSPIRV.h"
#include "dialects/KiteThread/KiteThreadOps.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::kitespirv;

static spirv::MemoryAccessAttr getAligned(MLIRContext *context) {
  return spirv::MemoryAccessAttr::get(context, spirv::MemoryAccess::Aligned);
}

namespace {
struct LoadPattern : OpConversionPattern<kitethread::LoadOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(kitethread::LoadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type type = getTypeConverter()->convertType(op.getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "unsupported result type");
    Location loc = op.getLoc();
    auto load = [&](OpBuilder &b, Location loc) -> Value {
      Value ptr = getGlobalPointer(b, loc, type, adaptor.getAddr());
      return spirv::LoadOp::create(b, loc, ptr, getAligned(b.getContext()),
                                   b.getI32IntegerAttr(op.getAlignment()));
    };
    if (!adaptor.getMask()) {
      rewriter.replaceOp(op, load(rewriter, loc));
      return success();
    }
    Value other = adaptor.getOther();
    auto ifOp = scf::IfOp::create(rewriter, loc, TypeRange{type},
                                  adaptor.getMask(), /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(ifOp.thenBlock());
    scf::YieldOp::create(rewriter, loc, load(rewriter, loc));
    rewriter.setInsertionPointToStart(ifOp.elseBlock());
    if (!other)
      other = spirv::ConstantOp::getZero(type, loc, rewriter);
    scf::YieldOp::create(rewriter, loc, other);
    rewriter.replaceOp(op, ifOp.getResults());
    return success();
  }
};

struct StorePattern : OpConversionPattern<kitethread::StoreOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(kitethread::StoreOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Value value = adaptor.getValue();
    auto store = [&](OpBuilder &b, Location loc) {
      Value ptr = getGlobalPointer(b, loc, value.getType(), adaptor.getAddr());
      spirv::StoreOp::create(b, loc, ptr, value, getAligned(b.getContext()),
                             b.getI32IntegerAttr(op.getAlignment()));
    };
    if (!adaptor.getMask()) {
      store(rewriter, op.getLoc());
      rewriter.eraseOp(op);
      return success();
    }
    auto ifOp = scf::IfOp::create(rewriter, op.getLoc(), adaptor.getMask(),
                                  /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(ifOp.thenBlock()->getTerminator());
    store(rewriter, op.getLoc());
    rewriter.eraseOp(op);
    return success();
  }
};
} // namespace

void mlir::kitespirv::populateMemoryOpPatterns(
    const SPIRVTypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<LoadPattern, StorePattern>(converter, patterns.getContext());
}
