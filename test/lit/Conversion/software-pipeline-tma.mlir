// The software pipeliner on Hopper copies a host descriptor's loads with TMA
// (kite.load's tensor_map): an mbarrier per slot, initialised before the
// prologue with one arrival per TMA load, thread 0's copies arriving on the
// slot's barrier, every thread waiting for the phase of the slot it reads
// (its parity carried by the loop), the barriers invalidated after the loop.
// The kernel records the boxes each map is read in (kite.tensor_maps). On
// sm_80 (no warpgroup-mma) the same loads are cp.async copies.
// RUN: kite-opt %s --split-input-file --kitegpu-software-pipeline="num-stages=3 tensor-cores=90 warpgroup-mma=true" | FileCheck %s
// RUN: kite-opt %s --split-input-file --kitegpu-software-pipeline="num-stages=3 tensor-cores=80" | FileCheck %s --check-prefix=SM80

// CHECK-LABEL: func.func @descriptor_matmul
// CHECK-SAME: kite.tensor_maps = "1:8x64:128,3:64x64:128"
// CHECK: %[[A:.*]] = kitegpu.local_alloc -> !kitegpu.memdesc<3x64x64xf16
// CHECK: %[[B:.*]] = kitegpu.local_alloc -> !kitegpu.memdesc<3x64x128xf16
// CHECK: %[[BARS:.*]] = kitegpu.local_alloc -> !kitegpu.memdesc<3xi64
// CHECK: kitegpu.init_barriers %[[BARS]] count 2
// CHECK: kitegpu.async_tma_copy %{{.*}}[%{{.*}}, %{{.*}}], %[[A]][%c0_i32{{.*}}], %[[BARS]], %{{.*}}
// CHECK: kitegpu.async_tma_copy %{{.*}}[%{{.*}}, %{{.*}}], %[[B]][%c0_i32{{.*}}], %[[BARS]], %{{.*}}
// CHECK-NOT: kitegpu.async_commit_group
// CHECK: scf.for {{.*}}, %[[SLOT:[a-z0-9_]+]] = %c0_i32{{.*}}, %[[PARITY:[a-z0-9_]+]] = %c0_i32{{.*}}) ->
// CHECK-NOT: kitegpu.async_wait
// CHECK: kitegpu.wait_barrier %[[BARS]][%[[SLOT]]], %[[PARITY]]
// CHECK: kitegpu.local_load %[[A]][%[[SLOT]]]
// CHECK: kite.dot {{.*}} {kitegpu.async_mma}
// CHECK: gpu.barrier
// CHECK: kitegpu.async_tma_copy
// CHECK: kitegpu.async_tma_copy
// CHECK: %[[WRAPPED:.*]] = arith.cmpi eq, %{{.*}}, %c3_i32
// CHECK: %[[FLIPPED:.*]] = arith.xori %[[PARITY]], %c1_i32
// CHECK: arith.select %[[WRAPPED]], %[[FLIPPED]], %[[PARITY]]
// CHECK: kitegpu.pipeline = "pipelined: 3 stages, the dot asynchronous (a slot more)"
// CHECK-NEXT: kitegpu.inval_barriers %[[BARS]]
// SM80-LABEL: func.func @descriptor_matmul
// SM80-NOT: tensor_maps
// SM80-NOT: tma
// SM80: kitegpu.async_copy
#a = #kitegpu.blocked<{sizePerThread = [1, 8], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#b = #kitegpu.blocked<{sizePerThread = [1, 8], threadsPerWarp = [2, 16], warpsPerCTA = [4, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @descriptor_matmul(%pa: tensor<64x64x!kite.ptr<f16>, #a>, %mapa: !kite.ptr<i8>,
                               %pb: tensor<64x128x!kite.ptr<f16>, #b>, %mapb: !kite.ptr<i8>,
                               %n: i32, %row: i32, %col: i32,
                               %stepa: tensor<64x64xi32, #a>, %stepb: tensor<64x128xi32, #b>)
      -> tensor<64x128xf32, #c> attributes {kite.kernel} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %c64 = arith.constant 64 : i32
    %ma = kite.ptr_to_int %mapa : !kite.ptr<i8> -> i64
    %mb = kite.ptr_to_int %mapb : !kite.ptr<i8> -> i64
    %zero = arith.constant dense<0.000000e+00> : tensor<64x128xf32, #c>
    %ha = arith.constant dense<0.000000e+00> : tensor<64x64xf16, #a>
    %hb = arith.constant dense<0.000000e+00> : tensor<64x128xf16, #b>
    %ta = arith.constant dense<true> : tensor<64x64xi1, #a>
    %tb = arith.constant dense<true> : tensor<64x128xi1, #b>
    %r:3 = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero, %x = %pa, %y = %pb)
        -> (tensor<64x128xf32, #c>, tensor<64x64x!kite.ptr<f16>, #a>, tensor<64x128x!kite.ptr<f16>, #b>) : i32 {
      %k = arith.muli %i, %c64 : i32
      %va = kite.load %x, %ta, %ha tensor_map(%ma, %row, %k) : tensor<64x64x!kite.ptr<f16>, #a>
      %vb = kite.load %y, %tb, %hb tensor_map(%mb, %k, %col) : tensor<64x128x!kite.ptr<f16>, #b>
      %d = kite.dot %va, %vb, %acc : tensor<64x64xf16, #a> * tensor<64x128xf16, #b> -> tensor<64x128xf32, #c>
      %nx = kite.addptr %x, %stepa : tensor<64x64x!kite.ptr<f16>, #a>, tensor<64x64xi32, #a>
      %ny = kite.addptr %y, %stepb : tensor<64x128x!kite.ptr<f16>, #b>, tensor<64x128xi32, #b>
      scf.yield %d, %nx, %ny : tensor<64x128xf32, #c>, tensor<64x64x!kite.ptr<f16>, #a>, tensor<64x128x!kite.ptr<f16>, #b>
    }
    return %r#0 : tensor<64x128xf32, #c>
  }
}

// -----

// One map read in two box shapes (a placed A and a natural B of the same
// tensor): the first load's boxes are recorded, the second is copied by
// cp.async.
// CHECK-LABEL: func.func @one_map_two_boxes
// CHECK-SAME: kite.tensor_maps = "1:8x64:128"
// CHECK: kitegpu.async_tma_copy
// CHECK-NOT: kitegpu.async_tma_copy
// CHECK: kitegpu.async_copy
#a = #kitegpu.blocked<{sizePerThread = [1, 8], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @one_map_two_boxes(%p: tensor<64x64x!kite.ptr<f16>, #a>, %map: !kite.ptr<i8>, %n: i32,
                               %step: tensor<64x64xi32, #a>)
      -> tensor<64x64xf32, #c> attributes {kite.kernel} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %c64 = arith.constant 64 : i32
    %m = kite.ptr_to_int %map : !kite.ptr<i8> -> i64
    %zero = arith.constant dense<0.000000e+00> : tensor<64x64xf32, #c>
    %h = arith.constant dense<0.000000e+00> : tensor<64x64xf16, #a>
    %t = arith.constant dense<true> : tensor<64x64xi1, #a>
    %r:2 = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero, %x = %p)
        -> (tensor<64x64xf32, #c>, tensor<64x64x!kite.ptr<f16>, #a>) : i32 {
      %k = arith.muli %i, %c64 : i32
      %va = kite.load %x, %t, %h tensor_map(%m, %c0, %k) : tensor<64x64x!kite.ptr<f16>, #a>
      %vb = kite.load %x, %t, %h tensor_map(%m, %k, %c0) : tensor<64x64x!kite.ptr<f16>, #a>
      %d = kite.dot %va, %vb, %acc : tensor<64x64xf16, #a> * tensor<64x64xf16, #a> -> tensor<64x64xf32, #c>
      %nx = kite.addptr %x, %step : tensor<64x64x!kite.ptr<f16>, #a>, tensor<64x64xi32, #a>
      scf.yield %d, %nx : tensor<64x64xf32, #c>, tensor<64x64x!kite.ptr<f16>, #a>
    }
    return %r#0 : tensor<64x64xf32, #c>
  }
}
