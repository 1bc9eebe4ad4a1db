//===- KernelABIToSPIRV.cpp - the kernel, its grid and its arguments ------===//
//
// The kernel becomes a spirv.func (the pass adds the entry point once all
// global variables exist). Launch arguments and the grid come from one
// push-constant block, laid out as the Vulkan runtime's docs/vulkan-abi.md
// says (its ArgumentPassing::Buffer form):
//
//   offset 0:  u32 programIdOffset[3]  program id of this dispatch's group 0
//   offset 12: u32 grid[3]             programs in the whole launch
//   offset 24: u64 argsAddress         device address of the packed arguments
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/emitter/KiteThreadToSPIRV.h"
#include "dialects/Kite/KiteDialect.h"
#include "dialects/KiteThread/KiteThreadOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::kitespirv;

namespace {
enum LaunchField : unsigned { GridOffset = 0, GridSize = 1, ArgsAddress = 2 };
} // namespace

/// The push-constant variable, created at the top of the spirv.module on
/// first use.
static spirv::GlobalVariableOp getLaunchBlock(Operation *op,
                                              OpBuilder &builder) {
  auto module = op->getParentOfType<spirv::ModuleOp>();
  if (auto var = module.lookupSymbol<spirv::GlobalVariableOp>(
          kPushConstantsName))
    return var;
  MLIRContext *context = op->getContext();
  Type i32 = builder.getI32Type(), i64 = builder.getI64Type();
  Type grid = spirv::ArrayType::get(i32, 3, /*stride=*/4);
  auto block = spirv::StructType::get(
      {grid, grid, i64}, {0, 12, 24}, {},
      {spirv::StructType::StructDecorationInfo(spirv::Decoration::Block,
                                               UnitAttr::get(context))});
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(module.getBody());
  return spirv::GlobalVariableOp::create(
      builder, op->getLoc(),
      spirv::PointerType::get(block, spirv::StorageClass::PushConstant),
      kPushConstantsName);
}

static Value i32Constant(OpBuilder &b, Location loc, int32_t value) {
  return spirv::ConstantOp::create(b, loc, b.getI32Type(),
                                   b.getI32IntegerAttr(value));
}

/// Loads a field of the launch block, or one element of a grid field.
static Value loadLaunchField(Operation *op, OpBuilder &b, LaunchField field,
                             std::optional<int32_t> element = std::nullopt) {
  Location loc = op->getLoc();
  Value base = spirv::AddressOfOp::create(b, loc, getLaunchBlock(op, b));
  SmallVector<Value, 2> indices = {i32Constant(b, loc, field)};
  if (element)
    indices.push_back(i32Constant(b, loc, *element));
  Value ptr = spirv::AccessChainOp::create(b, loc, base, indices);
  return spirv::LoadOp::create(b, loc, ptr);
}

Value mlir::kitespirv::getGlobalPointer(OpBuilder &builder, Location loc,
                                        Type type, Value addr) {
  auto ptrType =
      spirv::PointerType::get(type, spirv::StorageClass::PhysicalStorageBuffer);
  return spirv::ConvertUToPtrOp::create(builder, loc, ptrType, addr);
}

static Value alignedLoad(OpBuilder &b, Location loc, Value ptr,
                         int32_t alignment) {
  return spirv::LoadOp::create(
      b, loc, ptr,
      spirv::MemoryAccessAttr::get(b.getContext(),
                                   spirv::MemoryAccess::Aligned),
      b.getI32IntegerAttr(alignment));
}

namespace {
struct KernelFuncPattern : OpConversionPattern<func::FuncOp> {
  KernelFuncPattern(const TypeConverter &converter, MLIRContext *context)
      : OpConversionPattern(converter, context, /*benefit=*/2) {}

  LogicalResult
  matchAndRewrite(func::FuncOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!op->hasAttr(kite::KiteDialect::getKernelAttrName()))
      return failure();
    auto fn = spirv::FuncOp::create(rewriter, op.getLoc(), op.getName(),
                                    rewriter.getFunctionType({}, {}));
    // gpu.block_dim reads the workgroup size from here; the pass turns it
    // into the entry point's LocalSize.
    auto numThreads = op->getParentOfType<ModuleOp>()->getAttrOfType<IntegerAttr>(
        kitethread::KiteThreadDialect::getNumThreadsAttrName());
    int32_t size = numThreads ? numThreads.getInt() : 1;
    fn->setAttr(spirv::getEntryPointABIAttrName(),
                spirv::getEntryPointABIAttr(getContext(), {size, 1, 1}));
    rewriter.inlineRegionBefore(op.getBody(), fn.getBody(), fn.end());
    rewriter.eraseOp(op);
    return success();
  }
};

/// program_id = WorkgroupId + gridOffset: a launch larger than one dispatch
/// allows is split into dispatches that each see their offset.
struct ProgramIdPattern : OpConversionPattern<kitethread::ProgramIdOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(kitethread::ProgramIdOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    int32_t axis = op.getAxis();
    Value ids = spirv::getBuiltinVariableValue(
        op, spirv::BuiltIn::WorkgroupId, rewriter.getI32Type(), rewriter);
    Value id = spirv::CompositeExtractOp::create(rewriter, loc, ids,
                                                 ArrayRef<int32_t>{axis});
    Value offset = loadLaunchField(op, rewriter, GridOffset, axis);
    rewriter.replaceOpWithNewOp<spirv::IAddOp>(op, id, offset);
    return success();
  }
};

struct NumProgramsPattern : OpConversionPattern<kitethread::NumProgramsOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(kitethread::NumProgramsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op,
                       loadLaunchField(op, rewriter, GridSize, op.getAxis()));
    return success();
  }
};

struct KernelArgPattern : OpConversionPattern<kitethread::KernelArgOp> {
  KernelArgPattern(const TypeConverter &converter, MLIRContext *context,
                   ArrayRef<int64_t> offsets)
      : OpConversionPattern(converter, context), offsets(offsets) {}

  LogicalResult
  matchAndRewrite(kitethread::KernelArgOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type i32 = rewriter.getI32Type(), i64 = rewriter.getI64Type();
    Type type = op.getType();
    int64_t offset = offsets[op.getIndex()];
    Value args = loadLaunchField(op, rewriter, ArgsAddress);
    auto addressAt = [&](int64_t at) -> Value {
      Value delta = spirv::ConstantOp::create(rewriter, loc, i64,
                                              rewriter.getI64IntegerAttr(at));
      return spirv::IAddOp::create(rewriter, loc, args, delta);
    };
    // A boolean is passed as a u32.
    Type memoryType = type.isInteger(1) ? i32 : type;
    int32_t size = memoryType.getIntOrFloatBitWidth() / 8;
    Value ptr = getGlobalPointer(rewriter, loc, memoryType, addressAt(offset));
    Value value = alignedLoad(rewriter, loc, ptr, size);
    if (type.isInteger(1))
      value = spirv::INotEqualOp::create(rewriter, loc, value,
                                         i32Constant(rewriter, loc, 0));
    rewriter.replaceOp(op, value);
    return success();
  }

  ArrayRef<int64_t> offsets;
};
} // namespace

void mlir::kitespirv::populateKernelABIPatterns(
    const SPIRVTypeConverter &converter, ArrayRef<int64_t> argOffsets,
    RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<KernelFuncPattern, ProgramIdPattern, NumProgramsPattern>(
      converter, context);
  patterns.add<KernelArgPattern>(converter, context, argOffsets);
}
