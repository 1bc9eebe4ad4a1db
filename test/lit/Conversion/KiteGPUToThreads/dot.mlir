// kite.dot on FMA tiles: a (transposed) and b through workgroup memory,
// then one loop over K in which each thread reads each distinct row of a
// and column of b of its registers once and every register of the result
// accumulates one product (contractible into fused multiply-adds for
// floats).
// 8 threads: 2 warps of 4.
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads --canonicalize --cse --verify-diagnostics | FileCheck %s

// a (4x8) and b (8x4) stored row-major as f16; each thread holds two
// registers of the 4x4 result (one row, two columns): the loop over K loads
// one element of a and two of b, widened to f32.
// CHECK-LABEL: func.func @dot_f16()
// CHECK: %[[Z:.*]] = kitethread.kernel_arg 2 : f32
// CHECK: %[[A:.*]] = memref.alloc() : memref<32xf16, #gpu.address_space<workgroup>>
// CHECK-COUNT-4: memref.store %{{.*}}, %[[A]]
// CHECK: %[[B:.*]] = memref.alloc() : memref<32xf16, #gpu.address_space<workgroup>>
// CHECK-COUNT-4: memref.store %{{.*}}, %[[B]]
// CHECK: gpu.barrier
// CHECK: %[[D:.*]]:2 = scf.for %{{.*}} = %c0_i32 to %c8_i32 step %c1_i32 iter_args(%[[S0:.*]] = %[[Z]], %[[S1:.*]] = %[[Z]]) -> (f32, f32) : i32 {
// CHECK: %[[X:.*]] = memref.load %[[A]]
// CHECK: %[[XF:.*]] = arith.extf %[[X]] : f16 to f32
// CHECK: %[[Y0:.*]] = memref.load %[[B]]
// CHECK: %[[Y0F:.*]] = arith.extf %[[Y0]] : f16 to f32
// CHECK: %[[Y1:.*]] = memref.load %[[B]]
// CHECK: %[[Y1F:.*]] = arith.extf %[[Y1]] : f16 to f32
// CHECK: %[[P0:.*]] = arith.mulf %[[XF]], %[[Y0F]] fastmath<contract> : f32
// CHECK: %[[T0:.*]] = arith.addf %[[S0]], %[[P0]] fastmath<contract> : f32
// CHECK: %[[P1:.*]] = arith.mulf %[[XF]], %[[Y1F]] fastmath<contract> : f32
// CHECK: %[[T1:.*]] = arith.addf %[[S1]], %[[P1]] fastmath<contract> : f32
// CHECK: scf.yield %[[T0]], %[[T1]] : f32, f32
// CHECK: gpu.barrier
// CHECK: kitethread.print "" %[[D]]#0, %[[D]]#1 : f32, f32
#b = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [2, 2], warpsPerCTA = [2, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @dot_f16(%x: f16, %y: f16, %z: f32) attributes {kite.kernel} {
    %a = kite.splat %x : f16 -> tensor<4x8xf16, #b>
    %b = kite.splat %y : f16 -> tensor<8x4xf16, #b>
    %c = kite.splat %z : f32 -> tensor<4x4xf32, #b>
    %d = kite.dot %a, %b, %c : tensor<4x8xf16, #b> * tensor<8x4xf16, #b> -> tensor<4x4xf32, #b>
    kite.print "" %d : tensor<4x4xf32, #b>
    return
  }
}

// -----

// i8 operands are stored as i8 and sign-extended to i32 when the loop
// reads them; products and sums in i32.
// CHECK-LABEL: func.func @dot_i8()
// CHECK: %[[A:.*]] = memref.alloc() : memref<32xi8, #gpu.address_space<workgroup>>
// CHECK-NOT: arith.extsi
// CHECK: gpu.barrier
// CHECK: scf.for {{.*}} -> (i32, i32) : i32 {
// CHECK: memref.load %[[A]]
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.muli
// CHECK: arith.addi
// CHECK: scf.yield
// CHECK: gpu.barrier
#b = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [2, 2], warpsPerCTA = [2, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @dot_i8(%x: i8, %y: i8, %z: i32) attributes {kite.kernel} {
    %a = kite.splat %x : i8 -> tensor<4x8xi8, #b>
    %b = kite.splat %y : i8 -> tensor<8x4xi8, #b>
    %c = kite.splat %z : i32 -> tensor<4x4xi32, #b>
    %d = kite.dot %a, %b, %c : tensor<4x8xi8, #b> * tensor<8x4xi8, #b> -> tensor<4x4xi32, #b>
    kite.print "" %d : tensor<4x4xi32, #b>
    return
  }
}

// -----

// bf16 and fp8 live in f32 registers; they are staged as their bits (i16,
// i8) and widened back to f32 when the loop reads them.
// CHECK-LABEL: func.func @dot_bf16_fp8()
// CHECK: %[[A:.*]] = memref.alloc() : memref<32xi16, #gpu.address_space<workgroup>>
// CHECK: memref.store %{{.*}}, %[[A]]{{.*}} : memref<32xi16
// CHECK: %[[B:.*]] = memref.alloc() : memref<32xi16, #gpu.address_space<workgroup>>
// CHECK: gpu.barrier
// CHECK: scf.for {{.*}} -> (f32, f32) : i32 {
// CHECK: %[[X:.*]] = memref.load %[[A]]
// CHECK: arith.extui %[[X]] : i16 to i32
// CHECK: arith.bitcast %{{.*}} : i32 to f32
// CHECK: scf.yield
// CHECK: gpu.barrier
// CHECK: %[[E:.*]] = memref.alloc() : memref<32xi8, #gpu.address_space<workgroup>>
// CHECK: memref.store %{{.*}}, %[[E]]{{.*}} : memref<32xi8
// CHECK: memref.alloc() : memref<32xi8, #gpu.address_space<workgroup>>
#b = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [2, 2], warpsPerCTA = [2, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @dot_bf16_fp8(%x: f32, %z: f32) attributes {kite.kernel} {
    %xs = kite.splat %x : f32 -> tensor<4x8xf32, #b>
    %ys = kite.splat %x : f32 -> tensor<8x4xf32, #b>
    %a = kite.fp_to_fp %xs : tensor<4x8xf32, #b> -> tensor<4x8xbf16, #b>
    %b = kite.fp_to_fp %ys : tensor<8x4xf32, #b> -> tensor<8x4xbf16, #b>
    %c = kite.splat %z : f32 -> tensor<4x4xf32, #b>
    %d = kite.dot %a, %b, %c : tensor<4x8xbf16, #b> * tensor<8x4xbf16, #b> -> tensor<4x4xf32, #b>
    %e = kite.fp_to_fp %xs : tensor<4x8xf32, #b> -> tensor<4x8xf8E4M3FN, #b>
    %f = kite.fp_to_fp %ys : tensor<8x4xf32, #b> -> tensor<8x4xf8E4M3FN, #b>
    %g = kite.dot %e, %f, %d : tensor<4x8xf8E4M3FN, #b> * tensor<8x4xf8E4M3FN, #b> -> tensor<4x4xf32, #b>
    kite.print "" %g : tensor<4x4xf32, #b>
    return
  }
}

// -----

// 64 KiB of f32 operands do not fit the default limit (32 KiB, a target
// without a device).
#b = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [2, 2], warpsPerCTA = [2, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @too_big(%x: f32) attributes {kite.kernel} {
    %a = kite.splat %x : f32 -> tensor<64x128xf32, #b>
    %b = kite.splat %x : f32 -> tensor<128x64xf32, #b>
    %c = kite.splat %x : f32 -> tensor<64x64xf32, #b>
    // expected-error @below {{'kite.dot' needs 65536 bytes of workgroup memory for operands 64x128 and 128x64 (as f32), more than the 32768 a program has on this target; use smaller blocks (BLOCK_M, BLOCK_N, BLOCK_K)}}
    // expected-error @below {{failed to legalize operation 'kite.dot'}}
    %d = kite.dot %a, %b, %c : tensor<64x128xf32, #b> * tensor<128x64xf32, #b> -> tensor<64x64xf32, #b>
    kite.print "" %d : tensor<64x64xf32, #b>
    return
  }
}

// -----

// The lanes of a warp hold the same 4 rows of c (one column each): per k,
// lane l loads row l of them (a transposed: k * 8 + row) and 4 shuffles
// from lanes 0-3 give every lane the 4 values; b one column a lane.
// CHECK-LABEL: func.func @dot_rows_shared_by_the_lanes()
// CHECK: scf.for %[[K:.*]] = %c0_i32 to %c8_i32 step %c1_i32
// CHECK: %[[X:.*]] = memref.load
// CHECK-NOT: memref.load
// CHECK: gpu.shuffle idx %[[X]], %c0_i32, %c4_i32 : f32
// CHECK: gpu.shuffle idx %[[X]], %c1_i32, %c4_i32 : f32
// CHECK: gpu.shuffle idx %[[X]], %c2_i32, %c4_i32 : f32
// CHECK: gpu.shuffle idx %[[X]], %c3_i32, %c4_i32 : f32
// CHECK: memref.load
// CHECK-NOT: memref.load
// CHECK-COUNT-4: arith.mulf
// CHECK: scf.yield
#c = #kitegpu.blocked<{sizePerThread = [4, 1], threadsPerWarp = [1, 4], warpsPerCTA = [2, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @dot_rows_shared_by_the_lanes(%x: f32, %y: f32, %z: f32) attributes {kite.kernel} {
    %a = kite.splat %x : f32 -> tensor<8x8xf32, #c>
    %b = kite.splat %y : f32 -> tensor<8x4xf32, #c>
    %c = kite.splat %z : f32 -> tensor<8x4xf32, #c>
    %d = kite.dot %a, %b, %c : tensor<8x8xf32, #c> * tensor<8x4xf32, #c> -> tensor<8x4xf32, #c>
    kite.print "" %d : tensor<8x4xf32, #c>
    return
  }
}
