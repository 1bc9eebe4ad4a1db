//===- GatherToThreads.cpp - kite.gather through workgroup memory ---------===//
//
// An index can name any element along the axis, held by any thread, so the
// source goes to workgroup memory as convert_layout sends it there: every
// thread stores each register at its element's row-major index, a barrier,
// then every thread loads, for each result register, the source element at
// that register's coordinates with the axis coordinate replaced by the
// index it holds, and a second barrier lets the buffer be written again.
// The result is in the index's layout (the kitegpu stage gives it that), so
// each result register reads the index register of its own coordinate.
//
// Out-of-range indices wrap: the index modulo the axis size N (floored, so
// -1 is the last element). N is a power of two in every kernel the frontend
// traces, where that is one `and`; other sizes get a remainder and a fixup.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "dialects/Kite/KiteOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::kitegpu;

namespace {

/// `index mod size` (floored) as an i32, for a signed index of any width.
Value emitWrappedIndex(OpBuilder &b, Location loc, Value index, int64_t size) {
  auto type = cast<IntegerType>(index.getType());
  Type i32 = b.getI32Type();
  // Narrow indices are read as signed (the frontend widens unsigned ones).
  if (type.getWidth() < 32) {
    index = arith::ExtSIOp::create(b, loc, i32, index);
    type = cast<IntegerType>(i32);
  }
  auto constant = [&](int64_t value) {
    return arith::ConstantOp::create(b, loc, IntegerAttr::get(type, value));
  };
  Value wrapped;
  if (llvm::isPowerOf2_64(size)) {
    // Two's complement makes `and` the floored modulo, negatives included.
    wrapped = arith::AndIOp::create(b, loc, index, constant(size - 1));
  } else {
    Value rem = arith::RemSIOp::create(b, loc, index, constant(size));
    Value negative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                           rem, constant(0));
    Value fixed = arith::AddIOp::create(b, loc, rem, constant(size));
    wrapped = arith::SelectOp::create(b, loc, negative, fixed, rem);
  }
  if (type.getWidth() > 32)
    wrapped = arith::TruncIOp::create(b, loc, i32, wrapped);
  return wrapped;
}

struct GatherToThreads : ThreadPattern<kite::GatherOp> {
  using ThreadPattern::ThreadPattern;

  LogicalResult
  matchAndRewrite(kite::GatherOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType srcType = op.getSrc().getType(),
                     indexType = op.getIndex().getType(),
                     resultType = op.getType();
    auto same = [](ArrayRef<int64_t> coords) {
      return SmallVector<int64_t>(coords);
    };
    FailureOr<SmallVector<unsigned>> indexRegs =
        mapRegisters(indexType, resultType, same, grid);
    if (failed(indexRegs))
      return op.emitOpError()
             << "needs its result in its index's layout (" << indexType
             << " to " << resultType << "); it needs a kitegpu.convert_layout";

    ValueRange src = adaptor.getSrc();
    Type element = srcType.getElementType();
    if (failed(checkWorkgroupBytes(
            op, getWorkgroupBytes(element, srcType.getNumElements()), grid,
            "its source of shape " + kite::formatShape(srcType),
            "gather from a smaller block")))
      return failure();

    Location loc = op.getLoc();
    ArrayRef<int64_t> shape = srcType.getShape();
    Value buffer =
        allocWorkgroup(rewriter, loc, element, srcType.getNumElements());
    for (auto [value, coords] :
         llvm::zip_equal(src, emitRegisterCoords(rewriter, loc, srcType, grid)))
      storeWorkgroup(rewriter, loc, element, value, buffer,
                     emitLinearIndex(rewriter, loc, coords, shape));
    gpu::BarrierOp::create(rewriter, loc);

    unsigned axis = op.getAxis();
    ValueRange index = adaptor.getIndex();
    SmallVector<SmallVector<Value>> coords =
        emitRegisterCoords(rewriter, loc, resultType, grid);
    SmallVector<Value> results = loadWorkgroup(
        rewriter, loc, element, buffer, coords.size(),
        [&](size_t reg) {
          coords[reg][axis] = emitWrappedIndex(
              rewriter, loc, index[(*indexRegs)[reg]], shape[axis]);
          return emitLinearIndex(rewriter, loc, coords[reg], shape);
        },
        grid);
    gpu::BarrierOp::create(rewriter, loc);
    rewriter.replaceOpWithMultiple(op, {results});
    return success();
  }
};

} // namespace

void mlir::kitegpu::populateGatherToThreads(const TypeConverter &converter,
                                            const ThreadGrid &grid,
                                            RewritePatternSet &patterns) {
  patterns.add<GatherToThreads>(converter, patterns.getContext(), grid);
}
