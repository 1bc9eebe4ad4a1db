//===- InlineAsmCalls.cpp - inline PTX made calls of its interpreter ------===//
//
// Each `asm` call becomes: its inputs stored as 64-bit slots in $N order,
// a call of kite_sim_asm with the program parsed at load time (InlinePtx.h)
// or, for masked loads, host code (InlinePtxLoads.cpp), its outputs read
// back from the slots.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/sim/SimRewriter.h"

#include "llvm/IR/InlineAsm.h"

using namespace llvm;
using namespace kite::sim;

std::string Rewriter::rewriteInlineAsm(CallInst *call) {
  auto *asmValue = cast<InlineAsm>(call->getCalledOperand());
  InlineAsm::ConstraintInfoVector constraints = asmValue->ParseConstraints();
  // Operand slots in $N order: outputs, then inputs (a tied input's value
  // goes to its output's slot too); clobbers have none.
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
      inputs.push_back({int(slot++), v});
      // A tied input ("0") is its own $N and also the initial value of its
      // output's register (Triton's wgmma accumulators, read and written as
      // the outputs); LLVM marks the tie on the output, the input's code is
      // the output's number.
      unsigned tied;
      if (!c.Codes.empty() && !StringRef(c.Codes[0]).getAsInteger(10, tied))
        inputs.push_back({outputSlots.at(tied), v});
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
      v = b.CreateBitCast(v,
                          IntegerType::get(ctx, t->getPrimitiveSizeInBits()));
    if (t->isVectorTy())
      v = b.CreateBitCast(v,
                          IntegerType::get(ctx, t->getPrimitiveSizeInBits()));
    return b.CreateZExtOrTrunc(v, i64);
  };
  for (auto &[target, v] : inputs) {
    Value *slot = b.CreateConstGEP1_32(i64, slots, target);
    // A pointer is stored as a pointer, not its integer, so that what it
    // points at stays alive for the runtime: LLVM lets a ptrtoint drop the
    // provenance, and then removes the stores into a local copy (a byval
    // tensor map) that only the asm reads.
    if (v->getType()->isPointerTy())
      b.CreateStore(b.CreateAddrSpaceCast(v, ptr), slot);
    else
      b.CreateStore(toBits(v), slot);
  }
  if (!compileInlineLoads(b, *program, slots)) {
    b.CreateCall(runtime("kite_sim_asm", Type::getVoidTy(ctx), {ptr, ptr}),
                 {constantPointer(program.get()), slots});
    result.programs.push_back(std::move(program));
  }
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
      s = b.CreateInsertValue(
          s, fromBits(outputSlots.at(i), st->getElementType(i)), i);
    call->replaceAllUsesWith(s);
  } else if (!ret->isVoidTy()) {
    call->replaceAllUsesWith(fromBits(outputSlots.at(0), ret));
  }
  call->eraseFromParent();
  return "";
}
