// kite.dot on Hopper's warpgroup MMA (warpgroup-mma: sm_90a). The layout
// stage puts every warp along M (the accumulators of a warpgroup's
// m64nN are its four warps' 16-row strips over all N). Each warp reads
// its A fragments with ldmatrix, as for mma.sync (any rows: they name the
// rows of its accumulators); B stays in workgroup memory and is read by
// the instruction through a descriptor: K-major (b staged N x K) or
// N-major (K x N, b_transposed), its rows, or their 128-byte slabs, the
// swizzle's width. One fence, one wgmma per K step and 16-row tile of a
// warp, one commit, one wait that returns the accumulators. The buffer is
// aligned to 1024 bytes; the stores into it are fenced for the
// asynchronous proxy before the barrier.
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads="tensor-cores=90 warpgroup-mma=1" --canonicalize --cse | FileCheck %s
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads="tensor-cores=90" --canonicalize --cse | FileCheck %s --check-prefix=SM90

// b's registers run along N: staged K x N (64 columns of f16, 128-byte
// rows), read N-major: two K steps of 16 rows, 2048 bytes apart.
// CHECK-LABEL: func.func @n_major()
// CHECK: %[[B:.*]] = memref.alloc() {kitethread.alignment = 1024 : i64} : memref<2048xf16, #gpu.address_space<workgroup>>
// CHECK: kitethread.fence_async_shared
// CHECK-NEXT: gpu.barrier
// CHECK-COUNT-2: kitethread.ldmatrix
// CHECK: kitethread.wgmma_fence
// CHECK: %[[D0:.*]]:32 = kitethread.wgmma f16 a(%{{.*}}) b(%[[B]][%c0_i32] : memref<2048xf16, #gpu.address_space<workgroup>>) c({{.*}}) {b_leading = 4096 : i64, b_stride = 1024 : i64, b_swizzle = 128 : i64, b_transposed, n = 64 : i64}
// CHECK: %[[D1:.*]]:32 = kitethread.wgmma f16 a(%{{.*}}) b(%[[B]][%c1024_i32] : {{.*}}) c(%[[D0]]#0,
// CHECK: kitethread.wgmma_commit
// CHECK: %[[W:.*]]:32 = kitethread.wgmma_wait 0(%[[D1]]#0,
// CHECK: gpu.barrier
// CHECK: kitethread.print "" %[[W]]#0,
// SM90-LABEL: func.func @n_major()
// SM90-NOT: kitethread.wgmma
// SM90: kitethread.mma_sync
#b = #kitegpu.blocked<{sizePerThread = [1, 8], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#acc = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @n_major(%x: f16, %y: f16) attributes {kite.kernel} {
    %a = kite.splat %x : f16 -> tensor<64x32xf16, #b>
    %b = kite.splat %y : f16 -> tensor<32x64xf16, #b>
    %c = arith.constant dense<0.0> : tensor<64x64xf32, #acc>
    %d = kite.dot %a, %b, %c : tensor<64x32xf16, #b> * tensor<32x64xf16, #b> -> tensor<64x64xf32, #acc>
    kite.print "" %d : tensor<64x64xf32, #acc>
    return
  }
}

// -----

// b's registers run along K: staged N x K, read K-major; K = 128 is two
// 128-byte slabs (64 rows of 128 bytes each), K steps 16 elements (32
// bytes) apart within a slab, the second slab 4096 elements on.
// CHECK-LABEL: func.func @k_major_slabs()
// CHECK: %[[B:.*]] = memref.alloc() {kitethread.alignment = 1024 : i64} : memref<8192xf16, #gpu.address_space<workgroup>>
// CHECK: kitethread.wgmma_fence
// CHECK: kitethread.wgmma f16 a(%{{.*}}) b(%[[B]][%c0_i32] : {{.*}}) c({{.*}}) {b_leading = 8192 : i64, b_stride = 1024 : i64, b_swizzle = 128 : i64, n = 64 : i64}
// CHECK: kitethread.wgmma f16 a(%{{.*}}) b(%[[B]][%c16_i32] :
// CHECK: kitethread.wgmma f16 a(%{{.*}}) b(%[[B]][%c32_i32] :
// CHECK: kitethread.wgmma f16 a(%{{.*}}) b(%[[B]][%c48_i32] :
// CHECK: kitethread.wgmma f16 a(%{{.*}}) b(%[[B]][%c4096_i32] :
// CHECK-COUNT-3: kitethread.wgmma f16
// CHECK-NOT: kitethread.wgmma f16
// CHECK: kitethread.wgmma_commit
#a = #kitegpu.blocked<{sizePerThread = [1, 8], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#bk = #kitegpu.blocked<{sizePerThread = [8, 1], threadsPerWarp = [8, 4], warpsPerCTA = [1, 4], order = [0, 1]}>
#acc = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @k_major_slabs(%x: f16, %y: f16) attributes {kite.kernel} {
    %a = kite.splat %x : f16 -> tensor<64x128xf16, #a>
    %b = kite.splat %y : f16 -> tensor<128x64xf16, #bk>
    %c = arith.constant dense<0.0> : tensor<64x64xf32, #acc>
    %d = kite.dot %a, %b, %c : tensor<64x128xf16, #a> * tensor<128x64xf16, #bk> -> tensor<64x64xf32, #acc>
    kite.print "" %d : tensor<64x64xf32, #acc>
    return
  }
}

// -----

// Warps not in fours along M (a 2 x 2 grid): mma.sync.
// CHECK-LABEL: func.func @two_by_two()
// CHECK-NOT: kitethread.wgmma
// CHECK: kitethread.mma_sync
#b = #kitegpu.blocked<{sizePerThread = [1, 8], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#acc = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [2, 2], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @two_by_two(%x: f16, %y: f16) attributes {kite.kernel} {
    %a = kite.splat %x : f16 -> tensor<64x32xf16, #b>
    %b = kite.splat %y : f16 -> tensor<32x64xf16, #b>
    %c = arith.constant dense<0.0> : tensor<64x64xf32, #acc>
    %d = kite.dot %a, %b, %c : tensor<64x32xf16, #b> * tensor<32x64xf16, #b> -> tensor<64x64xf32, #acc>
    kite.print "" %d : tensor<64x64xf32, #acc>
    return
  }
}
