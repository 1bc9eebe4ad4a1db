// The software pipeliner on Hopper's wgmma (warpgroup-mma): slots in
// 128-byte slabs, and a 16-bit A (K contiguous) of a dot whose warps tile M
// in whole warpgroups has its slots' rows placed for wgmma's descriptor
// (warpsM = 4); b's slots, an M-contiguous A's and every slot without
// wgmma keep the natural row order.
// RUN: kite-opt %s --split-input-file --kitegpu-software-pipeline="num-stages=3 tensor-cores=90 warpgroup-mma=true" | FileCheck %s
// RUN: kite-opt %s --split-input-file --kitegpu-software-pipeline="num-stages=3 tensor-cores=90" | FileCheck %s --check-prefix=MMASYNC

// CHECK-DAG: #[[PLACED:.*]] = #kitegpu.shared<{vec = 8, perPhase = 1, maxPhase = 8, order = [1, 0], warpsM = 4}>
// CHECK-DAG: #[[NATURAL:.*]] = #kitegpu.shared<{vec = 8, perPhase = 1, maxPhase = 8, order = [1, 0]}>
// The dot reads both slots in place and accumulates into the loop's value:
// it may run asynchronously (kitegpu.async_mma), with a slot more (3 at 3
// stages): iteration i reads slot i % 3 and refills the one i - 1 read.
// CHECK-LABEL: func.func @k_major_a
// CHECK: kitegpu.local_alloc -> !kitegpu.memdesc<3x64x64xf16, #[[PLACED]]>
// CHECK: kitegpu.local_alloc -> !kitegpu.memdesc<3x64x64xf16, #[[NATURAL]]>
// CHECK: scf.for {{.*}}, %[[SLOT:[a-z0-9_]+]] = %c0_i32{{.*}}) ->
// CHECK: kitegpu.local_load %{{.*}}[%[[SLOT]]]
// CHECK: kite.dot {{.*}} {kitegpu.async_mma}
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[SLOT]], %c0_i32
// CHECK: %[[BEFORE:.*]] = arith.subi %[[SLOT]], %c1_i32
// CHECK: %[[REFILLED:.*]] = arith.select %[[FIRST]], %c2_i32{{.*}}, %[[BEFORE]]
// CHECK: kitegpu.async_copy %{{.*}}, %{{.*}}[%[[REFILLED]]]
// CHECK: kitegpu.pipeline = "pipelined: 3 stages, the dot asynchronous (a slot more)"
// MMASYNC-NOT: warpsM
// MMASYNC-NOT: async_mma
// MMASYNC-NOT: memdesc<3x
#a = #kitegpu.blocked<{sizePerThread = [1, 8], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#b = #kitegpu.blocked<{sizePerThread = [1, 8], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @k_major_a(%pa: tensor<64x64x!kite.ptr<f16>, #a>, %pb: tensor<64x64x!kite.ptr<f16>, #b>,
                       %n: i32, %stepa: tensor<64x64xi32, #a>, %stepb: tensor<64x64xi32, #b>)
      -> tensor<64x64xf32, #c> attributes {kite.kernel} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %zero = arith.constant dense<0.000000e+00> : tensor<64x64xf32, #c>
    %r:3 = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero, %x = %pa, %y = %pb)
        -> (tensor<64x64xf32, #c>, tensor<64x64x!kite.ptr<f16>, #a>, tensor<64x64x!kite.ptr<f16>, #b>) : i32 {
      %va = kite.load %x : tensor<64x64x!kite.ptr<f16>, #a>
      %vb = kite.load %y : tensor<64x64x!kite.ptr<f16>, #b>
      %d = kite.dot %va, %vb, %acc : tensor<64x64xf16, #a> * tensor<64x64xf16, #b> -> tensor<64x64xf32, #c>
      %nx = kite.addptr %x, %stepa : tensor<64x64x!kite.ptr<f16>, #a>, tensor<64x64xi32, #a>
      %ny = kite.addptr %y, %stepb : tensor<64x64x!kite.ptr<f16>, #b>, tensor<64x64xi32, #b>
      scf.yield %d, %nx, %ny : tensor<64x64xf32, #c>, tensor<64x64x!kite.ptr<f16>, #a>, tensor<64x64x!kite.ptr<f16>, #b>
    }
    return %r#0 : tensor<64x64xf32, #c>
  }
}

// -----

// A loaded M contiguous (a transposed a): read by ldmatrix.trans, not placed.
// CHECK-LABEL: func.func @m_major_a
// CHECK-NOT: warpsM
// CHECK: scf.for
#a = #kitegpu.blocked<{sizePerThread = [8, 1], threadsPerWarp = [8, 4], warpsPerCTA = [1, 4], order = [0, 1]}>
#b = #kitegpu.blocked<{sizePerThread = [1, 8], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @m_major_a(%pa: tensor<64x64x!kite.ptr<f16>, #a>, %pb: tensor<64x64x!kite.ptr<f16>, #b>,
                       %n: i32) -> tensor<64x64xf32, #c> attributes {kite.kernel} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %zero = arith.constant dense<0.000000e+00> : tensor<64x64xf32, #c>
    %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> (tensor<64x64xf32, #c>) : i32 {
      %va = kite.load %pa : tensor<64x64x!kite.ptr<f16>, #a>
      %vb = kite.load %pb : tensor<64x64x!kite.ptr<f16>, #b>
      %d = kite.dot %va, %vb, %acc : tensor<64x64xf16, #a> * tensor<64x64xf16, #b> -> tensor<64x64xf32, #c>
      scf.yield %d : tensor<64x64xf32, #c>
    }
    return %r : tensor<64x64xf32, #c>
  }
}

// -----

// b not loaded in the loop (the dot stages it from registers every
// iteration): the dot keeps one group at a time, no slot more.
// CHECK-LABEL: func.func @b_not_from_a_slot
// CHECK: kitegpu.local_alloc -> !kitegpu.memdesc<2x64x64xf16
// CHECK-NOT: async_mma
// CHECK: kitegpu.pipeline = "pipelined: 3 stages"
#a = #kitegpu.blocked<{sizePerThread = [1, 8], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#b = #kitegpu.blocked<{sizePerThread = [1, 8], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @b_not_from_a_slot(%pa: tensor<64x64x!kite.ptr<f16>, #a>, %vb: tensor<64x64xf16, #b>,
                               %n: i32, %stepa: tensor<64x64xi32, #a>) -> tensor<64x64xf32, #c> attributes {kite.kernel} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %zero = arith.constant dense<0.000000e+00> : tensor<64x64xf32, #c>
    %r:2 = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero, %x = %pa)
        -> (tensor<64x64xf32, #c>, tensor<64x64x!kite.ptr<f16>, #a>) : i32 {
      %va = kite.load %x : tensor<64x64x!kite.ptr<f16>, #a>
      %d = kite.dot %va, %vb, %acc : tensor<64x64xf16, #a> * tensor<64x64xf16, #b> -> tensor<64x64xf32, #c>
      %nx = kite.addptr %x, %stepa : tensor<64x64x!kite.ptr<f16>, #a>, tensor<64x64xi32, #a>
      scf.yield %d, %nx : tensor<64x64xf32, #c>, tensor<64x64x!kite.ptr<f16>, #a>
    }
    return %r#0 : tensor<64x64xf32, #c>
  }
}
