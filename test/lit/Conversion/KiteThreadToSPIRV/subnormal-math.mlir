// f32 exp and log are MLIR's polynomials, scaled by powers of two where the
// result (exp) or argument (log) is subnormal; exp2 stays GLSL's, scaled.
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-spirv | FileCheck %s

// CHECK-LABEL: spirv.module @exp_and_log
// CHECK-NOT: spirv.GL.Exp %
// CHECK-NOT: spirv.GL.Log
// CHECK-DAG: spirv.Constant 1.26641658E-14 : f32
// CHECK-DAG: spirv.Constant 4.2949673E+9 : f32
// CHECK-DAG: spirv.Constant 22.1807098 : f32
// CHECK: spirv.GL.Exp2
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @exp_and_log() attributes {kite.kernel} {
    %p = kitethread.kernel_arg 0 : i64
    %x = kitethread.load %p align 4 : f32
    %e = math.exp %x : f32
    %l = math.log %e : f32
    %t = math.exp2 %l : f32
    kitethread.store %p, %t align 4 : f32
    return
  }
}
