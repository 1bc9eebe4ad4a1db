//===- ElementwiseToThreads.cpp - one op per register ---------------------===//
//
// The program grid, constants, splat, make_range, element-wise arith/math
// (compares, selects and casts included), pointer arithmetic and the kite
// casts: each register of the result is computed from the same register of
// the operands.
//
//===----------------------------------------------------------------------===//
#include "lib/Conversion/KiteGPUToThreads/ThreadLowering.h"

#include "dialects/Kite/KiteOps.h"
#include "dialects/KiteThread/KiteThreadOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::kitegpu;

/// A bf16 or fp8 constant as the f32 that holds it.
static TypedAttr toF32IfEmulated(TypedAttr attr) {
  auto value = dyn_cast<FloatAttr>(attr);
  if (!value || !isEmulatedFloat(value.getType()))
    return attr;
  return FloatAttr::get(Float32Type::get(attr.getContext()),
                        value.getValueAsDouble());
}

namespace {

template <typename SourceOp, typename TargetOp>
struct GridOpToThreads : OpConversionPattern<SourceOp> {
  using OpConversionPattern<SourceOp>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(SourceOp op, typename SourceOp::Adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOpWithNewOp<TargetOp>(op, op.getType(), op.getAxis());
    return success();
  }
};

/// A dense tensor constant: the same scalar in every register. Constants
/// whose registers differ between threads are not lowered.
struct ConstantToThreads : OpConversionPattern<arith::ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(arith::ConstantOp op, OneToNOpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getType());
    if (!type)
      return failure();
    auto dense = dyn_cast<DenseElementsAttr>(op.getValue());
    if (!dense || !dense.isSplat())
      return op.emitOpError()
             << "only splat tensor constants lower to threads yet";
    Value scalar = arith::ConstantOp::create(
        rewriter, op.getLoc(),
        toF32IfEmulated(cast<TypedAttr>(dense.getSplatValue<Attribute>())));
    int64_t n = getLayout(type).getTotalElemsPerThread(type.getShape());
    rewriter.replaceOpWithMultiple(op, {SmallVector<Value>(n, scalar)});
    return success();
  }
};

struct SplatToThreads : OpConversionPattern<kite::SplatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(kite::SplatOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = op.getType();
    int64_t n = getLayout(type).getTotalElemsPerThread(type.getShape());
    Value scalar = adaptor.getSrc().front();
    rewriter.replaceOpWithMultiple(op, {SmallVector<Value>(n, scalar)});
    return success();
  }
};

/// A scalar bf16 or fp8 constant becomes the f32 holding it.
struct EmulatedConstantToThreads : OpConversionPattern<arith::ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(arith::ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isEmulatedFloat(op.getType()))
      return failure();
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(
        op, toF32IfEmulated(cast<TypedAttr>(op.getValue())));
    return success();
  }
};

/// Register r holds start + its coordinate.
struct MakeRangeToThreads : ThreadPattern<kite::MakeRangeOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(kite::MakeRangeOp op, OneToNOpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    SmallVector<Value> values;
    for (SmallVector<Value> &coords :
         emitRegisterCoords(rewriter, loc, op.getType(), grid)) {
      Value value = coords[0];
      if (op.getStart())
        value = arith::AddIOp::create(rewriter, loc, value,
                                      createI32(rewriter, loc, op.getStart()));
      values.push_back(value);
    }
    rewriter.replaceOpWithMultiple(op, {values});
    return success();
  }
};

/// Any element-wise arith or math op (tensors or scalar pointers): one copy
/// per register; a scalar operand (select's condition) is used by all.
struct ElementwiseToThreads : ConversionPattern {
  ElementwiseToThreads(const TypeConverter &converter, MLIRContext *context,
                       const AccessWidths &groups, const ThreadGrid &grid)
      : ConversionPattern(converter, MatchAnyOpTypeTag(), 1, context),
        groups(groups), grid(grid) {}
  /// Masks constant over groups of consecutive registers
  /// (planConstantGroups): computed once per group.
  const AccessWidths &groups;
  /// Whose target may convert bf16 and fp8 in hardware.
  ThreadGrid grid;
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<ValueRange> operands,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isElementwiseForThreads(op))
      return failure();
    SmallVector<Type> types;
    if (failed(typeConverter->convertType(op->getResult(0).getType(), types)))
      return failure();
    rewriter.replaceOpWithMultiple(
        op, {emitElementwiseRegisters(rewriter, op, operands, types, grid,
                                      groups.lookup(op))});
    return success();
  }
};

/// fp8 conversions, and float conversions toward zero: through the f32
/// register, rounded to the destination when it is emulated (to
/// nearest-even, or toward zero), else widened or narrowed (exactly for an
/// fp8 value, which is an f16, f32 and f64 value; toward zero when asked).
struct FpToFpToThreads : ThreadPattern<kite::FpToFpOp> {
  using ThreadPattern::ThreadPattern;
  LogicalResult
  matchAndRewrite(kite::FpToFpOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    SmallVector<Type> types;
    if (failed(getTypeConverter()->convertType(op.getType(), types)))
      return failure();
    rewriter.replaceOpWithMultiple(
        op, {emitFpToFpRegisters(rewriter, op, adaptor.getSrc(), types, grid)});
    return success();
  }
};

/// base + sext(offset) * sizeof(element), on i64 addresses.
struct AddPtrToThreads : OpConversionPattern<kite::AddPtrOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(kite::AddPtrOp op, OneToNOpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto ptrType = cast<kite::PointerType>(getElementTypeOrSelf(op.getType()));
    Value size = arith::ConstantIntOp::create(
        rewriter, loc, getElementBytes(ptrType.getPointeeType()), 64);
    SmallVector<Value> results;
    for (auto [base, offset] :
         llvm::zip_equal(adaptor.getPtr(), adaptor.getOffset())) {
      Value wide = offset;
      if (offset.getType().getIntOrFloatBitWidth() < 64)
        wide = arith::ExtSIOp::create(rewriter, loc, rewriter.getI64Type(),
                                      offset);
      Value bytes = arith::MulIOp::create(rewriter, loc, wide, size);
      results.push_back(arith::AddIOp::create(rewriter, loc, base, bytes));
    }
    rewriter.replaceOpWithMultiple(op, {results});
    return success();
  }
};

/// ptr_to_int, int_to_ptr and pointer bitcasts keep the i64 address;
/// int <-> float bitcasts become arith.bitcast per register.
template <typename SourceOp>
struct AddressCastToThreads : OpConversionPattern<SourceOp> {
  using OpConversionPattern<SourceOp>::OpConversionPattern;
  LogicalResult matchAndRewrite(
      SourceOp op,
      typename SourceOp::template GenericAdaptor<ArrayRef<ValueRange>> adaptor,
      ConversionPatternRewriter &rewriter) const override {
    SmallVector<Type> types;
    if (failed(this->getTypeConverter()->convertType(op.getType(), types)))
      return failure();
    SmallVector<Value> results;
    for (auto [value, type] : llvm::zip_equal(adaptor.getSrc(), types))
      results.push_back(
          value.getType() == type
              ? value
              : arith::BitcastOp::create(rewriter, op.getLoc(), type, value)
                    .getResult());
    rewriter.replaceOpWithMultiple(op, {results});
    return success();
  }
};

} // namespace

SmallVector<Value> mlir::kitegpu::emitFpToFpRegisters(OpBuilder &b,
                                                     kite::FpToFpOp op,
                                                     ValueRange src,
                                                     TypeRange types,
                                                     const ThreadGrid &grid) {
  Location loc = op.getLoc();
  Type dst = getElementTypeOrSelf(op.getType());
  bool towardZero = op.getRounding() == kite::RoundingMode::RTZ;
  Type f32 = b.getF32Type();
  auto convert = [&](Value value, Type to) -> Value {
    unsigned from = value.getType().getIntOrFloatBitWidth();
    if (value.getType() == to)
      return value;
    if (from < to.getIntOrFloatBitWidth())
      return arith::ExtFOp::create(b, loc, to, value);
    return arith::TruncFOp::create(b, loc, to, value);
  };
  SmallVector<Value> results, wides;
  for (auto [value, type] : llvm::zip_equal(src, types)) {
    Value wide = convert(value, f32);
    if (towardZero && value.getType().isF64()) {
      // f64 -> f32 rounded to nearest could round up past an fp8 value:
      // truncate toward zero instead (the f32 just below in magnitude).
      Value back = arith::ExtFOp::create(b, loc, value.getType(), wide);
      Value tooBig = arith::CmpFOp::create(
          b, loc, arith::CmpFPredicate::OGT,
          math::AbsFOp::create(b, loc, back),
          math::AbsFOp::create(b, loc, value));
      Type i32 = b.getI32Type();
      Value bits = arith::BitcastOp::create(b, loc, i32, wide);
      Value lower = arith::SubIOp::create(
          b, loc, bits, arith::ConstantIntOp::create(b, loc, 1, 32));
      wide = arith::BitcastOp::create(
          b, loc, f32,
          arith::SelectOp::create(b, loc, tooBig, lower, bits));
    }
    if (isEmulatedFloat(dst)) { // rounded below, all registers together
      wides.push_back(wide);
      continue;
    }
    Value narrow = convert(wide, type);
    if (towardZero && type.getIntOrFloatBitWidth() < 32) {
      // f16: rounded to nearest away from zero (to inf past the largest
      // value), the code below in sign-magnitude is the next toward zero.
      Value back = arith::ExtFOp::create(b, loc, f32, narrow);
      Value tooBig =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT,
                                math::AbsFOp::create(b, loc, back),
                                math::AbsFOp::create(b, loc, wide));
      Type bitsType = b.getIntegerType(type.getIntOrFloatBitWidth());
      Value bits = arith::BitcastOp::create(b, loc, bitsType, narrow);
      Value lower = arith::SubIOp::create(
          b, loc, bits,
          arith::ConstantIntOp::create(b, loc, bitsType, 1));
      narrow = arith::BitcastOp::create(
          b, loc, type,
          arith::SelectOp::create(b, loc, tooBig, lower, bits));
    }
    results.push_back(narrow);
  }
  if (isEmulatedFloat(dst))
    results = emitRoundToEmulated(b, loc, wides, dst, grid, towardZero,
                                  getNaNBits(op));
  return results;
}

bool mlir::kitegpu::isElementwiseForThreads(Operation *op) {
  return isa<arith::ArithDialect, math::MathDialect>(op->getDialect()) &&
         OpTrait::hasElementwiseMappableTraits(op) && op->getNumResults() == 1;
}

SmallVector<Value> mlir::kitegpu::emitElementwiseRegisters(
    OpBuilder &b, Operation *op, ArrayRef<ValueRange> operands,
    TypeRange types, const ThreadGrid &grid, unsigned group) {
  // bf16 and fp8 values are f32 registers (EmulatedFloats.cpp): every such
  // result is computed in f32 and rounded, as the interpreter does.
  Location loc = op->getLoc();
  Type resultElement = getElementTypeOrSelf(op->getResult(0).getType());
  bool toEmulated = isEmulatedFloat(resultElement);
  Type srcElement = op->getNumOperands()
                        ? getElementTypeOrSelf(op->getOperand(0).getType())
                        : Type();
  if (isa<arith::BitcastOp>(op) &&
      (toEmulated || isEmulatedFloat(srcElement))) {
    // Through the bits: an emulated value's are its rounded code, a
    // native float's (f16 <-> bf16, e4m3 <-> e5m2) are bitcast.
    SmallVector<Value> bits(operands[0]);
    if (isEmulatedFloat(srcElement))
      bits = emitEmulatedBits(b, loc, bits, srcElement, grid);
    else if (isa<FloatType>(bits[0].getType()))
      for (Value &value : bits)
        value = arith::BitcastOp::create(
            b, loc, b.getIntegerType(srcElement.getIntOrFloatBitWidth()),
            value);
    if (toEmulated)
      bits = emitEmulatedToF32(b, loc, bits, resultElement, grid,
                               getNaNBits(op));
    else
      for (auto [value, type] : llvm::zip_equal(bits, types))
        if (value.getType() != type)
          value = arith::BitcastOp::create(b, loc, type, value);
    return bits;
  }
  SmallVector<Value> results;
  for (size_t i = 0; i < types.size(); ++i) {
    if (group > 1 && i % group) { // the group's first register's value
      results.push_back(results[i - i % group]);
      continue;
    }
    SmallVector<Value> regOperands;
    for (ValueRange range : operands)
      regOperands.push_back(range.size() == 1 ? range[0] : range[i]);
    if (isa<arith::ExtFOp, arith::TruncFOp>(op) &&
        regOperands[0].getType() == types[i]) {
      results.push_back(regOperands[0]); // bf16 <-> f32: the same register
      continue;
    }
    OperationState state(loc, op->getName(), regOperands, {types[i]},
                         op->getAttrs());
    results.push_back(b.create(state)->getResult(0));
  }
  // All registers together: two per instruction where the target
  // converts in hardware.
  if (toEmulated && !isa<arith::SelectOp>(op))
    results = emitRoundToEmulated(b, loc, results, resultElement, grid,
                                  /*towardZero=*/false, getNaNBits(op));
  return results;
}

void mlir::kitegpu::populateElementwiseToThreads(const TypeConverter &converter,
                                                 const ThreadGrid &grid,
                                                 const AccessWidths &groups,
                                                 RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<GridOpToThreads<kite::ProgramIdOp, kitethread::ProgramIdOp>,
               GridOpToThreads<kite::NumProgramsOp, kitethread::NumProgramsOp>,
               ConstantToThreads, EmulatedConstantToThreads, SplatToThreads,
               AddPtrToThreads, AddressCastToThreads<kite::PtrToIntOp>,
               AddressCastToThreads<kite::IntToPtrOp>,
               AddressCastToThreads<kite::BitcastOp>>(converter, context);
  patterns.add<MakeRangeToThreads, FpToFpToThreads>(converter, context, grid);
  patterns.add<ElementwiseToThreads>(converter, context, groups, grid);
}
