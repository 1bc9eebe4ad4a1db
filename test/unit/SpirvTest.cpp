//===- SpirvTest.cpp - kite::emitSpirv ------------------------------------===//
#include "kite/Spirv.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace {

/// A masked copy of one float per thread, 64 threads per program.
const char *kCopyKernel = R"mlir(
module attributes {"kitethread.num-threads" = 64 : i32} {
  func.func @copy() attributes {kite.kernel} {
    %src = kitethread.kernel_arg 0 : i64
    %dst = kitethread.kernel_arg 1 : i64
    %n = kitethread.kernel_arg 2 : i32
    %pid = kitethread.program_id x : i32
    %tid = gpu.thread_id x
    %t = arith.index_cast %tid : index to i32
    %c64 = arith.constant 64 : i32
    %base = arith.muli %pid, %c64 : i32
    %i = arith.addi %base, %t : i32
    %mask = arith.cmpi slt, %i, %n : i32
    %i64 = arith.extui %i : i32 to i64
    %c4 = arith.constant 4 : i64
    %off = arith.muli %i64, %c4 : i64
    %a = arith.addi %src, %off : i64
    %b = arith.addi %dst, %off : i64
    %x = kitethread.load %a, %mask align 4 : f32
    kitethread.store %b, %x, %mask align 4 : f32
    return
  }
}
)mlir";

bool contains(const std::string &text, const std::string &part) {
  return text.find(part) != std::string::npos;
}

TEST(EmitSpirv, SerializesAValidModule) {
  kite::SpirvResult result = kite::emitSpirv(kCopyKernel);
  ASSERT_TRUE(result.ok) << (result.diagnostics.empty()
                                 ? std::string("no diagnostic")
                                 : result.diagnostics[0].message);
  ASSERT_GE(result.binary.size(), 20u);
  ASSERT_EQ(result.binary.size() % 4, 0u);
  uint32_t magic, version;
  std::memcpy(&magic, result.binary.data(), 4);
  std::memcpy(&version, result.binary.data() + 4, 4);
  EXPECT_EQ(magic, 0x07230203u);
  EXPECT_EQ(version, 0x00010500u); // SPIR-V 1.5, for Vulkan 1.2
  EXPECT_TRUE(contains(result.ir, "spirv.module @copy PhysicalStorageBuffer64"));
}

TEST(EmitSpirv, DisassemblyShowsTheEntryPoint) {
  kite::SpirvResult result = kite::emitSpirv(kCopyKernel);
  ASSERT_TRUE(result.ok);
  if (result.disassembly.empty())
    GTEST_SKIP() << "libkite was built without SPIRV-Tools";
  EXPECT_TRUE(contains(result.disassembly, "OpEntryPoint GLCompute"));
  EXPECT_TRUE(contains(result.disassembly, "LocalSize 64 1 1"));
  EXPECT_TRUE(contains(result.disassembly, "Aligned 4"));
}

TEST(EmitSpirv, MissingFeatureIsReportedAtItsLine) {
  std::string kernel = kCopyKernel;
  size_t at = kernel.find("%x = kitethread.load %a, %mask align 4 : f32");
  ASSERT_NE(at, std::string::npos);
  kernel.insert(at, "%h = kitethread.load %a align 2 : f16\n    ");
  kite::SpirvResult result = kite::emitSpirv(kernel);
  EXPECT_FALSE(result.ok);
  EXPECT_TRUE(result.binary.empty());
  ASSERT_FALSE(result.diagnostics.empty());
  const kite::Diagnostic &d = result.diagnostics[0];
  EXPECT_EQ(d.severity, "error");
  EXPECT_EQ(d.line, 19); // the inserted load (the text starts with a newline)
  EXPECT_TRUE(contains(d.message, "uses 'f16'")) << d.message;
  EXPECT_TRUE(contains(d.message, "shaderFloat16")) << d.message;

  kite::SpirvOptions options;
  options.float16 = true;
  EXPECT_TRUE(kite::emitSpirv(kernel, options).ok);
}

TEST(EmitSpirv, ParseErrorsAreDiagnostics) {
  kite::SpirvResult result = kite::emitSpirv("module { kitethread.bogus }");
  EXPECT_FALSE(result.ok);
  ASSERT_FALSE(result.diagnostics.empty());
  EXPECT_EQ(result.diagnostics[0].file, kite::kIRBufferName);
}

} // namespace
