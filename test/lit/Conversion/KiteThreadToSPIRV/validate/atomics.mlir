// Atomics: integer kinds, masked, float CAS loops, compare-and-swap, i64,
// each ordering and scope, and the barriers around a scalar atomic.
// The binary passes spirv-val for Vulkan 1.2 and deserializes again.
// REQUIRES: spirv-tools
// RUN: kite-opt %s --convert-kitethread-to-spirv | FileCheck %s
// RUN: kite-opt %s --convert-kitethread-to-spirv | kite-translate --serialize-spirv -o %t.spv
// RUN: spirv-val --target-env vulkan1.2 %t.spv
// RUN: mlir-translate --deserialize-spirv %t.spv | FileCheck %s --check-prefix=BINARY

// CHECK: spirv.AtomicIAdd
// CHECK: spirv.AtomicCompareExchange
// BINARY: Int64Atomics
// BINARY: spirv.EntryPoint "GLCompute" @atomics
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @atomics() attributes {kite.kernel} {
    %p = kitethread.kernel_arg 0 : i64
    %q = kitethread.kernel_arg 1 : i64
    %flag = kitethread.kernel_arg 2 : i1
    %x = kitethread.kernel_arg 3 : f32
    %tid = gpu.thread_id x
    %t = arith.index_cast %tid : index to i32
    %c16 = arith.constant 16 : i32
    %m = arith.cmpi ult, %t, %c16 : i32
    %mask = arith.andi %m, %flag : i1
    %0 = kitethread.atomic_rmw add %p, %t : i32
    %1 = kitethread.atomic_rmw max %p, %t, %mask : i32
    %2 = kitethread.atomic_rmw umin %p, %t : i32
    %3 = kitethread.atomic_rmw xor %p, %t : i32
    %4 = kitethread.atomic_rmw fadd %q, %x, %mask : f32
    %5 = kitethread.atomic_rmw fmax %q, %x : f32
    %6 = kitethread.atomic_rmw xchg %q, %x : f32
    %7 = kitethread.atomic_cas %p, %t, %0 : i32
    %8 = kitethread.atomic_cas %q, %x, %4 : f32
    %tl = arith.extui %t : i32 to i64
    %9 = kitethread.atomic_rmw add %q, %tl : i64
    gpu.barrier {kitethread.global_memory = "gpu"}
    %10 = kitethread.atomic_cas acquire cta %p, %t, %0 : i32
    %11 = kitethread.atomic_rmw xchg release sys %p, %t : i32
    %12 = kitethread.atomic_rmw fmin relaxed %q, %x : f32
    %13 = kitethread.atomic_cas release %p, %t, %0 : i32
    %14 = kitethread.atomic_rmw fadd acquire %q, %x : f32
    gpu.barrier {kitethread.global_memory}
    return
  }
}
