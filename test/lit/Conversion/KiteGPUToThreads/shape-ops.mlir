// expand_dims, broadcast, trans and reshape move no data between threads:
// each result register is a copy of a source register (a permutation fixed
// at compile time). 8 threads: 2 warps of 4.
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads --canonicalize --cse | FileCheck %s

// The 4x4 offsets m + n, transposed: thread (warp w, lane l) holds rows
// 2 * (l & 1) and + 1 of column 2 * w + (l >> 1) in the transposed layout,
// i.e. registers m = 2 * w + (l >> 1) plus n = 2 * (l & 1) and n + 1 of the
// source: the transposed registers are source registers, nothing moves.
// CHECK-LABEL: func.func @shapes()
// CHECK: %[[T:.*]] = arith.index_cast
// CHECK: %[[LANE:.*]] = arith.andi %[[T]], %c3_i32 : i32
// CHECK: %[[W:.*]] = arith.shrui %[[T]], %c2_i32 : i32
// CHECK: %[[LHI:.*]] = arith.shrui %[[LANE]], %c1_i32 : i32
// CHECK: %[[LHI1:.*]] = arith.andi %[[LHI]], %c1_i32 : i32
// CHECK: %[[W1:.*]] = arith.andi %[[W]], %c1_i32 : i32
// CHECK: %[[W2:.*]] = arith.muli %[[W1]], %c2_i32 : i32
// CHECK: %[[M:.*]] = arith.addi %[[W2]], %[[LHI1]] : i32
// CHECK: %[[LLO:.*]] = arith.andi %[[LANE]], %c1_i32 : i32
// CHECK: %[[N0:.*]] = arith.muli %[[LLO]], %c2_i32 : i32
// CHECK: %[[N1:.*]] = arith.addi %[[N0]], %c1_i32 : i32
// CHECK: %[[O0:.*]] = arith.addi %[[M]], %[[N0]] : i32
// CHECK: %[[O1:.*]] = arith.addi %[[M]], %[[N1]] : i32
// CHECK: kitethread.print "" %[[O0]], %[[O1]] : i32, i32
#b2 = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [2, 2], warpsPerCTA = [2, 1], order = [1, 0]}>
#s0 = #kitegpu.slice<{dim = 0, parent = #b2}>
#s1 = #kitegpu.slice<{dim = 1, parent = #b2}>
#t2 = #kitegpu.blocked<{sizePerThread = [2, 1], threadsPerWarp = [2, 2], warpsPerCTA = [1, 2], order = [0, 1]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @shapes(%x: !kite.ptr<i32>) attributes {kite.kernel} {
    %rm = kite.make_range 0 to 4 : tensor<4xi32, #s1>
    %rn = kite.make_range 0 to 4 : tensor<4xi32, #s0>
    %m = kite.expand_dims %rm axis = 1 : tensor<4xi32, #s1> -> tensor<4x1xi32, #b2>
    %n = kite.expand_dims %rn axis = 0 : tensor<4xi32, #s0> -> tensor<1x4xi32, #b2>
    %mb = kite.broadcast %m : tensor<4x1xi32, #b2> -> tensor<4x4xi32, #b2>
    %nb = kite.broadcast %n : tensor<1x4xi32, #b2> -> tensor<4x4xi32, #b2>
    %off = arith.addi %mb, %nb : tensor<4x4xi32, #b2>
    %t = kite.trans %off order = [1, 0] : tensor<4x4xi32, #b2> -> tensor<4x4xi32, #t2>
    kite.print "" %t : tensor<4x4xi32, #t2>
    return
  }
}

// -----

// A reshape that keeps every element in its thread: 2 x 16 row-major with
// 4 elements per thread along the rows is 32 with 4 per thread.
// CHECK-LABEL: func.func @reshape()
// CHECK: %[[V:.*]] = kitethread.kernel_arg 0 : f32
// CHECK: kitethread.print "" %[[V]], %[[V]], %[[V]], %[[V]] : f32, f32, f32, f32
#b2 = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [1, 4], warpsPerCTA = [2, 1], order = [1, 0]}>
#b1 = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @reshape(%v: f32) attributes {kite.kernel} {
    %s = kite.splat %v : f32 -> tensor<2x16xf32, #b2>
    %r = kite.reshape %s : tensor<2x16xf32, #b2> -> tensor<32xf32, #b1>
    kite.print "" %r : tensor<32xf32, #b1>
    return
  }
}

// -----

// join with the pairs in threads (sizePerThread 2 on the pair dimension) is
// a register move: thread t holds rows t and t + 8 of both operands, and the
// joined registers are (a, b) of each row. The reshape of interleave and
// the split back take the same registers; nothing goes through memory.
// CHECK-LABEL: func.func @join_split()
// CHECK-NOT: memref.alloc
// CHECK: %[[Y:.*]] = kitethread.kernel_arg 1 : i32
// CHECK: %[[A0:.*]] = arith.addi %{{.*}}, %{{.*}} : i32
// CHECK: %[[A1:.*]] = arith.addi %[[A0]], %c8_i32 : i32
// CHECK: %[[B0:.*]] = arith.addi %[[A0]], %[[Y]] : i32
// CHECK: %[[B1:.*]] = arith.addi %[[A1]], %[[Y]] : i32
// CHECK: kitethread.print "j" %[[A0]], %[[B0]], %[[A1]], %[[B1]] : i32, i32, i32, i32
// CHECK: kitethread.print "r" %[[A0]], %[[B0]], %[[A1]], %[[B1]] : i32, i32, i32, i32
// CHECK: kitethread.print "h" %[[B0]], %[[B1]], %[[A0]], %[[A1]] : i32, i32, i32, i32
// CHECK-NOT: memref.alloc
#d = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
#j = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [4, 1], warpsPerCTA = [2, 1], order = [1, 0]}>
#m = #kitegpu.blocked<{sizePerThread = [2], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @join_split(%x: i32, %y: i32) attributes {kite.kernel} {
    %a = kite.make_range 0 to 16 : tensor<16xi32, #d>
    %ys = kite.splat %y : i32 -> tensor<16xi32, #d>
    %b = arith.addi %a, %ys : tensor<16xi32, #d>
    %j = kite.join %a, %b : tensor<16xi32, #d> -> tensor<16x2xi32, #j>
    kite.print "j" %j : tensor<16x2xi32, #j>
    %r = kite.reshape %j : tensor<16x2xi32, #j> -> tensor<32xi32, #m>
    kite.print "r" %r : tensor<32xi32, #m>
    %l, %h = kite.split %j : tensor<16x2xi32, #j> -> tensor<16xi32, #d>
    kite.print "h" %h, %l : tensor<16xi32, #d>, tensor<16xi32, #d>
    return
  }
}

// -----

// Scalars join into a tensor<2xf32> every thread holds whole (registers x,
// y), which splits back into them.
// CHECK-LABEL: func.func @scalars()
// CHECK-DAG: %[[X:.*]] = kitethread.kernel_arg 0 : f32
// CHECK-DAG: %[[Y:.*]] = kitethread.kernel_arg 1 : f32
// CHECK: kitethread.print "j" %[[X]], %[[Y]] : f32, f32
// CHECK: kitethread.print "s" %[[Y]], %[[X]] : f32, f32
#w = #kitegpu.blocked<{sizePerThread = [2], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @scalars(%x: f32, %y: f32) attributes {kite.kernel} {
    %j = kite.join %x, %y : f32 -> tensor<2xf32, #w>
    kite.print "j" %j : tensor<2xf32, #w>
    %l, %h = kite.split %j : tensor<2xf32, #w> -> f32
    kite.print "s" %h, %l : f32, f32
    return
  }
}
