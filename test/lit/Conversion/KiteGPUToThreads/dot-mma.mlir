// kite.dot on tensor cores (tensor-cores=true: NVIDIA sm_80 and later): c
// to the tiles' layout through an f32 buffer (the accumulators' start), a
// and b staged as for the FMA loop, then per K step of 16 each warp packs
// its fragments (two 16-bit elements per i32) and issues one
// kitethread.mma_sync per 16x8 tile; the tiles go through another f32
// buffer to the layout of c.
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads="tensor-cores=true" --canonicalize --cse | FileCheck %s
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads --canonicalize --cse | FileCheck %s --check-prefix=FMA

// 2 warps over a 32x16 result: a 2x1 grid of warps, each 1x2 tiles, two
// steps of K = 32 (unrolled).
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
// CHECK: memref.load %[[A]]
// CHECK: arith.bitcast %{{.*}} : f16 to i16
// CHECK: arith.shli
// CHECK: arith.ori
// CHECK-COUNT-2: kitethread.mma_sync f16
// CHECK: memref.load %[[A]]
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

// K = 8 is no multiple of 16: the FMA loop, tensor cores or not.
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
