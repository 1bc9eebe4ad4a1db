// f32 sin, cos and tan call libdevice (__nv_sinf, ...) when there is one, for
// its exact argument reduction; f16 ones through f32. The pass only asks
// whether the file exists (emitPtx links it), so this test file stands for
// libdevice in the first run; with none, they are polynomials, no calls.
// RUN: env KITE_LIBDEVICE=%s kite-opt %s --convert-kitethread-to-nvvm | FileCheck %s
// RUN: env KITE_LIBDEVICE=%t.missing kite-opt %s --convert-kitethread-to-nvvm | FileCheck %s --check-prefix=NONE

// CHECK-DAG: llvm.func @__nv_sinf(f32) -> f32
// CHECK-DAG: llvm.func @__nv_cosf(f32) -> f32
// CHECK-DAG: llvm.func @__nv_tanf(f32) -> f32
// CHECK-LABEL: llvm.func @trig(
// CHECK: llvm.call @__nv_sinf(%{{.*}}) : (f32) -> f32
// CHECK: llvm.call @__nv_cosf(%{{.*}}) : (f32) -> f32
// CHECK: llvm.call @__nv_tanf(%{{.*}}) : (f32) -> f32
// CHECK: llvm.fpext %{{.*}} : f16 to f32
// CHECK: llvm.call @__nv_sinf(%{{.*}}) : (f32) -> f32
// CHECK: llvm.fptrunc %{{.*}} : f32 to f16
// exp2 is the backend's ex2.approx, as in Triton.
// CHECK: llvm.intr.exp2(%{{.*}}) : (f32) -> f32
// CHECK-NOT: llvm.call
// CHECK: llvm.return

// NONE-LABEL: llvm.func @trig(
// NONE-NOT: llvm.call
// NONE: llvm.return
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @trig() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %x = kitethread.kernel_arg 1 : f32
    %h = kitethread.kernel_arg 2 : f16
    %s = math.sin %x : f32
    %c = math.cos %s : f32
    %t = math.tan %c : f32
    %hs = math.sin %h : f16
    %hx = arith.extf %hs : f16 to f32
    %sum = arith.addf %t, %hx : f32
    %e = math.exp2 %sum : f32
    kitethread.store %a, %e align 4 : f32
    return
  }
}
