// kitegpu.convert_layout: a register permutation when every thread already
// holds its new elements, otherwise through workgroup memory.
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads --canonicalize --cse | FileCheck %s

// Same placement, other register order: no memory.
// CHECK-LABEL: func.func @permute()
// CHECK-NOT: memref.alloc
// CHECK-NOT: gpu.barrier
// CHECK: kitethread.print
#a = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [4, 1], warpsPerCTA = [2, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [4, 1], warpsPerCTA = [2, 1], order = [0, 1]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @permute(%v: i32) attributes {kite.kernel} {
    %s = kite.splat %v : i32 -> tensor<16x4xi32, #a>
    %c = kitegpu.convert_layout %s : tensor<16x4xi32, #a> -> tensor<16x4xi32, #c>
    kite.print "" %c : tensor<16x4xi32, #c>
    return
  }
}

// -----

// Rows to columns: 32 i1 elements through a workgroup buffer (as i32).
// Thread (w, l) stores row 4 * w + l (4 registers) and loads column
// (4 * w + l) mod 4 of rows 0..7.
// CHECK-LABEL: func.func @through_memory()
// CHECK: %[[BUF:.*]] = memref.alloc() : memref<32xi32, #gpu.address_space<workgroup>>
// CHECK: %[[ROW:.*]] = arith.addi %{{.*}}, %{{.*}} : i32
// CHECK: %[[AT:.*]] = arith.muli %[[ROW]], %c4_i32 : i32
// CHECK: %[[B:.*]] = arith.extui %{{.*}} : i1 to i32
// CHECK-COUNT-4: memref.store %[[B]], %[[BUF]]
// CHECK: gpu.barrier
// CHECK: %[[COL:.*]] = arith.andi %[[ROW]], %c3_i32 : i32
// CHECK: %[[I0:.*]] = arith.index_cast %[[COL]] : i32 to index
// CHECK: memref.load %[[BUF]][%[[I0]]]
// CHECK: arith.trunci %{{.*}} : i32 to i1
// CHECK: %[[AT7:.*]] = arith.addi %[[COL]], %c28_i32 : i32
// CHECK: gpu.barrier
// CHECK: kitethread.print "" {{.*}} : i1, i1, i1, i1, i1, i1, i1, i1
#r = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [4, 1], warpsPerCTA = [2, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [4, 1], threadsPerWarp = [1, 4], warpsPerCTA = [1, 2], order = [0, 1]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @through_memory(%v: i1) attributes {kite.kernel} {
    %s = kite.splat %v : i1 -> tensor<8x4xi1, #r>
    %c = kitegpu.convert_layout %s : tensor<8x4xi1, #r> -> tensor<8x4xi1, #c>
    kite.print "" %c : tensor<8x4xi1, #c>
    return
  }
}

// -----

// Elements go through memory in their own width: bf16 (an f32 register) as
// its 16 bits, a pointer as its i64 address.
// CHECK-LABEL: func.func @own_width()
// CHECK: %[[H:.*]] = memref.alloc() : memref<32xi16, #gpu.address_space<workgroup>>
// CHECK: memref.store %{{.*}}, %[[H]]{{.*}} : memref<32xi16
// CHECK: gpu.barrier
// CHECK: memref.load %[[H]]
// CHECK: arith.extui %{{.*}} : i16 to i32
// CHECK: gpu.barrier
// CHECK: %[[P:.*]] = memref.alloc() : memref<32xi64, #gpu.address_space<workgroup>>
// CHECK: memref.store %{{.*}}, %[[P]]{{.*}} : memref<32xi64
#r = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [4, 1], warpsPerCTA = [2, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [4, 1], threadsPerWarp = [1, 4], warpsPerCTA = [1, 2], order = [0, 1]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @own_width(%v: f32, %p: !kite.ptr<f32>) attributes {kite.kernel} {
    %f = kite.splat %v : f32 -> tensor<8x4xf32, #r>
    %h = kite.fp_to_fp %f : tensor<8x4xf32, #r> -> tensor<8x4xbf16, #r>
    %hc = kitegpu.convert_layout %h : tensor<8x4xbf16, #r> -> tensor<8x4xbf16, #c>
    %ps = kite.splat %p : !kite.ptr<f32> -> tensor<8x4x!kite.ptr<f32>, #r>
    %pc = kitegpu.convert_layout %ps : tensor<8x4x!kite.ptr<f32>, #r> -> tensor<8x4x!kite.ptr<f32>, #c>
    %x = kite.load %pc : tensor<8x4x!kite.ptr<f32>, #c>
    %y = kite.fp_to_fp %hc : tensor<8x4xbf16, #c> -> tensor<8x4xf32, #c>
    %z = arith.addf %x, %y : tensor<8x4xf32, #c>
    kite.print "" %z : tensor<8x4xf32, #c>
    return
  }
}
