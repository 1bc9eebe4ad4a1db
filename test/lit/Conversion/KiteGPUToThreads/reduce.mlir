// kite.reduce: registers within a thread, gpu.shuffle xor across lanes,
// workgroup memory across warps. 8 threads: 2 warps of 4.
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads --canonicalize --cse | FileCheck %s

// Rows of 16 over 2 elements x 4 lanes x 2 warps: 2 registers combine, 2
// shuffles (xor 1, 2), then the two warps through workgroup memory.
// Warp w writes its partial of row r at 2 * w + r; row r is then the sum
// of slots r and 2 + r.
// CHECK-LABEL: func.func @row_sum()
// CHECK: %[[V:.*]] = kitethread.kernel_arg 0 : f32
// CHECK: %[[R:.*]] = arith.addf %[[V]], %[[V]] : f32
// CHECK: %[[X1:.*]], %{{.*}} = gpu.shuffle xor %[[R]], %c1_i32, %c4_i32 : f32
// CHECK: %[[R1:.*]] = arith.addf %[[R]], %[[X1]] : f32
// CHECK: %[[X2:.*]], %{{.*}} = gpu.shuffle xor %[[R1]], %c2_i32, %c4_i32 : f32
// CHECK: %[[R2:.*]] = arith.addf %[[R1]], %[[X2]] : f32
// CHECK: %[[BUF:.*]] = memref.alloc() : memref<4xf32, #gpu.address_space<workgroup>>
// CHECK-COUNT-2: memref.store %[[R2]], %[[BUF]]
// CHECK: gpu.barrier
// CHECK: %[[W0R0:.*]] = memref.load %[[BUF]][%c0]
// CHECK: %[[W1R0:.*]] = memref.load %[[BUF]][%c2]
// CHECK: %[[ROW0:.*]] = arith.addf %[[W0R0]], %[[W1R0]] : f32
// CHECK: %[[W0R1:.*]] = memref.load %[[BUF]][%c1]
// CHECK: %[[W1R1:.*]] = memref.load %[[BUF]][%c3]
// CHECK: %[[ROW1:.*]] = arith.addf %[[W0R1]], %[[W1R1]] : f32
// CHECK: gpu.barrier
// CHECK: kitethread.print "" %[[ROW0]], %[[ROW1]] : f32, f32
#b = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [1, 4], warpsPerCTA = [1, 2], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @row_sum(%v: f32) attributes {kite.kernel} {
    %s = kite.splat %v : f32 -> tensor<2x16xf32, #b>
    %r = kite.reduce(%s) axis = 1 : (tensor<2x16xf32, #b>) -> tensor<2xf32, #kitegpu.slice<{dim = 1, parent = #b}>> {
    ^bb0(%a: f32, %c: f32):
      %t = arith.addf %a, %c : f32
      kite.reduce.return %t : f32
    }
    kite.print "" %r : tensor<2xf32, #kitegpu.slice<{dim = 1, parent = #b}>>
    return
  }
}

// -----

// argmax of a 1-D tensor: values and indices side by side; the result is a
// scalar every thread holds.
// CHECK-LABEL: func.func @argmax()
// CHECK: %[[XV:.*]], %{{.*}} = gpu.shuffle xor %[[V:.*]], %c1_i32, %c4_i32 : f32
// CHECK: %[[XI:.*]], %{{.*}} = gpu.shuffle xor %[[I:.*]], %c1_i32, %c4_i32 : i32
// CHECK: %[[GT:.*]] = arith.cmpf ogt, %[[XV]], %[[V]] : f32
// CHECK: arith.select %[[GT]], %[[XV]], %[[V]] : f32
// CHECK: arith.select %[[GT]], %[[XI]], %[[I]] : i32
// CHECK: gpu.shuffle xor %{{.*}}, %c2_i32, %c4_i32 : f32
// CHECK: gpu.shuffle xor %{{.*}}, %c2_i32, %c4_i32 : i32
// CHECK: memref.alloc() : memref<2xf32, #gpu.address_space<workgroup>>
// CHECK: memref.alloc() : memref<2xi32, #gpu.address_space<workgroup>>
// CHECK: gpu.barrier
// CHECK: %[[MV:.*]] = arith.select %{{.*}} : f32
// CHECK: %[[MI:.*]] = arith.select %{{.*}} : i32
// CHECK: gpu.barrier
// CHECK: kitethread.print "" %[[MV]], %[[MI]] : f32, i32
#b = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @argmax(%v: f32) attributes {kite.kernel} {
    %x = kite.splat %v : f32 -> tensor<8xf32, #b>
    %i = kite.make_range 0 to 8 : tensor<8xi32, #b>
    %m:2 = kite.reduce(%x, %i) axis = 0 : (tensor<8xf32, #b>, tensor<8xi32, #b>) -> (f32, i32) {
    ^bb0(%a: f32, %ai: i32, %b: f32, %bi: i32):
      %gt = arith.cmpf ogt, %b, %a : f32
      %mv = arith.select %gt, %b, %a : f32
      %mi = arith.select %gt, %bi, %ai : i32
      kite.reduce.return %mv, %mi : f32, i32
    }
    kite.print "" %m#0, %m#1 : f32, i32
    return
  }
}

// -----

// A tensor smaller than the tile: 4 elements over 4 lanes x 2 warps are held
// twice, so only lane bits 1 and 2 combine and no warp step is needed.
// CHECK-LABEL: func.func @replicated()
// CHECK: gpu.shuffle xor %{{.*}}, %c1_i32, %c4_i32 : i32
// CHECK: gpu.shuffle xor %{{.*}}, %c2_i32, %c4_i32 : i32
// CHECK-NOT: gpu.shuffle
// CHECK-NOT: memref.alloc
// CHECK: kitethread.print
#b = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @replicated(%v: i32) attributes {kite.kernel} {
    %x = kite.splat %v : i32 -> tensor<4xi32, #b>
    %s = kite.reduce(%x) axis = 0 : (tensor<4xi32, #b>) -> i32 {
    ^bb0(%a: i32, %c: i32):
      %t = arith.addi %a, %c : i32
      kite.reduce.return %t : i32
    }
    kite.print "" %s : i32
    return
  }
}
