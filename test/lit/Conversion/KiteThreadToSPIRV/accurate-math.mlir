// f32 math that GLSL.std.450 computes too loosely becomes formulas whose
// instructions are decorated NoContraction (drivers must not simplify them).
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-spirv | FileCheck %s

// CHECK-LABEL: spirv.module @sinh_and_pow
// CHECK-NOT: spirv.GL.Sinh
// CHECK: spirv.FAdd %{{.*}}, %{{.*}} {no_contraction} : f32
// CHECK: spirv.GL.Pow %{{.*}}, %{{.*}} {no_contraction} : f32
// CHECK-NOT: spirv.GL.Sinh
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @sinh_and_pow() attributes {kite.kernel} {
    %x = kitethread.kernel_arg 0 : f32
    %y = kitethread.kernel_arg 1 : f32
    %p = kitethread.kernel_arg 2 : i64
    %s = math.sinh %x : f32
    %w = math.powf %x, %y : f32
    %sum = arith.addf %s, %w : f32
    kitethread.store %p, %sum align 4 : f32
    return
  }
}
