// scf.for / scf.if / scf.while carry every register of a tensor (1:N).
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads --canonicalize --cse | FileCheck %s

// Two registers per tensor: the loop carries 2 floats and 2 addresses.
// CHECK-LABEL: func.func @loops()
// CHECK: %[[L:.*]]:4 = scf.for %{{.*}} = %c0_i32 to %{{.*}} step %c1_i32 iter_args(%[[A0:.*]] = %cst, %[[A1:.*]] = %cst, %[[P0:.*]] = %{{.*}}, %[[P1:.*]] = %{{.*}}) -> (f32, f32, i64, i64) : i32 {
// CHECK: %[[V0:.*]] = kitethread.load %[[P0]] align 4 : f32
// CHECK: %[[V1:.*]] = kitethread.load %[[P1]] align 4 : f32
// CHECK: %[[S0:.*]] = arith.addf %[[A0]], %[[V0]] : f32
// CHECK: %[[S1:.*]] = arith.addf %[[A1]], %[[V1]] : f32
// CHECK: scf.yield %[[S0]], %[[S1]], %{{.*}}, %{{.*}} : f32, f32, i64, i64
// CHECK: %[[IF:.*]]:2 = scf.if %{{.*}} -> (f32, f32) {
// CHECK: scf.yield %[[L]]#0, %[[L]]#1 : f32, f32
// CHECK: arith.negf %[[L]]#0 : f32
// CHECK: scf.while
// CHECK: kitethread.store %{{.*}}, %[[IF]]#0 align 4 : f32
// CHECK: kitethread.store %{{.*}}, %[[IF]]#1 align 4 : f32
#b = #kitegpu.blocked<{sizePerThread = [2], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @loops(%x: !kite.ptr<f32>, %n: i32, %c: i1) attributes {kite.kernel} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %zero = arith.constant dense<0.0> : tensor<16xf32, #b>
    %r = kite.make_range 0 to 16 : tensor<16xi32, #b>
    %xs = kite.splat %x : !kite.ptr<f32> -> tensor<16x!kite.ptr<f32>, #b>
    %p0 = kite.addptr %xs, %r : tensor<16x!kite.ptr<f32>, #b>, tensor<16xi32, #b>
    %acc, %p = scf.for %i = %c0 to %n step %c1 iter_args(%a = %zero, %q = %p0) -> (tensor<16xf32, #b>, tensor<16x!kite.ptr<f32>, #b>) : i32 {
      %v = kite.load %q : tensor<16x!kite.ptr<f32>, #b>
      %s = arith.addf %a, %v : tensor<16xf32, #b>
      %step = kite.splat %n : i32 -> tensor<16xi32, #b>
      %q2 = kite.addptr %q, %step : tensor<16x!kite.ptr<f32>, #b>, tensor<16xi32, #b>
      scf.yield %s, %q2 : tensor<16xf32, #b>, tensor<16x!kite.ptr<f32>, #b>
    }
    %out = scf.if %c -> tensor<16xf32, #b> {
      scf.yield %acc : tensor<16xf32, #b>
    } else {
      %neg = arith.negf %acc : tensor<16xf32, #b>
      scf.yield %neg : tensor<16xf32, #b>
    }
    %w = scf.while (%k = %c0) : (i32) -> i32 {
      %lt = arith.cmpi slt, %k, %n : i32
      scf.condition(%lt) %k : i32
    } do {
    ^bb0(%k: i32):
      %k1 = arith.addi %k, %c1 : i32
      scf.yield %k1 : i32
    }
    kite.store %p0, %out : tensor<16x!kite.ptr<f32>, #b>
    kite.print "" %w : i32
    return
  }
}
