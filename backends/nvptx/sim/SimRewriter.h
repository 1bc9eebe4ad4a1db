//===- SimRewriter.h - the state of HostRetarget's rewrite -------*- C++
//-*-===//
//
// HostRetarget.cpp (the module, shared memory, PTX semantics, the entry),
// NvvmIntrinsics.cpp and HopperIntrinsics.cpp (llvm.nvvm.* calls) and
// InlineAsmCalls.cpp (inline PTX) each implement part of the rewrite
// declared here.
//
//===----------------------------------------------------------------------===//
#ifndef KITE_BACKENDS_NVPTX_SIM_SIMREWRITER_H
#define KITE_BACKENDS_NVPTX_SIM_SIMREWRITER_H

#include "backends/nvptx/sim/HostRetarget.h"
#include "backends/nvptx/sim/SimRuntime.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Instructions.h"

namespace kite::sim {

inline constexpr unsigned kSharedSpace = 3;

// The rewrite speaks LLVM throughout (an internal header).
using namespace llvm;

struct Rewriter {
  Module &module;
  RetargetResult &result;
  unsigned smVersion; ///< 80 for sm_80: what inline PTX may use.
  LLVMContext &ctx;
  Type *i1, *i8, *i32, *i64, *f32, *f64, *ptr;

  Rewriter(Module &m, RetargetResult &r, unsigned sm)
      : module(m), result(r), smVersion(sm), ctx(m.getContext()) {
    i1 = Type::getInt1Ty(ctx);
    i8 = Type::getInt8Ty(ctx);
    i32 = Type::getInt32Ty(ctx);
    i64 = Type::getInt64Ty(ctx);
    f32 = Type::getFloatTy(ctx);
    f64 = Type::getDoubleTy(ctx);
    ptr = PointerType::get(ctx, 0);
  }

  FunctionCallee runtime(StringRef name, Type *ret, ArrayRef<Type *> params) {
    return module.getOrInsertFunction(name,
                                      FunctionType::get(ret, params, false));
  }

  Value *constantPointer(const void *p) {
    return ConstantExpr::getIntToPtr(
        ConstantInt::get(i64, reinterpret_cast<uintptr_t>(p)), ptr);
  }

  /// A call that fails the launch reaching it, naming `what`; the replaced
  /// value (never used: the launch ends) is poison.
  void unimplemented(CallBase *call, const std::string &what) {
    IRBuilder<> b(call);
    auto *text = b.CreateGlobalString(what, "kite_sim_unimplemented_text");
    b.CreateCall(runtime("kite_sim_unimplemented", Type::getVoidTy(ctx), {ptr}),
                 {text});
    if (!call->getType()->isVoidTy())
      call->replaceAllUsesWith(PoisonValue::get(call->getType()));
    call->eraseFromParent();
  }

  std::string placeSharedVariables();

  Value *sreg(IRBuilder<> &b, SpecialRegister r, Type *type);

  /// A struct {value, i1} as the .p variants of shfl/match return.
  Value *withPredicate(IRBuilder<> &b, Type *structType, Value *v,
                       Value *predicateSlot);

  Value *entryAlloca(IRBuilder<> &b, Type *type, unsigned count = 1) {
    Function *f = b.GetInsertBlock()->getParent();
    IRBuilder<> entry(&*f->getEntryBlock().getFirstInsertionPt());
    return entry.CreateAlloca(type, entry.getInt32(count));
  }

  bool rewriteSreg(CallBase *call, StringRef name);

  void rewriteShfl(CallBase *call, StringRef rest);

  void rewriteVote(CallBase *call, StringRef kind);

  void rewriteRedux(CallBase *call, StringRef kind);

  void rewriteMatch(CallBase *call, StringRef rest);

  /// llvm.nvvm.ldmatrix.sync.aligned.m8n8.x{1,2,4}[.trans].b16(ptr): a
  /// register, or a struct of 2 or 4.
  void rewriteLdmatrix(CallBase *call, StringRef name);

  /// The PTX of llvm.nvvm.mma.m16n8kK.row.col[.satfinite].<types>:
  /// "f16.f16"/"f32.f32" name d and c of f16 inputs, "bf16", "tf32", "s8"
  /// and "s8.u8" the inputs, four types d, a, b and c; "" if none of these.
  static std::string mmaInstruction(StringRef name);

  /// llvm.nvvm.mma.* is mma.sync: it becomes that inline PTX statement.
  void rewriteMma(CallBase *call, StringRef name);

  void rewriteBarrier(CallBase *call, StringRef name);

  /// The packed float conversions (llvm.nvvm.ff.to.e4m3x2.rn, ...): calls
  /// of host functions; false when `name` is none of them
  /// (NvvmConversions.cpp).
  bool rewriteConversion(CallBase *call, StringRef name);

  void rewriteNvvm(CallBase *call, StringRef name);

  /// sm_90's intrinsics (HopperIntrinsics.cpp): false, touching nothing, for
  /// any other.
  bool rewriteHopperNvvm(CallBase *call, StringRef name);

  std::string rewriteInlineAsm(CallInst *call);
  /// Host IR for `program` over its operand `slots` when it is only movs and
  /// plain global loads (masked loads); false, emitting nothing, otherwise
  /// (InlinePtxLoads.cpp).
  bool compileInlineLoads(IRBuilder<> &b, const AsmProgram &program,
                          Value *slots);

  void guardDivision(BinaryOperator *op);

  void clampShift(BinaryOperator *op);

  void saturateConversion(CastInst *cast);

  std::string rewriteInstructions(Function &f);

  Function *findKernel(const std::string &entryPoint, std::string &error);

  void makeEntry(Function *kernel);
};

} // namespace kite::sim

#endif // KITE_BACKENDS_NVPTX_SIM_SIMREWRITER_H
