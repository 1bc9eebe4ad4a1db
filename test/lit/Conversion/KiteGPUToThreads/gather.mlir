// kite.gather: the source through workgroup memory, each result register
// loads the source at its own coordinates with the axis coordinate replaced
// by its index modulo the axis size.
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads --canonicalize --cse | FileCheck %s

// 1-D, 8 threads: each stores its 2 source registers (elements t and t + 8),
// a barrier, loads element idx & 15 for its one index register, a barrier.
// CHECK-LABEL: func.func @gather_1d()
// CHECK: %[[T:.*]] = arith.addi %{{.*}}, %{{.*}} : i32
// CHECK-NEXT: %[[T8:.*]] = arith.addi %[[T]], %c8_i32 : i32
// CHECK: %[[SRC0:.*]] = kitethread.load %{{.*}} align 4 : f32
// CHECK-NEXT: %[[SRC1:.*]] = kitethread.load %{{.*}} align 4 : f32
// CHECK: %[[IDX:.*]] = kitethread.load %{{.*}} align 4 : i32
// CHECK-NEXT: %[[BUF:.*]] = memref.alloc() : memref<16xf32, #gpu.address_space<workgroup>>
// CHECK-NEXT: %[[I0:.*]] = arith.index_cast %[[T]] : i32 to index
// CHECK-NEXT: memref.store %[[SRC0]], %[[BUF]][%[[I0]]]
// CHECK-NEXT: %[[I8:.*]] = arith.index_cast %[[T8]] : i32 to index
// CHECK-NEXT: memref.store %[[SRC1]], %[[BUF]][%[[I8]]]
// CHECK-NEXT: gpu.barrier
// CHECK-NEXT: %[[W:.*]] = arith.andi %[[IDX]], %c15_i32 : i32
// CHECK-NEXT: %[[WI:.*]] = arith.index_cast %[[W]] : i32 to index
// CHECK-NEXT: %[[V:.*]] = memref.load %[[BUF]][%[[WI]]]
// CHECK-NEXT: gpu.barrier
// CHECK-NEXT: kitethread.print "" %[[V]] : f32
#b = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @gather_1d(%p: !kite.ptr<f32>, %q: !kite.ptr<i32>) attributes {kite.kernel} {
    %r16 = kite.make_range 0 to 16 : tensor<16xi32, #b>
    %ps = kite.splat %p : !kite.ptr<f32> -> tensor<16x!kite.ptr<f32>, #b>
    %pa = kite.addptr %ps, %r16 : tensor<16x!kite.ptr<f32>, #b>, tensor<16xi32, #b>
    %src = kite.load %pa : tensor<16x!kite.ptr<f32>, #b>
    %r8 = kite.make_range 0 to 8 : tensor<8xi32, #b>
    %qs = kite.splat %q : !kite.ptr<i32> -> tensor<8x!kite.ptr<i32>, #b>
    %qa = kite.addptr %qs, %r8 : tensor<8x!kite.ptr<i32>, #b>, tensor<8xi32, #b>
    %idx = kite.load %qa : tensor<8x!kite.ptr<i32>, #b>
    %g = kite.gather %src[%idx] axis = 0 : tensor<16xf32, #b>, tensor<8xi32, #b> -> tensor<8xf32, #b>
    kite.print "" %g : tensor<8xf32, #b>
    return
  }
}

// -----

// Along axis 0 of a 4x8 source with an i64 index: the modulo in 64 bits,
// truncated, then row * 8 + column.
// CHECK-LABEL: func.func @gather_axis0_i64()
// CHECK: memref.alloc() : memref<32xi32, #gpu.address_space<workgroup>>
// CHECK: gpu.barrier
// CHECK: %[[W:.*]] = arith.andi %{{.*}}, %c3_i64 : i64
// CHECK-NEXT: %[[T:.*]] = arith.trunci %[[W]] : i64 to i32
// CHECK-NEXT: %[[R:.*]] = arith.muli %[[T]], %c8_i32 : i32
// CHECK-NEXT: %[[L:.*]] = arith.addi {{.*}}%[[R]]{{.*}} : i32
// CHECK-NEXT: %[[LI:.*]] = arith.index_cast %[[L]] : i32 to index
// CHECK-NEXT: memref.load %{{.*}}[%[[LI]]]
// CHECK-NEXT: gpu.barrier
#b = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [1, 4], warpsPerCTA = [1, 2], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @gather_axis0_i64(%v: i32, %i: i64) attributes {kite.kernel} {
    %src = kite.splat %v : i32 -> tensor<4x8xi32, #b>
    %idx = kite.splat %i : i64 -> tensor<2x8xi64, #b>
    %g = kite.gather %src[%idx] axis = 0 : tensor<4x8xi32, #b>, tensor<2x8xi64, #b> -> tensor<2x8xi32, #b>
    kite.print "" %g : tensor<2x8xi32, #b>
    return
  }
}

// -----

// An i8 index is read as signed: -1 is element 31 of 32. Booleans are kept
// as i32 in workgroup memory.
// CHECK-LABEL: func.func @gather_i8_index_of_bools()
// CHECK: memref.alloc() : memref<32xi32, #gpu.address_space<workgroup>>
// CHECK: arith.extui %{{.*}} : i1 to i32
// CHECK: gpu.barrier
// CHECK: %[[S:.*]] = arith.extsi %{{.*}} : i8 to i32
// CHECK-NEXT: %[[W:.*]] = arith.andi %[[S]], %c31_i32 : i32
// CHECK: memref.load
// CHECK: arith.trunci %{{.*}} : i32 to i1
// CHECK: gpu.barrier
#b = #kitegpu.blocked<{sizePerThread = [2], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @gather_i8_index_of_bools(%v: i1, %i: i8) attributes {kite.kernel} {
    %src = kite.splat %v : i1 -> tensor<32xi1, #b>
    %idx = kite.splat %i : i8 -> tensor<16xi8, #b>
    %g = kite.gather %src[%idx] axis = 0 : tensor<32xi1, #b>, tensor<16xi8, #b> -> tensor<16xi1, #b>
    kite.print "" %g : tensor<16xi1, #b>
    return
  }
}

// -----

// The source and the index may have different layouts: each thread stores
// its 8 source registers (a row) and loads, for each of its 4 index
// registers (rows w, w + 2, w + 4, w + 6 of warp w), row * 8 + (idx & 7).
// CHECK-LABEL: func.func @gather_layouts_differ()
// CHECK: %[[IDX:.*]] = kitethread.load %{{.*}} align 4 : i32
// CHECK: memref.alloc() : memref<64xf16, #gpu.address_space<workgroup>>
// CHECK: %[[W:.*]] = arith.andi %{{.*}}, %c1_i32 : i32
// CHECK-COUNT-8: memref.store
// CHECK-NEXT: gpu.barrier
// CHECK-NEXT: %[[R2:.*]] = arith.addi %[[W]], %c2_i32 : i32
// CHECK-NEXT: %[[R4:.*]] = arith.addi %[[W]], %c4_i32 : i32
// CHECK-NEXT: %[[R6:.*]] = arith.addi %[[W]], %c6_i32 : i32
// CHECK-NEXT: %[[COL:.*]] = arith.andi %[[IDX]], %c7_i32 : i32
// CHECK-NEXT: %[[ROW0:.*]] = arith.muli %[[W]], %c8_i32 : i32
// CHECK-NEXT: arith.addi %[[COL]], %[[ROW0]] : i32
// CHECK: %[[ROW6:.*]] = arith.muli %[[R6]], %c8_i32 : i32
// CHECK-NEXT: arith.addi %[[COL]], %[[ROW6]] : i32
// CHECK-NEXT: arith.index_cast
// CHECK-NEXT: memref.load
// CHECK-NEXT: gpu.barrier
// CHECK-NEXT: kitethread.print "" %{{.*}} : f16, f16, f16, f16
#s = #kitegpu.blocked<{sizePerThread = [1, 8], threadsPerWarp = [4, 1], warpsPerCTA = [2, 1], order = [1, 0]}>
#i = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [1, 4], warpsPerCTA = [2, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @gather_layouts_differ(%v: f16, %p: !kite.ptr<i32>) attributes {kite.kernel} {
    %src = kite.splat %v : f16 -> tensor<8x8xf16, #s>
    %ps = kite.splat %p : !kite.ptr<i32> -> tensor<8x4x!kite.ptr<i32>, #i>
    %idx = kite.load %ps : tensor<8x4x!kite.ptr<i32>, #i>
    %g = kite.gather %src[%idx] axis = 1 : tensor<8x8xf16, #s>, tensor<8x4xi32, #i> -> tensor<8x4xf16, #i>
    kite.print "" %g : tensor<8x4xf16, #i>
    return
  }
}
