// convert-kite-to-kitegpu: default blocked layouts, slices for reductions,
// permuted layouts for transposes, consistent types across scf regions.
// RUN: kite-opt %s --split-input-file --convert-kite-to-kitegpu | FileCheck %s
// RUN: kite-opt %s --split-input-file --convert-kite-to-kitegpu="num-warps=2 threads-per-warp=8" | FileCheck %s --check-prefix=LAVA

// CHECK-DAG: #[[B1:.*]] = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
// CHECK: module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32}
// CHECK-LABEL: func.func @elementwise
// CHECK-SAME: (%{{.*}}: !kite.ptr<f32>, %{{.*}}: tensor<256xf32, #[[B1]]>) -> tensor<256xf32, #[[B1]]>
// CHECK: kite.make_range 0 to 256 : tensor<256xi32, #[[B1]]>
// CHECK: kite.splat %{{.*}} : !kite.ptr<f32> -> tensor<256x!kite.ptr<f32>, #[[B1]]>
// CHECK: arith.constant dense<2.000000e+00> : tensor<256xf32, #[[B1]]>
// CHECK: kite.load %{{.*}} : tensor<256x!kite.ptr<f32>, #[[B1]]>
// CHECK-NOT: kitegpu.convert_layout
// LAVA: #[[L:.*]] = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [8], warpsPerCTA = [2], order = [0]}>
// LAVA: module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 8 : i32}
// LAVA-LABEL: func.func @elementwise
// LAVA: kite.make_range 0 to 256 : tensor<256xi32, #[[L]]>
func.func @elementwise(%x: !kite.ptr<f32>, %t: tensor<256xf32>) -> tensor<256xf32> {
  %r = kite.make_range 0 to 256 : tensor<256xi32>
  %xs = kite.splat %x : !kite.ptr<f32> -> tensor<256x!kite.ptr<f32>>
  %p = kite.addptr %xs, %r : tensor<256x!kite.ptr<f32>>, tensor<256xi32>
  %two = arith.constant dense<2.0> : tensor<256xf32>
  %v = kite.load %p : tensor<256x!kite.ptr<f32>>
  %w = arith.mulf %v, %two : tensor<256xf32>
  %s = arith.addf %w, %t : tensor<256xf32>
  return %s : tensor<256xf32>
}

// -----

// Threads go along the fastest dimension first, then warps; what the shape
// has no room for replicates along the slowest.
// CHECK-DAG: #[[B:.*]] = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [2, 16], warpsPerCTA = [4, 1], order = [1, 0]}>
// CHECK-DAG: #[[R:.*]] = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
// CHECK-DAG: #[[S:.*]] = #kitegpu.slice<{dim = 1, parent = #[[B]]}>
// CHECK-DAG: #[[T:.*]] = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [16, 2], warpsPerCTA = [1, 4], order = [0, 1]}>
// CHECK-DAG: #[[BT:.*]] = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [1, 32], warpsPerCTA = [4, 1], order = [1, 0]}>
// CHECK-LABEL: func.func @reduce_trans
// CHECK: %[[RED:.*]] = kite.reduce(%{{.*}}) axis = 1 : (tensor<32x16xf32, #[[B]]>) -> tensor<32xf32, #[[S]]>
// CHECK: %[[RC:.*]] = kitegpu.convert_layout %[[RED]] : tensor<32xf32, #[[S]]> -> tensor<32xf32, #[[R]]>
// CHECK: %[[TR:.*]] = kite.trans %{{.*}} order = [1, 0] : tensor<32x16xf32, #[[B]]> -> tensor<16x32xf32, #[[T]]>
// CHECK: %[[TC:.*]] = kitegpu.convert_layout %[[TR]] : tensor<16x32xf32, #[[T]]> -> tensor<16x32xf32, #[[BT]]>
// CHECK: return %[[RC]], %[[TC]]
func.func @reduce_trans(%x: tensor<32x16xf32>) -> (tensor<32xf32>, tensor<16x32xf32>) {
  %s = kite.reduce(%x) axis = 1 : (tensor<32x16xf32>) -> tensor<32xf32> {
  ^bb0(%l: f32, %r: f32):
    %t = arith.addf %l, %r : f32
    kite.reduce.return %t : f32
  }
  %t = kite.trans %x order = [1, 0] : tensor<32x16xf32> -> tensor<16x32xf32>
  return %s, %t : tensor<32xf32>, tensor<16x32xf32>
}

// -----

// expand_dims takes a slice of its result's layout; broadcast its result's.
// CHECK-DAG: #[[R:.*]] = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
// CHECK-DAG: #[[C:.*]] = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [32, 1], warpsPerCTA = [4, 1], order = [1, 0]}>
// CHECK-DAG: #[[B:.*]] = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [1, 32], warpsPerCTA = [1, 4], order = [1, 0]}>
// CHECK-DAG: #[[S:.*]] = #kitegpu.slice<{dim = 1, parent = #[[C]]}>
// CHECK-LABEL: func.func @expand_broadcast
// CHECK: %[[A:.*]] = kitegpu.convert_layout %{{.*}} : tensor<128xi32, #[[R]]> -> tensor<128xi32, #[[S]]>
// CHECK: %[[E:.*]] = kite.expand_dims %[[A]] axis = 1 : tensor<128xi32, #[[S]]> -> tensor<128x1xi32, #[[C]]>
// CHECK: %[[F:.*]] = kitegpu.convert_layout %[[E]] : tensor<128x1xi32, #[[C]]> -> tensor<128x1xi32, #[[B]]>
// CHECK: kite.broadcast %[[F]] : tensor<128x1xi32, #[[B]]> -> tensor<128x128xi32, #[[B]]>
func.func @expand_broadcast(%r: tensor<128xi32>) -> tensor<128x128xi32> {
  %e = kite.expand_dims %r axis = 1 : tensor<128xi32> -> tensor<128x1xi32>
  %b = kite.broadcast %e : tensor<128x1xi32> -> tensor<128x128xi32>
  return %b : tensor<128x128xi32>
}

// -----

// Loop-carried values, if results and while arguments get their values'
// layouts, the same in every region.
// CHECK: #[[B:.*]] = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
// CHECK-LABEL: func.func @control_flow
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}) -> (tensor<64xf32, #[[B]]>)
// CHECK: scf.yield %{{.*}} : tensor<64xf32, #[[B]]>
// CHECK: scf.if %{{.*}} -> (tensor<64xf32, #[[B]]>)
// CHECK: scf.while (%{{.*}} = %{{.*}}) : (tensor<64xf32, #[[B]]>) -> tensor<64xf32, #[[B]]>
// CHECK: scf.condition(%{{.*}}) %{{.*}} : tensor<64xf32, #[[B]]>
// CHECK: ^bb0(%{{.*}}: tensor<64xf32, #[[B]]>):
func.func @control_flow(%x: tensor<64xf32>, %n: index, %c: i1) -> tensor<64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %a = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %x) -> (tensor<64xf32>) {
    %s = arith.addf %acc, %x : tensor<64xf32>
    scf.yield %s : tensor<64xf32>
  }
  %b = scf.if %c -> (tensor<64xf32>) {
    scf.yield %a : tensor<64xf32>
  } else {
    scf.yield %x : tensor<64xf32>
  }
  %w = scf.while (%v = %b) : (tensor<64xf32>) -> tensor<64xf32> {
    scf.condition(%c) %v : tensor<64xf32>
  } do {
  ^bb0(%v: tensor<64xf32>):
    %d = arith.addf %v, %v : tensor<64xf32>
    scf.yield %d : tensor<64xf32>
  }
  return %w : tensor<64xf32>
}

// -----

// CHECK-LABEL: func.func @scalar_reduce
// CHECK: kite.reduce(%{{.*}}) axis = 0 : (tensor<64xf32, #{{.*}}>) -> f32
// CHECK-NOT: kitegpu.convert_layout
func.func @scalar_reduce(%x: tensor<64xf32>) -> f32 {
  %s = kite.reduce(%x) axis = 0 : (tensor<64xf32>) -> f32 {
  ^bb0(%l: f32, %r: f32):
    %t = arith.maxnumf %l, %r : f32
    kite.reduce.return %t : f32
  }
  return %s : f32
}

// -----

// A dot's accumulator takes a layout with a square tile per thread (8 x 8 at
// 128 x 128; 64 elements of it per thread at most), its operands keep the
// default.
// CHECK: #[[DOT:.*]] = #kitegpu.blocked<{sizePerThread = [8, 8], threadsPerWarp = [2, 16], warpsPerCTA = [4, 1], order = [1, 0]}>
// CHECK-LABEL: func.func @dot_layout
// CHECK: %[[C:.*]] = kitegpu.convert_layout %{{.*}} -> tensor<128x128xf32, #[[DOT]]>
// CHECK: %[[D:.*]] = kite.dot %{{.*}}, %{{.*}}, %[[C]] : {{.*}} -> tensor<128x128xf32, #[[DOT]]>
// CHECK: kitegpu.convert_layout %[[D]] : tensor<128x128xf32, #[[DOT]]> ->
module {
  func.func @dot_layout(%x: f16) -> tensor<128x128xf32> attributes {kite.kernel} {
    %a = kite.splat %x : f16 -> tensor<128x32xf16>
    %b = kite.splat %x : f16 -> tensor<32x128xf16>
    %c = arith.constant dense<0.0> : tensor<128x128xf32>
    %d = kite.dot %a, %b, %c : tensor<128x32xf16> * tensor<32x128xf16> -> tensor<128x128xf32>
    return %d : tensor<128x128xf32>
  }
}

// -----

// join's pair dimension is held inside each thread (sizePerThread 2, first in
// order, one thread and warp along it), so the join moves no data; its
// result is converted to the default layout. split's source is converted to
// that layout of its results' default.
// CHECK-DAG: #[[A:.*]] = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
// CHECK-DAG: #[[P:.*]] = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [16, 2], warpsPerCTA = [4, 1], order = [1, 0]}>
// CHECK-DAG: #[[JD:.*]] = #kitegpu.blocked<{sizePerThread = [1, 1, 1], threadsPerWarp = [2, 8, 2], warpsPerCTA = [4, 1, 1], order = [2, 1, 0]}>
// CHECK-DAG: #[[R:.*]] = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
// CHECK-DAG: #[[J:.*]] = #kitegpu.blocked<{sizePerThread = [1, 1, 2], threadsPerWarp = [4, 8, 1], warpsPerCTA = [4, 1, 1], order = [2, 1, 0]}>
// CHECK-DAG: #[[S:.*]] = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [32, 1], warpsPerCTA = [4, 1], order = [1, 0]}>
// CHECK-LABEL: func.func @join_split
// CHECK: %[[J0:.*]] = kite.join %arg0, %arg1 : tensor<64x8xf16, #[[A]]> -> tensor<64x8x2xf16, #[[J]]>
// CHECK: %[[JC:.*]] = kitegpu.convert_layout %[[J0]] : tensor<64x8x2xf16, #[[J]]> -> tensor<64x8x2xf16, #[[JD]]>
// CHECK: %[[SC:.*]] = kitegpu.convert_layout %arg2 : tensor<128x2xi32, #[[P]]> -> tensor<128x2xi32, #[[S]]>
// CHECK: %[[L:.*]], %[[H:.*]] = kite.split %[[SC]] : tensor<128x2xi32, #[[S]]> -> tensor<128xi32, #[[R]]>
// CHECK: arith.addi %[[L]], %[[H]] : tensor<128xi32, #[[R]]>
// CHECK: return %[[JC]]
func.func @join_split(%a: tensor<64x8xf16>, %b: tensor<64x8xf16>, %p: tensor<128x2xi32>) -> (tensor<64x8x2xf16>, tensor<128xi32>) {
  %j = kite.join %a, %b : tensor<64x8xf16> -> tensor<64x8x2xf16>
  %l, %r = kite.split %p : tensor<128x2xi32> -> tensor<128xi32>
  %s = arith.addi %l, %r : tensor<128xi32>
  return %j, %s : tensor<64x8x2xf16>, tensor<128xi32>
}

// -----

// Scalars join into a tensor<2xT> that every thread holds whole, and split
// from one.
// CHECK-DAG: #[[D:.*]] = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
// CHECK-DAG: #[[W:.*]] = #kitegpu.blocked<{sizePerThread = [2], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
// CHECK-LABEL: func.func @scalars
// CHECK: %[[J:.*]] = kite.join %arg0, %arg1 : f32 -> tensor<2xf32, #[[W]]>
// CHECK: %[[D1:.*]] = kitegpu.convert_layout %[[J]] : tensor<2xf32, #[[W]]> -> tensor<2xf32, #[[D]]>
// CHECK: %[[W1:.*]] = kitegpu.convert_layout %[[D1]] : tensor<2xf32, #[[D]]> -> tensor<2xf32, #[[W]]>
// CHECK: kite.split %[[W1]] : tensor<2xf32, #[[W]]> -> f32
// LAVA-DAG: #[[LW:.*]] = #kitegpu.blocked<{sizePerThread = [2], threadsPerWarp = [8], warpsPerCTA = [2], order = [0]}>
// LAVA-LABEL: func.func @scalars
// LAVA: kite.join %arg0, %arg1 : f32 -> tensor<2xf32, #[[LW]]>
func.func @scalars(%x: f32, %y: f32) -> (f32, tensor<2xf32>) {
  %j = kite.join %x, %y : f32 -> tensor<2xf32>
  %l, %r = kite.split %j : tensor<2xf32> -> f32
  return %r, %j : f32, tensor<2xf32>
}

// -----

// A gather's result is in its index's layout (both have its shape) and its
// source keeps its own: no conversion around it.
// CHECK-DAG: #[[S:.*]] = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
// CHECK-DAG: #[[I:.*]] = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [1, 32], warpsPerCTA = [2, 2], order = [1, 0]}>
// CHECK-LABEL: func.func @gather
// CHECK-NEXT: %[[G:.*]] = kite.gather %arg0[%arg1] axis = 1 : tensor<16x8xf32, #[[S]]>, tensor<16x64xi32, #[[I]]> -> tensor<16x64xf32, #[[I]]>
// CHECK-NEXT: return %[[G]]
func.func @gather(%src: tensor<16x8xf32>, %idx: tensor<16x64xi32>) -> tensor<16x64xf32> {
  %g = kite.gather %src[%idx] axis = 1 : tensor<16x8xf32>, tensor<16x64xi32> -> tensor<16x64xf32>
  return %g : tensor<16x64xf32>
}
