//===- AtomicOpsToNVVM.cpp - kitethread atomics to PTX atom ---------------===//
//
// Each atomic keeps its `sem` and `scope` (docs/language.md, "Atomics"):
// relaxed, acquire, release or acq_rel at cta, gpu or sys scope, the PTX
// memory model's `.sem` and `.scope` of `atom`. The NVPTX backend drops the
// ordering of an atomicrmw (acq_rel would be a plain atom, which is relaxed),
// so from sm_70 on each is the PTX instruction itself, as inline assembly:
// `atom.acq_rel.gpu.global.add.f32`. fmax and fmin (no atom before sm_90),
// and every atomic before sm_70 (which has no `.sem`), are a relaxed
// atomicrmw after a release fence and before an acquire fence, as the
// ordering asks: a fence then a relaxed atom (an atom then a fence) is a
// release (an acquire) pattern of the PTX memory model. Compare-and-swap is
// cmpxchg, whose ordering and scope the backend keeps from sm_70 on.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/emitter/AtomicOpsToNVVM.h"
#include "dialects/KiteThread/KiteThreadOps.h"

#include "mlir/Conversion/LLVMCommon/Pattern.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

using namespace mlir;
using kite::MemScope;
using kite::MemSemantic;

/// A global pointer (address space 1) at the i64 device address.
static Value globalPointer(OpBuilder &b, Location loc, Value addr) {
  return LLVM::IntToPtrOp::create(
      b, loc, LLVM::LLVMPointerType::get(b.getContext(), 1), addr);
}

static bool releases(MemSemantic sem) {
  return sem == MemSemantic::Release || sem == MemSemantic::AcqRel;
}
static bool acquires(MemSemantic sem) {
  return sem == MemSemantic::Acquire || sem == MemSemantic::AcqRel;
}

/// The LLVM syncscope the NVPTX backend reads for `scope` (system: none).
static StringRef getSyncScope(MemScope scope) {
  switch (scope) {
  case MemScope::CTA:
    return "block";
  case MemScope::GPU:
    return "device";
  case MemScope::Sys:
    return "";
  }
  llvm_unreachable("unknown scope");
}

static LLVM::AtomicOrdering getOrdering(MemSemantic sem) {
  switch (sem) {
  case MemSemantic::Relaxed:
    return LLVM::AtomicOrdering::monotonic;
  case MemSemantic::Acquire:
    return LLVM::AtomicOrdering::acquire;
  case MemSemantic::Release:
    return LLVM::AtomicOrdering::release;
  case MemSemantic::AcqRel:
    return LLVM::AtomicOrdering::acq_rel;
  }
  llvm_unreachable("unknown ordering");
}

/// A fence of `ordering` at `scope` (the backend selects
/// fence.acq_rel.<scope>).
static void emitFence(OpBuilder &b, Location loc, LLVM::AtomicOrdering ordering,
                      MemScope scope) {
  LLVM::FenceOp::create(b, loc, ordering, getSyncScope(scope));
}

static LLVM::AtomicBinOp getBinOp(kite::RMWOp kind) {
  switch (kind) {
  case kite::RMWOp::Add:
    return LLVM::AtomicBinOp::add;
  case kite::RMWOp::FAdd:
    return LLVM::AtomicBinOp::fadd;
  case kite::RMWOp::Max:
    return LLVM::AtomicBinOp::max;
  case kite::RMWOp::UMax:
    return LLVM::AtomicBinOp::umax;
  case kite::RMWOp::Min:
    return LLVM::AtomicBinOp::min;
  case kite::RMWOp::UMin:
    return LLVM::AtomicBinOp::umin;
  case kite::RMWOp::FMax:
    return LLVM::AtomicBinOp::fmax;
  case kite::RMWOp::FMin:
    return LLVM::AtomicBinOp::fmin;
  case kite::RMWOp::And:
    return LLVM::AtomicBinOp::_and;
  case kite::RMWOp::Or:
    return LLVM::AtomicBinOp::_or;
  case kite::RMWOp::Xor:
    return LLVM::AtomicBinOp::_xor;
  case kite::RMWOp::Xchg:
    return LLVM::AtomicBinOp::xchg;
  }
  llvm_unreachable("unknown RMW kind");
}

/// The PTX `atom` operation and type for `kind` on `type` ("add.f32",
/// "max.s64", ...); empty for fmax and fmin, which have no atom before
/// sm_90 (LLVM writes a compare-and-swap loop).
static std::string ptxAtomOperation(kite::RMWOp kind, Type type) {
  unsigned bits = type.getIntOrFloatBitWidth();
  std::string width = std::to_string(bits);
  switch (kind) {
  case kite::RMWOp::Add:
    return "add.u" + width;
  case kite::RMWOp::FAdd:
    return "add.f" + width;
  case kite::RMWOp::Max:
    return "max.s" + width;
  case kite::RMWOp::UMax:
    return "max.u" + width;
  case kite::RMWOp::Min:
    return "min.s" + width;
  case kite::RMWOp::UMin:
    return "min.u" + width;
  case kite::RMWOp::And:
    return "and.b" + width;
  case kite::RMWOp::Or:
    return "or.b" + width;
  case kite::RMWOp::Xor:
    return "xor.b" + width;
  case kite::RMWOp::Xchg:
    return "exch.b" + width;
  case kite::RMWOp::FMax:
  case kite::RMWOp::FMin:
    return "";
  }
  llvm_unreachable("unknown RMW kind");
}

/// The inline-asm constraint letter of a register of `type`.
static char ptxRegisterConstraint(Type type) {
  if (isa<FloatType>(type))
    return type.isF64() ? 'd' : 'f';
  return type.getIntOrFloatBitWidth() == 64 ? 'l' : 'r';
}

namespace {
struct AtomicRMWLowering : ConvertOpToLLVMPattern<kitethread::AtomicRMWOp> {
  AtomicRMWLowering(const LLVMTypeConverter &converter, unsigned smVersion)
      : ConvertOpToLLVMPattern(converter), smVersion(smVersion) {}

  LogicalResult
  matchAndRewrite(kitethread::AtomicRMWOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (op.getMask())
      return rewriter.notifyMatchFailure(op, "masks are lowered before");
    Location loc = op.getLoc();
    Type type = op.getType();
    MemSemantic sem = op.getSem();
    MemScope scope = op.getScope();
    Value ptr = globalPointer(rewriter, loc, adaptor.getAddr());
    std::string operation = ptxAtomOperation(op.getKind(), type);
    if (smVersion >= 70 && !operation.empty()) {
      char reg = ptxRegisterConstraint(type);
      std::string constraints =
          std::string("=") + reg + ",l," + reg + ",~{memory}";
      std::string asmString = ("atom." + kite::stringifyMemSemantic(sem) + "." +
                               kite::stringifyMemScope(scope) + ".global." +
                               operation + " $0, [$1], $2;")
                                  .str();
      auto atom = LLVM::InlineAsmOp::create(
          rewriter, loc, type, ValueRange{ptr, adaptor.getVal()}, asmString,
          constraints, /*has_side_effects=*/true, /*is_align_stack=*/false,
          LLVM::tailcallkind::TailCallKind::None,
          LLVM::AsmDialectAttr::get(rewriter.getContext(),
                                    LLVM::AsmDialect::AD_ATT),
          /*operand_attrs=*/ArrayAttr());
      rewriter.replaceOp(op, atom.getResult(0));
      return success();
    }
    if (releases(sem))
      emitFence(rewriter, loc, LLVM::AtomicOrdering::release, scope);
    auto atomic = LLVM::AtomicRMWOp::create(
        rewriter, loc, getBinOp(op.getKind()), ptr, adaptor.getVal(),
        LLVM::AtomicOrdering::monotonic, getSyncScope(scope),
        type.getIntOrFloatBitWidth() / 8);
    if (acquires(sem))
      emitFence(rewriter, loc, LLVM::AtomicOrdering::acquire, scope);
    rewriter.replaceOp(op, atomic.getResult());
    return success();
  }

private:
  unsigned smVersion;
};

/// From sm_70 on, cmpxchg keeps its ordering and scope in the backend
/// (atom.acq_rel.gpu.cas); a failed compare keeps only the acquire. Before,
/// atom has no .sem, and fences surround a relaxed cmpxchg.
struct AtomicCASLowering : ConvertOpToLLVMPattern<kitethread::AtomicCASOp> {
  AtomicCASLowering(const LLVMTypeConverter &converter, unsigned smVersion)
      : ConvertOpToLLVMPattern(converter), smVersion(smVersion) {}
  LogicalResult
  matchAndRewrite(kitethread::AtomicCASOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type type = op.getType();
    MemSemantic sem = op.getSem();
    MemScope scope = op.getScope();
    unsigned bits = type.getIntOrFloatBitWidth();
    // cmpxchg takes integers: floats go through their bits.
    Type intType = rewriter.getIntegerType(bits);
    auto toInt = [&](Value v) -> Value {
      return isa<FloatType>(type)
                 ? LLVM::BitcastOp::create(rewriter, loc, intType, v)
                 : v;
    };
    Value ptr = globalPointer(rewriter, loc, adaptor.getAddr());
    bool fences = smVersion < 70;
    if (fences && releases(sem))
      emitFence(rewriter, loc, LLVM::AtomicOrdering::release, scope);
    LLVM::AtomicOrdering onSuccess =
        fences ? LLVM::AtomicOrdering::monotonic : getOrdering(sem);
    LLVM::AtomicOrdering onFailure = !fences && acquires(sem)
                                         ? LLVM::AtomicOrdering::acquire
                                         : LLVM::AtomicOrdering::monotonic;
    auto cas = LLVM::AtomicCmpXchgOp::create(
        rewriter, loc, ptr, toInt(adaptor.getCmp()), toInt(adaptor.getVal()),
        onSuccess, onFailure, getSyncScope(scope), bits / 8);
    Value old = LLVM::ExtractValueOp::create(rewriter, loc, cas, 0);
    if (isa<FloatType>(type))
      old = LLVM::BitcastOp::create(rewriter, loc, type, old);
    if (fences && acquires(sem))
      emitFence(rewriter, loc, LLVM::AtomicOrdering::acquire, scope);
    rewriter.replaceOp(op, old);
    return success();
  }

private:
  unsigned smVersion;
};
} // namespace

void mlir::kitenvptx::populateAtomicOpsToNVVMPatterns(
    LLVMTypeConverter &converter, unsigned smVersion,
    RewritePatternSet &patterns) {
  patterns.add<AtomicRMWLowering, AtomicCASLowering>(converter, smVersion);
}
