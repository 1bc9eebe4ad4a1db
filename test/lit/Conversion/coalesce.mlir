// kitegpu-coalesce: each access gets the order of its pointers' contiguity
// and a per-thread vector as wide as contiguity and alignment allow.
// RUN: kite-opt %s --split-input-file --convert-kite-to-kitegpu --kitegpu-coalesce | FileCheck %s

// 16-byte aligned f32 pointers: 4 per thread (128 bits).
// CHECK-DAG: #[[D:.*]] = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
// CHECK-DAG: #[[V:.*]] = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
// CHECK-LABEL: func.func @aligned_f32
// CHECK: %[[P:.*]] = kitegpu.convert_layout %{{.*}} : tensor<1024x!kite.ptr<f32>, #[[D]]> -> tensor<1024x!kite.ptr<f32>, #[[V]]>
// CHECK: %[[L:.*]] = kite.load %[[P]] : tensor<1024x!kite.ptr<f32>, #[[V]]>
// CHECK: kitegpu.convert_layout %[[L]] : tensor<1024xf32, #[[V]]> -> tensor<1024xf32, #[[D]]>
func.func @aligned_f32(%x: !kite.ptr<f32> {kite.divisibility = 16 : i32}) -> tensor<1024xf32> {
  %r = kite.make_range 0 to 1024 : tensor<1024xi32>
  %xs = kite.splat %x : !kite.ptr<f32> -> tensor<1024x!kite.ptr<f32>>
  %p = kite.addptr %xs, %r : tensor<1024x!kite.ptr<f32>>, tensor<1024xi32>
  %v = kite.load %p : tensor<1024x!kite.ptr<f32>>
  return %v : tensor<1024xf32>
}

// -----

// f16: 8 per thread; the mask and `other` move with the pointers.
// CHECK-DAG: #[[V:.*]] = #kitegpu.blocked<{sizePerThread = [8], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
// CHECK-LABEL: func.func @aligned_f16_masked
// CHECK: %[[P:.*]] = kitegpu.convert_layout %{{.*}} -> tensor<2048x!kite.ptr<f16>, #[[V]]>
// CHECK: %[[M:.*]] = kitegpu.convert_layout %{{.*}} -> tensor<2048xi1, #[[V]]>
// CHECK: %[[O:.*]] = kitegpu.convert_layout %{{.*}} -> tensor<2048xf16, #[[V]]>
// CHECK: kite.load %[[P]], %[[M]], %[[O]] : tensor<2048x!kite.ptr<f16>, #[[V]]>
func.func @aligned_f16_masked(%x: !kite.ptr<f16> {kite.divisibility = 16 : i32}, %n: i32) -> tensor<2048xf16> {
  %r = kite.make_range 0 to 2048 : tensor<2048xi32>
  %xs = kite.splat %x : !kite.ptr<f16> -> tensor<2048x!kite.ptr<f16>>
  %p = kite.addptr %xs, %r : tensor<2048x!kite.ptr<f16>>, tensor<2048xi32>
  %ns = kite.splat %n : i32 -> tensor<2048xi32>
  %m = arith.cmpi slt, %r, %ns : tensor<2048xi32>
  %o = arith.constant dense<0.0> : tensor<2048xf16>
  %v = kite.load %p, %m, %o : tensor<2048x!kite.ptr<f16>>
  return %v : tensor<2048xf16>
}

// -----

// Without an alignment hint only one element per thread; a store of an
// unaligned pointer is left as it was.
// CHECK-LABEL: func.func @unaligned
// CHECK-NOT: kitegpu.convert_layout
// CHECK: kite.store
func.func @unaligned(%x: !kite.ptr<f32>) {
  %r = kite.make_range 0 to 1024 : tensor<1024xi32>
  %xs = kite.splat %x : !kite.ptr<f32> -> tensor<1024x!kite.ptr<f32>>
  %p = kite.addptr %xs, %r : tensor<1024x!kite.ptr<f32>>, tensor<1024xi32>
  %z = arith.constant dense<0.0> : tensor<1024xf32>
  kite.store %p, %z : tensor<1024x!kite.ptr<f32>>
  return
}

// -----

// A block of 128 elements over 128 threads leaves one element per thread.
// CHECK-LABEL: func.func @small_block
// CHECK-NOT: kitegpu.convert_layout
func.func @small_block(%x: !kite.ptr<f32> {kite.divisibility = 16 : i32}) -> tensor<128xf32> {
  %r = kite.make_range 0 to 128 : tensor<128xi32>
  %xs = kite.splat %x : !kite.ptr<f32> -> tensor<128x!kite.ptr<f32>>
  %p = kite.addptr %xs, %r : tensor<128x!kite.ptr<f32>>, tensor<128xi32>
  %v = kite.load %p : tensor<128x!kite.ptr<f32>>
  return %v : tensor<128xf32>
}

// -----

// Pointers contiguous along dim 0 (a column-major tile): order [0, 1].
// CHECK-DAG: #[[C:.*]] = #kitegpu.blocked<{sizePerThread = [4, 1], threadsPerWarp = [16, 2], warpsPerCTA = [1, 4], order = [0, 1]}>
// CHECK-LABEL: func.func @column_major
// CHECK: kite.store %{{.*}}, %{{.*}} : tensor<64x64x!kite.ptr<f32>, #[[C]]>
func.func @column_major(%x: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %ld: i32 {kite.divisibility = 16 : i32}, %v: tensor<64x64xf32>) {
  %r = kite.make_range 0 to 64 : tensor<64xi32>
  %m = kite.expand_dims %r axis = 1 : tensor<64xi32> -> tensor<64x1xi32>
  %n = kite.expand_dims %r axis = 0 : tensor<64xi32> -> tensor<1x64xi32>
  %lds = kite.splat %ld : i32 -> tensor<1x64xi32>
  %nl = arith.muli %n, %lds : tensor<1x64xi32>
  %mb = kite.broadcast %m : tensor<64x1xi32> -> tensor<64x64xi32>
  %nb = kite.broadcast %nl : tensor<1x64xi32> -> tensor<64x64xi32>
  %off = arith.addi %mb, %nb : tensor<64x64xi32>
  %xs = kite.splat %x : !kite.ptr<f32> -> tensor<64x64x!kite.ptr<f32>>
  %p = kite.addptr %xs, %off : tensor<64x64x!kite.ptr<f32>>, tensor<64x64xi32>
  kite.store %p, %v : tensor<64x64x!kite.ptr<f32>>
  return
}

// -----

// Inside a loop, with the pointers carried by it.
// CHECK-DAG: #[[V:.*]] = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
// CHECK-LABEL: func.func @in_loop
// CHECK: scf.for
// CHECK: kite.load %{{.*}} : tensor<512x!kite.ptr<f32>, #[[V]]>
func.func @in_loop(%x: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %n: index) -> tensor<512xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = kite.make_range 0 to 512 : tensor<512xi32>
  %xs = kite.splat %x : !kite.ptr<f32> -> tensor<512x!kite.ptr<f32>>
  %p = kite.addptr %xs, %r : tensor<512x!kite.ptr<f32>>, tensor<512xi32>
  %step = arith.constant dense<512> : tensor<512xi32>
  %z = arith.constant dense<0.0> : tensor<512xf32>
  %res:2 = scf.for %i = %c0 to %n step %c1 iter_args(%q = %p, %acc = %z) -> (tensor<512x!kite.ptr<f32>>, tensor<512xf32>) {
    %v = kite.load %q : tensor<512x!kite.ptr<f32>>
    %a = arith.addf %acc, %v : tensor<512xf32>
    %q2 = kite.addptr %q, %step : tensor<512x!kite.ptr<f32>>, tensor<512xi32>
    scf.yield %q2, %a : tensor<512x!kite.ptr<f32>>, tensor<512xf32>
  }
  return %res#1 : tensor<512xf32>
}
