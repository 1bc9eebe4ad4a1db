// shfl.sync moves 32-bit registers: shuffles of narrower values go through
// their bits zero-extended to i32, 64-bit ones as two i32 halves.
// RUN: kite-opt %s --convert-kitethread-to-nvvm | FileCheck %s

// CHECK-LABEL: llvm.func @shuffles
// f64: bitcast to i64, the low and high halves shuffled, put together.
// CHECK: llvm.bitcast %{{.*}} : f64 to i64
// CHECK: llvm.trunc %{{.*}} : i64 to i32
// CHECK: llvm.lshr
// CHECK: llvm.trunc %{{.*}} : i64 to i32
// CHECK: nvvm.shfl.sync bfly {{.*}} : i32 -> i32
// CHECK: nvvm.shfl.sync bfly {{.*}} : i32 -> i32
// CHECK: llvm.shl
// CHECK: llvm.or
// CHECK: llvm.bitcast %{{.*}} : i64 to f64
// f16: its bits, zero-extended.
// CHECK: llvm.bitcast %{{.*}} : f16 to i16
// CHECK: llvm.zext %{{.*}} : i16 to i32
// CHECK: nvvm.shfl.sync bfly {{.*}} : i32 -> i32
// CHECK: llvm.trunc %{{.*}} : i32 to i16
// CHECK: llvm.bitcast %{{.*}} : i16 to f16
// i8
// CHECK: llvm.zext %{{.*}} : i8 to i32
// CHECK: nvvm.shfl.sync bfly {{.*}} : i32 -> i32
// CHECK: llvm.trunc %{{.*}} : i32 to i8
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @shuffles() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %offset = arith.constant 1 : i32
    %width = arith.constant 32 : i32
    %d = kitethread.load %a align 8 : f64
    %h = kitethread.load %a align 2 : f16
    %b = kitethread.load %a align 1 : i8
    %d2, %v0 = gpu.shuffle xor %d, %offset, %width : f64
    %h2, %v1 = gpu.shuffle xor %h, %offset, %width : f16
    %b2, %v2 = gpu.shuffle xor %b, %offset, %width : i8
    kitethread.store %a, %d2 align 8 : f64
    kitethread.store %a, %h2 align 2 : f16
    kitethread.store %a, %b2 align 1 : i8
    return
  }
}
