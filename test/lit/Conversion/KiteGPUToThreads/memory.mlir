// Loads and stores: addresses are i64 (base + sext(offset) * element size);
// registers contiguous along the fastest dimension become one vector access
// where AxisInfo proves contiguity, alignment and a constant mask.
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads --canonicalize --cse | FileCheck %s

// 4 contiguous floats per thread at 16-byte aligned addresses, and a mask
// constant over each group of 4 (n is a multiple of 16): one vector<4xf32>
// load with `other`, one store.
// CHECK-LABEL: func.func @vector_copy()
// CHECK-DAG: %[[ONES:.*]] = arith.constant dense<1.000000e+00> : vector<4xf32>
// CHECK-DAG: %[[X:.*]] = kitethread.kernel_arg 0 : i64
// CHECK-DAG: %[[Y:.*]] = kitethread.kernel_arg 1 : i64
// CHECK-DAG: %[[N:.*]] = kitethread.kernel_arg 2 : i32
// CHECK: %[[M:.*]] = arith.cmpi slt, %[[FIRST:.*]], %[[N]] : i32
// CHECK: %[[WIDE:.*]] = arith.extsi %[[FIRST]] : i32 to i64
// CHECK: %[[BYTES:.*]] = arith.muli %[[WIDE]], %c4_i64 : i64
// CHECK: %[[XA:.*]] = arith.addi %[[X]], %[[BYTES]] : i64
// CHECK: %[[V:.*]] = kitethread.load %[[XA]], %[[M]] other %[[ONES]] align 16 : vector<4xf32>
// CHECK: %[[YA:.*]] = arith.addi %[[Y]], %[[BYTES]] : i64
// CHECK: kitethread.store %[[YA]], %[[V]], %[[M]] align 16 : vector<4xf32>
// CHECK-NEXT: return
#b = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @vector_copy(%x: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %y: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %n: i32 {kite.divisibility = 16 : i32}) attributes {kite.kernel} {
    %r = kite.make_range 0 to 32 : tensor<32xi32, #b>
    %ns = kite.splat %n : i32 -> tensor<32xi32, #b>
    %m = arith.cmpi slt, %r, %ns : tensor<32xi32, #b>
    %xs = kite.splat %x : !kite.ptr<f32> -> tensor<32x!kite.ptr<f32>, #b>
    %xp = kite.addptr %xs, %r : tensor<32x!kite.ptr<f32>, #b>, tensor<32xi32, #b>
    %o = arith.constant dense<1.0> : tensor<32xf32, #b>
    %v = kite.load %xp, %m, %o : tensor<32x!kite.ptr<f32>, #b>
    %ys = kite.splat %y : !kite.ptr<f32> -> tensor<32x!kite.ptr<f32>, #b>
    %yp = kite.addptr %ys, %r : tensor<32x!kite.ptr<f32>, #b>, tensor<32xi32, #b>
    kite.store %yp, %v, %m : tensor<32x!kite.ptr<f32>, #b>
    return
  }
}

// -----

// Without kite.divisibility the alignment is unknown: one access per element.
// CHECK-LABEL: func.func @unaligned()
// CHECK-COUNT-4: kitethread.load %{{.*}} align 2 : f16
// A scalar load: every thread reads the same address.
// CHECK: %[[S:.*]] = kitethread.load %{{.*}} align 2 : f16
// CHECK-COUNT-4: arith.addf %{{.*}}, %[[S]] : f16
// CHECK-COUNT-4: kitethread.store %{{.*}}, %{{.*}} align 2 : f16
#b = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @unaligned(%x: !kite.ptr<f16>, %i: i64) attributes {kite.kernel} {
    %r = kite.make_range 0 to 32 : tensor<32xi32, #b>
    %xs = kite.splat %x : !kite.ptr<f16> -> tensor<32x!kite.ptr<f16>, #b>
    %xp = kite.addptr %xs, %r : tensor<32x!kite.ptr<f16>, #b>, tensor<32xi32, #b>
    %v = kite.load %xp : tensor<32x!kite.ptr<f16>, #b>
    %p = kite.addptr %x, %i : !kite.ptr<f16>, i64
    %s = kite.load %p : !kite.ptr<f16>
    %vs = kite.splat %s : f16 -> tensor<32xf16, #b>
    %w = arith.addf %v, %vs : tensor<32xf16, #b>
    kite.store %xp, %w : tensor<32x!kite.ptr<f16>, #b>
    return
  }
}

// -----

// Atomics: once per element. A 4-element tensor over 8 threads is held
// twice; the copies are masked off. A scalar atomic runs in thread 0 and
// its result reaches the others through workgroup memory.
// CHECK-LABEL: func.func @atomics()
// CHECK: %[[T:.*]] = arith.addi %{{.*}}, %{{.*}} : i32
// CHECK: %[[OWNER:.*]] = arith.cmpi ult, %[[T]], %c4_i32 : i32
// CHECK: %[[OLD:.*]] = kitethread.atomic_rmw add %{{.*}}, %{{.*}}, %[[OWNER]] : i32
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %{{.*}}, %c0_i32 : i32
// CHECK: %[[CAS:.*]] = scf.if %[[FIRST]] -> (i32) {
// CHECK: kitethread.atomic_cas
// CHECK: %[[BUF:.*]] = memref.alloc() : memref<1xi32, #gpu.address_space<workgroup>>
// CHECK: scf.if %[[FIRST]] {
// CHECK-NEXT: memref.store %[[CAS]], %[[BUF]][%c0]
// CHECK: gpu.barrier
// CHECK: %[[ONE:.*]] = memref.load %[[BUF]][%c0]
// CHECK: gpu.barrier
// CHECK: kitethread.print "" %[[OLD]], %[[ONE]] : i32, i32
#b = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @atomics(%x: !kite.ptr<i32>, %v: i32) attributes {kite.kernel} {
    %r = kite.make_range 0 to 4 : tensor<4xi32, #b>
    %xs = kite.splat %x : !kite.ptr<i32> -> tensor<4x!kite.ptr<i32>, #b>
    %xp = kite.addptr %xs, %r : tensor<4x!kite.ptr<i32>, #b>, tensor<4xi32, #b>
    %old = kite.atomic_rmw add, %xp, %r : tensor<4x!kite.ptr<i32>, #b>
    %one = kite.atomic_cas %x, %v, %v : !kite.ptr<i32>
    kite.print "" %old, %one : tensor<4xi32, #b>, i32
    return
  }
}
