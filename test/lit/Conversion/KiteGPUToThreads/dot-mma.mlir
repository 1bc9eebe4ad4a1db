// kite.dot on tensor cores (tensor-cores=80: NVIDIA sm_80): a staged as
// M x K and b as K x N (its registers run along N; 16-byte chunks
// swizzled), then per K step each warp reads its fragments with
// ldmatrix.x4 (.trans for b) and issues one
// kitethread.mma_sync per 16x8 tile. c in the accumulators' own layout
// (blocked [1, 2] x [8, 4]) stays in registers; c in another layout goes to
// the tiles and back through f32 buffers.
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads="tensor-cores=80" --canonicalize --cse | FileCheck %s
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads --canonicalize --cse | FileCheck %s --check-prefix=FMA

// 2 warps over a 32x16 result: a 2x1 grid of warps, each 1x2 tiles, two
// steps of K = 32 (unrolled), each one ldmatrix.x4 of A and one of B.
// CHECK-LABEL: func.func @dot_f16()
// CHECK: %[[C:.*]] = memref.alloc() : memref<512xf32, #gpu.address_space<workgroup>>
// CHECK-COUNT-8: memref.store %{{.*}}, %[[C]]
// CHECK: gpu.barrier
// CHECK-COUNT-8: memref.load %[[C]]
// CHECK: gpu.barrier
// CHECK: %[[A:.*]] = memref.alloc() : memref<1024xf16, #gpu.address_space<workgroup>>
// CHECK: %[[B:.*]] = memref.alloc() : memref<512xf16, #gpu.address_space<workgroup>>
// CHECK: gpu.barrier
// CHECK-NOT: scf.for
// CHECK: kitethread.ldmatrix %[[A]][%{{.*}}] {count = 4 : i32} : memref<1024xf16, #gpu.address_space<workgroup>> -> i32, i32, i32, i32
// CHECK: kitethread.ldmatrix %[[B]][%{{.*}}] {count = 4 : i32, transpose}
// CHECK-COUNT-2: kitethread.mma_sync f16
// CHECK: kitethread.ldmatrix %[[A]]
// CHECK: kitethread.ldmatrix %[[B]]
// CHECK-COUNT-2: kitethread.mma_sync f16
// CHECK-NOT: kitethread.mma_sync
// CHECK: gpu.barrier
// CHECK: %[[D:.*]] = memref.alloc() : memref<512xf32, #gpu.address_space<workgroup>>
// CHECK-COUNT-8: memref.store %{{.*}}, %[[D]]
// CHECK: gpu.barrier
// CHECK-NOT: arith.addf
// CHECK: memref.load %[[D]]
// CHECK: gpu.barrier
// FMA-LABEL: func.func @dot_f16()
// FMA-NOT: kitethread.mma_sync
// FMA: arith.mulf
#b = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [2, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @dot_f16(%x: f16, %y: f16, %z: f32) attributes {kite.kernel} {
    %a = kite.splat %x : f16 -> tensor<32x32xf16, #b>
    %b = kite.splat %y : f16 -> tensor<32x16xf16, #b>
    %c = kite.splat %z : f32 -> tensor<32x16xf32, #b>
    %d = kite.dot %a, %b, %c : tensor<32x32xf16, #b> * tensor<32x16xf16, #b> -> tensor<32x16xf32, #b>
    kite.print "" %d : tensor<32x16xf32, #b>
    return
  }
}

// -----

// c in the accumulators' layout: its registers are the mma.sync
// accumulators; no f32 buffer.
// CHECK-LABEL: func.func @dot_in_accumulator_layout()
// CHECK-NOT: xf32, #gpu.address_space<workgroup>
// CHECK-COUNT-4: kitethread.mma_sync f16
// CHECK-NOT: xf32, #gpu.address_space<workgroup>
// CHECK: kitethread.print "" %{{.*}}#0, %{{.*}}#1, %{{.*}}#0, %{{.*}}#1
#b = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [2, 1], order = [1, 0]}>
#acc = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [2, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @dot_in_accumulator_layout(%x: f16, %y: f16, %z: f32) attributes {kite.kernel} {
    %a = kite.splat %x : f16 -> tensor<32x32xf16, #b>
    %b = kite.splat %y : f16 -> tensor<32x16xf16, #b>
    %c = kite.splat %z : f32 -> tensor<32x16xf32, #acc>
    %d = kite.dot %a, %b, %c : tensor<32x32xf16, #b> * tensor<32x16xf16, #b> -> tensor<32x16xf32, #acc>
    kite.print "" %d : tensor<32x16xf32, #acc>
    return
  }
}

// -----

// A dot without acc (c all zeros): the accumulators start at zero, c is not
// moved.
// CHECK-LABEL: func.func @dot_zero_c()
// CHECK: %[[A:.*]] = memref.alloc() : memref<1024xf16
// CHECK-NOT: f32, #gpu.address_space<workgroup>
// CHECK: kitethread.mma_sync f16
#b = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [2, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @dot_zero_c(%x: f16, %y: f16) attributes {kite.kernel} {
    %a = kite.splat %x : f16 -> tensor<32x32xf16, #b>
    %b = kite.splat %y : f16 -> tensor<32x16xf16, #b>
    %c = arith.constant dense<0.0> : tensor<32x16xf32, #b>
    %d = kite.dot %a, %b, %c : tensor<32x32xf16, #b> * tensor<32x16xf16, #b> -> tensor<32x16xf32, #b>
    kite.print "" %d : tensor<32x16xf32, #b>
    return
  }
}

// -----

// K = 8 is less than one mma.sync m16n8k16: the FMA loop, tensor cores or
// not.
// CHECK-LABEL: func.func @dot_k8()
// CHECK-NOT: kitethread.mma_sync
// CHECK: arith.mulf
#b = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [2, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @dot_k8(%x: f16, %y: f16, %z: f32) attributes {kite.kernel} {
    %a = kite.splat %x : f16 -> tensor<32x8xf16, #b>
    %b = kite.splat %y : f16 -> tensor<8x16xf16, #b>
    %c = kite.splat %z : f32 -> tensor<32x16xf32, #b>
    %d = kite.dot %a, %b, %c : tensor<32x8xf16, #b> * tensor<8x16xf16, #b> -> tensor<32x16xf32, #b>
    kite.print "" %d : tensor<32x16xf32, #b>
    return
  }
}

// -----

// K = 128 of f16 (eight K steps): a row of A is 16 chunks, swizzled by
// XOR with a phase below 8, so steps 4-7 read A at steps 0-3's per-lane
// index plus 64 elements, and every step reads b (K x N, its swizzle
// repeating every 8 rows) at step 0's index plus 16 rows: the fragments
// share a few per-lane bases instead of one per step.
// CHECK-LABEL: func.func @dot_k128()
// CHECK: kitethread.ldmatrix %[[A:alloc[_0-9]*]][%[[A0:[0-9]+]]] {count = 4 : i32}
// CHECK: kitethread.ldmatrix %[[B:alloc[_0-9]*]][%[[B0:[0-9]+]]] {count = 4 : i32, transpose}
// CHECK: kitethread.ldmatrix %[[A]][%[[A1:[0-9]+]]] {count = 4 : i32}
// CHECK: %[[B1:.*]] = arith.addi %[[B0]], %c256_i32
// CHECK: kitethread.ldmatrix %[[B]][%[[B1]]]
// CHECK: kitethread.ldmatrix %[[A]][%[[A2:[0-9]+]]] {count = 4 : i32}
// CHECK: kitethread.ldmatrix %[[A]][%[[A3:[0-9]+]]] {count = 4 : i32}
// CHECK: %[[A4:.*]] = arith.addi %[[A0]], %c64_i32
// CHECK: kitethread.ldmatrix %[[A]][%[[A4]]]
// CHECK: %[[A5:.*]] = arith.addi %[[A1]], %c64_i32
// CHECK: kitethread.ldmatrix %[[A]][%[[A5]]]
// CHECK: %[[A6:.*]] = arith.addi %[[A2]], %c64_i32
// CHECK: kitethread.ldmatrix %[[A]][%[[A6]]]
// CHECK: %[[A7:.*]] = arith.addi %[[A3]], %c64_i32
// CHECK: kitethread.ldmatrix %[[A]][%[[A7]]]
// CHECK: %[[B7:.*]] = arith.addi %[[B0]], %c1792_i32
// CHECK: kitethread.ldmatrix %[[B]][%[[B7]]]
#b = #kitegpu.blocked<{sizePerThread = [1, 8], threadsPerWarp = [16, 2], warpsPerCTA = [1, 1], order = [1, 0]}>
#acc = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [1, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 1 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @dot_k128(%x: f16, %y: f16) attributes {kite.kernel} {
    %a = kite.splat %x : f16 -> tensor<16x128xf16, #b>
    %b = kite.splat %y : f16 -> tensor<128x16xf16, #b>
    %c = arith.constant dense<0.0> : tensor<16x16xf32, #acc>
    %d = kite.dot %a, %b, %c : tensor<16x128xf16, #b> * tensor<128x16xf16, #b> -> tensor<16x16xf32, #acc>
    kite.print "" %d : tensor<16x16xf32, #acc>
    return
  }
}
