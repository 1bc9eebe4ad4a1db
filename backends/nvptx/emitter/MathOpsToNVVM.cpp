//===- MathOpsToNVVM.cpp - math the NVPTX backend cannot select -----------===//
//
// Runs before the conversion to LLVM: what is left of `math` afterwards has
// an NVPTX instruction or an LLVM intrinsic the backend expands.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/emitter/MathOpsToNVVM.h"
#include "backends/nvptx/emitter/Libdevice.h"
#include "dialects/KiteThread/AccurateMath.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

using namespace mlir;

/// `op` (one f32, f16 or bf16 operand and result) replaced by
/// `compute(x)` on the operand extended to f32, rounded back.
template <typename Op, typename Compute>
static void rewriteInF32(ModuleOp module, Compute compute) {
  SmallVector<Op> ops;
  module.walk([&](Op op) {
    Type type = op.getType();
    if (type.isF32() || type.isF16() || type.isBF16())
      ops.push_back(op);
  });
  for (Op op : ops) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Type f32 = b.getF32Type();
    Value x = op.getOperand();
    if (x.getType() != f32)
      x = arith::ExtFOp::create(b, loc, f32, x);
    Value result = compute(b, loc, x);
    if (op.getType() != f32)
      result = arith::TruncFOp::create(b, loc, op.getType(), result);
    op.replaceAllUsesWith(result);
    op.erase();
  }
}

/// exp of f32, f16 and bf16 scalars as 2^(x·log2 e) in f32, which the NVPTX
/// backend selects as ex2.approx.f32, as Triton does, with the rounding
/// error of x·log2 e put back: with a plain product that error, relative
/// 2^-24·|x·log2 e|, was 55 ulp at x = 88.7 (found on cuda-sim). hi = x·L
/// rounded, lo = fma(x, L, -hi) + x·L' (L' the rest of log2 e), and
/// exp(x) = 2^hi·2^lo ≈ fma(2^hi, lo·ln 2, 2^hi): two more fmas and a
/// multiply. Where x·L or 2^hi overflows, 2^hi is the result.
static void exp2ForExp(ModuleOp module) {
  rewriteInF32<math::ExpOp>(module, [](OpBuilder &b, Location at, Value x) {
    Location loc = kitethread::exactLocation(at);
    auto constant = [&](double v) {
      return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(float(v)))
          .getResult();
    };
    const double log2e = 1.4426950408889634;
    Value high = constant(log2e);
    Value low = constant(log2e - double(float(log2e)));
    Value hi = arith::MulFOp::create(b, loc, x, high);
    Value error = math::FmaOp::create(b, loc, x, high,
                                      arith::NegFOp::create(b, loc, hi));
    Value lo = math::FmaOp::create(b, loc, x, low, error);
    Value power = math::Exp2Op::create(b, loc, hi);
    Value scaled = arith::MulFOp::create(b, loc, lo, constant(0.6931471805599453));
    Value refined = math::FmaOp::create(b, loc, power, scaled, power);
    // Where x·L overflows or 2^hi is 0, inf or NaN, the refinement is NaN
    // (0·inf, inf - inf) and 2^hi is the answer; elsewhere it is finite,
    // or inf where the true result overflows.
    Value failed = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO,
                                         refined, refined);
    return arith::SelectOp::create(b, loc, failed, power, refined).getResult();
  });
}

/// f32 log and log2 of subnormal arguments: MLIR's polynomial expansions
/// treat them as 2^-126 (log(1e-45) came out -87.3, not -103.3; found on
/// cuda-sim). Subnormals are scaled by 2^24 first and 24 (·ln 2) taken off.
static void scaleSubnormalLogs(ModuleOp module) {
  SmallVector<Operation *> logs;
  module.walk([&](Operation *op) {
    if (isa<math::LogOp, math::Log2Op>(op) && op->getResult(0).getType().isF32())
      logs.push_back(op);
  });
  for (Operation *op : logs) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    auto constant = [&](double v) {
      return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(float(v)))
          .getResult();
    };
    Value x = op->getOperand(0);
    Value small = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT,
                                        math::AbsFOp::create(b, loc, x),
                                        constant(0x1p-126));
    Value scaled = arith::SelectOp::create(
        b, loc, small, arith::MulFOp::create(b, loc, x, constant(0x1p24)), x);
    b.setInsertionPointAfter(op);
    op->setOperand(0, scaled);
    double shift = isa<math::LogOp>(op) ? 24 * 0.6931471805599453 : 24;
    Value result = op->getResult(0);
    Value corrected = arith::SubFOp::create(b, loc, result, constant(shift));
    Value chosen = arith::SelectOp::create(b, loc, small, corrected, result);
    Operation *keep[] = {corrected.getDefiningOp(), chosen.getDefiningOp()};
    result.replaceUsesWithIf(chosen, [&](OpOperand &use) {
      return use.getOwner() != keep[0] && use.getOwner() != keep[1];
    });
  }
}

/// log10 of f32, f16 and bf16 as log2(x)·log10(2): LLVM has no NVPTX
/// lowering of llvm.log10, and the product adds at most an ulp.
static void log2ForLog10(ModuleOp module) {
  rewriteInF32<math::Log10Op>(module, [](OpBuilder &b, Location loc, Value x) {
    Value log10of2 = arith::ConstantOp::create(
        b, loc, b.getF32FloatAttr(0.30102999566398120));
    return arith::MulFOp::create(b, loc, math::Log2Op::create(b, loc, x),
                                 log10of2)
        .getResult();
  });
}

/// The math functions the NVPTX backend has no instruction for: f64 ones,
/// and f32 sin, cos and tan, call libdevice (Libdevice.cpp), f16 ones run in
/// f32, and the other f32 ones become MLIR's polynomial approximations.
LogicalResult mlir::kitenvptx::prepareMath(ModuleOp module) {
  static const llvm::StringSet<> expanded = {
      "acos",  "asin", "atan",  "atan2", "cbrt",  "cos",   "erf",  "erfc",
      "exp",   "expm1", "log",  "log1p", "log2",  "sin",   "tanh", "tan",
      "powf",  "sinh", "cosh",  "asinh", "acosh", "atanh", "fpowi", "ipowi"};
  // sin, cos, tan and the libdevice-only functions of f32 (f16, bf16) too,
  // where libdevice is there; without it, MLIR's expansions below, except
  // where they are textbook formulas that lose precision (AccurateMath.cpp).
  bool libdevice = !kitenvptx::findLibdevice().empty();
  kitenvptx::callLibdeviceForMath(module, /*f32Libdevice=*/libdevice);
  if (!libdevice)
    kitethread::rewriteLooseMath(module);
  exp2ForExp(module);
  log2ForLog10(module);
  scaleSubnormalLogs(module);
  kitethread::exactFloatRemainders(module, /*float64=*/true);
  kitethread::defineIntegerDivision(module);
  RewritePatternSet patterns(module.getContext());
  // tan, sinh, powf, ... in terms of exp, log, sin, cos (exp2 stays: it is
  // ex2.approx, as in Triton).
  math::populateExpansionPatterns(patterns, {"tan", "sinh", "cosh", "asinh",
                                             "acosh", "atanh", "powf", "fpowi",
                                             "ipowi"});
  // Upstream asks with the op's full name ("math.exp").
  auto predicate = [&](StringRef name) {
    name.consume_front("math.");
    return expanded.contains(name);
  };
  populateMathF32ExpansionPatterns(patterns, predicate);
  populateMathPolynomialApproximationPatterns(patterns, predicate);
  return applyPatternsGreedily(module, std::move(patterns));
}


void mlir::kitenvptx::allowFpFusion(ModuleOp module) {
  module.walk([](Operation *op) {
    if (!isa<arith::MulFOp, arith::AddFOp, arith::SubFOp>(op))
      return;
    auto fastmath = cast<arith::ArithFastMathInterface>(op);
    arith::FastMathFlags flags = fastmath.getFastMathFlagsAttr().getValue();
    op->setAttr(fastmath.getFastMathAttrName(),
                arith::FastMathFlagsAttr::get(
                    op->getContext(), flags | arith::FastMathFlags::contract));
  });
}
