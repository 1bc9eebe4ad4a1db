//===- HostRetarget.cpp - an NVPTX module made to run on the host ---------===//
#include "backends/nvptx/sim/HostRetarget.h"
#include "backends/nvptx/sim/NvvmMath.h"
#include "backends/nvptx/sim/Preemption.h"
#include "backends/nvptx/sim/SimInstrument.h"
#include "backends/nvptx/sim/SimRewriter.h"
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

std::string Rewriter::placeSharedVariables() {
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
        Value *block = b.CreateCall(runtime("kite_sim_shared_base", ptr, {}),
                                    {}, "shared.block");
        Value *at = b.CreateGEP(i8, block, b.getInt64(offsets[g]));
        base = b.CreateAddrSpaceCast(at, g->getType(), g->getName());
      }
      use->set(base);
    }
    g->eraseFromParent();
  }
  return "";
}

void Rewriter::guardDivision(BinaryOperator *op) {
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
        b.CreateICmpEQ(n, ConstantInt::get(t, APInt::getSignedMinValue(
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

void Rewriter::clampShift(BinaryOperator *op) {
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

void Rewriter::saturateConversion(CastInst *cast) {
  IRBuilder<> b(cast);
  Intrinsic::ID id = cast->getOpcode() == Instruction::FPToSI
                         ? Intrinsic::fptosi_sat
                         : Intrinsic::fptoui_sat;
  Value *r = b.CreateIntrinsic(id, {cast->getType(), cast->getSrcTy()},
                               {cast->getOperand(0)});
  cast->replaceAllUsesWith(r);
  cast->eraseFromParent();
}

std::string Rewriter::rewriteInstructions(Function &f) {
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
        if (!rewriteHopperNvvm(call, name))
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

Function *Rewriter::findKernel(const std::string &entryPoint,
                               std::string &error) {
  std::vector<Function *> kernels;
  for (Function &f : module)
    if (!f.isDeclaration() && f.getCallingConv() == CallingConv::PTX_Kernel)
      kernels.push_back(&f);
  if (NamedMDNode *annotations = module.getNamedMetadata("nvvm.annotations")) {
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
  error = kernels.empty() ? "the module has no kernel (no ptx_kernel function)"
                          : "the module has no kernel '" + entryPoint + "'";
  return nullptr;
}

void Rewriter::makeEntry(Function *kernel) {
  kernel->setCallingConv(CallingConv::C);
  kernel->setLinkage(GlobalValue::InternalLinkage);
  Function *entry =
      Function::Create(FunctionType::get(Type::getVoidTy(ctx), {ptr}, false),
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
      // gets a pointer to a copy of the parameter bytes, aligned as the
      // parameter says (the packed bytes are only 8-byte aligned, and the
      // host's code copies byval structs with aligned vector moves).
      Type *type = a.getParamByValType();
      Align align = a.getParamAlign().valueOrOne();
      AllocaInst *copy = b.CreateAlloca(type);
      copy->setAlignment(std::max(align, copy->getAlign()));
      b.CreateMemCpy(copy, copy->getAlign(), slot, Align(1),
                     layout.getTypeAllocSize(type));
      arguments.push_back(b.CreateAddrSpaceCast(copy, t));
      result.paramBytes.push_back(
          unsigned(layout.getTypeAllocSize(a.getParamByValType())));
      continue;
    }
    arguments.push_back(b.CreateLoad(t, slot));
    result.paramBytes.push_back(unsigned(layout.getTypeAllocSize(t)));
  }
  CallInst *call = b.CreateCall(kernel, arguments);
  // The call passes byval structs as the kernel takes them (the host's ABI
  // copies them onto the stack; without the attribute at the call the kernel
  // would read its copy from where the caller put none).
  for (Argument &a : kernel->args())
    if (a.hasByValAttr()) {
      call->addParamAttr(a.getArgNo(), Attribute::getWithByValType(
                                           ctx, a.getParamByValType()));
      if (MaybeAlign align = a.getParamAlign())
        call->addParamAttr(a.getArgNo(),
                           Attribute::getWithAlignment(ctx, *align));
    }
  b.CreateRetVoid();
}

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
    uint64_t answer = name == "__CUDA_FTZ"    ? ftz
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
