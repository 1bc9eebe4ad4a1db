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

// -----

// bf16 is an f32 register: loaded as i16 bits shifted into the high half,
// added in f32, rounded to nearest-even (+0x7FFF + lsb, low half cleared)
// and stored as the high 16 bits. Booleans are i8 in memory.
// CHECK-LABEL: func.func @bf16_and_bool()
// CHECK: %[[BITS:.*]] = kitethread.load %{{.*}} align 2 : i16
// CHECK: %[[WIDE:.*]] = arith.extui %[[BITS]] : i16 to i32
// CHECK: %[[HIGH:.*]] = arith.shli %[[WIDE]], %c16_i32 : i32
// CHECK: %[[X:.*]] = arith.bitcast %[[HIGH]] : i32 to f32
// CHECK: %[[SUM:.*]] = arith.addf %[[X]], %[[X]] : f32
// CHECK: arith.bitcast %[[SUM]] : f32 to i32
// CHECK: arith.cmpf uno, %[[SUM]], %[[SUM]] : f32
// CHECK: %[[OUT:.*]] = arith.trunci %{{.*}} : i32 to i16
// CHECK: kitethread.store %{{.*}}, %[[OUT]] align 2 : i16
// CHECK: %[[BYTE:.*]] = kitethread.load %{{.*}} align 1 : i8
// CHECK: %[[B:.*]] = arith.cmpi ne, %[[BYTE]], %c0_i8 : i8
// CHECK: %[[STORED:.*]] = arith.extui %[[B]] : i1 to i8
// CHECK: kitethread.store %{{.*}}, %[[STORED]] align 1 : i8
#b = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [4], warpsPerCTA = [1], order = [0]}>
module attributes {"kitegpu.num-warps" = 1 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @bf16_and_bool(%x: !kite.ptr<bf16>, %p: !kite.ptr<i1>) attributes {kite.kernel} {
    %r = kite.make_range 0 to 4 : tensor<4xi32, #b>
    %xs = kite.splat %x : !kite.ptr<bf16> -> tensor<4x!kite.ptr<bf16>, #b>
    %xp = kite.addptr %xs, %r : tensor<4x!kite.ptr<bf16>, #b>, tensor<4xi32, #b>
    %v = kite.load %xp : tensor<4x!kite.ptr<bf16>, #b>
    %s = arith.addf %v, %v : tensor<4xbf16, #b>
    kite.store %xp, %s : tensor<4x!kite.ptr<bf16>, #b>
    %ps = kite.splat %p : !kite.ptr<i1> -> tensor<4x!kite.ptr<i1>, #b>
    %pp = kite.addptr %ps, %r : tensor<4x!kite.ptr<i1>, #b>, tensor<4xi32, #b>
    %f = kite.load %pp : tensor<4x!kite.ptr<i1>, #b>
    kite.store %pp, %f : tensor<4x!kite.ptr<i1>, #b>
    return
  }
}

// -----

// 4 elements on 8 threads: threads 4..7 hold copies and do not store (they
// need not hold the same value: an atomic's old value reaches its owner only).
// CHECK-LABEL: func.func @replicated_store()
// CHECK: %[[OWNER:.*]] = arith.cmpi ult, %{{.*}}, %c4_i32 : i32
// CHECK: kitethread.store %{{.*}}, %{{.*}}, %[[OWNER]] align 4 : i32
#b = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [8], warpsPerCTA = [1], order = [0]}>
module attributes {"kitegpu.num-warps" = 1 : i32, "kitegpu.threads-per-warp" = 8 : i32} {
  func.func @replicated_store(%x: !kite.ptr<i32>) attributes {kite.kernel} {
    %r = kite.make_range 0 to 4 : tensor<4xi32, #b>
    %xs = kite.splat %x : !kite.ptr<i32> -> tensor<4x!kite.ptr<i32>, #b>
    %xp = kite.addptr %xs, %r : tensor<4x!kite.ptr<i32>, #b>, tensor<4xi32, #b>
    kite.store %xp, %r : tensor<4x!kite.ptr<i32>, #b>
    return
  }
}

// -----

// kl.debug_barrier: a workgroup barrier marked to order global memory too.
// CHECK-LABEL: func.func @debug_barrier
// CHECK: gpu.barrier {kitethread.global_memory}
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
func.func @debug_barrier() attributes {kite.kernel} {
  kite.debug_barrier
  return
}
}
