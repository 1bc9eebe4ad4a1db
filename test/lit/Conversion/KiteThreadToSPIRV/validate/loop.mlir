// A runtime-bounded scf.for loop carrying a sum, with math.sqrt.
// The binary passes spirv-val for Vulkan 1.2 and deserializes again.
// REQUIRES: spirv-tools
// RUN: kite-opt %s --convert-kitethread-to-spirv | FileCheck %s
// RUN: kite-opt %s --convert-kitethread-to-spirv | kite-translate --serialize-spirv -o %t.spv
// RUN: spirv-val --target-env vulkan1.2 %t.spv
// RUN: mlir-translate --deserialize-spirv %t.spv | FileCheck %s --check-prefix=BINARY

// CHECK: spirv.mlir.loop {
// CHECK: spirv.GL.Sqrt
// BINARY: spirv.EntryPoint "GLCompute" @row_sum
// BINARY: spirv.ExecutionMode @row_sum "LocalSize", 64, 1, 1
module attributes {"kitethread.num-threads" = 64 : i32} {
  func.func @row_sum() attributes {kite.kernel} {
    %in = kitethread.kernel_arg 0 : i64
    %out = kitethread.kernel_arg 1 : i64
    %n = kitethread.kernel_arg 2 : i32
    %tid = gpu.thread_id x
    %t = arith.index_cast %tid : index to i32
    %pid = kitethread.program_id x : i32
    %c64 = arith.constant 64 : i32
    %row0 = arith.muli %pid, %c64 : i32
    %row = arith.addi %row0, %t : i32
    %rowl = arith.extui %row : i32 to i64
    %nl = arith.extui %n : i32 to i64
    %c4 = arith.constant 4 : i64
    %rowoff = arith.muli %rowl, %nl : i64
    %zero = arith.constant 0.0 : f32
    %lb = arith.constant 0 : i32
    %step = arith.constant 1 : i32
    %sum = scf.for %j = %lb to %n step %step iter_args(%acc = %zero) -> (f32) : i32 {
      %jl = arith.extui %j : i32 to i64
      %e = arith.addi %rowoff, %jl : i64
      %b = arith.muli %e, %c4 : i64
      %a = arith.addi %in, %b : i64
      %v = kitethread.load %a align 4 : f32
      %sq = math.sqrt %v : f32
      %r = arith.addf %acc, %sq : f32
      scf.yield %r : f32
    }
    %ob = arith.muli %rowl, %c4 : i64
    %oa = arith.addi %out, %ob : i64
    kitethread.store %oa, %sum align 4 : f32
    return
  }
}
