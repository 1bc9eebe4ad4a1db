// kitegpu-remove-layout-conversions.
// RUN: kite-opt %s --split-input-file --kitegpu-remove-layout-conversions | FileCheck %s

#d = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
#v = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>

// Splats, ranges and constants are built in the layout they are converted to.
// CHECK-LABEL: func.func @cheap_sources
// CHECK-DAG: kite.splat %arg0 : i32 -> tensor<1024xi32, #[[V:blocked.*]]>
// CHECK-DAG: kite.make_range 0 to 1024 : tensor<1024xi32, #[[V]]>
// CHECK-DAG: arith.constant dense<[0, 1, 2, 3]> : tensor<4xi32, #[[V]]>
// CHECK-NOT: kitegpu.convert_layout
func.func @cheap_sources(%x: i32) -> (tensor<1024xi32, #v>, tensor<1024xi32, #v>, tensor<4xi32, #v>) {
  %s = kite.splat %x : i32 -> tensor<1024xi32, #d>
  %r = kite.make_range 0 to 1024 : tensor<1024xi32, #d>
  %c = arith.constant dense<[0, 1, 2, 3]> : tensor<4xi32, #d>
  %0 = kitegpu.convert_layout %s : tensor<1024xi32, #d> -> tensor<1024xi32, #v>
  %1 = kitegpu.convert_layout %r : tensor<1024xi32, #d> -> tensor<1024xi32, #v>
  %2 = kitegpu.convert_layout %c : tensor<4xi32, #d> -> tensor<4xi32, #v>
  return %0, %1, %2 : tensor<1024xi32, #v>, tensor<1024xi32, #v>, tensor<4xi32, #v>
}

// -----

#d = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
#v = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>

// Loaded in #v, computed in #d, stored in #v: the computation moves to #v
// and every conversion folds away, pointers included.
// CHECK-LABEL: func.func @round_trip_through_elementwise
// CHECK-NOT: kitegpu.convert_layout
// CHECK: %[[A:.*]] = kite.load %{{.*}} : tensor<1024x!kite.ptr<f32>, #[[V:blocked.*]]>
// CHECK: %[[B:.*]] = arith.mulf %[[A]], %[[A]] : tensor<1024xf32, #[[V]]>
// CHECK: kite.store %{{.*}}, %[[B]] : tensor<1024x!kite.ptr<f32>, #[[V]]>
func.func @round_trip_through_elementwise(%x: !kite.ptr<f32>) {
  %r = kite.make_range 0 to 1024 : tensor<1024xi32, #d>
  %xs = kite.splat %x : !kite.ptr<f32> -> tensor<1024x!kite.ptr<f32>, #d>
  %p = kite.addptr %xs, %r : tensor<1024x!kite.ptr<f32>, #d>, tensor<1024xi32, #d>
  %pv = kitegpu.convert_layout %p : tensor<1024x!kite.ptr<f32>, #d> -> tensor<1024x!kite.ptr<f32>, #v>
  %a = kite.load %pv : tensor<1024x!kite.ptr<f32>, #v>
  %ad = kitegpu.convert_layout %a : tensor<1024xf32, #v> -> tensor<1024xf32, #d>
  %b = arith.mulf %ad, %ad : tensor<1024xf32, #d>
  %bv = kitegpu.convert_layout %b : tensor<1024xf32, #d> -> tensor<1024xf32, #v>
  %pv2 = kitegpu.convert_layout %p : tensor<1024x!kite.ptr<f32>, #d> -> tensor<1024x!kite.ptr<f32>, #v>
  kite.store %pv2, %bv : tensor<1024x!kite.ptr<f32>, #v>
  return
}

// -----

#b = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [1, 32], warpsPerCTA = [4, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [4, 1], threadsPerWarp = [16, 2], warpsPerCTA = [1, 4], order = [0, 1]}>
#r = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>

// Through broadcast and expand_dims down to a range built in a slice of the
// target layout.
// CHECK-DAG: #[[C:.*]] = #kitegpu.blocked<{sizePerThread = [4, 1], threadsPerWarp = [16, 2], warpsPerCTA = [1, 4], order = [0, 1]}>
// CHECK-DAG: #[[S:.*]] = #kitegpu.slice<{dim = 1, parent = #[[C]]}>
// CHECK-LABEL: func.func @through_shape_ops
// CHECK: %[[R:.*]] = kite.make_range 0 to 64 : tensor<64xi32, #[[S]]>
// CHECK: %[[E:.*]] = kite.expand_dims %[[R]] axis = 1 : tensor<64xi32, #[[S]]> -> tensor<64x1xi32, #[[C]]>
// CHECK: kite.broadcast %[[E]] : tensor<64x1xi32, #[[C]]> -> tensor<64x64xi32, #[[C]]>
// CHECK-NOT: kitegpu.convert_layout
func.func @through_shape_ops() -> tensor<64x64xi32, #c> {
  %r = kite.make_range 0 to 64 : tensor<64xi32, #r>
  %rs = kitegpu.convert_layout %r : tensor<64xi32, #r> -> tensor<64xi32, #kitegpu.slice<{dim = 1, parent = #b}>>
  %e = kite.expand_dims %rs axis = 1 : tensor<64xi32, #kitegpu.slice<{dim = 1, parent = #b}>> -> tensor<64x1xi32, #b>
  %f = kite.broadcast %e : tensor<64x1xi32, #b> -> tensor<64x64xi32, #b>
  %g = kitegpu.convert_layout %f : tensor<64x64xi32, #b> -> tensor<64x64xi32, #c>
  return %g : tensor<64x64xi32, #c>
}

// -----

#b = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [2, 16], warpsPerCTA = [4, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [4, 1], threadsPerWarp = [16, 2], warpsPerCTA = [1, 4], order = [0, 1]}>

// Data loaded in one layout and stored in another needs its conversion.
// CHECK-LABEL: func.func @needed
// CHECK: %[[V:.*]] = kite.load
// CHECK: %[[C:.*]] = kitegpu.convert_layout %[[V]]
// CHECK: kite.store %{{.*}}, %[[C]]
func.func @needed(%p: tensor<64x64x!kite.ptr<f32>, #b>, %q: tensor<64x64x!kite.ptr<f32>, #c>) {
  %v = kite.load %p : tensor<64x64x!kite.ptr<f32>, #b>
  %w = kitegpu.convert_layout %v : tensor<64x64xf32, #b> -> tensor<64x64xf32, #c>
  kite.store %q, %w : tensor<64x64x!kite.ptr<f32>, #c>
  return
}

// -----

#d = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
#v = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>

// %s has another use: moving the conversion above it would duplicate the
// add and turn one conversion into two, so it stays.
// CHECK-LABEL: func.func @shared_value
// CHECK-COUNT-1: arith.addf
// CHECK-NOT: arith.addf
func.func @shared_value(%a: tensor<1024xf32, #v>, %b: tensor<1024xf32, #v>) -> (tensor<1024xf32, #d>, tensor<1024xf32, #v>) {
  %ad = kitegpu.convert_layout %a : tensor<1024xf32, #v> -> tensor<1024xf32, #d>
  %bd = kitegpu.convert_layout %b : tensor<1024xf32, #v> -> tensor<1024xf32, #d>
  %s = arith.addf %ad, %bd : tensor<1024xf32, #d>
  %sv = kitegpu.convert_layout %s : tensor<1024xf32, #d> -> tensor<1024xf32, #v>
  return %s, %sv : tensor<1024xf32, #d>, tensor<1024xf32, #v>
}

// -----

#d = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
#v = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>

// A softmax: loaded in #v, reduced and computed in #d, stored in #v. The
// reductions, element-wise ops and the mask (built from a range) take the
// load's layout, and no conversion is left.
// CHECK-LABEL: func.func @softmax_keeps_the_load_layout
// CHECK-NOT: kitegpu.convert_layout
// CHECK: %[[X:.*]] = kite.load %{{.*}} : tensor<512x!kite.ptr<f32>, #[[V:blocked.*]]>
// CHECK: kite.reduce(%[[X]]) axis = 0 : (tensor<512xf32, #[[V]]>) -> f32
// CHECK: arith.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<512xi1, #[[V]]>, tensor<512xf32, #[[V]]>
// CHECK: math.exp %{{.*}} : tensor<512xf32, #[[V]]>
// CHECK: kite.reduce(%{{.*}}) axis = 0 : (tensor<512xf32, #[[V]]>) -> f32
// CHECK: kite.store %{{.*}}, %{{.*}} : tensor<512x!kite.ptr<f32>, #[[V]]>
func.func @softmax_keeps_the_load_layout(%p: tensor<512x!kite.ptr<f32>, #v>, %n: i32) {
  %x = kite.load %p : tensor<512x!kite.ptr<f32>, #v>
  %xd = kitegpu.convert_layout %x : tensor<512xf32, #v> -> tensor<512xf32, #d>
  %m = kite.reduce(%xd) axis = 0 : (tensor<512xf32, #d>) -> f32 {
  ^bb0(%a: f32, %b: f32):
    %c = arith.maximumf %a, %b : f32
    kite.reduce.return %c : f32
  }
  %ms = kite.splat %m : f32 -> tensor<512xf32, #d>
  %r = kite.make_range 0 to 512 : tensor<512xi32, #d>
  %ns = kite.splat %n : i32 -> tensor<512xi32, #d>
  %mask = arith.cmpi slt, %r, %ns : tensor<512xi32, #d>
  %sub = arith.subf %xd, %ms : tensor<512xf32, #d>
  %zero = arith.constant dense<0.0> : tensor<512xf32, #d>
  %sel = arith.select %mask, %sub, %zero : tensor<512xi1, #d>, tensor<512xf32, #d>
  %e = math.exp %sel : tensor<512xf32, #d>
  %s = kite.reduce(%e) axis = 0 : (tensor<512xf32, #d>) -> f32 {
  ^bb0(%a: f32, %b: f32):
    %c = arith.addf %a, %b : f32
    kite.reduce.return %c : f32
  }
  %ss = kite.splat %s : f32 -> tensor<512xf32, #d>
  %y = arith.divf %e, %ss : tensor<512xf32, #d>
  %yv = kitegpu.convert_layout %y : tensor<512xf32, #d> -> tensor<512xf32, #v>
  kite.store %p, %yv : tensor<512x!kite.ptr<f32>, #v>
  return
}

// -----

#d = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
#v = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>

// A use that cannot take the load's layout (a scan) keeps the conversion.
// CHECK-LABEL: func.func @a_scan_keeps_the_conversion
// CHECK: kitegpu.convert_layout
func.func @a_scan_keeps_the_conversion(%p: tensor<512x!kite.ptr<f32>, #v>) -> tensor<512xf32, #d> {
  %x = kite.load %p : tensor<512x!kite.ptr<f32>, #v>
  %xd = kitegpu.convert_layout %x : tensor<512xf32, #v> -> tensor<512xf32, #d>
  %c = kite.scan(%xd) axis = 0 : (tensor<512xf32, #d>) -> tensor<512xf32, #d> {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    kite.scan.return %s : f32
  }
  return %c : tensor<512xf32, #d>
}

// -----

// A pointer tensor carried by a loop, converted to the load's layout in
// every iteration and advanced by a splat: carried in the load's layout
// (converted once, before the loop), with no conversion left in the loop.
// CHECK-LABEL: func.func @carried_pointers
// CHECK: %[[INIT:.*]] = kite.addptr %{{.*}} : tensor<64x!kite.ptr<f32>, #[[L:.*]]>, tensor<64xi32, #[[L]]>
// CHECK: scf.for {{.*}} iter_args(%[[P:.*]] = %[[INIT]], %{{.*}} = %{{.*}}) -> (tensor<64x!kite.ptr<f32>, #[[L]]>, tensor<64xf32, #[[L]]>)
// CHECK-NOT: kitegpu.convert_layout
// CHECK: kite.load %[[P]] : tensor<64x!kite.ptr<f32>, #[[L]]>
// CHECK: kite.addptr %[[P]], %{{.*}} : tensor<64x!kite.ptr<f32>, #[[L]]>, tensor<64xi32, #[[L]]>
// CHECK: scf.yield
#d = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [1], order = [0]}>
#v = #kitegpu.blocked<{sizePerThread = [2], threadsPerWarp = [32], warpsPerCTA = [1], order = [0]}>
module attributes {"kitegpu.num-warps" = 1 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @carried_pointers(%x: !kite.ptr<f32>, %n: i32) -> tensor<64xf32, #v> attributes {kite.kernel} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %r = kite.make_range 0 to 64 : tensor<64xi32, #d>
    %xs = kite.splat %x : !kite.ptr<f32> -> tensor<64x!kite.ptr<f32>, #d>
    %p0 = kite.addptr %xs, %r : tensor<64x!kite.ptr<f32>, #d>, tensor<64xi32, #d>
    %zero = arith.constant dense<0.0> : tensor<64xf32, #v>
    %step = kite.splat %n : i32 -> tensor<64xi32, #d>
    %res:2 = scf.for %i = %c0 to %c4 step %c1 iter_args(%p = %p0, %acc = %zero) -> (tensor<64x!kite.ptr<f32>, #d>, tensor<64xf32, #v>) {
      %pv = kitegpu.convert_layout %p : tensor<64x!kite.ptr<f32>, #d> -> tensor<64x!kite.ptr<f32>, #v>
      %x1 = kite.load %pv : tensor<64x!kite.ptr<f32>, #v>
      %sum = arith.addf %acc, %x1 : tensor<64xf32, #v>
      %next = kite.addptr %p, %step : tensor<64x!kite.ptr<f32>, #d>, tensor<64xi32, #d>
      scf.yield %next, %sum : tensor<64x!kite.ptr<f32>, #d>, tensor<64xf32, #v>
    }
    return %res#1 : tensor<64xf32, #v>
  }
}

// -----

// The FMA dot stores its operands to workgroup memory from any blocked
// layout: conversions of its operands go.
// CHECK-LABEL: func.func @dot_operands
// CHECK-NOT: kitegpu.convert_layout
// CHECK: kite.dot %arg0, %arg0, %{{.*}} : tensor<16x16xf16, #[[A:.*]]> * tensor<16x16xf16, #[[A]]> -> tensor<16x16xf32, #[[C:.*]]>
#a = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [1, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [1, 32], warpsPerCTA = [1, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 1 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @dot_operands(%s: tensor<16x16xf16, #a>) -> tensor<16x16xf32, #c> attributes {kite.kernel} {
    %ac = kitegpu.convert_layout %s : tensor<16x16xf16, #a> -> tensor<16x16xf16, #c>
    %bc = kitegpu.convert_layout %s : tensor<16x16xf16, #a> -> tensor<16x16xf16, #c>
    %z = arith.constant dense<0.0> : tensor<16x16xf32, #c>
    %d = kite.dot %ac, %bc, %z : tensor<16x16xf16, #c> * tensor<16x16xf16, #c> -> tensor<16x16xf32, #c>
    return %d : tensor<16x16xf32, #c>
  }
}

// -----

// A dot's accumulator in a loop: converted to the dot's layout and back in
// every iteration, it is carried in the dot's layout; after the loop, the
// conversion for the f16 result moves after the rounding (half the bytes).
// CHECK-LABEL: func.func @carried_accumulator
// CHECK: scf.for {{.*}} -> (tensor<32x32xf32, #[[DOT:.*]]>)
// CHECK-NOT: kitegpu.convert_layout
// CHECK: kite.dot {{.*}} -> tensor<32x32xf32, #[[DOT]]>
// CHECK: scf.yield
// CHECK: %[[H:.*]] = arith.truncf %{{.*}} : tensor<32x32xf32, #[[DOT]]> to tensor<32x32xf16, #[[DOT]]>
// CHECK: kitegpu.convert_layout %[[H]] : tensor<32x32xf16, #[[DOT]]> -> tensor<32x32xf16, #[[S:.*]]>
#s = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [1, 32], warpsPerCTA = [1, 1], order = [1, 0]}>
#t = #kitegpu.blocked<{sizePerThread = [4, 8], threadsPerWarp = [8, 4], warpsPerCTA = [1, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 1 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @carried_accumulator(%a: tensor<32x16xf16, #s>, %b: tensor<16x32xf16, #s>) -> tensor<32x32xf16, #s> attributes {kite.kernel} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %zero = arith.constant dense<0.0> : tensor<32x32xf32, #s>
    %acc = scf.for %i = %c0 to %c4 step %c1 iter_args(%c = %zero) -> (tensor<32x32xf32, #s>) {
      %ct = kitegpu.convert_layout %c : tensor<32x32xf32, #s> -> tensor<32x32xf32, #t>
      %d = kite.dot %a, %b, %ct : tensor<32x16xf16, #s> * tensor<16x32xf16, #s> -> tensor<32x32xf32, #t>
      %ds = kitegpu.convert_layout %d : tensor<32x32xf32, #t> -> tensor<32x32xf32, #s>
      scf.yield %ds : tensor<32x32xf32, #s>
    }
    %h = arith.truncf %acc : tensor<32x32xf32, #s> to tensor<32x32xf16, #s>
    return %h : tensor<32x32xf16, #s>
  }
}

// -----

#d = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
#v = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>

// A mask computed from a range by a long chain of element-wise ops that
// share their operands (as kl.rand's Philox rounds do: 40 deep here, each
// value used twice) is rebuilt in the load's layout, and no conversion is
// left. Walking the chain as a tree would take 2^40 steps.
// CHECK-LABEL: func.func @deep_shared_chain_keeps_the_load_layout
// CHECK-NOT: kitegpu.convert_layout
// CHECK: kite.load %{{.*}} : tensor<512x!kite.ptr<f32>, #[[V:blocked.*]]>
// CHECK: arith.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<512xi1, #[[V]]>, tensor<512xf32, #[[V]]>
// CHECK: kite.store %{{.*}}, %{{.*}} : tensor<512x!kite.ptr<f32>, #[[V]]>
// CHECK-NOT: kitegpu.convert_layout
func.func @deep_shared_chain_keeps_the_load_layout(%p: tensor<512x!kite.ptr<f32>, #v>) {
  %x = kite.load %p : tensor<512x!kite.ptr<f32>, #v>
  %xd = kitegpu.convert_layout %x : tensor<512xf32, #v> -> tensor<512xf32, #d>
  %a0 = kite.make_range 0 to 512 : tensor<512xi32, #d>
  %k = arith.constant dense<-845247145> : tensor<512xi32, #d>
  %m0 = arith.muli %a0, %k : tensor<512xi32, #d>
  %a1 = arith.xori %a0, %m0 : tensor<512xi32, #d>
  %m1 = arith.muli %a1, %k : tensor<512xi32, #d>
  %a2 = arith.xori %a1, %m1 : tensor<512xi32, #d>
  %m2 = arith.muli %a2, %k : tensor<512xi32, #d>
  %a3 = arith.xori %a2, %m2 : tensor<512xi32, #d>
  %m3 = arith.muli %a3, %k : tensor<512xi32, #d>
  %a4 = arith.xori %a3, %m3 : tensor<512xi32, #d>
  %m4 = arith.muli %a4, %k : tensor<512xi32, #d>
  %a5 = arith.xori %a4, %m4 : tensor<512xi32, #d>
  %m5 = arith.muli %a5, %k : tensor<512xi32, #d>
  %a6 = arith.xori %a5, %m5 : tensor<512xi32, #d>
  %m6 = arith.muli %a6, %k : tensor<512xi32, #d>
  %a7 = arith.xori %a6, %m6 : tensor<512xi32, #d>
  %m7 = arith.muli %a7, %k : tensor<512xi32, #d>
  %a8 = arith.xori %a7, %m7 : tensor<512xi32, #d>
  %m8 = arith.muli %a8, %k : tensor<512xi32, #d>
  %a9 = arith.xori %a8, %m8 : tensor<512xi32, #d>
  %m9 = arith.muli %a9, %k : tensor<512xi32, #d>
  %a10 = arith.xori %a9, %m9 : tensor<512xi32, #d>
  %m10 = arith.muli %a10, %k : tensor<512xi32, #d>
  %a11 = arith.xori %a10, %m10 : tensor<512xi32, #d>
  %m11 = arith.muli %a11, %k : tensor<512xi32, #d>
  %a12 = arith.xori %a11, %m11 : tensor<512xi32, #d>
  %m12 = arith.muli %a12, %k : tensor<512xi32, #d>
  %a13 = arith.xori %a12, %m12 : tensor<512xi32, #d>
  %m13 = arith.muli %a13, %k : tensor<512xi32, #d>
  %a14 = arith.xori %a13, %m13 : tensor<512xi32, #d>
  %m14 = arith.muli %a14, %k : tensor<512xi32, #d>
  %a15 = arith.xori %a14, %m14 : tensor<512xi32, #d>
  %m15 = arith.muli %a15, %k : tensor<512xi32, #d>
  %a16 = arith.xori %a15, %m15 : tensor<512xi32, #d>
  %m16 = arith.muli %a16, %k : tensor<512xi32, #d>
  %a17 = arith.xori %a16, %m16 : tensor<512xi32, #d>
  %m17 = arith.muli %a17, %k : tensor<512xi32, #d>
  %a18 = arith.xori %a17, %m17 : tensor<512xi32, #d>
  %m18 = arith.muli %a18, %k : tensor<512xi32, #d>
  %a19 = arith.xori %a18, %m18 : tensor<512xi32, #d>
  %m19 = arith.muli %a19, %k : tensor<512xi32, #d>
  %a20 = arith.xori %a19, %m19 : tensor<512xi32, #d>
  %m20 = arith.muli %a20, %k : tensor<512xi32, #d>
  %a21 = arith.xori %a20, %m20 : tensor<512xi32, #d>
  %m21 = arith.muli %a21, %k : tensor<512xi32, #d>
  %a22 = arith.xori %a21, %m21 : tensor<512xi32, #d>
  %m22 = arith.muli %a22, %k : tensor<512xi32, #d>
  %a23 = arith.xori %a22, %m22 : tensor<512xi32, #d>
  %m23 = arith.muli %a23, %k : tensor<512xi32, #d>
  %a24 = arith.xori %a23, %m23 : tensor<512xi32, #d>
  %m24 = arith.muli %a24, %k : tensor<512xi32, #d>
  %a25 = arith.xori %a24, %m24 : tensor<512xi32, #d>
  %m25 = arith.muli %a25, %k : tensor<512xi32, #d>
  %a26 = arith.xori %a25, %m25 : tensor<512xi32, #d>
  %m26 = arith.muli %a26, %k : tensor<512xi32, #d>
  %a27 = arith.xori %a26, %m26 : tensor<512xi32, #d>
  %m27 = arith.muli %a27, %k : tensor<512xi32, #d>
  %a28 = arith.xori %a27, %m27 : tensor<512xi32, #d>
  %m28 = arith.muli %a28, %k : tensor<512xi32, #d>
  %a29 = arith.xori %a28, %m28 : tensor<512xi32, #d>
  %m29 = arith.muli %a29, %k : tensor<512xi32, #d>
  %a30 = arith.xori %a29, %m29 : tensor<512xi32, #d>
  %m30 = arith.muli %a30, %k : tensor<512xi32, #d>
  %a31 = arith.xori %a30, %m30 : tensor<512xi32, #d>
  %m31 = arith.muli %a31, %k : tensor<512xi32, #d>
  %a32 = arith.xori %a31, %m31 : tensor<512xi32, #d>
  %m32 = arith.muli %a32, %k : tensor<512xi32, #d>
  %a33 = arith.xori %a32, %m32 : tensor<512xi32, #d>
  %m33 = arith.muli %a33, %k : tensor<512xi32, #d>
  %a34 = arith.xori %a33, %m33 : tensor<512xi32, #d>
  %m34 = arith.muli %a34, %k : tensor<512xi32, #d>
  %a35 = arith.xori %a34, %m34 : tensor<512xi32, #d>
  %m35 = arith.muli %a35, %k : tensor<512xi32, #d>
  %a36 = arith.xori %a35, %m35 : tensor<512xi32, #d>
  %m36 = arith.muli %a36, %k : tensor<512xi32, #d>
  %a37 = arith.xori %a36, %m36 : tensor<512xi32, #d>
  %m37 = arith.muli %a37, %k : tensor<512xi32, #d>
  %a38 = arith.xori %a37, %m37 : tensor<512xi32, #d>
  %m38 = arith.muli %a38, %k : tensor<512xi32, #d>
  %a39 = arith.xori %a38, %m38 : tensor<512xi32, #d>
  %m39 = arith.muli %a39, %k : tensor<512xi32, #d>
  %a40 = arith.xori %a39, %m39 : tensor<512xi32, #d>
  %zero = arith.constant dense<0> : tensor<512xi32, #d>
  %keep = arith.cmpi sgt, %a40, %zero : tensor<512xi32, #d>
  %fz = arith.constant dense<0.0> : tensor<512xf32, #d>
  %y = arith.select %keep, %xd, %fz : tensor<512xi1, #d>, tensor<512xf32, #d>
  %yv = kitegpu.convert_layout %y : tensor<512xf32, #d> -> tensor<512xf32, #v>
  kite.store %p, %yv : tensor<512x!kite.ptr<f32>, #v>
  return
}

// -----

#d = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
#v = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
#jd = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [32, 1], warpsPerCTA = [4, 1], order = [1, 0]}>
#pd = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [16, 2], warpsPerCTA = [4, 1], order = [1, 0]}>

// A join of two values converted from one layout joins in that layout (with
// the pairs in threads) and converts its result instead: one conversion for
// two.
// CHECK-DAG: #[[V:.*]] = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
// CHECK-DAG: #[[JD:.*]] = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [32, 1], warpsPerCTA = [4, 1], order = [1, 0]}>
// CHECK-DAG: #[[JV:.*]] = #kitegpu.blocked<{sizePerThread = [4, 2], threadsPerWarp = [32, 1], warpsPerCTA = [4, 1], order = [1, 0]}>
// CHECK-LABEL: func.func @join_of_conversions
// CHECK-NEXT: %[[J:.*]] = kite.join %arg0, %arg1 : tensor<512xf32, #[[V]]> -> tensor<512x2xf32, #[[JV]]>
// CHECK-NEXT: %[[C:.*]] = kitegpu.convert_layout %[[J]] : tensor<512x2xf32, #[[JV]]> -> tensor<512x2xf32, #[[JD]]>
// CHECK-NEXT: return %[[C]]
func.func @join_of_conversions(%a: tensor<512xf32, #v>, %b: tensor<512xf32, #v>) -> tensor<512x2xf32, #jd> {
  %ad = kitegpu.convert_layout %a : tensor<512xf32, #v> -> tensor<512xf32, #d>
  %bd = kitegpu.convert_layout %b : tensor<512xf32, #v> -> tensor<512xf32, #d>
  %j = kite.join %ad, %bd : tensor<512xf32, #d> -> tensor<512x2xf32, #jd>
  return %j : tensor<512x2xf32, #jd>
}

// A conversion with another use stays where it is: moving it would add one.
// CHECK-LABEL: func.func @join_of_shared_conversion
// CHECK: kitegpu.convert_layout %arg0
// CHECK: kitegpu.convert_layout %arg1
// CHECK: kite.join
// CHECK-NOT: kitegpu.convert_layout
func.func @join_of_shared_conversion(%a: tensor<512xf32, #v>, %b: tensor<512xf32, #v>) -> (tensor<512x2xf32, #jd>, tensor<512xf32, #d>) {
  %ad = kitegpu.convert_layout %a : tensor<512xf32, #v> -> tensor<512xf32, #d>
  %bd = kitegpu.convert_layout %b : tensor<512xf32, #v> -> tensor<512xf32, #d>
  %j = kite.join %ad, %bd : tensor<512xf32, #d> -> tensor<512x2xf32, #jd>
  return %j, %ad : tensor<512x2xf32, #jd>, tensor<512xf32, #d>
}

// A loaded value keeps its layout through element-wise ops into a join
// (where the slice ends), and a constant joined to it is built in it.
// CHECK-LABEL: func.func @load_into_join
// CHECK: %[[A:.*]] = kite.load %arg0 : tensor<512x!kite.ptr<f32>, #[[V]]>
// CHECK: %[[B:.*]] = kite.load %arg1 : tensor<512x!kite.ptr<f32>, #[[V]]>
// CHECK: %[[M:.*]] = arith.mulf %[[B]], %{{.*}} : tensor<512xf32, #[[V]]>
// CHECK-NEXT: %[[J:.*]] = kite.join %[[A]], %[[M]] : tensor<512xf32, #[[V]]> -> tensor<512x2xf32, #[[JV]]>
// CHECK-NEXT: kitegpu.convert_layout %[[J]]
// CHECK-NEXT: %[[Z:.*]] = kite.join %[[A]], %{{.*}} : tensor<512xf32, #[[V]]> -> tensor<512x2xf32, #[[JV]]>
// CHECK-NEXT: kitegpu.convert_layout %[[Z]]
// CHECK-NEXT: return
func.func @load_into_join(%p: tensor<512x!kite.ptr<f32>, #v>, %q: tensor<512x!kite.ptr<f32>, #v>) -> (tensor<512x2xf32, #pd>, tensor<512x2xf32, #jd>) {
  %a = kite.load %p : tensor<512x!kite.ptr<f32>, #v>
  %b = kite.load %q : tensor<512x!kite.ptr<f32>, #v>
  %ad = kitegpu.convert_layout %a : tensor<512xf32, #v> -> tensor<512xf32, #d>
  %bd = kitegpu.convert_layout %b : tensor<512xf32, #v> -> tensor<512xf32, #d>
  %two = arith.constant dense<2.0> : tensor<512xf32, #d>
  %m = arith.mulf %bd, %two : tensor<512xf32, #d>
  %j = kite.join %ad, %m : tensor<512xf32, #d> -> tensor<512x2xf32, #jd>
  %jc = kitegpu.convert_layout %j : tensor<512x2xf32, #jd> -> tensor<512x2xf32, #pd>
  %zero = arith.constant dense<0.0> : tensor<512xf32, #d>
  %z = kite.join %ad, %zero : tensor<512xf32, #d> -> tensor<512x2xf32, #jd>
  return %jc, %z : tensor<512x2xf32, #pd>, tensor<512x2xf32, #jd>
}

// -----

#d = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
#v = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
#jd = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [32, 1], warpsPerCTA = [4, 1], order = [1, 0]}>
#pd = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [16, 2], warpsPerCTA = [4, 1], order = [1, 0]}>

// interleave = join + reshape: the reshape merges the pairs each thread
// holds into runs of 2 along the row, so it follows the join's layout, and
// the only conversion left is the one to the store's.
// CHECK-DAG: #[[S2:.*]] = #kitegpu.blocked<{sizePerThread = [2], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
// CHECK-DAG: #[[JD:.*]] = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [32, 1], warpsPerCTA = [4, 1], order = [1, 0]}>
// CHECK-LABEL: func.func @interleave
// CHECK: %[[J:.*]] = kite.join
// CHECK-NEXT: %[[R:.*]] = kite.reshape %[[J]] : tensor<128x2xf32, #[[JD]]> -> tensor<256xf32, #[[S2]]>
// CHECK-NEXT: %[[C:.*]] = kitegpu.convert_layout %[[R]] : tensor<256xf32, #[[S2]]> -> tensor<256xf32, #{{.*}}>
// CHECK-NEXT: kite.store %arg2, %[[C]]
func.func @interleave(%a: tensor<128xf32, #d>, %b: tensor<128xf32, #d>, %p: tensor<256x!kite.ptr<f32>, #v>) {
  %j = kite.join %a, %b : tensor<128xf32, #d> -> tensor<128x2xf32, #jd>
  %jc = kitegpu.convert_layout %j : tensor<128x2xf32, #jd> -> tensor<128x2xf32, #pd>
  %r = kite.reshape %jc : tensor<128x2xf32, #pd> -> tensor<256xf32, #d>
  %rv = kitegpu.convert_layout %r : tensor<256xf32, #d> -> tensor<256xf32, #v>
  kite.store %p, %rv : tensor<256x!kite.ptr<f32>, #v>
  return
}

// Pairs spread over two threads cannot be merged in registers: unchanged.
// CHECK-LABEL: func.func @pairs_across_threads
// CHECK-NEXT: kitegpu.convert_layout %arg0
// CHECK-NEXT: kite.reshape
// CHECK-NEXT: return
func.func @pairs_across_threads(%x: tensor<128x2xf32, #pd>) -> tensor<256xf32, #d> {
  %xd = kitegpu.convert_layout %x : tensor<128x2xf32, #pd> -> tensor<128x2xf32, #jd>
  %r = kite.reshape %xd : tensor<128x2xf32, #jd> -> tensor<256xf32, #d>
  return %r : tensor<256xf32, #d>
}

// -----

#v2 = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#d2 = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [1, 32], warpsPerCTA = [4, 1], order = [1, 0]}>
#d3 = #kitegpu.blocked<{sizePerThread = [1, 1, 1], threadsPerWarp = [1, 16, 2], warpsPerCTA = [4, 1, 1], order = [2, 1, 0]}>
#s3 = #kitegpu.blocked<{sizePerThread = [1, 1, 2], threadsPerWarp = [1, 32, 1], warpsPerCTA = [4, 1, 1], order = [2, 1, 0]}>

// x.reshape(M, N, 2).split() of a row loaded 4 elements per thread: the
// reshape splits runs of 4 into 2 pairs in registers and the split takes
// them apart there; only the halves are converted (to their uses' layout).
// CHECK-DAG: #[[V2:.*]] = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
// CHECK-DAG: #[[P3:.*]] = #kitegpu.blocked<{sizePerThread = [1, 2, 2], threadsPerWarp = [4, 8, 1], warpsPerCTA = [4, 1, 1], order = [2, 1, 0]}>
// CHECK-DAG: #[[H:.*]] = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
// CHECK-LABEL: func.func @deinterleave
// CHECK: %[[X:.*]] = kite.load %arg0 : tensor<4x64x!kite.ptr<f32>, #[[V2]]>
// CHECK-NEXT: %[[R:.*]] = kite.reshape %[[X]] : tensor<4x64xf32, #[[V2]]> -> tensor<4x32x2xf32, #[[P3]]>
// CHECK-NEXT: %[[L:.*]], %[[H2:.*]] = kite.split %[[R]] : tensor<4x32x2xf32, #[[P3]]> -> tensor<4x32xf32, #[[H]]>
// CHECK-NEXT: kitegpu.convert_layout %[[L]]
// CHECK-NEXT: kitegpu.convert_layout %[[H2]]
func.func @deinterleave(%p: tensor<4x64x!kite.ptr<f32>, #v2>) -> (tensor<4x32xf32, #d2>, tensor<4x32xf32, #d2>) {
  %x = kite.load %p : tensor<4x64x!kite.ptr<f32>, #v2>
  %xd = kitegpu.convert_layout %x : tensor<4x64xf32, #v2> -> tensor<4x64xf32, #d2>
  %r = kite.reshape %xd : tensor<4x64xf32, #d2> -> tensor<4x32x2xf32, #d3>
  %rs = kitegpu.convert_layout %r : tensor<4x32x2xf32, #d3> -> tensor<4x32x2xf32, #s3>
  %l, %h = kite.split %rs : tensor<4x32x2xf32, #s3> -> tensor<4x32xf32, #d2>
  return %l, %h : tensor<4x32xf32, #d2>, tensor<4x32xf32, #d2>
}

// -----

#d = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
#v = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>

// A gather takes its source in the layout it has (it goes to workgroup
// memory from any), and computes in its index's layout when the index's
// conversion has no other use: the store's conversion then folds with it.
// CHECK-DAG: #[[V:.*]] = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
// CHECK-LABEL: func.func @gather_in_load_layouts
// CHECK-NEXT: %[[S:.*]] = kite.load %arg0 : tensor<256x!kite.ptr<f32>, #[[V]]>
// CHECK-NEXT: %[[I:.*]] = kite.load %arg1 : tensor<512x!kite.ptr<i32>, #[[V]]>
// CHECK-NEXT: %[[G:.*]] = kite.gather %[[S]][%[[I]]] axis = 0 : tensor<256xf32, #[[V]]>, tensor<512xi32, #[[V]]> -> tensor<512xf32, #[[V]]>
// CHECK-NEXT: kite.store %arg2, %[[G]] : tensor<512x!kite.ptr<f32>, #[[V]]>
// CHECK-NEXT: return
func.func @gather_in_load_layouts(%p: tensor<256x!kite.ptr<f32>, #v>, %q: tensor<512x!kite.ptr<i32>, #v>, %o: tensor<512x!kite.ptr<f32>, #v>) {
  %s = kite.load %p : tensor<256x!kite.ptr<f32>, #v>
  %sd = kitegpu.convert_layout %s : tensor<256xf32, #v> -> tensor<256xf32, #d>
  %i = kite.load %q : tensor<512x!kite.ptr<i32>, #v>
  %id = kitegpu.convert_layout %i : tensor<512xi32, #v> -> tensor<512xi32, #d>
  %g = kite.gather %sd[%id] axis = 0 : tensor<256xf32, #d>, tensor<512xi32, #d> -> tensor<512xf32, #d>
  %gv = kitegpu.convert_layout %g : tensor<512xf32, #d> -> tensor<512xf32, #v>
  kite.store %o, %gv : tensor<512x!kite.ptr<f32>, #v>
  return
}

// An index conversion with another use stays: moving it would add one.
// CHECK-LABEL: func.func @gather_shared_index_conversion
// CHECK: %[[ID:.*]] = kitegpu.convert_layout %arg1
// CHECK-NEXT: %[[G:.*]] = kite.gather %arg0[%[[ID]]] axis = 0 : tensor<256xf32, #[[V]]>, tensor<512xi32, #{{.*}}> -> tensor<512xf32, #{{.*}}>
// CHECK-NEXT: return %[[G]], %[[ID]]
func.func @gather_shared_index_conversion(%s: tensor<256xf32, #v>, %i: tensor<512xi32, #v>) -> (tensor<512xf32, #d>, tensor<512xi32, #d>) {
  %id = kitegpu.convert_layout %i : tensor<512xi32, #v> -> tensor<512xi32, #d>
  %g = kite.gather %s[%id] axis = 0 : tensor<256xf32, #v>, tensor<512xi32, #d> -> tensor<512xf32, #d>
  return %g, %id : tensor<512xf32, #d>, tensor<512xi32, #d>
}

// -----

// A scale per group of 32 along K, spread over its group (reshape of
// broadcast of expand_dims: dot_scaled's and W4A16's dequantization),
// times codes whose threads hold whole groups (32 consecutive K each): the
// product computes in the codes' layout, with the [8, 2] scales converted
// to the slice they need (here the layout they have) instead of the codes
// converted to the default layout.
#c = #kitegpu.blocked<{sizePerThread = [1, 32], threadsPerWarp = [16, 2], warpsPerCTA = [4, 1], order = [1, 0]}>
#s = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [16, 2], warpsPerCTA = [4, 1], order = [1, 0]}>
#d = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [1, 32], warpsPerCTA = [4, 1], order = [1, 0]}>
#d3 = #kitegpu.blocked<{sizePerThread = [1, 1, 1], threadsPerWarp = [1, 1, 32], warpsPerCTA = [4, 1, 1], order = [2, 1, 0]}>
// CHECK-DAG: #[[C:.*]] = #kitegpu.blocked<{sizePerThread = [1, 32], threadsPerWarp = [16, 2], warpsPerCTA = [4, 1], order = [1, 0]}>
// CHECK-DAG: #[[G:.*]] = #kitegpu.blocked<{sizePerThread = [1, 1, 32], threadsPerWarp = [16, 2, 1], warpsPerCTA = [4, 1, 1], order = [2, 1, 0]}>
// CHECK-LABEL: func.func @group_scale_in_the_codes_layout
// CHECK-NOT: tensor<64x64xi8, #{{.*}}> -> tensor<64x64xi8
// CHECK: %[[S:.*]] = kitegpu.convert_layout %arg1 : tensor<64x2xf32, #{{.*}}> -> tensor<64x2xf32, #[[SG:.*]]>
// CHECK: %[[E:.*]] = kite.expand_dims %[[S]] axis = 2 : tensor<64x2xf32, #[[SG]]> -> tensor<64x2x1xf32, #[[G]]>
// CHECK: %[[B:.*]] = kite.broadcast %[[E]] : tensor<64x2x1xf32, #[[G]]> -> tensor<64x2x32xf32, #[[G]]>
// CHECK: %[[R:.*]] = kite.reshape %[[B]] : tensor<64x2x32xf32, #[[G]]> -> tensor<64x64xf32, #[[C]]>
// CHECK: arith.mulf %{{.*}}, %[[R]] : tensor<64x64xf32, #[[C]]>
// CHECK-NOT: kitegpu.convert_layout
// CHECK: return %{{.*}} : tensor<64x64xf32, #[[C]]>
func.func @group_scale_in_the_codes_layout(%p: tensor<64x64x!kite.ptr<i8>, #c>, %scale: tensor<64x2xf32, #kitegpu.slice<{dim = 2, parent = #d3}>>) -> tensor<64x64xf32, #c> {
  %codes = kite.load %p : tensor<64x64x!kite.ptr<i8>, #c>
  %cd = kitegpu.convert_layout %codes : tensor<64x64xi8, #c> -> tensor<64x64xi8, #d>
  %x = arith.sitofp %cd : tensor<64x64xi8, #d> to tensor<64x64xf32, #d>
  %e = kite.expand_dims %scale axis = 2 : tensor<64x2xf32, #kitegpu.slice<{dim = 2, parent = #d3}>> -> tensor<64x2x1xf32, #d3>
  %b = kite.broadcast %e : tensor<64x2x1xf32, #d3> -> tensor<64x2x32xf32, #d3>
  %r = kite.reshape %b : tensor<64x2x32xf32, #d3> -> tensor<64x64xf32, #d>
  %y = arith.mulf %x, %r : tensor<64x64xf32, #d>
  %yc = kitegpu.convert_layout %y : tensor<64x64xf32, #d> -> tensor<64x64xf32, #c>
  return %yc : tensor<64x64xf32, #c>
}

// A spread that is not a merge of the last two dimensions (64 x 2 x 32 to
// 128 x 32: rows 2a + b) is no group broadcast: the codes' conversion stays.
// CHECK-LABEL: func.func @not_a_group_broadcast
// CHECK: kitegpu.convert_layout %{{.*}} : tensor<128x32xi8, #{{.*}}> -> tensor<128x32xi8
func.func @not_a_group_broadcast(%p: tensor<128x32x!kite.ptr<i8>, #c>, %scale: tensor<64x2xf32, #kitegpu.slice<{dim = 2, parent = #d3}>>) -> tensor<128x32xf32, #c> {
  %codes = kite.load %p : tensor<128x32x!kite.ptr<i8>, #c>
  %cd = kitegpu.convert_layout %codes : tensor<128x32xi8, #c> -> tensor<128x32xi8, #d>
  %x = arith.sitofp %cd : tensor<128x32xi8, #d> to tensor<128x32xf32, #d>
  %e = kite.expand_dims %scale axis = 2 : tensor<64x2xf32, #kitegpu.slice<{dim = 2, parent = #d3}>> -> tensor<64x2x1xf32, #d3>
  %b = kite.broadcast %e : tensor<64x2x1xf32, #d3> -> tensor<64x2x32xf32, #d3>
  %r = kite.reshape %b : tensor<64x2x32xf32, #d3> -> tensor<128x32xf32, #d>
  %y = arith.mulf %x, %r : tensor<128x32xf32, #d>
  %yc = kitegpu.convert_layout %y : tensor<128x32xf32, #d> -> tensor<128x32xf32, #c>
  return %yc : tensor<128x32xf32, #c>
}
