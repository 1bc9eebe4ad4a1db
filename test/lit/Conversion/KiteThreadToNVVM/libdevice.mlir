// f64 transcendentals call libdevice's functions (linked by emitPtx); f32
// exp is 2^(x·log2 e), ex2.approx as in Triton, and calls nothing (the other
// f32 functions but sin, cos, tan, libdevice-trig.mlir, are polynomials).
// RUN: kite-opt %s --convert-kitethread-to-nvvm | FileCheck %s

// CHECK-DAG: llvm.func @__nv_exp(f64) -> f64
// CHECK-DAG: llvm.func @__nv_pow(f64, f64) -> f64
// CHECK-LABEL: llvm.func @math(
// CHECK: llvm.call @__nv_exp(%{{.*}}) : (f64) -> f64
// CHECK: llvm.call @__nv_pow(%{{.*}}, %{{.*}}) : (f64, f64) -> f64
// CHECK: %[[SCALED:.*]] = llvm.fmul %{{.*}}, %{{.*}} : f32
// CHECK: llvm.intr.exp2(%[[SCALED]]) : (f32) -> f32
// CHECK-NOT: llvm.call
// CHECK: llvm.return
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @math() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %x = kitethread.kernel_arg 1 : f64
    %f = kitethread.kernel_arg 2 : f32
    %e = math.exp %x : f64
    %p = math.powf %e, %x : f64
    %g = math.exp %f : f32
    %gd = arith.extf %g : f32 to f64
    %s = arith.addf %p, %gd : f64
    kitethread.store %a, %s align 8 : f64
    return
  }
}
