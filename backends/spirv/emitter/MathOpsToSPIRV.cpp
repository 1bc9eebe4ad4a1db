//===- MathOpsToSPIRV.cpp - math the GLSL.std.450 set does not cover ------===//
//
// Before the conversion, thread-level `math` ops are rewritten where the
// upstream GLSL patterns would be wrong or missing on Vulkan:
//
// - f64 roundeven (rint) is computed from floor: lavapipe's RoundEven of
//   f64 (Mesa 25.0.7) rounded 1.5 to 1 and -1.5 to -1;
// - transcendental functions (exp, log, sin, erf, ...) exist in
//   GLSL.std.450 for 16- and 32-bit floats only: on f64 they are an error
//   naming the op; on f16 they run in f32 (Vulkan lets f16 exp/log be far
//   less precise than a correctly rounded f16), then round to f16;
// - erf, erfc, atan2 and cbrt (no GLSL instruction) are the upstream f32
//   polynomial approximations; trunc is floor of the magnitude, with the
//   sign put back;
// - fma: GLSL.std.450 Fma may be a multiply and an add each rounded
//   (Vulkan's precision rules), so the product and sum are computed in a
//   wider type (f16 -> f32 or f64, f32 -> f64 where the device has
//   shaderFloat64), where the product is exact, and rounded once at the end;
// - exp2 has no upstream pattern: spirv.GL.Exp2;
// - asin, acos and atan: the upstream f32 polynomials (lavapipe's GLSL ones are
//   off by 4e-4 relative), the same as on NVIDIA;
// - popcount is spirv.BitCount on 32 bits: narrower integers are extended,
//   64-bit ones split in halves, as are 64-bit leading-zero counts.
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/emitter/KiteThreadToSPIRV.h"
#include "dialects/KiteThread/AccurateMath.h"
#include "dialects/KiteThread/FloatConstant.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SPIRV/IR/SPIRVOps.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSwitch.h"

using namespace mlir;
using namespace mlir::kitespirv;

/// The GLSL.std.450 instruction behind a transcendental math op (16/32-bit
/// floats only), or "" for ops that take every float width.
static StringRef getGLSLName(Operation *op) {
  return llvm::StringSwitch<StringRef>(op->getName().getStringRef())
      .Case("math.exp", "Exp")
      .Case("math.exp2", "Exp2")
      .Case("math.expm1", "Exp")
      .Case("math.log", "Log")
      .Case("math.log2", "Log2")
      .Case("math.log10", "Log")
      .Case("math.log1p", "Log")
      .Case("math.sin", "Sin")
      .Case("math.cos", "Cos")
      .Case("math.tan", "Tan")
      .Case("math.tanh", "Tanh")
      .Case("math.sinh", "Sinh")
      .Case("math.cosh", "Cosh")
      .Case("math.asin", "Asin (asin is computed with sqrt)")
      .Case("math.acos", "Acos (acos is computed with sqrt)")
      .Case("math.atan", "Atan")
      .Case("math.asinh", "Asinh")
      .Case("math.acosh", "Acosh")
      .Case("math.atanh", "Atanh")
      .Case("math.atan2", "Atan (atan2 is computed with atan)")
      .Case("math.powf", "Pow")
      .Case("math.erf", "Exp (erf is computed with exp)")
      .Case("math.erfc", "Exp (erfc is computed with exp)")
      .Case("math.cbrt", "Log (cbrt is computed with log)")
      .Default("");
}

/// `op` (one float result, float operands) computed in `wide` and rounded
/// back to its type.
static void computeIn(OpBuilder &b, Operation *op, FloatType wide) {
  b.setInsertionPoint(op);
  Location loc = op->getLoc();
  Type narrow = op->getResult(0).getType();
  SmallVector<Value> operands;
  for (Value v : op->getOperands())
    operands.push_back(arith::ExtFOp::create(b, loc, wide, v));
  OperationState state(loc, op->getName(), operands, {wide}, op->getAttrs());
  Value result = b.create(state)->getResult(0);
  op->getResult(0).replaceAllUsesWith(
      arith::TruncFOp::create(b, loc, narrow, result).getResult());
  op->erase();
}

/// f64 roundeven(x) from floor, exactly: with a = |x|, f = floor(a) and
/// d = a - f (exact), a rounds to f + 1 when d > 1/2 or d = 1/2 and f is
/// odd, else to f; the sign is copied back (-0.0 stays, NaN stays NaN,
/// infinities and |x| >= 2^52 come back unchanged as d is NaN or 0).
/// lavapipe's own f64 RoundEven rounded halves to odd.
static void roundEvenOfF64FromFloor(ModuleOp module) {
  SmallVector<math::RoundEvenOp> ops;
  module.walk([&](math::RoundEvenOp op) {
    if (getElementTypeOrSelf(op.getType()).isF64())
      ops.push_back(op);
  });
  for (math::RoundEvenOp op : ops) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Type type = op.getType();
    auto c = [&](double v) -> Value {
      return kitethread::floatConstant(b, loc, type, v);
    };
    Value x = op.getOperand();
    Value a = math::AbsFOp::create(b, loc, x);
    Value f = math::FloorOp::create(b, loc, a);
    Value d = arith::SubFOp::create(b, loc, a, f);
    Value half = c(0.5);
    // f - 2 floor(f / 2): 1 for odd f (exact below 2^53).
    Value parity = arith::SubFOp::create(
        b, loc, f,
        arith::MulFOp::create(
            b, loc, c(2.0),
            math::FloorOp::create(b, loc,
                                  arith::MulFOp::create(b, loc, f, half))));
    Value up = arith::OrIOp::create(
        b, loc,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, d, half),
        arith::AndIOp::create(
            b, loc,
            arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, d, half),
            arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, parity,
                                  c(1.0))));
    Value rounded = arith::SelectOp::create(
        b, loc, up, arith::AddFOp::create(b, loc, f, c(1.0)), f);
    op.replaceAllUsesWith(
        math::CopySignOp::create(b, loc, rounded, x).getResult());
    op.erase();
  }
}

/// trunc(x) = copysign(floor(|x|), x): GLSL.std.450's Trunc has no op in
/// MLIR's SPIR-V dialect. Exact, and -0.0 for x in (-1, 0], as trunc gives.
static void truncAsFloorOfMagnitude(ModuleOp module) {
  SmallVector<math::TruncOp> truncs;
  module.walk([&](math::TruncOp op) { truncs.push_back(op); });
  for (math::TruncOp op : truncs) {
    OpBuilder b(op);
    Location loc = op.getLoc();
    Value x = op.getOperand();
    Value floor = math::FloorOp::create(b, loc, math::AbsFOp::create(b, loc, x));
    op.replaceAllUsesWith(
        math::CopySignOp::create(b, loc, floor, x).getResult());
    op.erase();
  }
}

/// ctpop and ctlz of 8-, 16- and 64-bit integers in terms of 32-bit ones,
/// which spirv.BitCount and the upstream ctlz pattern take.
static void bitCountsOn32Bits(ModuleOp module) {
  SmallVector<Operation *> ops;
  module.walk([&](Operation *op) {
    if (isa<math::CtPopOp, math::CountLeadingZerosOp>(op) &&
        !op->getResult(0).getType().isInteger(32))
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    OpBuilder b(op);
    Location loc = op->getLoc();
    Value x = op->getOperand(0);
    auto type = cast<IntegerType>(x.getType());
    Type i32 = b.getI32Type();
    auto c32 = [&](int64_t v) -> Value {
      return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(v));
    };
    bool popcount = isa<math::CtPopOp>(op);
    Value result;
    if (type.getWidth() < 32) {
      Value wide = arith::ExtUIOp::create(b, loc, i32, x);
      Value count = popcount ? Value(math::CtPopOp::create(b, loc, wide))
                             : Value(math::CountLeadingZerosOp::create(b, loc, wide));
      if (!popcount) // the extension added 32 - width leading zeros
        count = arith::SubIOp::create(b, loc, count, c32(32 - type.getWidth()));
      result = arith::TruncIOp::create(b, loc, type, count);
    } else {
      Value low = arith::TruncIOp::create(b, loc, i32, x);
      Value shift = arith::ConstantOp::create(b, loc, b.getIntegerAttr(type, 32));
      Value high = arith::TruncIOp::create(
          b, loc, i32, arith::ShRUIOp::create(b, loc, x, shift));
      Value count;
      if (popcount) {
        count = arith::AddIOp::create(b, loc, math::CtPopOp::create(b, loc, low),
                                      math::CtPopOp::create(b, loc, high));
      } else {
        Value highZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                               high, c32(0));
        Value lowCount = arith::AddIOp::create(
            b, loc, math::CountLeadingZerosOp::create(b, loc, low), c32(32));
        count = arith::SelectOp::create(
            b, loc, highZero, lowCount,
            math::CountLeadingZerosOp::create(b, loc, high));
      }
      result = arith::ExtUIOp::create(b, loc, type, count);
    }
    op->getResult(0).replaceAllUsesWith(result);
    op->erase();
  }
}

LogicalResult mlir::kitespirv::prepareMath(ModuleOp module,
                                           const TargetFeatures &features) {
  MLIRContext *context = module.getContext();
  bool ok = true;
  SmallVector<Operation *> toF32, fmas;
  module.walk([&](Operation *op) {
    if (op->getNumResults() != 1 || !isa<FloatType>(op->getResult(0).getType()))
      return;
    Type type = op->getResult(0).getType();
    if (isa<math::FmaOp>(op) && (type.isF16() || type.isF32())) {
      fmas.push_back(op);
      return;
    }
    StringRef glsl = getGLSLName(op);
    if (glsl.empty())
      return;
    if (type.isF64()) {
      op->emitError() << "'" << op->getName() << "' on f64 is not supported "
                      << "on Vulkan: GLSL.std.450 " << glsl
                      << " takes 16- and 32-bit floats only (float64 has no "
                         "exp, log or trigonometric functions there); "
                         "convert to float32 first";
      ok = false;
    } else if (type.isF16()) {
      toF32.push_back(op);
    }
  });
  if (!ok)
    return failure();
  OpBuilder b(context);
  for (Operation *op : toF32)
    computeIn(b, op, Float32Type::get(context));
  for (Operation *op : fmas) {
    bool f16 = op->getResult(0).getType().isF16();
    if (!features.float64 && !f16)
      continue; // no wider type: GLSL Fma, fused where the device fuses
    // The product is exact in the wider type (f16: 22 bits, f32: 48); the
    // sum is rounded there and once more by the truncf.
    FloatType wide = features.float64 ? FloatType(Float64Type::get(context))
                                      : FloatType(Float32Type::get(context));
    b.setInsertionPoint(op);
    Location loc = op->getLoc();
    auto ext = [&](Value v) -> Value {
      return arith::ExtFOp::create(b, loc, wide, v);
    };
    auto fma = cast<math::FmaOp>(op);
    Value product = arith::MulFOp::create(b, loc, ext(fma.getA()), ext(fma.getB()));
    Value sum = arith::AddFOp::create(b, loc, product, ext(fma.getC()));
    fma.replaceAllUsesWith(
        arith::TruncFOp::create(b, loc, fma.getType(), sum).getResult());
    fma.erase();
  }
  reduceTrigArguments(module, features.float64);
  keepSubnormalsInExpAndLog(module);
  if (features.float64)
    inverseTrigInFloat64(module);
  truncAsFloorOfMagnitude(module);
  roundEvenOfF64FromFloor(module);
  kitethread::rewriteLooseMath(module);
  bitCountsOn32Bits(module);
  RewritePatternSet patterns(context);
  populatePolynomialApproximateErfPattern(patterns);
  populatePolynomialApproximateErfcPattern(patterns);
  populateMathPolynomialApproximationPatterns(
      patterns, [](StringRef name) {
        return name == "math.atan2" || name == "math.cbrt" ||
               name == "math.asin" || name == "math.acos" ||
               name == "math.atan" || name == "math.log1p" ||
               name == "math.expm1";
      });
  if (failed(applyPatternsGreedily(module, std::move(patterns))))
    return failure();
  // log1p's and expm1's expansions take a log that must be accurate near 1
  // and an exp accurate for large arguments (Vulkan allows 3 + 2|x| ulp):
  // MLIR's polynomials there (kl.log and kl.exp elsewhere stay GLSL's).
  SmallVector<Operation *> exact;
  module.walk([&](Operation *op) {
    if (isa<math::LogOp, math::Log2Op, math::ExpOp>(op) &&
        kitethread::isExactLocation(op->getLoc()))
      exact.push_back(op);
  });
  RewritePatternSet exactPatterns(context);
  populateMathPolynomialApproximationPatterns(
      exactPatterns, [](StringRef name) {
        return name == "math.log" || name == "math.log2" || name == "math.exp";
      });
  return applyOpPatternsGreedily(exact, std::move(exactPatterns));
}

namespace {
struct Exp2Pattern : OpConversionPattern<math::Exp2Op> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(math::Exp2Op op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type type = getTypeConverter()->convertType(op.getType());
    if (!type)
      return failure();
    rewriter.replaceOpWithNewOp<spirv::GLExp2Op>(op, type,
                                                 adaptor.getOperand());
    return success();
  }
};

struct CtPopPattern : OpConversionPattern<math::CtPopOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(math::CtPopOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!op.getType().isInteger(32))
      return failure(); // prepareMath made every other width 32 bits
    Type type = getTypeConverter()->convertType(op.getType());
    if (!type)
      return failure();
    rewriter.replaceOpWithNewOp<spirv::BitCountOp>(op, type,
                                                   adaptor.getOperand());
    return success();
  }
};
} // namespace

void mlir::kitespirv::populateMathOpPatterns(
    const SPIRVTypeConverter &converter, RewritePatternSet &patterns) {
  patterns.add<Exp2Pattern, CtPopPattern>(converter, patterns.getContext());
}

void mlir::kitespirv::markExactOps(Operation *spirvModule) {
  spirvModule->walk([](Operation *op) {
    bool formula =
        kitethread::isExactLocation(op->getLoc()) && op->getNumResults() == 1 &&
        isa<FloatType>(getElementTypeOrSelf(op->getResult(0).getType()));
    // Conversions between integers and floats round: without NoContraction
    // Mesa's NIR folded f2i(i2f(x)) to x (16,777,217 stayed 16,777,217
    // after a round trip through f32).
    bool rounding =
        isa<spirv::ConvertSToFOp, spirv::ConvertUToFOp, spirv::ConvertFToSOp,
            spirv::ConvertFToUOp, spirv::FConvertOp>(op);
    // Float arithmetic too: without it the driver reassociated ((a - b) + b
    // became a, (a * 3) * 5 became a * 15) and folded x - x, x * 0.0 and
    // x / 0.0 to 0 for inf and NaN x, unlike the interpreter and the GPUs.
    bool arithmetic = isa<spirv::FAddOp, spirv::FSubOp, spirv::FMulOp,
                          spirv::FDivOp, spirv::FRemOp, spirv::FModOp,
                          spirv::FNegateOp>(op);
    if (formula || rounding || arithmetic)
      op->setAttr("no_contraction", UnitAttr::get(op->getContext()));
  });
}
