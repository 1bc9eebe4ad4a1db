//===- CompilerTest.cpp - kite::runStage and kite::runPassPipeline --------===//
#include "kite/Compiler.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>

namespace {

/// The frontend's output for a small copy kernel (generic form, Python locs).
const char *kCopyKernel = R"mlir(
module {
  func.func @copy(%arg0: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %arg1: !kite.ptr<f32>) attributes {kite.kernel} {
    %0 = "kite.make_range"() <{end = 128 : i32, start = 0 : i32}> : () -> tensor<128xi32> loc("copy.py":4:8)
    %1 = "kite.splat"(%arg0) : (!kite.ptr<f32>) -> tensor<128x!kite.ptr<f32>> loc("copy.py":5:8)
    %2 = "kite.addptr"(%1, %0) : (tensor<128x!kite.ptr<f32>>, tensor<128xi32>) -> tensor<128x!kite.ptr<f32>> loc("copy.py":5:8)
    %3 = "kite.load"(%2) <{operandSegmentSizes = array<i32: 1, 0, 0, 0, 0>}> : (tensor<128x!kite.ptr<f32>>) -> tensor<128xf32> loc("copy.py":6:8)
    %4 = "kite.splat"(%arg1) : (!kite.ptr<f32>) -> tensor<128x!kite.ptr<f32>> loc("copy.py":7:4)
    %5 = "kite.addptr"(%4, %0) : (tensor<128x!kite.ptr<f32>>, tensor<128xi32>) -> tensor<128x!kite.ptr<f32>> loc("copy.py":7:4)
    "kite.store"(%5, %3) <{operandSegmentSizes = array<i32: 1, 1, 0, 0, 0>}> : (tensor<128x!kite.ptr<f32>>, tensor<128xf32>) -> () loc("copy.py":7:4)
    func.return loc("copy.py":7:4)
  } loc("copy.py":3:0)
}
)mlir";

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

size_t count(const std::string &text, const std::string &part) {
  size_t n = 0;
  for (size_t at = text.find(part); at != std::string::npos;
       at = text.find(part, at + part.size()))
    ++n;
  return n;
}

TEST(RunStage, VerifyPrintsTheCustomForm) {
  kite::IRResult result = kite::runStage(kCopyKernel, "verify");
  ASSERT_TRUE(result.ok);
  EXPECT_TRUE(result.diagnostics.empty());
  EXPECT_TRUE(contains(result.ir, "kite.load %2 : tensor<128x!kite.ptr<f32>>"))
      << result.ir;
  EXPECT_TRUE(contains(result.ir, "kite.make_range 0 to 128 : tensor<128xi32>"))
      << result.ir;
  EXPECT_FALSE(contains(result.ir, "loc(")) << result.ir;
}

TEST(RunStage, PrintOptions) {
  kite::IRResult located =
      kite::runStage(kCopyKernel, "verify", {/*debugInfo=*/true});
  ASSERT_TRUE(located.ok);
  // Locations are printed inline, not as #loc aliases.
  EXPECT_TRUE(contains(located.ir,
                       R"(: tensor<128x!kite.ptr<f32>> loc("copy.py":6:8))"))
      << located.ir;
  EXPECT_FALSE(contains(located.ir, "#loc")) << located.ir;

  kite::IRResult generic =
      kite::runStage(kCopyKernel, "verify", {false, /*generic=*/true});
  ASSERT_TRUE(generic.ok);
  EXPECT_TRUE(contains(generic.ir, R"("kite.load"(%)")) << generic.ir;
  EXPECT_TRUE(contains(generic.ir, "operandSegmentSizes = array<i32: 1, 1, 0, 0, 0>"))
      << generic.ir;
}

TEST(RunStage, KiteStageFoldsSplatOfConstant) {
  const char *ir = R"mlir(
    func.func @f(%p: tensor<128x!kite.ptr<f32>>) attributes {kite.kernel} {
      %c = arith.constant 2.0 : f32
      %s = kite.splat %c : f32 -> tensor<128xf32>
      kite.store %p, %s : tensor<128x!kite.ptr<f32>>
      return
    })mlir";
  kite::IRResult verified = kite::runStage(ir, "verify");
  ASSERT_TRUE(verified.ok);
  EXPECT_TRUE(contains(verified.ir, "kite.splat"));

  kite::IRResult result = kite::runStage(ir, "kite");
  ASSERT_TRUE(result.ok);
  EXPECT_FALSE(contains(result.ir, "kite.splat")) << result.ir;
  EXPECT_TRUE(contains(result.ir,
                       "arith.constant dense<2.000000e+00> : tensor<128xf32>"))
      << result.ir;
}

TEST(RunStage, UnknownStageIsAnError) {
  kite::IRResult result = kite::runStage(kCopyKernel, "ptx");
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.ir.empty());
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics[0].severity, "error");
  EXPECT_EQ(
      result.diagnostics[0].message,
      "unknown stage 'ptx'; the stages are: verify, kite, kitegpu, threads");
}

TEST(RunStage, StageNames) {
  EXPECT_EQ(kite::stageNames(),
            (std::vector<std::string>{"verify", "kite", "kitegpu", "threads"}));
}

TEST(RunStage, KiteGPUTakesTheTargetFromStageOptions) {
  kite::IRResult result = kite::runStage(kCopyKernel, "kitegpu", {},
                                         {/*numWarps=*/1,
                                          /*threadsPerWarp=*/8});
  ASSERT_TRUE(result.ok);
  EXPECT_TRUE(contains(result.ir, R"("kitegpu.num-warps" = 1 : i32)"))
      << result.ir;
  EXPECT_TRUE(contains(result.ir, R"("kitegpu.threads-per-warp" = 8 : i32)"))
      << result.ir;
  // The source is 16-byte aligned: 4 floats per thread; the destination is
  // not known to be, so its stores stay scalar and one conversion remains.
  EXPECT_TRUE(contains(result.ir, "sizePerThread = [4], threadsPerWarp = [8], "
                                  "warpsPerCTA = [1], order = [0]"))
      << result.ir;
  EXPECT_TRUE(contains(result.ir, "sizePerThread = [1], threadsPerWarp = [8], "
                                  "warpsPerCTA = [1], order = [0]"))
      << result.ir;
  EXPECT_EQ(count(result.ir, "kitegpu.convert_layout"), 1u) << result.ir;

  kite::IRResult defaults = kite::runStage(kCopyKernel, "kitegpu");
  ASSERT_TRUE(defaults.ok);
  EXPECT_TRUE(contains(defaults.ir, R"("kitegpu.num-warps" = 4 : i32)"));
  EXPECT_TRUE(contains(defaults.ir, "threadsPerWarp = [32]"));
}

TEST(RunStage, KiteGPURejectsOptionsThatAreNotPowersOfTwo) {
  kite::IRResult result = kite::runStage(kCopyKernel, "kitegpu", {}, {3, 32});
  EXPECT_FALSE(result.ok);
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics[0].message,
            "num_warps and threads_per_warp must be powers of two, got 3 and "
            "32");
}

/// f16 operands 64x256 and 256x64: 64 KiB in workgroup memory.
const char *kWideDot = R"mlir(
module {
  func.func @wide(%x: f16) attributes {kite.kernel} {
    %a = kite.splat %x : f16 -> tensor<64x256xf16>
    %b = kite.splat %x : f16 -> tensor<256x64xf16>
    %c = arith.constant dense<0.0> : tensor<64x64xf32>
    %d = kite.dot %a, %b, %c : tensor<64x256xf16> * tensor<256x64xf16> -> tensor<64x64xf32>
    kite.print "" %d : tensor<64x64xf32>
    return
  }
}
)mlir";

TEST(RunStage, ThreadsTakesTheWorkgroupMemoryLimitFromStageOptions) {
  kite::StageOptions target;
  EXPECT_EQ(target.maxWorkgroupBytes, 32768); // a target without a device
  kite::IRResult refused = kite::runStage(kWideDot, "threads", {}, target);
  EXPECT_FALSE(refused.ok);
  ASSERT_FALSE(refused.diagnostics.empty());
  EXPECT_EQ(refused.diagnostics[0].message,
            "'kite.dot' needs 65536 bytes of workgroup memory for operands "
            "64x256 and 256x64 (as f16), more than the 32768 a program has on "
            "this target; use smaller blocks (BLOCK_M, BLOCK_N, BLOCK_K)");

  target.maxWorkgroupBytes = 232448; // sm_90's 227 KiB
  kite::IRResult accepted = kite::runStage(kWideDot, "threads", {}, target);
  ASSERT_TRUE(accepted.ok);
  EXPECT_EQ(count(accepted.ir, "memref.alloc() : memref<16384xf16, "
                               "#gpu.address_space<workgroup>>"),
            2u);

  target.maxWorkgroupBytes = -1;
  kite::IRResult negative = kite::runStage(kWideDot, "threads", {}, target);
  EXPECT_FALSE(negative.ok);
  ASSERT_EQ(negative.diagnostics.size(), 1u);
  EXPECT_EQ(negative.diagnostics[0].message,
            "max_workgroup_bytes must not be negative, got -1");
}

const char *kAddPtrChain = R"mlir(
  func.func @f(%p: !kite.ptr<f32>, %a: i32, %b: i32) -> !kite.ptr<f32> {
    %0 = kite.addptr %p, %a : !kite.ptr<f32>, i32
    %1 = kite.addptr %0, %b : !kite.ptr<f32>, i32
    return %1 : !kite.ptr<f32>
  })mlir";

TEST(RunPassPipeline, KiteCombine) {
  for (const char *pipeline :
       {"builtin.module(kite-combine,cse)", "kite-combine,cse",
        " builtin.module(func.func(kite-combine)) "}) {
    kite::IRResult result = kite::runPassPipeline(kAddPtrChain, pipeline);
    ASSERT_TRUE(result.ok) << pipeline;
    EXPECT_EQ(count(result.ir, "kite.addptr"), 1u) << pipeline << result.ir;
    EXPECT_TRUE(contains(result.ir, "arith.addi %arg1, %arg2 : i32"))
        << pipeline << result.ir;
  }
}

TEST(RunPassPipeline, InvalidPipelineIsAnError) {
  kite::IRResult result =
      kite::runPassPipeline(kAddPtrChain, "builtin.module(no-such-pass)");
  EXPECT_FALSE(result.ok);
  ASSERT_EQ(result.diagnostics.size(), 1u);
  EXPECT_EQ(result.diagnostics[0].severity, "error");
  EXPECT_EQ(result.diagnostics[0].message,
            "invalid pass pipeline 'builtin.module(no-such-pass)': "
            "'no-such-pass' does not refer to a registered pass or pass "
            "pipeline");
}

TEST(RunStage, ConcurrentCallsAreIndependent) {
  kite::IRResult results[4];
  std::vector<std::thread> threads;
  for (kite::IRResult &result : results)
    threads.emplace_back(
        [&result] { result = kite::runStage(kCopyKernel, "kite"); });
  for (std::thread &thread : threads)
    thread.join();
  for (const kite::IRResult &result : results) {
    ASSERT_TRUE(result.ok);
    EXPECT_EQ(result.ir, results[0].ir);
  }
}

} // namespace
