//===- QuantizeDotPass.cpp - kite-quantize-dot ----------------------------===//
//
// dot(dequantize(a, sa), dequantize(b, sb), c), with sa one scale per row of
// a (or per tensor) and sb one per column of b (or per tensor), is
//
//   c[i, j] + sa[i] * sb[j] * sum_k a[i, k] * b[k, j]
//
// so the product runs on the 8-bit operands themselves (int8 -> i32, fp8 ->
// f32: the tensor cores' 8-bit instructions) and the accumulator is rescaled
// once. In a K loop whose scales do not change, the accumulator is carried
// unscaled and rescaled once after the loop; scales loaded inside the loop
// (one group of K per iteration) rescale each iteration's product.
//
// Scales loaded before such a loop for the rescale alone are loaded after
// it instead (where nothing from the load to the loop's end writes memory),
// so that they do not hold registers through the loop: Triton's kernels
// load them after the loop by hand.
//
//===----------------------------------------------------------------------===//
#include "dialects/Kite/Float8Formats.h"
#include "dialects/Kite/KiteOps.h"
#include "lib/Transforms/Passes.h"
#include "lib/Transforms/QuantizationUtils.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::kite {
#define GEN_PASS_DEF_KITEQUANTIZEDOT
#include "lib/Transforms/Passes.h.inc"
} // namespace mlir::kite

using namespace mlir;
using namespace mlir::kite;

namespace {

/// The 8-bit operands of a dot of two dequantizations, and their scales.
struct QuantizedOperands {
  Value a, b, scaleA, scaleB;
  bool isInteger;
};

/// A scale that is one per tensor, or one per `dim`-th dimension's index
/// (dimension `dim` of `data` kept, the other of size 1).
bool scalesAlong(Value scale, RankedTensorType data, unsigned keptDim) {
  auto type = dyn_cast<RankedTensorType>(scale.getType());
  if (!type)
    return true;
  return type.getDimSize(1 - keptDim) == 1 &&
         (type.getDimSize(keptDim) == 1 ||
          type.getDimSize(keptDim) == data.getDimSize(keptDim));
}

bool isLowPrecisionDotInput(Type elem) {
  if (elem.isInteger(8))
    return true;
  const Float8Format *fp8 = getFloat8Format(elem);
  return fp8 && !fp8->isScale;
}

std::optional<QuantizedOperands> matchQuantizedOperands(DotOp dot) {
  auto a = dot.getA().getDefiningOp<DequantizeOp>();
  auto b = dot.getB().getDefiningOp<DequantizeOp>();
  if (!a || !b || a.getZeroPoint() || b.getZeroPoint() || a.getIsUnsigned() ||
      b.getIsUnsigned() || !dot.getType().getElementType().isF32())
    return std::nullopt;
  auto typeA = cast<RankedTensorType>(a.getSrc().getType());
  auto typeB = cast<RankedTensorType>(b.getSrc().getType());
  Type elem = typeA.getElementType();
  if (elem != typeB.getElementType() || !isLowPrecisionDotInput(elem) ||
      !scalesAlong(a.getScale(), typeA, 0) ||
      !scalesAlong(b.getScale(), typeB, 1))
    return std::nullopt;
  return QuantizedOperands{a.getSrc(), b.getSrc(), a.getScale(), b.getScale(),
                           elem.isInteger(8)};
}

Value zerosOf(OpBuilder &b, Location loc, RankedTensorType type) {
  return arith::ConstantOp::create(b, loc, b.getZeroAttr(type));
}

/// product * sa * sb, with product (i32 or f32) of the dot's shape.
Value rescale(OpBuilder &b, Location loc, Value product,
              const QuantizedOperands &q) {
  auto type = cast<RankedTensorType>(product.getType()).clone(b.getF32Type());
  if (q.isInteger)
    product = arith::SIToFPOp::create(b, loc, type, product);
  // Each scale (scalar, [M, 1], [1, N] or [1, 1]) widened, then broadcast.
  auto full = [&](Value scale) {
    return expandToShape(b, loc, toF32(b, loc, scale), type.getShape());
  };
  Value scaled = arith::MulFOp::create(b, loc, product, full(q.scaleA));
  return arith::MulFOp::create(b, loc, scaled, full(q.scaleB));
}

/// The low-precision dot's result: i32 for int8 operands, f32 for fp8.
RankedTensorType accumulatorType(DotOp dot, const QuantizedOperands &q) {
  MLIRContext *context = dot.getContext();
  return dot.getType().clone(q.isInteger ? Type(IntegerType::get(context, 32))
                                         : Type(Float32Type::get(context)));
}

/// Whether `op` or an op nested in it may write memory (or has effects
/// unknown).
bool mayWrite(Operation *op) {
  WalkResult result = op->walk([](Operation *nested) {
    if (auto effects = dyn_cast<MemoryEffectOpInterface>(nested))
      return effects.hasEffect<MemoryEffects::Write>() ? WalkResult::interrupt()
                                                       : WalkResult::advance();
    return nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>()
               ? WalkResult::advance()
               : WalkResult::interrupt();
  });
  return result.wasInterrupted();
}

/// `scale`, recomputed at the rewriter's insertion point (after `loop`)
/// where it is a tensor loaded before `loop`, in its block, for the rescale
/// alone: the loads and the tensor ops they need are cloned there (scalars
/// and constants are read where they are), and the originals die. `scale`
/// itself where that would load anything twice or move a load past a write.
Value loadAfterLoop(Value scale, scf::ForOp loop, PatternRewriter &rewriter) {
  Block *block = loop->getBlock();
  llvm::SetVector<Operation *> slice;
  SmallVector<Value> worklist{scale};
  bool loads = false;
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    Operation *op = value.getDefiningOp();
    if (!op || !isa<RankedTensorType>(value.getType()) ||
        op->getBlock() != block || !op->isBeforeInBlock(loop) ||
        matchPattern(value, m_Constant()) || slice.contains(op))
      continue;
    if (auto load = dyn_cast<LoadOp>(op)) {
      if (load.getIsVolatile())
        return scale;
      loads = true;
    } else if (!isPure(op) || op->getNumRegions()) {
      return scale;
    }
    slice.insert(op);
    llvm::append_range(worklist, op->getOperands());
  }
  if (!loads)
    return scale;
  // What the loads read reaches nothing but `scale`, and `scale` nothing
  // but the dequantizations the rescale replaces: moved, not loaded twice.
  SmallVector<Operation *> downstream;
  for (Operation *op : slice)
    if (isa<LoadOp>(op))
      downstream.push_back(op);
  llvm::SmallPtrSet<Operation *, 8> seen;
  while (!downstream.empty()) {
    Operation *op = downstream.pop_back_val();
    if (!seen.insert(op).second)
      continue;
    for (Operation *user : op->getUsers()) {
      bool replaced = op == scale.getDefiningOp() &&
                      isa<DequantizeOp>(user) && loop->isAncestor(user);
      if (!replaced && !slice.contains(user))
        return scale;
      if (!replaced)
        downstream.push_back(user);
    }
  }
  // Nothing from the first load to the loop's end may write memory.
  Operation *first = nullptr;
  for (Operation *op : slice)
    if (isa<LoadOp>(op) && (!first || op->isBeforeInBlock(first)))
      first = op;
  for (Operation *op = first; op != loop->getNextNode(); op = op->getNextNode())
    if (mayWrite(op))
      return scale;
  // The slice in block order (operands before users).
  SmallVector<Operation *> ordered(slice.begin(), slice.end());
  llvm::sort(ordered,
             [](Operation *x, Operation *y) { return x->isBeforeInBlock(y); });
  IRMapping map;
  for (Operation *op : ordered)
    rewriter.clone(*op, map);
  return map.lookup(scale);
}

/// A K loop that carries dot's accumulator: the accumulator is carried as the
/// unscaled low-precision product, rescaled once after the loop.
struct RescaleAfterLoop : OpRewritePattern<scf::ForOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(scf::ForOp loop,
                                PatternRewriter &rewriter) const override {
    for (BlockArgument carried : loop.getRegionIterArgs()) {
      if (!carried.hasOneUse())
        continue;
      auto dot = dyn_cast<DotOp>(*carried.getUsers().begin());
      if (!dot || dot.getC() != carried || dot->getBlock() != loop.getBody() ||
          !dot->hasOneUse() ||
          !isa<scf::YieldOp>(*dot->getUsers().begin()))
        continue;
      unsigned index = carried.getArgNumber() - loop.getNumInductionVars();
      if (loop.getBody()->getTerminator()->getOperand(index) != dot.getResult())
        continue;
      std::optional<QuantizedOperands> q = matchQuantizedOperands(dot);
      if (!q || !loop.isDefinedOutsideOfLoop(q->scaleA) ||
          !loop.isDefinedOutsideOfLoop(q->scaleB))
        continue;
      rewriteLoop(loop, carried, index, dot, *q, rewriter);
      return success();
    }
    return failure();
  }

  static void rewriteLoop(scf::ForOp loop, BlockArgument carried,
                          unsigned index, DotOp dot, const QuantizedOperands &q,
                          PatternRewriter &rewriter) {
    Location loc = dot.getLoc();
    RankedTensorType accType = accumulatorType(dot, q);
    Value init = loop.getInitArgs()[index];
    rewriter.setInsertionPoint(loop);
    Value zeros = zerosOf(rewriter, loc, accType);
    rewriter.setInsertionPoint(dot);
    auto low = DotOp::create(rewriter, loc, accType, q.a, q.b, carried);
    Value result = loop.getResult(index);
    rewriter.modifyOpInPlace(loop, [&] {
      loop.getInitArgsMutable()[index].assign(zeros);
      carried.setType(accType);
      result.setType(accType);
    });
    rewriter.replaceOp(dot, low.getResult());
    // The loop's users read the rescaled sum; only the rescale reads the
    // unscaled product.
    SmallVector<OpOperand *> uses;
    for (OpOperand &use : result.getUses())
      uses.push_back(&use);
    rewriter.setInsertionPointAfter(loop);
    QuantizedOperands after = q;
    after.scaleA = loadAfterLoop(q.scaleA, loop, rewriter);
    after.scaleB = loadAfterLoop(q.scaleB, loop, rewriter);
    Value sum = arith::AddFOp::create(rewriter, loc, init,
                                      rescale(rewriter, loc, result, after));
    for (OpOperand *use : uses)
      rewriter.modifyOpInPlace(use->getOwner(), [&] { use->set(sum); });
  }
};

/// Any other such dot: the product of the 8-bit operands, rescaled, plus c.
struct RescaleProduct : OpRewritePattern<DotOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DotOp dot,
                                PatternRewriter &rewriter) const override {
    std::optional<QuantizedOperands> q = matchQuantizedOperands(dot);
    if (!q)
      return failure();
    Location loc = dot.getLoc();
    RankedTensorType accType = accumulatorType(dot, *q);
    auto low = DotOp::create(rewriter, loc, accType, q->a, q->b,
                             zerosOf(rewriter, loc, accType));
    Value product = rescale(rewriter, loc, low, *q);
    if (matchPattern(dot.getC(), m_AnyZeroFloat()))
      rewriter.replaceOp(dot, product);
    else
      rewriter.replaceOpWithNewOp<arith::AddFOp>(dot, dot.getC(), product);
    return success();
  }
};

struct KiteQuantizeDot : kite::impl::KiteQuantizeDotBase<KiteQuantizeDot> {
  void runOnOperation() override {
    // Loops first: a dot they take must not be rescaled on its own.
    RewritePatternSet loops(&getContext()), dots(&getContext());
    loops.add<RescaleAfterLoop>(&getContext());
    dots.add<RescaleProduct>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(loops))) ||
        failed(applyPatternsGreedily(getOperation(), std::move(dots))))
      signalPassFailure();
  }
};

} // namespace
