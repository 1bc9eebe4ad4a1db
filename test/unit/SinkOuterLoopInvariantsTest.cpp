//===- SinkOuterLoopInvariantsTest.cpp - the LLVM IR pass after O3 --------===//
//
// SinkOuterLoopInvariantsPass on small loop nests: which loop-invariant
// values go back into a loop over tiles (read only at its own level), which
// stay (read in the inner loop, after the loop, or where sinking would keep
// more values live than it frees), and that a value read before the loop
// too is copied, not moved. Each result must still verify.
//
//===----------------------------------------------------------------------===//
#include "backends/nvptx/emitter/SinkOuterLoopInvariants.h"

#include "llvm/AsmParser/Parser.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

using namespace llvm;

namespace {

/// A loop over tiles (%outer) around a K loop (%inner). `preheader` is
/// placed before the tile loop, `prologue` at the top of each tile,
/// `innerBody` in the K loop, `epilogue` after it and `after` after the
/// tile loop; each may read %tid, %n and %p.
std::string nest(const std::string &preheader, const std::string &prologue,
                 const std::string &innerBody, const std::string &epilogue,
                 const std::string &after = "") {
  return R"(
declare i32 @llvm.nvvm.read.ptx.sreg.tid.x()
declare void @use(i32)
define void @k(i32 %n, i32 %p) {
entry:
  %tid = call i32 @llvm.nvvm.read.ptx.sreg.tid.x()
)" + preheader + R"(
  br label %outer
outer:
  %t = phi i32 [ 0, %entry ], [ %t.next, %tile.end ]
)" + prologue + R"(
  br label %inner
inner:
  %k = phi i32 [ 0, %outer ], [ %k.next, %inner ]
)" + innerBody + R"(
  %k.next = add i32 %k, 1
  %k.done = icmp eq i32 %k.next, %n
  br i1 %k.done, label %tile.end, label %inner
tile.end:
)" + epilogue + R"(
  %t.next = add i32 %t, 1
  %t.done = icmp eq i32 %t.next, %n
  br i1 %t.done, label %exit, label %outer
exit:
)" + after + R"(
  ret void
}
)";
}

class SinkTest : public ::testing::Test {
protected:
  /// Parses `ir`, runs the pass on @k, verifies it; returns @k.
  Function &run(const std::string &ir) {
    SMDiagnostic error;
    module = parseAssemblyString(ir, error, context);
    if (!module) {
      std::string message;
      raw_string_ostream os(message);
      error.print("test", os);
      ADD_FAILURE() << message;
      abort();
    }
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
    mlir::kitenvptx::SinkOuterLoopInvariantsPass().run(function, fam);
    std::string message;
    raw_string_ostream os(message);
    EXPECT_FALSE(verifyFunction(function, &os)) << message;
    return function;
  }

  /// The block named `block` of @k holds an instruction named `name`
  /// (or a copy of it: `name` followed by digits).
  static bool holds(Function &function, StringRef block, StringRef name) {
    for (BasicBlock &b : function)
      if (b.getName() == block)
        for (Instruction &inst : b) {
          StringRef n = inst.getName();
          if (n == name || (n.starts_with(name) &&
                            n.drop_front(name.size()).find_first_not_of(
                                "0123456789") == StringRef::npos))
            return true;
        }
    return false;
  }

  LLVMContext context;
  std::unique_ptr<Module> module;
};

TEST_F(SinkTest, PrologueAddressesGoBackIntoTheTileLoop) {
  // %a and %b (one chain) are read only at the top of each tile: they move
  // there, and take nothing new into the loop (%tid is read there anyway).
  Function &f = run(nest("  %a = shl i32 %tid, 4\n  %b = or i32 %a, 3\n", "",
                         "  call void @use(i32 %tid)\n",
                         "  call void @use(i32 %b)\n"));
  EXPECT_FALSE(holds(f, "entry", "a"));
  EXPECT_FALSE(holds(f, "entry", "b"));
  EXPECT_TRUE(holds(f, "tile.end", "a"));
  EXPECT_TRUE(holds(f, "tile.end", "b"));
}

TEST_F(SinkTest, SpecialRegisterReadsMoveWithTheirUsers) {
  Function &f = run(nest("  %a = shl i32 %tid, 4\n", "  call void @use(i32 %a)\n",
                         "  call void @use(i32 %k)\n", ""));
  EXPECT_TRUE(holds(f, "outer", "a"));
  EXPECT_TRUE(holds(f, "outer", "tid"));
  EXPECT_FALSE(holds(f, "entry", "tid"));
}

TEST_F(SinkTest, WhatTheInnerLoopReadsStays) {
  Function &f = run(nest("  %a = shl i32 %tid, 4\n", "  call void @use(i32 %a)\n",
                         "  call void @use(i32 %a)\n", ""));
  EXPECT_TRUE(holds(f, "entry", "a"));
  EXPECT_FALSE(holds(f, "outer", "a"));
}

TEST_F(SinkTest, WhatIsReadAfterTheLoopStays) {
  Function &f = run(nest("  %a = shl i32 %tid, 4\n", "  call void @use(i32 %a)\n", "",
                         "", "  call void @use(i32 %a)\n"));
  EXPECT_TRUE(holds(f, "entry", "a"));
  EXPECT_FALSE(holds(f, "outer", "a"));
}

TEST_F(SinkTest, WhatIsReadBeforeTheLoopTooIsCopied) {
  Function &f = run(nest("  %a = shl i32 %tid, 4\n  call void @use(i32 %a)\n",
                         "  call void @use(i32 %a)\n", "  call void @use(i32 %tid)\n", ""));
  EXPECT_TRUE(holds(f, "entry", "a"));
  EXPECT_TRUE(holds(f, "outer", "a"));
}

TEST_F(SinkTest, NothingMovesWithoutAGain) {
  // Sinking %s would free one value (%s) and keep another live through the
  // loop instead (%p, which nothing else in the loop reads): no gain.
  Function &f = run(nest("  %s = add i32 %p, 7\n", "", "  call void @use(i32 %k)\n",
                         "  call void @use(i32 %s)\n"));
  EXPECT_TRUE(holds(f, "entry", "s"));
  EXPECT_FALSE(holds(f, "tile.end", "s"));
}

TEST_F(SinkTest, ALoopWithoutAnInnerLoopIsLeftAlone) {
  Function &f = run(R"(
declare void @use(i32)
define void @k(i32 %n) {
entry:
  %a = mul i32 %n, 12
  br label %loop
loop:
  %i = phi i32 [ 0, %entry ], [ %i.next, %loop ]
  call void @use(i32 %a)
  %i.next = add i32 %i, 1
  %done = icmp eq i32 %i.next, %n
  br i1 %done, label %exit, label %loop
exit:
  ret void
}
)");
  EXPECT_TRUE(holds(f, "entry", "a"));
}

} // namespace
