//===- WarpUniformThreadIdsTest.cpp - warp indices read from lane 0 -------===//
//
// WarpUniformThreadIdsPass: a use of %tid.x that needs only bits 5 and up
// (a warp index, a warpgroup offset) reads lane 0's %tid.x through one
// shfl.sync.idx at the entry; a use that needs a lane bit keeps %tid.x.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/emitter/WarpUniformThreadIds.h"

#include "llvm/AsmParser/Parser.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/IntrinsicsNVPTX.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/SourceMgr.h"

#include <gtest/gtest.h>

using namespace llvm;

namespace {

class WarpUniformTest : public ::testing::Test {
protected:
  /// Runs the pass on @k of `body` (reading %tid); returns @k.
  Function &run(const std::string &body) {
    std::string ir = R"(
declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare void @use(i32)
define void @k() {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
)" + body + R"(
  ret void
}
)";
    SMDiagnostic error;
    module = parseAssemblyString(ir, error, context);
    EXPECT_TRUE(module);
    LoopAnalysisManager lam;
    FunctionAnalysisManager fam;
    CGSCCAnalysisManager cgam;
    ModuleAnalysisManager mam;
    PassBuilder builder;
    builder.registerModuleAnalyses(mam);
    builder.registerCGSCCAnalyses(cgam);
    builder.registerFunctionAnalyses(fam);
    builder.registerLoopAnalyses(lam);
    builder.crossRegisterProxies(lam, fam, cgam, mam);
    Function &function = *module->getFunction("k");
    mlir::kitenvptx::WarpUniformThreadIdsPass().run(function, fam);
    EXPECT_FALSE(verifyFunction(function, &errs()));
    return function;
  }

  /// Whether the instruction named `name` reads lane 0's %tid.x (the
  /// shuffle), not %tid.x itself.
  static bool readsLaneZero(Function &function, StringRef name) {
    for (Instruction &inst : instructions(function))
      if (inst.getName() == name)
        for (Value *operand : inst.operands())
          if (auto *call = dyn_cast<IntrinsicInst>(operand))
            return call->getIntrinsicID() == Intrinsic::nvvm_shfl_sync_idx_i32;
    return false;
  }

  LLVMContext context;
  std::unique_ptr<Module> module;
};

TEST_F(WarpUniformTest, AWarpIndexReadsLaneZero) {
  Function &f = run("  %warp = lshr i32 %tid, 5\n  call void @use(i32 %warp)\n");
  EXPECT_TRUE(readsLaneZero(f, "warp"));
}

TEST_F(WarpUniformTest, AWarpgroupOffsetReadsLaneZero) {
  // Bit 7 of %tid.x (its warpgroup of two), moved to bit 12.
  Function &f = run("  %s = shl i32 %tid, 5\n  %g = and i32 %s, 4096\n"
                    "  call void @use(i32 %g)\n");
  EXPECT_TRUE(readsLaneZero(f, "s"));
}

TEST_F(WarpUniformTest, AStoredOrPassedTidKeepsItsOwnTid) {
  // A call (device_print's) or a store reads every bit; the analysis is
  // not asked about them.
  Function &f = run("  call void @use(i32 %tid)\n"
                    "  %slot = alloca i32\n  store i32 %tid, ptr %slot\n");
  for (Instruction &inst : instructions(f))
    for (Value *operand : inst.operands())
      if (auto *call = dyn_cast<IntrinsicInst>(operand))
        EXPECT_NE(call->getIntrinsicID(), Intrinsic::nvvm_shfl_sync_idx_i32);
}

TEST_F(WarpUniformTest, ALaneIndexKeepsItsOwnTid) {
  Function &f = run("  %lane = and i32 %tid, 31\n  call void @use(i32 %lane)\n"
                    "  %row = lshr i32 %tid, 2\n  call void @use(i32 %row)\n");
  EXPECT_FALSE(readsLaneZero(f, "lane"));
  EXPECT_FALSE(readsLaneZero(f, "row"));
}

} // namespace
