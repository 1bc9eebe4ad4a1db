//===- DiagnosticsTest.cpp - errors carry the user's file, line, column ---===//
#include "kite/Compiler.h"

#include <gtest/gtest.h>

#include <string>

namespace {

/// A kernel whose dot has mismatched shapes, at `location`.
std::string badDot(const std::string &location) {
  return R"mlir(
func.func @k(%a: tensor<16x32xf16>, %b: tensor<16x16xf16>, %c: tensor<16x16xf32>) attributes {kite.kernel} {
  %0 = "kite.dot"(%a, %b, %c) : (tensor<16x32xf16>, tensor<16x16xf16>, tensor<16x16xf32>) -> tensor<16x16xf32> )mlir" +
         location + R"mlir(
  func.return
})mlir";
}

/// The single diagnostic of a failed result (a copy: results are temporaries).
kite::Diagnostic onlyError(const kite::IRResult &result) {
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.ir.empty());
  EXPECT_EQ(result.diagnostics.size(), 1u);
  return result.diagnostics.empty() ? kite::Diagnostic()
                                    : result.diagnostics.front();
}

TEST(Diagnostics, VerifierErrorAtThePythonLine) {
  kite::IRResult result =
      kite::runStage(badDot(R"(loc("matmul.py":12:7))"), "verify");
  kite::Diagnostic error = onlyError(result);
  EXPECT_EQ(error.severity, "error");
  EXPECT_EQ(error.file, "matmul.py");
  EXPECT_EQ(error.line, 12);
  EXPECT_EQ(error.column, 7);
  EXPECT_EQ(error.message,
            "'kite.dot' op inner dimensions differ: a is 16x32, b is 16x16");
}

TEST(Diagnostics, LocationsAreLookedThrough) {
  struct Case {
    const char *location;
    const char *file;
    int line, column;
  };
  const Case cases[] = {
      {R"(loc("acc"("matmul.py":3:5)))", "matmul.py", 3, 5},
      {R"(loc(callsite("helper.py":8:9 at "matmul.py":20:3)))", "helper.py", 8,
       9},
      {R"(loc(callsite(unknown at "matmul.py":20:3)))", "matmul.py", 20, 3},
      {R"(loc(fused[unknown, "matmul.py":4:11, "other.py":1:1]))", "matmul.py",
       4, 11},
  };
  for (const Case &c : cases) {
    kite::Diagnostic error =
        onlyError(kite::runStage(badDot(c.location), "kite"));
    EXPECT_EQ(error.file, c.file) << c.location;
    EXPECT_EQ(error.line, c.line) << c.location;
    EXPECT_EQ(error.column, c.column) << c.location;
  }
}

TEST(Diagnostics, UnknownLocationHasNoPosition) {
  kite::Diagnostic error =
      onlyError(kite::runStage(badDot("loc(unknown)"), "verify"));
  EXPECT_EQ(error.file, "");
  EXPECT_EQ(error.line, 0);
  EXPECT_EQ(error.column, 0);
}

TEST(Diagnostics, ParseErrorIsADiagnostic) {
  kite::Diagnostic error =
      onlyError(kite::runStage("module {\n  %0 = \n}\n", "verify"));
  EXPECT_EQ(error.severity, "error");
  EXPECT_EQ(error.file, kite::kIRBufferName);
  // MLIR reports a missing token just after the last one it read: the
  // blank after "%0 =" on line 2.
  EXPECT_EQ(error.line, 2);
  EXPECT_EQ(error.column, 7);
  EXPECT_EQ(error.message, "expected operation name in quotes");
}

TEST(Diagnostics, NotesFollowTheirError) {
  // %x is used with two types: the error points at the second use, its note
  // at the first.
  kite::IRResult result = kite::runStage(R"mlir(
func.func @k(%p: !kite.ptr<f32>) {
  %0 = "kite.splat"(%x) : (f32) -> tensor<4xf32>
  %1 = "kite.splat"(%x) : (i32) -> tensor<4xi32>
  func.return
})mlir",
                                         "verify");
  EXPECT_FALSE(result.ok);
  ASSERT_GE(result.diagnostics.size(), 2u);
  EXPECT_EQ(result.diagnostics[0].severity, "error");
  EXPECT_EQ(result.diagnostics[0].line, 4);
  EXPECT_EQ(result.diagnostics[1].severity, "note");
  EXPECT_EQ(result.diagnostics[1].line, 3);
}

TEST(Diagnostics, NothingReachesStderr) {
  testing::internal::CaptureStderr();
  kite::IRResult verifyError =
      kite::runStage(badDot(R"(loc("matmul.py":12:7))"), "kite");
  kite::IRResult parseError = kite::runStage("module {", "verify");
  kite::IRResult pipelineError = kite::runPassPipeline("", "nope");
  EXPECT_EQ(testing::internal::GetCapturedStderr(), "");
  EXPECT_FALSE(verifyError.ok || parseError.ok || pipelineError.ok);
}

TEST(Diagnostics, GarbageNeverCrashes) {
  for (const char *text :
       {"", "\x01\x02\xff", "func.func", "\"kite.load\"() : () -> ()",
        "module { func.func @f() { \"kite.reduce\"() ({}) : () -> () } }",
        "!kite.ptr<>", "#kite.nothing"}) {
    kite::IRResult result = kite::runStage(text, "kite");
    if (result.ok)
      continue; // "" is an empty module
    ASSERT_FALSE(result.diagnostics.empty()) << text;
    EXPECT_EQ(result.diagnostics[0].severity, "error") << text;
  }
}

} // namespace
