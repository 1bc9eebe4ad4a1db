//===- ConvertLayoutToThreads.cpp - kitegpu.convert_layout ----------------===//
//
// When every thread already holds the elements the new layout gives it, the
// conversion is a register permutation. Otherwise it goes through
// workgroup memory: every thread stores each register at its element's
// row-major index, a barrier, every thread loads the new layout's
// coordinates, and a second barrier so that the buffer may be written again
// (in a loop) only after everyone has read it.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "dialects/Kite/KiteDialect.h"
#include "dialects/KiteGPU/KiteGPUOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"

using namespace mlir;
using namespace mlir::kitegpu;

namespace {

struct ConvertLayoutToThreads : ThreadPattern<ConvertLayoutOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(ConvertLayoutOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto srcType = cast<RankedTensorType>(op.getSrc().getType());
    auto dstType = cast<RankedTensorType>(op.getType());
    ValueRange src = adaptor.getSrc();
    auto same = [](ArrayRef<int64_t> coords) {
      return SmallVector<int64_t>(coords);
    };
    FailureOr<SmallVector<unsigned>> mapping =
        mapRegisters(srcType, dstType, same, grid);
    if (succeeded(mapping)) {
      SmallVector<Value> results;
      for (unsigned reg : *mapping)
        results.push_back(src[reg]);
      rewriter.replaceOpWithMultiple(op, {results});
      return success();
    }

    Location loc = op.getLoc();
    ArrayRef<int64_t> shape = srcType.getShape();
    Type element = srcType.getElementType();
    int64_t count = srcType.getNumElements();
    if (failed(checkWorkgroupBytes(op, getWorkgroupBytes(element, count), grid,
                                   "a block of shape " +
                                       kite::formatShape(srcType),
                                   "use smaller blocks")))
      return failure();
    Value buffer = allocWorkgroup(rewriter, loc, element, count);
    for (auto [value, coords] :
         llvm::zip_equal(src, emitRegisterCoords(rewriter, loc, srcType, grid)))
      storeWorkgroup(rewriter, loc, element, value, buffer,
                     emitLinearIndex(rewriter, loc, coords, shape));
    gpu::BarrierOp::create(rewriter, loc);
    SmallVector<SmallVector<Value>> coords =
        emitRegisterCoords(rewriter, loc, dstType, grid);
    SmallVector<Value> results = loadWorkgroup(
        rewriter, loc, element, buffer, coords.size(),
        [&](size_t r) {
          return emitLinearIndex(rewriter, loc, coords[r], shape);
        },
        grid);
    gpu::BarrierOp::create(rewriter, loc);
    rewriter.replaceOpWithMultiple(op, {results});
    return success();
  }
};

} // namespace

void mlir::kitegpu::populateConvertLayoutToThreads(
    const TypeConverter &converter, const ThreadGrid &grid,
    RewritePatternSet &patterns) {
  patterns.add<ConvertLayoutToThreads>(converter, patterns.getContext(), grid);
}
