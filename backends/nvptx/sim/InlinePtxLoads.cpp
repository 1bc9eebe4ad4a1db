//===- InlinePtxLoads.cpp - masked-load inline PTX compiled to host code --===//
//
// Masked loads, Kite's and Triton's, are inline PTX of one form: `mov`s of
// the fallback into the destination registers, then `ld.global` guarded by
// the mask. Interpreted, each costs a call and a walk over decoded
// instructions (a masked vector add ran five times slower than with plain
// loads); a statement of only such instructions is compiled here to host
// IR instead, which the JIT optimises with the rest of the kernel:
//
//   registers are i64 values (the interpreter's slots), a guarded `mov` a
//   select; a load reads from its address where its guard holds and from
//   a small private array elsewhere (so an inactive lane touches none of the
//   kernel's memory, as on the GPU), and keeps the old registers there; the
//   load counters add what the interpreter's handler adds, where it runs.
//
// Any other statement goes to the interpreter (InlinePtx.cpp), which gives
// every instruction the same meaning.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/sim/InlinePtx.h"
#include "backends/nvptx/sim/SimCounters.h"
#include "backends/nvptx/sim/SimRewriter.h"

using namespace llvm;
using namespace kite::sim;

namespace {

bool isRegister(const PtxOperand &op) {
  return op.kind == PtxOperand::Kind::Register && op.reg >= 0;
}

bool isPlainMove(const PtxInstruction &in) {
  if (in.modifiers.size() != 2 || in.modifiers[0] != "mov" || in.typeBits < 8 ||
      in.typeBits > 64 || in.operands.size() != 2 ||
      !isRegister(in.operands[0]))
    return false;
  const PtxOperand &source = in.operands[1];
  return isRegister(source) ||
         (source.kind == PtxOperand::Kind::Immediate && !source.floatImmediate);
}

/// The state space, a vector, a type or a cache hint; not a memory-model
/// qualifier (.volatile, .relaxed, .acquire, a scope), whose loads a spin
/// loop may rely on being made again: those stay interpreted.
bool isPlainLoadModifier(const std::string &m) {
  StringRef modifier(m);
  return modifier == "global" || modifier == "v2" || modifier == "v4" ||
         ptxTypeBits(modifier) || modifier == "ca" || modifier == "cg" ||
         modifier == "cs" || modifier == "lu" || modifier == "nc" ||
         modifier.starts_with("L1::") || modifier.starts_with("L2::");
}

/// ld.global[.<cache or eviction hints>][.v2|.v4].<b|u|f><8..64> into
/// registers, at [register + offset].
bool isGlobalLoad(const PtxInstruction &in) {
  if (in.modifiers[0] != "ld" || !in.has("global") ||
      !llvm::all_of(ArrayRef(in.modifiers).drop_front(), isPlainLoadModifier) ||
      in.operands.size() != 2 ||
      in.operands[1].kind != PtxOperand::Kind::Address ||
      in.operands[1].reg < 0 || in.lanes > 4 ||
      (in.typeBits != 8 && in.typeBits != 16 && in.typeBits != 32 &&
       in.typeBits != 64) ||
      isSignedType(in.type()))
    return false;
  const PtxOperand &d = in.operands[0];
  if (in.lanes == 1 && isRegister(d))
    return true;
  if (d.kind != PtxOperand::Kind::Vector || d.elements.size() != in.lanes)
    return false;
  return llvm::all_of(d.elements, isRegister);
}

unsigned loadCounter(unsigned bytes) {
  Counter counter = bytes >= 16  ? Counter::global_loads_128
                    : bytes >= 8 ? Counter::global_loads_64
                    : bytes >= 4 ? Counter::global_loads_32
                    : bytes >= 2 ? Counter::global_loads_16
                                 : Counter::global_loads_8;
  return unsigned(counter);
}

} // namespace

bool Rewriter::compileInlineLoads(IRBuilder<> &b, const AsmProgram &program,
                                  Value *slots) {
  bool anyLoad = false;
  for (const PtxInstruction &in : program.code) {
    bool load = isGlobalLoad(in);
    if (!load && !isPlainMove(in))
      return false;
    anyLoad |= load;
  }
  if (!anyLoad)
    return false;

  std::vector<Value *> regs(program.registerCount, b.getInt64(0));
  for (unsigned i = 0; i < program.operandCount; ++i)
    regs[i] = b.CreateLoad(i64, b.CreateConstGEP1_32(i64, slots, i));
  auto *scratchType = ArrayType::get(i8, 16);
  auto *scratch = cast<GlobalVariable>(
      module.getOrInsertGlobal("kite_sim_inactive_load", scratchType));
  scratch->setLinkage(GlobalValue::InternalLinkage);
  scratch->setInitializer(ConstantAggregateZero::get(scratchType));
  scratch->setAlignment(Align(16));
  Value *scratchAddress = b.CreatePtrToInt(scratch, i64);

  auto truncated = [&](Value *v, unsigned bits) -> Value * {
    return bits >= 64 ? v : b.CreateAnd(v, b.getInt64((1ull << bits) - 1));
  };
  for (const PtxInstruction &in : program.code) {
    Value *guard = nullptr;
    if (in.guard >= 0) {
      guard = b.CreateTrunc(regs[in.guard], i1);
      if (in.guardNegated)
        guard = b.CreateNot(guard);
    }
    if (in.modifiers[0] == "mov") {
      const PtxOperand &source = in.operands[1];
      Value *value = truncated(source.kind == PtxOperand::Kind::Register
                                   ? regs[source.reg]
                                   : b.getInt64(source.imm),
                               in.typeBits);
      Value *&d = regs[in.operands[0].reg];
      d = guard ? b.CreateSelect(guard, value, d) : value;
      continue;
    }
    unsigned bytes = in.typeBits / 8;
    Type *memory = IntegerType::get(ctx, in.typeBits);
    Value *base =
        b.CreateAdd(regs[in.operands[1].reg], b.getInt64(in.operands[1].imm));
    const PtxOperand &d = in.operands[0];
    for (unsigned lane = 0; lane < in.lanes; ++lane) {
      Value *address = b.CreateAdd(base, b.getInt64(lane * bytes));
      if (guard)
        address = b.CreateSelect(guard, address, scratchAddress);
      Value *value = b.CreateZExt(
          b.CreateAlignedLoad(memory, b.CreateIntToPtr(address, ptr), Align(1)),
          i64);
      Value *&reg = regs[in.lanes == 1 && d.kind == PtxOperand::Kind::Register
                             ? d.reg
                             : d.elements[lane].reg];
      reg = guard ? b.CreateSelect(guard, value, reg) : value;
    }
    Value *executed = guard ? b.CreateZExt(guard, i64) : b.getInt64(1);
    Value *counters = b.CreateCall(runtime("kite_sim_counters", ptr, {}), {});
    auto add = [&](unsigned counter, Value *amount) {
      Value *at = b.CreateConstGEP1_32(i64, counters, counter);
      b.CreateStore(b.CreateAdd(b.CreateLoad(i64, at), amount), at);
    };
    add(unsigned(Counter::global_load_bytes),
        b.CreateMul(executed, b.getInt64(bytes * in.lanes)));
    add(loadCounter(bytes * in.lanes), executed);
  }
  for (unsigned i = 0; i < program.operandCount; ++i)
    b.CreateStore(regs[i], b.CreateConstGEP1_32(i64, slots, i));
  return true;
}
