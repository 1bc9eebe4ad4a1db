//===- SimInstrument.cpp - counting what a kernel's own IR executes -------===//
//
// Each basic block adds what it executes to the running thread's counters
// once, before its terminator: a block that starts runs to its end, or the
// launch ends (a trap, a fault). Only accesses through a generic address are
// counted where they happen, since whether they reach shared memory is known
// only then. An increment is a plain load, add and store: a thread's
// counters are its own, and every thread runs on the one OS thread.
//
// This runs before the rest of the host rewrite, not after it: it then sees
// the module as the NVPTX backend would, before the simulator inserts the
// operand slots of inline PTX, the guards of divisions and shifts, the loads
// of ldmatrix's results or the shared-memory base. Counting afterwards would
// have to tell those apart from the kernel's own instructions, some of which
// (divisions, conversions) the rewrite has erased and replaced by then. The
// rewrite, in turn, changes only NVVM intrinsics, inline asm, divisions,
// shifts, float-to-integer conversions and atomics, none of which the
// inserted counting uses.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/sim/SimInstrument.h"
#include "backends/nvptx/sim/NvvmMath.h"
#include "backends/nvptx/sim/SimCounters.h"
#include "backends/nvptx/sim/SimScheduler.h"

#include "llvm/Analysis/ValueTracking.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InlineAsm.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"

using namespace llvm;
using namespace kite::sim;

namespace {

using Tally = std::array<uint64_t, kCounterCount>;

constexpr const char *kSharedBytesSymbol = "kite_sim_instrument_shared_bytes";

/// The size of the running CTA's shared block: a generic address is shared
/// when it lies in it (kite_sim_shared_base gives its start).
uint64_t sharedBytesOfThisCta() {
  return SimThread::current()->cta->launch->config.sharedBytes;
}

enum class Space { Global, Shared, Local, Generic, Uncounted };

Space spaceOfAddressSpace(unsigned space) {
  switch (space) {
  case 1: // global
  case 4: // constant: global memory read through the constant cache
    return Space::Global;
  case 3: // shared
  case 7: // shared::cluster
    return Space::Shared;
  case 5:
    return Space::Local;
  case 0:
    return Space::Generic;
  default: // kernel parameters (101)
    return Space::Uncounted;
  }
}

Space spaceOf(Value *pointer) {
  Space space =
      spaceOfAddressSpace(pointer->getType()->getPointerAddressSpace());
  if (space != Space::Generic)
    return space;
  // A generic address cast from a specific space, or a thread's own array
  // (NVPTX's IR keeps allocas generic until its backend moves them to
  // local memory), is known without running.
  const Value *object = getUnderlyingObject(pointer);
  if (isa<AllocaInst>(object))
    return Space::Local;
  return spaceOfAddressSpace(object->getType()->getPointerAddressSpace());
}

/// What one access adds where it goes to global and where to shared memory.
struct Increment {
  Counter ifGlobal, ifShared;
  uint64_t amount;
};

Counter offset(Counter first, unsigned by) {
  return Counter(unsigned(first) + by);
}
static_assert(unsigned(Counter::global_loads_128) ==
                      unsigned(Counter::global_loads_8) + 4 &&
                  unsigned(Counter::global_stores_128) ==
                      unsigned(Counter::global_stores_8) + 4,
              "the counters by width are consecutive, 8 to 128 bits");

/// An access of `bytes`: its bytes, and the instructions NVPTX makes of it
/// (pieces of 16, 8, 4, 2 and 1 bytes, the widest first: a <4 x float> is
/// one 128-bit instruction, a <3 x float> a 64-bit and a 32-bit one).
SmallVector<Increment, 4> accessIncrements(bool store, uint64_t bytes) {
  SmallVector<Increment, 4> increments;
  increments.push_back(
      {store ? Counter::global_store_bytes : Counter::global_load_bytes,
       store ? Counter::shared_store_bytes : Counter::shared_load_bytes,
       bytes});
  Counter sharedCount = store ? Counter::shared_stores : Counter::shared_loads;
  Counter widest = store ? Counter::global_stores_8 : Counter::global_loads_8;
  for (unsigned log = 5; log-- > 0;) {
    uint64_t width = uint64_t(1) << log;
    if (uint64_t n = bytes / width) {
      increments.push_back({offset(widest, log), sharedCount, n});
      bytes %= width;
    }
  }
  return increments;
}

uint64_t elements(Type *type) {
  if (auto *vector = dyn_cast<FixedVectorType>(type))
    return vector->getNumElements();
  return 1;
}

/// float_ops per element of an intrinsic (0: not float arithmetic).
unsigned floatOps(Intrinsic::ID id) {
  switch (id) {
  case Intrinsic::fma:
  case Intrinsic::fmuladd:
    return 2;
  case Intrinsic::minnum:
  case Intrinsic::maxnum:
  case Intrinsic::minimum:
  case Intrinsic::maximum:
  case Intrinsic::minimumnum:
  case Intrinsic::maximumnum:
  case Intrinsic::fabs:
  case Intrinsic::copysign:
  case Intrinsic::sqrt:
  case Intrinsic::exp:
  case Intrinsic::exp2:
  case Intrinsic::exp10:
  case Intrinsic::log:
  case Intrinsic::log2:
  case Intrinsic::log10:
  case Intrinsic::sin:
  case Intrinsic::cos:
  case Intrinsic::tan:
  case Intrinsic::pow:
  case Intrinsic::powi:
  case Intrinsic::ldexp:
  case Intrinsic::floor:
  case Intrinsic::ceil:
  case Intrinsic::trunc:
  case Intrinsic::rint:
  case Intrinsic::nearbyint:
  case Intrinsic::round:
  case Intrinsic::roundeven:
    return 1;
  default:
    return 0;
  }
}

bool isIntegerArithmetic(Intrinsic::ID id) {
  switch (id) {
  case Intrinsic::smin:
  case Intrinsic::smax:
  case Intrinsic::umin:
  case Intrinsic::umax:
  case Intrinsic::abs:
  case Intrinsic::ctpop:
  case Intrinsic::ctlz:
  case Intrinsic::cttz:
  case Intrinsic::fshl:
  case Intrinsic::fshr:
  case Intrinsic::bitreverse:
  case Intrinsic::bswap:
  case Intrinsic::sadd_sat:
  case Intrinsic::uadd_sat:
  case Intrinsic::ssub_sat:
  case Intrinsic::usub_sat:
  case Intrinsic::sadd_with_overflow:
  case Intrinsic::uadd_with_overflow:
  case Intrinsic::ssub_with_overflow:
  case Intrinsic::usub_with_overflow:
  case Intrinsic::smul_with_overflow:
  case Intrinsic::umul_with_overflow:
    return true;
  default:
    return false;
  }
}

/// NVVM's arithmetic intrinsics (NvvmMath.cpp): fma counts 2, the integer
/// ones (mulhi, mul24, sad, prmt) are int_ops, conversions count nothing.
void countNvvm(StringRef name, Tally &tally) {
  if (!nvvmMathFunction(name))
    return;
  for (StringRef conversion : {"f2", "d2", "i2", "ui2", "ll2", "ull2", "lohi"})
    if (name.starts_with(conversion))
      return;
  if (name.starts_with("mulhi.") || name.starts_with("mul24.") ||
      name.starts_with("sad.") || name == "prmt")
    tally[unsigned(Counter::int_ops)] += 1;
  else
    tally[unsigned(Counter::float_ops)] += name.starts_with("fma.") ? 2 : 1;
}

void countArithmetic(Instruction &i, Tally &tally) {
  auto add = [&](Counter counter, uint64_t amount) {
    tally[unsigned(counter)] += amount;
  };
  if (isa<BinaryOperator>(i)) {
    add(i.getType()->isFPOrFPVectorTy() ? Counter::float_ops : Counter::int_ops,
        elements(i.getType()));
  } else if (i.getOpcode() == Instruction::FNeg) {
    add(Counter::float_ops, elements(i.getType()));
  } else if (isa<ICmpInst>(i)) {
    add(Counter::int_ops, elements(i.getType()));
  } else if (auto *call = dyn_cast<CallInst>(&i)) {
    Function *callee = call->getCalledFunction();
    if (!callee || call->arg_empty())
      return;
    StringRef name = callee->getName();
    if (name.consume_front("llvm.nvvm."))
      return countNvvm(name, tally);
    Intrinsic::ID id = callee->getIntrinsicID();
    uint64_t n = elements(call->getArgOperand(0)->getType());
    if (unsigned ops = floatOps(id))
      add(Counter::float_ops, ops * n);
    else if (isIntegerArithmetic(id))
      add(Counter::int_ops, n);
  }
}

/// How many instructions `i` issues, as the `instructions` counter defines
/// them: every IR instruction but the bookkeeping that emits no code (phi
/// nodes, debug and lifetime markers, assumptions); inline PTX counts the
/// instructions of its string (its `;`-terminated statements other than
/// declarations), since one asm call can hold a predicate set-up, a load
/// and a move.
uint64_t issuedInstructions(Instruction &i) {
  if (isa<PHINode>(i) || isa<DbgInfoIntrinsic>(i))
    return 0;
  auto *call = dyn_cast<CallInst>(&i);
  if (!call)
    return 1;
  if (auto *asm_ = dyn_cast<InlineAsm>(call->getCalledOperand())) {
    uint64_t count = 0;
    SmallVector<StringRef, 16> statements;
    StringRef(asm_->getAsmString()).split(statements, ';');
    for (StringRef statement : statements) {
      statement = statement.trim(" \t\n\r{}");
      if (!statement.empty() && !statement.starts_with("."))
        ++count;
    }
    return count;
  }
  switch (call->getIntrinsicID()) {
  case Intrinsic::lifetime_start:
  case Intrinsic::lifetime_end:
  case Intrinsic::assume:
  case Intrinsic::experimental_noalias_scope_decl:
    return 0;
  default:
    return 1;
  }
}

/// A generic access, counted where it runs.
struct GenericAccess {
  Instruction *at;
  Value *pointer;
  SmallVector<Increment, 4> increments;
};

} // namespace

void kite::sim::instrumentCounters(Function &function,
                                   std::map<std::string, void *> &symbols) {
  const DataLayout &layout = function.getParent()->getDataLayout();
  // Everything is collected before anything is inserted, so the counting
  // code is never counted itself.
  std::vector<std::pair<BasicBlock *, Tally>> blocks;
  std::vector<GenericAccess> generic;
  for (BasicBlock &block : function) {
    Tally tally{};
    for (Instruction &i : block) {
      tally[unsigned(Counter::instructions)] += issuedInstructions(i);
      countArithmetic(i, tally);
      if (isa<AtomicRMWInst>(i) || isa<AtomicCmpXchgInst>(i)) {
        tally[unsigned(Counter::atomics)] += 1;
        continue;
      }
      Value *pointer;
      Type *type;
      bool store = isa<StoreInst>(i);
      if (auto *load = dyn_cast<LoadInst>(&i)) {
        pointer = load->getPointerOperand();
        type = load->getType();
      } else if (auto *s = dyn_cast<StoreInst>(&i)) {
        pointer = s->getPointerOperand();
        type = s->getValueOperand()->getType();
      } else {
        continue;
      }
      uint64_t bytes = layout.getTypeStoreSize(type).getFixedValue();
      switch (spaceOf(pointer)) {
      case Space::Global:
        for (const Increment &in : accessIncrements(store, bytes))
          tally[unsigned(in.ifGlobal)] += in.amount;
        break;
      case Space::Shared:
        for (const Increment &in : accessIncrements(store, bytes))
          tally[unsigned(in.ifShared)] += in.amount;
        break;
      case Space::Local:
        tally[unsigned(store ? Counter::local_store_bytes
                             : Counter::local_load_bytes)] += bytes;
        break;
      case Space::Generic:
        generic.push_back({&i, pointer, accessIncrements(store, bytes)});
        break;
      case Space::Uncounted:
        break;
      }
    }
    if (llvm::any_of(tally, [](uint64_t v) { return v != 0; }))
      blocks.push_back({&block, tally});
  }
  if (blocks.empty() && generic.empty())
    return;

  Module &module = *function.getParent();
  LLVMContext &ctx = function.getContext();
  Type *i64 = Type::getInt64Ty(ctx);
  Type *ptr = PointerType::get(ctx, 0);
  IRBuilder<> entry(&*function.getEntryBlock().getFirstInsertionPt());
  Value *counters =
      entry.CreateCall(module.getOrInsertFunction(
                           "kite_sim_counters", FunctionType::get(ptr, false)),
                       {}, "counters");
  auto increment = [&](IRBuilder<> &b, Value *counter, uint64_t amount) {
    Value *slot = b.CreateGEP(i64, counters, counter);
    b.CreateStore(b.CreateAdd(b.CreateLoad(i64, slot), b.getInt64(amount)),
                  slot);
  };

  if (!generic.empty()) {
    symbols[kSharedBytesSymbol] =
        reinterpret_cast<void *>(&sharedBytesOfThisCta);
    Value *base = entry.CreatePtrToInt(
        entry.CreateCall(module.getOrInsertFunction(
            "kite_sim_shared_base", FunctionType::get(ptr, false))),
        i64);
    Value *sharedBytes = entry.CreateCall(module.getOrInsertFunction(
        kSharedBytesSymbol, FunctionType::get(i64, false)));
    for (GenericAccess &access : generic) {
      IRBuilder<> b(access.at);
      Value *address = b.CreatePtrToInt(access.pointer, i64);
      Value *shared = b.CreateICmpULT(b.CreateSub(address, base), sharedBytes);
      for (const Increment &in : access.increments)
        increment(b,
                  b.CreateSelect(shared, b.getInt64(unsigned(in.ifShared)),
                                 b.getInt64(unsigned(in.ifGlobal))),
                  in.amount);
    }
  }
  for (auto &[block, tally] : blocks) {
    IRBuilder<> b(block->getTerminator());
    for (unsigned counter = 0; counter < kCounterCount; ++counter)
      if (tally[counter])
        increment(b, b.getInt64(counter), tally[counter]);
  }
}
