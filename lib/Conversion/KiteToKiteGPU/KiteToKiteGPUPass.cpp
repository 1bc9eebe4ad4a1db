//===- KiteToKiteGPUPass.cpp - convert-kite-to-kitegpu: default layouts ---===//
//
// The kitegpu level keeps kite's ops and changes only tensor types, so the
// conversion rewrites types in place: every tensor value (op results, block
// arguments of functions and scf regions alike) gets the default layout of
// its shape, which keeps types consistent across regions. Then the few ops
// whose layouts are tied to their operands' get those layouts, with a
// convert_layout where the default is expected.
//
//===----------------------------------------------------------------------===//
#include "dialects/Kite/KiteOps.h"
#include "dialects/KiteGPU/KiteGPUOps.h"
#include "dialects/KiteGPU/MmaTiling.h"
#include "lib/Conversion/KiteToKiteGPU/GatherLayouts.h"
#include "lib/Conversion/KiteToKiteGPU/JoinSplitLayouts.h"
#include "lib/Conversion/KiteToKiteGPU/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Analysis/SliceAnalysis.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>

namespace mlir::kitegpu {
#define GEN_PASS_DEF_CONVERTKITETOKITEGPU
#include "lib/Conversion/KiteToKiteGPU/Passes.h.inc"
} // namespace mlir::kitegpu

using namespace mlir;
using namespace mlir::kitegpu;

namespace {

/// Gives `value` the type `type` and converts it back for its other uses.
void retypeResult(OpBuilder &builder, Value value, Type type) {
  Type old = value.getType();
  value.setType(type);
  builder.setInsertionPointAfterValue(value);
  auto convert = ConvertLayoutOp::create(builder, value.getLoc(), old, value);
  value.replaceAllUsesExcept(convert, convert.getOperation());
}

/// Converts operand `operand` of `op` to `type` just before `op`.
void convertOperand(OpBuilder &builder, Operation *op, unsigned operand,
                    Type type) {
  Value value = op->getOperand(operand);
  if (value.getType() == type)
    return;
  builder.setInsertionPoint(op);
  op->setOperand(operand,
                 ConvertLayoutOp::create(builder, op->getLoc(), type, value));
}

/// The layout of a dot's accumulator: each thread holds a tile of rows x
/// columns as square as its share of the result allows (at most 8 x 8), so
/// that the FMA dot loads a row of a and a column of b once for that many
/// products (DotToThreads.cpp); the default layout would give a thread 64
/// rows of one column at 128 x 128 with 8 warps.
BlockedLayoutAttr getDotLayout(MLIRContext *context, ArrayRef<int64_t> shape,
                               unsigned numWarps, unsigned threadsPerWarp) {
  int64_t threads = int64_t(numWarps) * threadsPerWarp;
  int64_t perThread = std::clamp<int64_t>(shape[0] * shape[1] / threads, 1, 64);
  perThread = int64_t(1) << llvm::Log2_64(perThread);
  int64_t columns = int64_t(1) << ((llvm::Log2_64(perThread) + 1) / 2);
  columns = std::min(columns, shape[1]);
  int64_t rows = std::min(perThread / columns, shape[0]);
  return getBlockedLayout(context, shape,
                          {unsigned(rows), unsigned(columns)}, {1, 0}, numWarps,
                          threadsPerWarp);
}

/// Whether `dot`'s result reaches another dot, or its a comes from one (as
/// attention's S = Q K^T and P V): such dots put all warps along M.
bool isChainedDot(kite::DotOp dot) {
  SetVector<Operation *> slice;
  getForwardSlice(dot.getResult(), &slice);
  if (llvm::any_of(slice, [](Operation *op) { return isa<kite::DotOp>(op); }))
    return true;
  slice.clear();
  BackwardSliceOptions options;
  options.omitBlockArguments = true;
  (void)getBackwardSlice(dot.getA(), &slice, options);
  return llvm::any_of(slice,
                      [](Operation *op) { return isa<kite::DotOp>(op); });
}

struct ConvertKiteToKiteGPUPass
    : mlir::kitegpu::impl::ConvertKiteToKiteGPUBase<ConvertKiteToKiteGPUPass> {
  using Base::Base;

  Type convertType(Type type) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || tensor.getEncoding() || tensor.getRank() == 0)
      return type;
    return withLayout(tensor,
                      getDefaultBlockedLayout(&getContext(), tensor.getShape(),
                                              numWarps, threadsPerWarp));
  }

  void convertTypes(Operation *op) {
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument arg : block.getArguments())
          arg.setType(convertType(arg.getType()));
    for (OpResult result : op->getResults())
      result.setType(convertType(result.getType()));
    if (auto func = dyn_cast<func::FuncOp>(op)) {
      SmallVector<Type> inputs, results;
      for (Type type : func.getArgumentTypes())
        inputs.push_back(convertType(type));
      for (Type type : func.getResultTypes())
        results.push_back(convertType(type));
      func.setFunctionType(FunctionType::get(&getContext(), inputs, results));
    }
    if (auto constant = dyn_cast<arith::ConstantOp>(op))
      if (auto dense = dyn_cast<DenseElementsAttr>(constant.getValue()))
        constant.setValueAttr(
            dense.reshape(cast<ShapedType>(constant.getType())));
  }

  void tieLayouts(OpBuilder &builder, Operation *op) {
    if (auto reduce = dyn_cast<kite::ReduceOp>(op)) {
      DistributedLayoutAttr src = getLayout(reduce.getSrcs()[0].getType());
      for (Value result : reduce.getResults())
        if (isa<RankedTensorType>(result.getType()))
          retypeResult(builder, result,
                       withLayout(result.getType(),
                                  SliceLayoutAttr::get(&getContext(),
                                                       reduce.getAxis(), src)));
    } else if (auto trans = dyn_cast<kite::TransOp>(op)) {
      if (auto src = dyn_cast<BlockedLayoutAttr>(
              trans.getSrc().getType().getEncoding()))
        retypeResult(
            builder, trans.getResult(),
            withLayout(trans.getType(),
                       getPermutedLayout(src, trans.getOrder())));
    } else if (auto expand = dyn_cast<kite::ExpandDimsOp>(op)) {
      auto slice = SliceLayoutAttr::get(&getContext(), expand.getAxis(),
                                        getLayout(expand.getType()));
      convertOperand(builder, op, 0,
                     withLayout(expand.getSrc().getType(), slice));
    } else if (auto dot = dyn_cast<kite::DotOp>(op)) {
      // The accumulator in the dot's layout (remove-layout-conversions
      // carries it so through a loop); a and b stay as they are.
      RankedTensorType type = dot.getType();
      BlockedLayoutAttr layout = getDotLayout(&getContext(), type.getShape(),
                                              numWarps, threadsPerWarp);
      // On tensor cores, the layout whose registers are the accumulators
      // of mma.sync: no workgroup memory for c and d, and a loop carries
      // them as they are.
      RankedTensorType a = dot.getA().getType();
      if (auto tiling = chooseMmaTiling(
              a.getElementType(), dot.getInputPrecision(),
              type.getElementType(), type.getDimSize(0), type.getDimSize(1),
              a.getDimSize(1), numWarps, threadsPerWarp, tensorCores,
              isChainedDot(dot), /*warpsM=*/std::nullopt, warpgroupMma)) {
        layout = getMmaAccumulatorLayout(&getContext(), *tiling);
        // An a the loop around the dot does not change (attention's Q),
        // converted once, before the loop, to the accumulator layout
        // whose registers are its A fragments (MmaDotToThreads.cpp): no
        // staging per iteration, half the registers (packed pairs).
        auto loop = op->getParentOfType<scf::ForOp>();
        if (tiling->warpsN == 1 && tiling->k == 16 && loop &&
            !loop->isAncestor(dot.getA().getParentBlock()->getParentOp())) {
          MmaTiling aTiling = *tiling;
          aTiling.tilesN = a.getDimSize(1) / 8;
          builder.setInsertionPointAfterValue(dot.getA());
          Value converted = ConvertLayoutOp::create(
              builder, dot.getLoc(),
              withLayout(a, getMmaAccumulatorLayout(&getContext(), aTiling)),
              dot.getA());
          dot.getAMutable().set(converted);
        }
      }
      convertOperand(builder, op, 2, withLayout(type, layout));
      retypeResult(builder, dot.getResult(), withLayout(type, layout));
    } else if (auto join = dyn_cast<kite::JoinOp>(op)) {
      // The pair dimension inside each thread (as in Triton): the join then
      // moves no data, and a conversion follows where the default layout
      // is expected.
      auto operand = dyn_cast_or_null<BlockedLayoutAttr>(
          getLayout(join.getLhs().getType()));
      BlockedLayoutAttr layout =
          operand
              ? getJoinLayout(operand)
              : getScalarJoinLayout(&getContext(), numWarps, threadsPerWarp);
      retypeResult(builder, join.getResult(),
                   withLayout(join.getType(), layout));
    } else if (auto split = dyn_cast<kite::SplitOp>(op)) {
      // The source converted to the layout whose pairs its threads hold.
      auto result = dyn_cast_or_null<BlockedLayoutAttr>(
          getLayout(split.getLhs().getType()));
      BlockedLayoutAttr layout =
          result ? getJoinLayout(result)
                 : getScalarJoinLayout(&getContext(), numWarps, threadsPerWarp);
      convertOperand(builder, op, 0,
                     withLayout(split.getSrc().getType(), layout));
    } else if (auto gather = dyn_cast<kite::GatherOp>(op)) {
      // Each result register reads the index register of its coordinate
      // (GatherLayouts.h); the source is stored from any layout.
      Type type =
          withLayout(gather.getType(), getLayout(gather.getIndex().getType()));
      if (type != gather.getType())
        retypeResult(builder, gather.getResult(), type);
    } else if (auto broadcast = dyn_cast<kite::BroadcastOp>(op)) {
      convertOperand(builder, op, 0,
                     withLayout(broadcast.getSrc().getType(),
                                broadcast.getType().getEncoding()));
    }
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (!llvm::isPowerOf2_32(numWarps) ||
        !llvm::isPowerOf2_32(threadsPerWarp)) {
      module.emitError() << "num-warps (" << numWarps
                         << ") and threads-per-warp (" << threadsPerWarp
                         << ") must be powers of two";
      return signalPassFailure();
    }
    OpBuilder builder(&getContext());
    module->setAttr(KiteGPUDialect::getNumWarpsAttrName(),
                    builder.getI32IntegerAttr(numWarps));
    module->setAttr(KiteGPUDialect::getThreadsPerWarpAttrName(),
                    builder.getI32IntegerAttr(threadsPerWarp));
    module.walk([&](Operation *op) { convertTypes(op); });
    SmallVector<Operation *> ops;
    module.walk([&](Operation *op) { ops.push_back(op); });
    for (Operation *op : ops)
      tieLayouts(builder, op);
  }
};

} // namespace
