//===- AtomicOpsToSPIRV.cpp - atomics on PhysicalStorageBuffer pointers ---===//
//
// Integer kinds and xchg map to one spirv.Atomic* op. Float add, max and min
// have no core SPIR-V op: fadd uses SPV_EXT_shader_atomic_float_add where the
// target enables it, and otherwise a compare-and-swap loop on the bits;
// fmax and fmin are an integer max or min on the bits (emitFloatMinMax).
// Each keeps its op's ordering: `sem` as the memory semantics on
// UniformMemory (global pointers are PhysicalStorageBuffer), `scope` as
// Workgroup (cta) or Device (gpu; sys too, Vulkan has nothing wider).
//
//===----------------------------------------------------------------------===//
#include "backends/spirv/emitter/KiteThreadToSPIRV.h"
#include "dialects/KiteThread/KiteThreadOps.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::kitespirv;
using kite::RMWOp;

namespace {
/// The scope and memory semantics of one atomic. A compare-exchange that
/// fails only reads: its `unequal` semantics keep at most the acquire.
struct Ordering {
  Ordering(MLIRContext *context, kite::MemSemantic sem, kite::MemScope scope)
      : scope(spirv::ScopeAttr::get(context, scope == kite::MemScope::CTA
                                                 ? spirv::Scope::Workgroup
                                                 : spirv::Scope::Device)),
        semantics(getSemantics(context, sem)),
        unequal(getSemantics(context, sem == kite::MemSemantic::AcqRel
                                          ? kite::MemSemantic::Acquire
                                      : sem == kite::MemSemantic::Release
                                          ? kite::MemSemantic::Relaxed
                                          : sem)) {}

  static spirv::MemorySemanticsAttr getSemantics(MLIRContext *context,
                                                 kite::MemSemantic sem) {
    using spirv::MemorySemantics;
    MemorySemantics order = MemorySemantics::None;
    switch (sem) {
    case kite::MemSemantic::Relaxed:
      return spirv::MemorySemanticsAttr::get(context, order);
    case kite::MemSemantic::Acquire:
      order = MemorySemantics::Acquire;
      break;
    case kite::MemSemantic::Release:
      order = MemorySemantics::Release;
      break;
    case kite::MemSemantic::AcqRel:
      order = MemorySemantics::AcquireRelease;
      break;
    }
    return spirv::MemorySemanticsAttr::get(
        context, order | MemorySemantics::UniformMemory);
  }

  spirv::ScopeAttr scope;
  spirv::MemorySemanticsAttr semantics, unequal;
};
} // namespace

/// One atomic compare-exchange on integer bits; returns the old bits.
static Value compareExchange(OpBuilder &b, Location loc, Value ptr, Value value,
                             Value comparator, const Ordering &ordering) {
  return spirv::AtomicCompareExchangeOp::create(
      b, loc, value.getType(), ptr, ordering.scope, ordering.semantics,
      ordering.unequal, value, comparator);
}

/// The float combine of a CAS loop.
static Value combineFloats(OpBuilder &b, Location loc, RMWOp kind, Value old,
                           Value val) {
  switch (kind) {
  case RMWOp::FAdd:
    return spirv::FAddOp::create(b, loc, old, val);
  case RMWOp::FMax:
    return spirv::GLFMaxOp::create(b, loc, old, val);
  default:
    return spirv::GLFMinOp::create(b, loc, old, val);
  }
}

/// old = *p; do { seen = cas(p, old, f(old, val)); } while (seen != old).
static Value emitCASLoop(OpBuilder &b, Location loc, RMWOp kind, Value addr,
                         Value val, const Ordering &ordering) {
  Type floatType = val.getType();
  Type intType = b.getIntegerType(floatType.getIntOrFloatBitWidth());
  int32_t bytes = floatType.getIntOrFloatBitWidth() / 8;
  Value ptr = getGlobalPointer(b, loc, intType, addr);
  Value initial = spirv::LoadOp::create(
      b, loc, ptr,
      spirv::MemoryAccessAttr::get(b.getContext(),
                                   spirv::MemoryAccess::Aligned),
      b.getI32IntegerAttr(bytes));
  // Blocks are filled here, not by builder callbacks, so that the conversion
  // driver sees every op it must legalize.
  auto loop = scf::WhileOp::create(b, loc, TypeRange{intType},
                                   ValueRange{initial});
  OpBuilder::InsertionGuard guard(b);
  Block *before = b.createBlock(&loop.getBefore(), {}, {intType}, {loc});
  Value expected = before->getArgument(0);
  Value old = spirv::BitcastOp::create(b, loc, floatType, expected);
  Value updated = spirv::BitcastOp::create(
      b, loc, intType, combineFloats(b, loc, kind, old, val));
  Value seen = compareExchange(b, loc, ptr, updated, expected, ordering);
  Value retry = spirv::INotEqualOp::create(b, loc, seen, expected);
  scf::ConditionOp::create(b, loc, retry, ValueRange{seen});
  Block *after = b.createBlock(&loop.getAfter(), {}, {intType}, {loc});
  scf::YieldOp::create(b, loc, after->getArguments());
  b.setInsertionPointAfter(loop);
  return spirv::BitcastOp::create(b, loc, floatType, loop.getResult(0));
}

/// fmax/fmin as one integer atomic on the bits (no CAS loop): floats with
/// the sign bit clear order like their bits as signed integers, negative
/// ones in reverse order of their bits as unsigned integers. So
/// max(m, v) is smax(m, v) on the bits for v >= +0 and umin(m, v) for
/// negative v (whatever the sign of m), and min the other way round. The
/// result is the old contents, as a float.
static Value emitFloatMinMax(OpBuilder &b, Location loc, RMWOp kind, Value addr,
                             Value val, const Ordering &ordering) {
  Type floatType = val.getType();
  Type intType = b.getIntegerType(floatType.getIntOrFloatBitWidth());
  Value bits = spirv::BitcastOp::create(b, loc, intType, val);
  Value zero = spirv::ConstantOp::getZero(intType, loc, b);
  Value negative = spirv::SLessThanOp::create(b, loc, bits, zero);
  Value ptr = getGlobalPointer(b, loc, intType, addr);
  spirv::ScopeAttr scope = ordering.scope;
  spirv::MemorySemanticsAttr semantics = ordering.semantics;
  auto ifOp = scf::IfOp::create(b, loc, TypeRange{intType}, negative,
                                /*withElseRegion=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  Value old = kind == RMWOp::FMax
                  ? spirv::AtomicUMinOp::create(b, loc, intType, ptr, scope,
                                                semantics, bits)
                        .getResult()
                  : spirv::AtomicUMaxOp::create(b, loc, intType, ptr, scope,
                                                semantics, bits)
                        .getResult();
  scf::YieldOp::create(b, loc, old);
  b.setInsertionPointToStart(ifOp.elseBlock());
  old = kind == RMWOp::FMax
            ? spirv::AtomicSMaxOp::create(b, loc, intType, ptr, scope,
                                          semantics, bits)
                  .getResult()
            : spirv::AtomicSMinOp::create(b, loc, intType, ptr, scope,
                                          semantics, bits)
                  .getResult();
  scf::YieldOp::create(b, loc, old);
  b.setInsertionPointAfter(ifOp);
  return spirv::BitcastOp::create(b, loc, floatType, ifOp.getResult(0));
}

/// The atomic itself, unmasked; null for an unknown kind.
static Value emitAtomic(OpBuilder &b, Location loc, RMWOp kind, Value addr,
                        Value val, const Ordering &ordering,
                        bool atomicFloatAdd) {
  Type type = val.getType();
  bool hardwareFAdd = kind == RMWOp::FAdd && atomicFloatAdd && type.isF32();
  if (kind == RMWOp::FMax || kind == RMWOp::FMin)
    return emitFloatMinMax(b, loc, kind, addr, val, ordering);
  if (!hardwareFAdd &&
      (kind == RMWOp::FAdd || kind == RMWOp::FMax || kind == RMWOp::FMin))
    return emitCASLoop(b, loc, kind, addr, val, ordering);
  Value ptr = getGlobalPointer(b, loc, type, addr);
  spirv::ScopeAttr scope = ordering.scope;
  spirv::MemorySemanticsAttr semantics = ordering.semantics;
  switch (kind) {
#define KITE_ATOMIC(KIND, OP)                                                  \
  case RMWOp::KIND:                                                            \
    return spirv::OP::create(b, loc, type, ptr, scope, semantics, val);
    KITE_ATOMIC(Add, AtomicIAddOp)
    KITE_ATOMIC(Max, AtomicSMaxOp)
    KITE_ATOMIC(UMax, AtomicUMaxOp)
    KITE_ATOMIC(Min, AtomicSMinOp)
    KITE_ATOMIC(UMin, AtomicUMinOp)
    KITE_ATOMIC(And, AtomicAndOp)
    KITE_ATOMIC(Or, AtomicOrOp)
    KITE_ATOMIC(Xor, AtomicXorOp)
    KITE_ATOMIC(Xchg, AtomicExchangeOp)
    KITE_ATOMIC(FAdd, EXTAtomicFAddOp)
#undef KITE_ATOMIC
  default:
    return Value();
  }
}

namespace {
struct AtomicRMWPattern : OpConversionPattern<kitethread::AtomicRMWOp> {
  AtomicRMWPattern(const TypeConverter &converter, MLIRContext *context,
                   bool atomicFloatAdd)
      : OpConversionPattern(converter, context),
        atomicFloatAdd(atomicFloatAdd) {}

  LogicalResult
  matchAndRewrite(kitethread::AtomicRMWOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RMWOp kind = op.getKind();
    Value addr = adaptor.getAddr(), val = adaptor.getVal();
    Ordering ordering(op.getContext(), op.getSem(), op.getScope());
    if (!adaptor.getMask()) {
      Value old = emitAtomic(rewriter, op.getLoc(), kind, addr, val, ordering,
                             atomicFloatAdd);
      if (!old)
        return rewriter.notifyMatchFailure(op, "unknown atomic kind");
      rewriter.replaceOp(op, old);
      return success();
    }
    // Masked off: memory untouched, the result is zero.
    Location loc = op.getLoc();
    auto ifOp = scf::IfOp::create(rewriter, loc, TypeRange{val.getType()},
                                  adaptor.getMask(), /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(ifOp.thenBlock());
    Value old =
        emitAtomic(rewriter, loc, kind, addr, val, ordering, atomicFloatAdd);
    if (!old)
      return rewriter.notifyMatchFailure(op, "unknown atomic kind");
    scf::YieldOp::create(rewriter, loc, old);
    rewriter.setInsertionPointToStart(ifOp.elseBlock());
    Value zero = spirv::ConstantOp::getZero(val.getType(), loc, rewriter);
    scf::YieldOp::create(rewriter, loc, zero);
    rewriter.replaceOp(op, ifOp.getResults());
    return success();
  }

  bool atomicFloatAdd;
};

/// SPIR-V compares integers only, so a float CAS compares its bits.
struct AtomicCASPattern : OpConversionPattern<kitethread::AtomicCASOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(kitethread::AtomicCASOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type type = op.getType();
    Type intType = rewriter.getIntegerType(type.getIntOrFloatBitWidth());
    auto asInt = [&](Value v) -> Value {
      return type == intType
                 ? v
                 : spirv::BitcastOp::create(rewriter, loc, intType, v);
    };
    Value ptr = getGlobalPointer(rewriter, loc, intType, adaptor.getAddr());
    Value old = compareExchange(
        rewriter, loc, ptr, asInt(adaptor.getVal()), asInt(adaptor.getCmp()),
        Ordering(op.getContext(), op.getSem(), op.getScope()));
    if (type != intType)
      old = spirv::BitcastOp::create(rewriter, loc, type, old);
    rewriter.replaceOp(op, old);
    return success();
  }
};
} // namespace

void mlir::kitespirv::populateAtomicOpPatterns(
    const SPIRVTypeConverter &converter, bool atomicFloatAdd,
    RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<AtomicRMWPattern>(converter, context, atomicFloatAdd);
  patterns.add<AtomicCASPattern>(converter, context);
}
