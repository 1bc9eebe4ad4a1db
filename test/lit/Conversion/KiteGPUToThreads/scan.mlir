// kite.scan: registers within a thread, an xor-based Hillis-Steele scan
// across lanes, workgroup memory across warps. 8 threads: 2 warps of 4.
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads --canonicalize --cse | FileCheck %s

// Rows of 16 over 2 elements x 4 lanes x 2 warps.
// Register 1 becomes x0 + x1 (the chunk total); lane bits 1 and 2 (xor 1,
// 2) give each lane its warp's total and the lanes before it (selected by
// the lane's position); warp 0's totals of both rows go through workgroup
// memory to warp 1.
// CHECK-LABEL: func.func @row_cumsum()
// CHECK: %[[V:.*]] = kitethread.kernel_arg 0 : f32
// CHECK: %[[R:.*]] = arith.addf %[[V]], %[[V]] : f32
// CHECK: %[[X1:.*]], %{{.*}} = gpu.shuffle xor %[[R]], %c1_i32, %c4_i32 : f32
// CHECK: arith.addf %[[X1]], %[[R]] : f32
// CHECK: gpu.shuffle xor %{{.*}}, %c2_i32, %c4_i32 : f32
// CHECK: arith.select
// CHECK: %[[BUF:.*]] = memref.alloc() : memref<4xf32, #gpu.address_space<workgroup>>
// CHECK-COUNT-2: memref.store %{{.*}}, %[[BUF]]
// CHECK: gpu.barrier
// CHECK: %[[W0R0:.*]] = memref.load %[[BUF]][%c0]
// CHECK: %[[W0R1:.*]] = memref.load %[[BUF]][%c1]
// CHECK: gpu.barrier
// CHECK: arith.addf %[[W0R0]]
// CHECK: arith.addf %[[W0R1]]
// CHECK: kitethread.print "" %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : f32, f32, f32, f32
#b = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [1, 4], warpsPerCTA = [1, 2], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @row_cumsum(%v: f32) attributes {kite.kernel} {
    %s = kite.splat %v : f32 -> tensor<2x16xf32, #b>
    %r = kite.scan(%s) axis = 1 : (tensor<2x16xf32, #b>) -> tensor<2x16xf32, #b> {
    ^bb0(%a: f32, %c: f32):
      %t = arith.addf %a, %c : f32
      kite.scan.return %t : f32
    }
    kite.print "" %r : tensor<2x16xf32, #b>
    return
  }
}

// -----

// A reverse scan of two operands along dim 0, within the thread only: each
// thread holds a whole column of 4.
// CHECK-LABEL: func.func @reverse_pair()
// CHECK: %[[V:.*]] = kitethread.kernel_arg 0 : f32
// CHECK: %[[I:.*]] = kitethread.kernel_arg 1 : i32
// CHECK-NOT: gpu.shuffle
// CHECK-NOT: memref.alloc
// CHECK: %[[V2:.*]] = arith.mulf %[[V]], %[[V]] : f32
// CHECK: %[[I2:.*]] = arith.addi %[[I]], %[[I]] : i32
// CHECK: %[[V3:.*]] = arith.mulf %[[V2]], %[[V]] : f32
// CHECK: %[[I3:.*]] = arith.addi %[[I2]], %[[I]] : i32
// CHECK: %[[V4:.*]] = arith.mulf %[[V3]], %[[V]] : f32
// CHECK: %[[I4:.*]] = arith.addi %[[I3]], %[[I]] : i32
// CHECK: kitethread.print "" %[[V4]], %[[V3]], %[[V2]], %[[V]], %[[I4]], %[[I3]], %[[I2]], %[[I]]
#b = #kitegpu.blocked<{sizePerThread = [4, 1], threadsPerWarp = [1, 4], warpsPerCTA = [1, 2], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @reverse_pair(%v: f32, %i: i32) attributes {kite.kernel} {
    %s = kite.splat %v : f32 -> tensor<4x8xf32, #b>
    %t = kite.splat %i : i32 -> tensor<4x8xi32, #b>
    %r:2 = kite.scan(%s, %t) axis = 0 reverse : (tensor<4x8xf32, #b>, tensor<4x8xi32, #b>) -> (tensor<4x8xf32, #b>, tensor<4x8xi32, #b>) {
    ^bb0(%a: f32, %ai: i32, %c: f32, %ci: i32):
      %x = arith.mulf %a, %c : f32
      %y = arith.addi %ai, %ci : i32
      kite.scan.return %x, %y : f32, i32
    }
    kite.print "" %r#0, %r#1 : tensor<4x8xf32, #b>, tensor<4x8xi32, #b>
    return
  }
}
