//===- NvvmConversions.cpp - NVVM's packed float conversions --------------===//
//
// The cvt intrinsics Kite's NVPTX emitter calls (FloatConversionsToNVVM.cpp)
// with the PTX ISA's semantics (PtxFloat.cpp), each a host function of
// integer and float arguments and an i32 result that the rewrite truncates
// or bitcasts to the intrinsic's type (<2 x half> and bfloat results would
// travel in XMM registers on the host):
//
//   llvm.nvvm.ff.to.{e4m3x2,e5m2x2}.rn(a, b)  i16: a's code high, b's low
//                                             (cvt.rn.satfinite; sm_89)
//   llvm.nvvm.{e4m3x2,e5m2x2}.to.f16x2.rn(x)  <2 x half>: element 0 from the
//                                             low byte (cvt.rn.f16x2; sm_89)
//   llvm.nvvm.ff2bf16x2.{rn,rz}(a, b)         <2 x bfloat>: a's high, element 1
//                                             (cvt.{rn,rz}.bf16x2.f32; sm_80)
//   llvm.nvvm.f2bf16.{rn,rz}(a)               bfloat (cvt.{rn,rz}.bf16.f32; sm_80)
//
// Before the architecture that has the instruction the call fails the launch
// as an unimplemented one does, naming the architecture it needs.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/sim/PtxFloat.h"
#include "backends/nvptx/sim/SimRewriter.h"

#include "llvm/ADT/StringMap.h"

using namespace llvm;
using namespace kite::sim;

namespace {

template <bool E5M2> uint32_t ffToFp8x2(float a, float b) {
  return uint32_t(floatToFp8(a, E5M2)) << 8 | floatToFp8(b, E5M2);
}
template <bool E5M2> uint32_t fp8x2ToF16x2(uint32_t codes) {
  return uint32_t(fp8ToHalf(uint8_t(codes >> 8), E5M2)) << 16 |
         fp8ToHalf(uint8_t(codes), E5M2);
}
template <bool RZ> uint32_t ffToBf16x2(float a, float b) {
  return uint32_t(cvtFloatToBf16(a, RZ)) << 16 | cvtFloatToBf16(b, RZ);
}
template <bool RZ> uint32_t fToBf16(float a) { return cvtFloatToBf16(a, RZ); }

struct Conversion {
  void *function;
  unsigned minSm; ///< the first architecture with the instruction
};

const StringMap<Conversion> &conversions() {
  static const StringMap<Conversion> table = {
      {"ff.to.e4m3x2.rn", {reinterpret_cast<void *>(&ffToFp8x2<false>), 89}},
      {"ff.to.e5m2x2.rn", {reinterpret_cast<void *>(&ffToFp8x2<true>), 89}},
      {"e4m3x2.to.f16x2.rn",
       {reinterpret_cast<void *>(&fp8x2ToF16x2<false>), 89}},
      {"e5m2x2.to.f16x2.rn",
       {reinterpret_cast<void *>(&fp8x2ToF16x2<true>), 89}},
      {"ff2bf16x2.rn", {reinterpret_cast<void *>(&ffToBf16x2<false>), 80}},
      {"ff2bf16x2.rz", {reinterpret_cast<void *>(&ffToBf16x2<true>), 80}},
      {"f2bf16.rn", {reinterpret_cast<void *>(&fToBf16<false>), 80}},
      {"f2bf16.rz", {reinterpret_cast<void *>(&fToBf16<true>), 80}},
  };
  return table;
}

} // namespace

bool Rewriter::rewriteConversion(CallBase *call, StringRef name) {
  auto found = conversions().find(name);
  if (found == conversions().end())
    return false;
  const Conversion &conversion = found->second;
  if (smVersion < conversion.minSm) {
    unimplemented(call, "`llvm.nvvm." + name.str() + "` (it needs sm_" +
                            std::to_string(conversion.minSm) +
                            " or later, not sm_" + std::to_string(smVersion) +
                            ")");
    return true;
  }
  IRBuilder<> b(call);
  SmallVector<Value *> args;
  SmallVector<Type *> types;
  for (Value *arg : call->args()) {
    if (!arg->getType()->isFloatTy()) // integers travel zero-extended
      arg = b.CreateZExt(arg, i32);
    args.push_back(arg);
    types.push_back(arg->getType());
  }
  std::string symbol = "kite_sim_nvvm." + name.str();
  result.symbols[symbol] = conversion.function;
  Value *value = b.CreateCall(
      module.getOrInsertFunction(symbol, FunctionType::get(i32, types, false)),
      args);
  Type *type = call->getType();
  unsigned bits = type->getPrimitiveSizeInBits();
  if (bits < 32)
    value = b.CreateTrunc(value, b.getIntNTy(bits));
  if (value->getType() != type)
    value = b.CreateBitCast(value, type);
  call->replaceAllUsesWith(value);
  call->eraseFromParent();
  return true;
}
