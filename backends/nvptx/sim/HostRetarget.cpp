//===- HostRetarget.cpp - an NVPTX module made to run on the host ---------===//
#include "backends/nvptx/sim/HostRetarget.h"
#include "backends/nvptx/sim/NvvmMath.h"
#include "backends/nvptx/sim/Preemption.h"
#include "backends/nvptx/sim/SimInstrument.h"
#include "backends/nvptx/sim/SimRuntime.h"
#include "backends/nvptx/sim/TensorCore.h"

#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/ReplaceConstant.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Support/raw_ostream.h"

using namespace llvm;
using namespace kite::sim;

namespace {

constexpr unsigned kSharedSpace = 3;

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

  // -- shared memory --------------------------------------------------------
  std::string placeSharedVariables() {
    std::vector<GlobalVariable *> shared;
    for (GlobalVariable &g : module.globals())
      if (g.getAddressSpace() == kSharedSpace)
        shared.push_back(&g);
    if (shared.empty())
      return "";
    const DataLayout &layout = module.getDataLayout();
    std::map<GlobalVariable *, uint64_t> offsets;
    uint64_t offset = 0;
    std::vector<GlobalVariable *> dynamic;
    for (GlobalVariable *g : shared) {
      uint64_t size = layout.getTypeAllocSize(g->getValueType());
      uint64_t align = std::max<uint64_t>(g->getAlign().valueOrOne().value(), 1);
      if (g->isDeclaration() && size == 0) {
        dynamic.push_back(g);
        continue;
      }
      offset = (offset + align - 1) / align * align;
      offsets[g] = offset;
      offset += size;
    }
    // Dynamic shared memory (extern arrays) starts after the static
    // variables, 16-byte aligned, as the driver places it; all extern
    // arrays alias.
    offset = (offset + 15) / 16 * 16;
    result.staticSharedBytes = offset;
    for (GlobalVariable *g : dynamic)
      offsets[g] = offset;

    SmallVector<Constant *> constants(shared.begin(), shared.end());
    convertUsersOfConstantsToInstructions(constants);
    for (GlobalVariable *g : shared) {
      std::map<Function *, Value *> bases;
      SmallVector<Use *> uses;
      for (Use &use : g->uses())
        uses.push_back(&use);
      for (Use *use : uses) {
        auto *user = dyn_cast<Instruction>(use->getUser());
        if (!user)
          return "shared variable '" + g->getName().str() +
                 "' is used outside a function";
        Function *f = user->getFunction();
        Value *&base = bases[f];
        if (!base) {
          IRBuilder<> b(&*f->getEntryBlock().getFirstInsertionPt());
          Value *block = b.CreateCall(
              runtime("kite_sim_shared_base", ptr, {}), {}, "shared.block");
          Value *at = b.CreateGEP(i8, block, b.getInt64(offsets[g]));
          base = b.CreateAddrSpaceCast(at, g->getType(), g->getName());
        }
        use->set(base);
      }
      g->eraseFromParent();
    }
    return "";
  }

  // -- NVVM intrinsics ------------------------------------------------------
  Value *sreg(IRBuilder<> &b, SpecialRegister r, Type *type) {
    Value *v = b.CreateCall(runtime("kite_sim_sreg", i32, {i32}),
                            {b.getInt32(uint32_t(r))});
    return b.CreateZExtOrTrunc(v, type);
  }

  /// A struct {value, i1} as the .p variants of shfl/match return.
  Value *withPredicate(IRBuilder<> &b, Type *structType, Value *v,
                       Value *predicateSlot) {
    Value *p = b.CreateICmpNE(b.CreateLoad(i32, predicateSlot), b.getInt32(0));
    Value *s = PoisonValue::get(structType);
    s = b.CreateInsertValue(s, v, 0);
    return b.CreateInsertValue(s, p, 1);
  }

  Value *entryAlloca(IRBuilder<> &b, Type *type, unsigned count = 1) {
    Function *f = b.GetInsertBlock()->getParent();
    IRBuilder<> entry(&*f->getEntryBlock().getFirstInsertionPt());
    return entry.CreateAlloca(type, entry.getInt32(count));
  }

  bool rewriteSreg(CallBase *call, StringRef name) {
    static const std::map<std::string, SpecialRegister> registers = {
        {"tid.x", SpecialRegister::TidX},
        {"tid.y", SpecialRegister::TidY},
        {"tid.z", SpecialRegister::TidZ},
        {"ntid.x", SpecialRegister::NtidX},
        {"ntid.y", SpecialRegister::NtidY},
        {"ntid.z", SpecialRegister::NtidZ},
        {"ctaid.x", SpecialRegister::CtaidX},
        {"ctaid.y", SpecialRegister::CtaidY},
        {"ctaid.z", SpecialRegister::CtaidZ},
        {"nctaid.x", SpecialRegister::NctaidX},
        {"nctaid.y", SpecialRegister::NctaidY},
        {"nctaid.z", SpecialRegister::NctaidZ},
        {"laneid", SpecialRegister::LaneId},
        {"warpid", SpecialRegister::WarpId},
        {"nwarpid", SpecialRegister::NwarpId},
        {"smid", SpecialRegister::SmId},
        {"nsmid", SpecialRegister::NsmId},
        {"gridid", SpecialRegister::GridId},
        {"lanemask.eq", SpecialRegister::LanemaskEq},
        {"lanemask.lt", SpecialRegister::LanemaskLt},
        {"lanemask.le", SpecialRegister::LanemaskLe},
        {"lanemask.gt", SpecialRegister::LanemaskGt},
        {"lanemask.ge", SpecialRegister::LanemaskGe},
        {"clock", SpecialRegister::Clock},
        {"cluster.ctarank", SpecialRegister::ClusterCtaRank},
        {"cluster.nctarank", SpecialRegister::ClusterNctaRank},
    };
    IRBuilder<> b(call);
    Value *v;
    if (name == "clock64" || name == "globaltimer") {
      v = b.CreateCall(runtime("kite_sim_clock64", i64, {}), {});
    } else {
      auto found = registers.find(name.str());
      if (found == registers.end())
        return false;
      v = sreg(b, found->second, call->getType());
    }
    call->replaceAllUsesWith(v);
    call->eraseFromParent();
    return true;
  }

  void rewriteShfl(CallBase *call, StringRef rest) {
    // shfl.sync.<mode>.<i32|f32>[p](mask, value, b, c)
    SmallVector<StringRef> parts;
    rest.split(parts, '.');
    static const std::map<std::string, uint32_t> modes = {
        {"idx", 0}, {"up", 1}, {"down", 2}, {"bfly", 3}};
    IRBuilder<> b(call);
    uint32_t mode = modes.at(parts[0].str());
    bool withP = parts[1].ends_with("p");
    Value *value = call->getArgOperand(1);
    Type *valueType = value->getType();
    Value *bits = b.CreateBitCast(value, i32);
    Value *predicate = withP ? entryAlloca(b, i32)
                             : ConstantPointerNull::get(PointerType::get(ctx, 0));
    Value *r = b.CreateCall(
        runtime("kite_sim_shfl", i32, {i32, i32, i32, i32, i32, ptr}),
        {b.getInt32(mode), call->getArgOperand(0), bits, call->getArgOperand(2),
         call->getArgOperand(3), predicate});
    r = b.CreateBitCast(r, valueType);
    if (withP)
      r = withPredicate(b, call->getType(), r, predicate);
    call->replaceAllUsesWith(r);
    call->eraseFromParent();
  }

  void rewriteVote(CallBase *call, StringRef kind) {
    static const std::map<std::string, uint32_t> modes = {
        {"all", 0}, {"any", 1}, {"uni", 2}, {"ballot", 3}};
    IRBuilder<> b(call);
    Value *r = b.CreateCall(runtime("kite_sim_vote", i32, {i32, i32, i32}),
                            {b.getInt32(modes.at(kind.str())),
                             call->getArgOperand(0),
                             b.CreateZExt(call->getArgOperand(1), i32)});
    r = kind == "ballot" ? r : b.CreateICmpNE(r, b.getInt32(0));
    call->replaceAllUsesWith(r);
    call->eraseFromParent();
  }

  void rewriteRedux(CallBase *call, StringRef kind) {
    static const std::map<std::string, uint32_t> modes = {
        {"add", 0}, {"min", 1}, {"max", 2}, {"umin", 3},
        {"umax", 4}, {"and", 5}, {"or", 6},  {"xor", 7}};
    auto found = modes.find(kind.str());
    if (found == modes.end())
      return unimplemented(call, "`redux.sync." + kind.str() + "`");
    IRBuilder<> b(call);
    Value *r = b.CreateCall(runtime("kite_sim_redux", i32, {i32, i32, i32}),
                            {b.getInt32(found->second), call->getArgOperand(1),
                             call->getArgOperand(0)});
    call->replaceAllUsesWith(r);
    call->eraseFromParent();
  }

  void rewriteMatch(CallBase *call, StringRef rest) {
    // match.{any,all}.sync.{i32,i64}[p](mask, value)
    bool all = rest.starts_with("all");
    bool withP = rest.ends_with("p");
    IRBuilder<> b(call);
    Value *predicate = withP ? entryAlloca(b, i32)
                             : ConstantPointerNull::get(PointerType::get(ctx, 0));
    Value *r = b.CreateCall(
        runtime("kite_sim_match", i32, {i32, i32, i64, ptr}),
        {b.getInt32(all), call->getArgOperand(0),
         b.CreateZExt(call->getArgOperand(1), i64), predicate});
    if (withP)
      r = withPredicate(b, call->getType(), r, predicate);
    call->replaceAllUsesWith(r);
    call->eraseFromParent();
  }

  /// llvm.nvvm.ldmatrix.sync.aligned.m8n8.x{1,2,4}[.trans].b16(ptr): a
  /// register, or a struct of 2 or 4.
  void rewriteLdmatrix(CallBase *call, StringRef name) {
    unsigned count = name.contains(".x4.") ? 4 : name.contains(".x2.") ? 2 : 1;
    if (!name.contains(".b16"))
      return unimplemented(call, "`llvm.nvvm." + name.str() + "`");
    IRBuilder<> b(call);
    Value *out = entryAlloca(b, i32, 4);
    Value *address = b.CreatePtrToInt(call->getArgOperand(0), i64);
    b.CreateCall(runtime("kite_sim_ldmatrix", Type::getVoidTy(ctx),
                         {i32, i32, i64, ptr}),
                 {b.getInt32(count), b.getInt32(name.contains(".trans")),
                  address, out});
    Type *ret = call->getType();
    Value *r;
    if (auto *st = dyn_cast<StructType>(ret)) {
      r = PoisonValue::get(st);
      for (unsigned i = 0; i < st->getNumElements(); ++i)
        r = b.CreateInsertValue(
            r, b.CreateLoad(i32, b.CreateConstGEP1_32(i32, out, i)), i);
    } else {
      r = b.CreateLoad(i32, out);
    }
    call->replaceAllUsesWith(r);
    call->eraseFromParent();
  }

  /// The PTX of llvm.nvvm.mma.m16n8kK.row.col[.satfinite].<types>:
  /// "f16.f16"/"f32.f32" name d and c of f16 inputs, "bf16", "tf32", "s8"
  /// and "s8.u8" the inputs, four types d, a, b and c; "" if none of these.
  static std::string mmaInstruction(StringRef name) {
    llvm::SmallVector<StringRef> parts;
    name.split(parts, '.');
    if (parts.size() < 5 || parts[2] != "row" || parts[3] != "col")
      return "";
    std::string ptx = ("mma.sync.aligned." + parts[1] + ".row.col").str();
    size_t first = 4;
    if (parts[first] == "satfinite") {
      ptx += ".satfinite";
      ++first;
    }
    llvm::SmallVector<StringRef> t(parts.begin() + first, parts.end());
    auto integer = [](StringRef x) { return x == "s8" || x == "u8"; };
    if (t.size() == 1 && integer(t[0]))
      t = {"s32", t[0], t[0], "s32"};
    else if (t.size() == 1 && (t[0] == "bf16" || t[0] == "tf32"))
      t = {"f32", t[0], t[0], "f32"};
    else if (t.size() == 2 && integer(t[0]) && integer(t[1]))
      t = {"s32", t[0], t[1], "s32"};
    else if (t.size() == 2 && t[0] != "f64")
      t = {t[0], "f16", "f16", t[1]};
    if (t.size() != 4)
      return "";
    for (StringRef type : t)
      ptx += ("." + type).str();
    return ptx;
  }

  /// llvm.nvvm.mma.* is mma.sync: it becomes that inline PTX statement.
  void rewriteMma(CallBase *call, StringRef name) {
    std::string ptx = mmaInstruction(name), why;
    MmaShape shape;
    auto *st = dyn_cast<StructType>(call->getType());
    if (ptx.empty() || !parseMmaShape(ptx, shape, why) || !st ||
        st->getNumElements() != shape.cRegisters() ||
        call->arg_size() !=
            shape.aRegisters() + shape.bRegisters() + shape.cRegisters())
      return unimplemented(call, "`llvm.nvvm." + name.str() + "`");
    unsigned next = 0;
    auto group = [&](unsigned n) {
      std::string text = "{";
      for (unsigned i = 0; i < n; ++i)
        text += (i ? ", $" : "$") + std::to_string(next++);
      return text + "}";
    };
    std::string text = ptx + " " + group(shape.cRegisters());
    text += ", " + group(shape.aRegisters());
    text += ", " + group(shape.bRegisters());
    text += ", " + group(shape.cRegisters()) + ";";
    std::string constraints;
    for (unsigned i = 0; i < next; ++i)
      constraints += i < shape.cRegisters() ? "=r," : "r,";
    constraints.pop_back();
    llvm::SmallVector<Value *> args(call->args());
    llvm::SmallVector<Type *> types;
    for (Value *v : args)
      types.push_back(v->getType());
    auto *asmValue = InlineAsm::get(FunctionType::get(st, types, false), text,
                                    constraints, /*hasSideEffects=*/true);
    CallInst *asmCall =
        CallInst::Create(asmValue, args, "", call->getIterator());
    call->replaceAllUsesWith(asmCall);
    call->eraseFromParent();
    rewriteInlineAsm(asmCall);
  }

  void rewriteBarrier(CallBase *call, StringRef name) {
    IRBuilder<> b(call);
    Value *id = b.getInt32(0), *count = b.getInt32(0);
    unsigned n = call->arg_size();
    if (name == "barrier0" || name == "barrier.cta.sync.aligned.all" ||
        name == "barrier.cta.sync.all" || name == "barrier.sync" ||
        name == "bar.sync" || name == "barrier.sync.aligned") {
      if (n >= 1)
        id = call->getArgOperand(0);
    } else if (name == "barrier.cta.sync.aligned.count" ||
               name == "barrier.cta.sync.count" || name == "barrier.sync.cnt" ||
               name == "barrier.sync.aligned.cnt") {
      id = call->getArgOperand(0);
      count = call->getArgOperand(1);
    } else {
      return unimplemented(call, "`llvm.nvvm." + name.str() + "`");
    }
    b.CreateCall(runtime("kite_sim_barrier", Type::getVoidTy(ctx), {i32, i32}),
                 {id, count});
    call->eraseFromParent();
  }

  void rewriteNvvm(CallBase *call, StringRef name) {
    if (name.consume_front("read.ptx.sreg.")) {
      if (!rewriteSreg(call, name))
        unimplemented(call, "the special register `%" + name.str() + "`");
      return;
    }
    if (name.consume_front("shfl.sync."))
      return rewriteShfl(call, name);
    if (name.consume_front("vote.")) {
      StringRef kind = name.split('.').first;
      return rewriteVote(call, kind);
    }
    if (name.consume_front("redux.sync."))
      return rewriteRedux(call, name);
    if (name.consume_front("match."))
      return rewriteMatch(call, name);
    if (name.starts_with("barrier") || name.starts_with("bar.sync"))
      return rewriteBarrier(call, name);
    if (name.starts_with("cp.async.")) {
      // cp.async.{ca,cg}.shared.global.{4,8,16}[.s](dst, src[, src-size]),
      // cp.async.commit.group, cp.async.wait.group(n), cp.async.wait.all
      IRBuilder<> b(call);
      StringRef copy = name;
      unsigned bytes = 0;
      if (copy.consume_front("cp.async.ca.shared.global.") ||
          copy.consume_front("cp.async.cg.shared.global.")) {
        bool sized = copy.consume_back(".s");
        if (copy.getAsInteger(10, bytes))
          return unimplemented(call, "`llvm.nvvm." + name.str() + "`");
        Value *sourceBytes = sized ? call->getArgOperand(2) : b.getInt32(bytes);
        b.CreateCall(runtime("kite_sim_async_copy", Type::getVoidTy(ctx),
                             {i64, i64, i32, i32}),
                     {b.CreatePtrToInt(call->getArgOperand(0), i64),
                      b.CreatePtrToInt(call->getArgOperand(1), i64),
                      b.getInt32(bytes), sourceBytes});
      } else if (name == "cp.async.commit.group")
        b.CreateCall(runtime("kite_sim_async_commit", Type::getVoidTy(ctx), {}));
      else if (name == "cp.async.wait.group")
        b.CreateCall(runtime("kite_sim_async_wait", Type::getVoidTy(ctx), {i32}),
                     {call->getArgOperand(0)});
      else if (name == "cp.async.wait.all")
        b.CreateCall(runtime("kite_sim_async_wait_all", Type::getVoidTy(ctx), {}));
      else
        return unimplemented(call, "`llvm.nvvm." + name.str() + "`");
      call->eraseFromParent();
      return;
    }
    if (name.starts_with("ldmatrix.sync.aligned.m8n8."))
      return rewriteLdmatrix(call, name);
    if (name.starts_with("mma.m16n8k"))
      return rewriteMma(call, name);
    if (name == "bar.warp.sync") {
      IRBuilder<> b(call);
      b.CreateCall(runtime("kite_sim_warp_sync", Type::getVoidTy(ctx), {i32}),
                   {call->getArgOperand(0)});
      call->eraseFromParent();
      return;
    }
    // Fences and grid dependencies order nothing here: the threads of a
    // launch run one at a time on one OS thread, launches one after another.
    if (name.starts_with("membar") || name.starts_with("fence") ||
        name.starts_with("griddepcontrol")) {
      call->eraseFromParent();
      return;
    }
    if (void *fn = nvvmMathFunction(name)) {
      std::string symbol = "kite_sim_nvvm." + name.str();
      result.symbols[symbol] = fn;
      FunctionCallee host =
          module.getOrInsertFunction(symbol, call->getFunctionType());
      call->setCalledFunction(host);
      return;
    }
    unimplemented(call, "`llvm.nvvm." + name.str() + "`");
  }

  // -- inline PTX -----------------------------------------------------------
  std::string rewriteInlineAsm(CallInst *call) {
    auto *asmValue = cast<InlineAsm>(call->getCalledOperand());
    InlineAsm::ConstraintInfoVector constraints = asmValue->ParseConstraints();
    // Operand slots in $N order: outputs, then inputs (a tied input shares
    // its output's slot); clobbers have none.
    std::vector<int> outputSlots;
    std::vector<std::pair<int, Value *>> inputs;
    unsigned slot = 0, argument = 0;
    for (const InlineAsm::ConstraintInfo &c : constraints) {
      if (c.Type == InlineAsm::isOutput) {
        if (c.isIndirect)
          return "inline PTX with an indirect output: " +
                 asmValue->getAsmString().str();
        outputSlots.push_back(int(slot++));
      } else if (c.Type == InlineAsm::isInput) {
        Value *v = call->getArgOperand(argument++);
        int target = int(slot++);
        if (c.hasMatchingInput())
          target = outputSlots.at(size_t(c.MatchingInput));
        inputs.push_back({target, v});
      }
    }
    std::string unsupported;
    auto program =
        parseInlinePtx(asmValue->getAsmString(), slot, smVersion, unsupported);
    if (!program) {
      unimplemented(call, unsupported);
      return "";
    }
    IRBuilder<> b(call);
    Value *slots = entryAlloca(b, i64, std::max(slot, 1u));
    auto toBits = [&](Value *v) -> Value * {
      Type *t = v->getType();
      if (t->isPointerTy())
        return b.CreatePtrToInt(v, i64);
      if (t->isFloatingPointTy())
        v = b.CreateBitCast(
            v, IntegerType::get(ctx, t->getPrimitiveSizeInBits()));
      if (t->isVectorTy())
        v = b.CreateBitCast(
            v, IntegerType::get(ctx, t->getPrimitiveSizeInBits()));
      return b.CreateZExtOrTrunc(v, i64);
    };
    for (auto &[target, v] : inputs)
      b.CreateStore(toBits(v), b.CreateConstGEP1_32(i64, slots, target));
    b.CreateCall(runtime("kite_sim_asm", Type::getVoidTy(ctx), {ptr, ptr}),
                 {constantPointer(program.get()), slots});
    result.programs.push_back(std::move(program));
    auto fromBits = [&](int target, Type *t) -> Value * {
      Value *bits = b.CreateLoad(i64, b.CreateConstGEP1_32(i64, slots, target));
      if (t->isPointerTy())
        return b.CreateIntToPtr(bits, t);
      unsigned width = t->getPrimitiveSizeInBits();
      Value *v = b.CreateTrunc(bits, IntegerType::get(ctx, width));
      return t->isIntegerTy() ? v : b.CreateBitCast(v, t);
    };
    Type *ret = call->getType();
    if (auto *st = dyn_cast<StructType>(ret)) {
      Value *s = PoisonValue::get(st);
      for (unsigned i = 0; i < st->getNumElements(); ++i)
        s = b.CreateInsertValue(s, fromBits(outputSlots.at(i),
                                            st->getElementType(i)),
                                i);
      call->replaceAllUsesWith(s);
    } else if (!ret->isVoidTy()) {
      call->replaceAllUsesWith(fromBits(outputSlots.at(0), ret));
    }
    call->eraseFromParent();
    return "";
  }

  // -- PTX semantics where LLVM's host lowering differs --------------------
  void guardDivision(BinaryOperator *op) {
    Value *d = op->getOperand(1);
    if (auto *c = dyn_cast<ConstantInt>(d))
      if (!c->isZero() && !c->isMinusOne())
        return;
    IRBuilder<> b(op);
    Type *t = op->getType();
    Value *n = op->getOperand(0);
    Value *zero = Constant::getNullValue(t);
    Value *isZero = b.CreateICmpEQ(d, zero);
    Value *safe = b.CreateSelect(isZero, ConstantInt::get(t, 1), d);
    bool isSigned = op->getOpcode() == Instruction::SDiv ||
                    op->getOpcode() == Instruction::SRem;
    bool isRem = op->getOpcode() == Instruction::SRem ||
                 op->getOpcode() == Instruction::URem;
    Value *overflow = nullptr;
    if (isSigned) { // INT_MIN / -1 traps on x86; PTX wraps (rem gives 0)
      overflow = b.CreateAnd(
          b.CreateICmpEQ(d, Constant::getAllOnesValue(t)),
          b.CreateICmpEQ(n, ConstantInt::get(
                                t, APInt::getSignedMinValue(
                                       t->getScalarSizeInBits()))));
      safe = b.CreateSelect(overflow, ConstantInt::get(t, 1), safe);
    }
    Value *r = b.CreateBinOp(op->getOpcode(), n, safe);
    if (overflow)
      r = b.CreateSelect(overflow, isRem ? zero : n, r);
    // Division by zero: all ones (as div.u32 gives), remainder the dividend.
    r = b.CreateSelect(isZero, isRem ? n : Constant::getAllOnesValue(t), r);
    op->replaceAllUsesWith(r);
    op->eraseFromParent();
  }

  void clampShift(BinaryOperator *op) {
    Value *amount = op->getOperand(1);
    Type *t = op->getType();
    unsigned width = t->getScalarSizeInBits();
    if (auto *c = dyn_cast<ConstantInt>(amount))
      if (c->getValue().ult(width))
        return;
    IRBuilder<> b(op);
    Value *tooFar = b.CreateICmpUGE(amount, ConstantInt::get(t, width));
    Value *safe = b.CreateSelect(tooFar, Constant::getNullValue(t), amount);
    Value *r = b.CreateBinOp(op->getOpcode(), op->getOperand(0), safe);
    Value *far = op->getOpcode() == Instruction::AShr
                     ? b.CreateAShr(op->getOperand(0), width - 1)
                     : Constant::getNullValue(t);
    r = b.CreateSelect(tooFar, far, r);
    op->replaceAllUsesWith(r);
    op->eraseFromParent();
  }

  void saturateConversion(CastInst *cast) {
    IRBuilder<> b(cast);
    Intrinsic::ID id = cast->getOpcode() == Instruction::FPToSI
                           ? Intrinsic::fptosi_sat
                           : Intrinsic::fptoui_sat;
    Value *r = b.CreateIntrinsic(id, {cast->getType(), cast->getSrcTy()},
                                 {cast->getOperand(0)});
    cast->replaceAllUsesWith(r);
    cast->eraseFromParent();
  }

  std::string rewriteInstructions(Function &f) {
    std::vector<Instruction *> work;
    for (Instruction &i : instructions(f))
      work.push_back(&i);
    for (Instruction *i : work) {
      if (auto *call = dyn_cast<CallInst>(i)) {
        if (call->isInlineAsm()) {
          std::string error = rewriteInlineAsm(call);
          if (!error.empty())
            return error;
          continue;
        }
        Function *callee = call->getCalledFunction();
        if (!callee)
          continue;
        StringRef name = callee->getName();
        if (name.consume_front("llvm.nvvm.")) {
          rewriteNvvm(call, name);
        } else if (callee->getIntrinsicID() == Intrinsic::trap) {
          IRBuilder<> b(call);
          b.CreateCall(runtime("kite_sim_trap", Type::getVoidTy(ctx), {}));
          call->eraseFromParent();
        }
        continue;
      }
      if (auto *op = dyn_cast<BinaryOperator>(i)) {
        switch (op->getOpcode()) {
        case Instruction::SDiv:
        case Instruction::UDiv:
        case Instruction::SRem:
        case Instruction::URem:
          if (!op->getType()->isVectorTy())
            guardDivision(op);
          break;
        case Instruction::Shl:
        case Instruction::LShr:
        case Instruction::AShr:
          if (!op->getType()->isVectorTy())
            clampShift(op);
          break;
        default:
          break;
        }
        continue;
      }
      if (auto *cast = dyn_cast<CastInst>(i)) {
        if ((cast->getOpcode() == Instruction::FPToSI ||
             cast->getOpcode() == Instruction::FPToUI) &&
            !cast->getType()->isVectorTy())
          saturateConversion(cast);
        continue;
      }
      if (isa<AtomicRMWInst>(i) || isa<AtomicCmpXchgInst>(i)) {
        IRBuilder<> b(i->getNextNode());
        b.CreateCall(runtime("kite_sim_yield", Type::getVoidTy(ctx), {}));
      }
    }
    return "";
  }

  // -- the kernel and its entry ---------------------------------------------
  Function *findKernel(const std::string &entryPoint, std::string &error) {
    std::vector<Function *> kernels;
    for (Function &f : module)
      if (!f.isDeclaration() && f.getCallingConv() == CallingConv::PTX_Kernel)
        kernels.push_back(&f);
    if (NamedMDNode *annotations =
            module.getNamedMetadata("nvvm.annotations")) {
      for (MDNode *node : annotations->operands()) {
        if (node->getNumOperands() < 3)
          continue;
        auto *kind = dyn_cast<MDString>(node->getOperand(1));
        if (!kind || kind->getString() != "kernel")
          continue;
        if (auto *v = dyn_cast_or_null<ValueAsMetadata>(node->getOperand(0)))
          if (auto *f = dyn_cast<Function>(v->getValue()))
            if (std::find(kernels.begin(), kernels.end(), f) == kernels.end())
              kernels.push_back(f);
      }
    }
    for (Function *f : kernels)
      if (entryPoint.empty() || f->getName() == entryPoint)
        return f;
    error = kernels.empty()
                ? "the module has no kernel (no ptx_kernel function)"
                : "the module has no kernel '" + entryPoint + "'";
    return nullptr;
  }

  void makeEntry(Function *kernel) {
    kernel->setCallingConv(CallingConv::C);
    kernel->setLinkage(GlobalValue::InternalLinkage);
    Function *entry = Function::Create(
        FunctionType::get(Type::getVoidTy(ctx), {ptr}, false),
        GlobalValue::ExternalLinkage, kEntrySymbol, module);
    IRBuilder<> b(BasicBlock::Create(ctx, "entry", entry));
    std::vector<Value *> arguments;
    const DataLayout &layout = module.getDataLayout();
    for (Argument &a : kernel->args()) {
      Value *slot = b.CreateLoad(
          ptr, b.CreateConstGEP1_32(ptr, entry->getArg(0), a.getArgNo()));
      Type *t = a.getType();
      if (a.hasByValAttr()) {
        // A byval struct (a TMA descriptor, a grid constant): the kernel
        // gets a pointer to the parameter bytes.
        arguments.push_back(b.CreateAddrSpaceCast(slot, t));
        result.paramBytes.push_back(
            unsigned(layout.getTypeAllocSize(a.getParamByValType())));
        continue;
      }
      arguments.push_back(b.CreateLoad(t, slot));
      result.paramBytes.push_back(unsigned(layout.getTypeAllocSize(t)));
    }
    b.CreateCall(kernel, arguments);
    b.CreateRetVoid();
  }
};

} // namespace

/// libdevice asks __nvvm_reflect("__CUDA_FTZ") and ("__CUDA_ARCH"), which
/// NVPTX's NVVMReflect pass answers from the module flag nvvm-reflect-ftz
/// and the architecture; the simulator answers the same.
static void answerReflect(Module &module, unsigned smVersion) {
  Function *reflect = module.getFunction("__nvvm_reflect");
  if (!reflect)
    return;
  uint64_t ftz = 0;
  if (auto *flag = mdconst::extract_or_null<ConstantInt>(
          module.getModuleFlag("nvvm-reflect-ftz")))
    ftz = flag->getZExtValue();
  for (User *user : make_early_inc_range(reflect->users())) {
    auto *call = dyn_cast<CallInst>(user);
    if (!call)
      continue;
    StringRef name;
    Value *argument = call->getArgOperand(0)->stripPointerCasts();
    if (auto *global = dyn_cast<GlobalVariable>(argument))
      if (auto *data =
              dyn_cast_or_null<ConstantDataArray>(global->getInitializer()))
        name = data->getAsCString();
    uint64_t answer = name == "__CUDA_FTZ" ? ftz
                      : name == "__CUDA_ARCH" ? smVersion * 10
                                              : 0;
    call->replaceAllUsesWith(ConstantInt::get(call->getType(), answer));
    call->eraseFromParent();
  }
}

std::string kite::sim::retargetToHost(Module &module,
                                      const std::string &entryPoint,
                                      const DataLayout &layout,
                                      const Triple &triple, unsigned smVersion,
                                      RetargetResult &result) {
  Rewriter rewriter(module, result, smVersion);
  answerReflect(module, smVersion);
  std::string error;
  Function *kernel = rewriter.findKernel(entryPoint, error);
  if (!kernel)
    return error;
  result.kernelName = kernel->getName().str();
  // Sizes of shared variables come from the module's own layout.
  if (std::string e = rewriter.placeSharedVariables(); !e.empty())
    return e;
  module.setDataLayout(layout);
  module.setTargetTriple(triple);
  if (NamedMDNode *annotations = module.getNamedMetadata("nvvm.annotations"))
    module.eraseNamedMetadata(annotations);
  for (Function &f : module) {
    f.removeFnAttr("target-cpu");
    f.removeFnAttr("target-features");
    if (f.getCallingConv() == CallingConv::PTX_Kernel ||
        f.getCallingConv() == CallingConv::PTX_Device)
      f.setCallingConv(CallingConv::C);
    if (f.isDeclaration())
      continue;
    // Counting first: it sees only the kernel's own instructions
    // (SimInstrument.cpp says why).
    instrumentCounters(f, result.symbols);
    if (std::string e = rewriter.rewriteInstructions(f); !e.empty())
      return e;
    addPreemptionPoints(f);
  }
  // Calls of the kernel from elsewhere used its old calling convention.
  for (Function &f : module)
    for (Instruction &i : instructions(f))
      if (auto *call = dyn_cast<CallBase>(&i))
        if (Function *callee = call->getCalledFunction())
          call->setCallingConv(callee->getCallingConv());
  rewriter.makeEntry(kernel);
  std::string verify;
  raw_string_ostream os(verify);
  if (verifyModule(module, &os))
    return "the simulator's rewrite of '" + result.kernelName +
           "' is invalid: " + verify;
  return "";
}
