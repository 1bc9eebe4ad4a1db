//===- NvvmIntrinsics.cpp - llvm.nvvm.* calls made host calls -------------===//
//
// Special registers, barriers, warp-synchronous intrinsics, ldmatrix, mma,
// cp.async groups become calls of the runtime (SimRuntime.cpp); NVVM's
// arithmetic calls NvvmMath.cpp's functions, its packed float conversions
// NvvmConversions.cpp's; fences and grid dependencies
// order nothing here; anything else fails the launch that reaches it.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/sim/NvvmMath.h"
#include "backends/nvptx/sim/SimRewriter.h"
#include "backends/nvptx/sim/TensorCore.h"

#include "llvm/IR/InlineAsm.h"

#include <map>

using namespace llvm;
using namespace kite::sim;

Value *Rewriter::sreg(IRBuilder<> &b, SpecialRegister r, Type *type) {
  Value *v = b.CreateCall(runtime("kite_sim_sreg", i32, {i32}),
                          {b.getInt32(uint32_t(r))});
  return b.CreateZExtOrTrunc(v, type);
}

Value *Rewriter::withPredicate(IRBuilder<> &b, Type *structType, Value *v,
                               Value *predicateSlot) {
  Value *p = b.CreateICmpNE(b.CreateLoad(i32, predicateSlot), b.getInt32(0));
  Value *s = PoisonValue::get(structType);
  s = b.CreateInsertValue(s, v, 0);
  return b.CreateInsertValue(s, p, 1);
}

bool Rewriter::rewriteSreg(CallBase *call, StringRef name) {
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

void Rewriter::rewriteShfl(CallBase *call, StringRef rest) {
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

void Rewriter::rewriteVote(CallBase *call, StringRef kind) {
  static const std::map<std::string, uint32_t> modes = {
      {"all", 0}, {"any", 1}, {"uni", 2}, {"ballot", 3}};
  IRBuilder<> b(call);
  Value *r =
      b.CreateCall(runtime("kite_sim_vote", i32, {i32, i32, i32}),
                   {b.getInt32(modes.at(kind.str())), call->getArgOperand(0),
                    b.CreateZExt(call->getArgOperand(1), i32)});
  r = kind == "ballot" ? r : b.CreateICmpNE(r, b.getInt32(0));
  call->replaceAllUsesWith(r);
  call->eraseFromParent();
}

void Rewriter::rewriteRedux(CallBase *call, StringRef kind) {
  static const std::map<std::string, uint32_t> modes = {
      {"add", 0},  {"min", 1}, {"max", 2}, {"umin", 3},
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

void Rewriter::rewriteMatch(CallBase *call, StringRef rest) {
  // match.{any,all}.sync.{i32,i64}[p](mask, value)
  bool all = rest.starts_with("all");
  bool withP = rest.ends_with("p");
  IRBuilder<> b(call);
  Value *predicate = withP ? entryAlloca(b, i32)
                           : ConstantPointerNull::get(PointerType::get(ctx, 0));
  Value *r =
      b.CreateCall(runtime("kite_sim_match", i32, {i32, i32, i64, ptr}),
                   {b.getInt32(all), call->getArgOperand(0),
                    b.CreateZExt(call->getArgOperand(1), i64), predicate});
  if (withP)
    r = withPredicate(b, call->getType(), r, predicate);
  call->replaceAllUsesWith(r);
  call->eraseFromParent();
}

void Rewriter::rewriteLdmatrix(CallBase *call, StringRef name) {
  unsigned count = name.contains(".x4.") ? 4 : name.contains(".x2.") ? 2 : 1;
  if (!name.contains(".b16"))
    return unimplemented(call, "`llvm.nvvm." + name.str() + "`");
  IRBuilder<> b(call);
  Value *out = entryAlloca(b, i32, 4);
  Value *address = b.CreatePtrToInt(call->getArgOperand(0), i64);
  b.CreateCall(
      runtime("kite_sim_ldmatrix", Type::getVoidTy(ctx), {i32, i32, i64, ptr}),
      {b.getInt32(count), b.getInt32(name.contains(".trans")), address, out});
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

std::string Rewriter::mmaInstruction(StringRef name) {
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

void Rewriter::rewriteMma(CallBase *call, StringRef name) {
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
  CallInst *asmCall = CallInst::Create(asmValue, args, "", call->getIterator());
  call->replaceAllUsesWith(asmCall);
  call->eraseFromParent();
  rewriteInlineAsm(asmCall);
}

void Rewriter::rewriteBarrier(CallBase *call, StringRef name) {
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

void Rewriter::rewriteNvvm(CallBase *call, StringRef name) {
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
      b.CreateCall(
          runtime("kite_sim_async_wait_all", Type::getVoidTy(ctx), {}));
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
  if (rewriteConversion(call, name))
    return;
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
