// The `kitegpu` stage (--kitegpu-pipeline): the kite stage, then
// convert-kite-to-kitegpu, kitegpu-coalesce, kitegpu-remove-layout-conversions,
// canonicalize, cse.
// RUN: kite-opt %s --split-input-file --kitegpu-pipeline | FileCheck %s
// RUN: kite-opt %s --split-input-file --kitegpu-pipeline="num-warps=2 threads-per-warp=8" | FileCheck %s --check-prefix=LAVA

// Vector add over 16-byte aligned pointers: one layout of 4 floats per
// thread for everything, so each load and store is a 128-bit access, and no
// conversion.
// CHECK: #[[V:.*]] = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
// CHECK-NOT: #blocked1
// CHECK-LABEL: func.func @add_kernel
// CHECK-NOT: kitegpu.convert_layout
// CHECK: %[[A:.*]] = kite.load %{{.*}}, %[[M:.*]] : tensor<1024x!kite.ptr<f32>, #[[V]]>
// CHECK: %[[B:.*]] = kite.load %{{.*}}, %[[M]] : tensor<1024x!kite.ptr<f32>, #[[V]]>
// CHECK: %[[S:.*]] = arith.addf %[[A]], %[[B]] : tensor<1024xf32, #[[V]]>
// CHECK: kite.store %{{.*}}, %[[S]], %[[M]] : tensor<1024x!kite.ptr<f32>, #[[V]]>
// LAVA: #[[V:.*]] = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [8], warpsPerCTA = [2], order = [0]}>
// LAVA-LABEL: func.func @add_kernel
// LAVA-NOT: kitegpu.convert_layout
// LAVA: kite.store %{{.*}}, %{{.*}}, %{{.*}} : tensor<1024x!kite.ptr<f32>, #[[V]]>
func.func @add_kernel(%x: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %y: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %out: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %n: i32 {kite.divisibility = 16 : i32}) attributes {kite.kernel} {
  %pid = kite.program_id x : i32
  %c1024 = arith.constant 1024 : i32
  %start = arith.muli %pid, %c1024 : i32
  %r = kite.make_range 0 to 1024 : tensor<1024xi32>
  %s = kite.splat %start : i32 -> tensor<1024xi32>
  %off = arith.addi %s, %r : tensor<1024xi32>
  %ns = kite.splat %n : i32 -> tensor<1024xi32>
  %mask = arith.cmpi slt, %off, %ns : tensor<1024xi32>
  %xs = kite.splat %x : !kite.ptr<f32> -> tensor<1024x!kite.ptr<f32>>
  %xp = kite.addptr %xs, %off : tensor<1024x!kite.ptr<f32>>, tensor<1024xi32>
  %a = kite.load %xp, %mask : tensor<1024x!kite.ptr<f32>>
  %ys = kite.splat %y : !kite.ptr<f32> -> tensor<1024x!kite.ptr<f32>>
  %yp = kite.addptr %ys, %off : tensor<1024x!kite.ptr<f32>>, tensor<1024xi32>
  %b = kite.load %yp, %mask : tensor<1024x!kite.ptr<f32>>
  %sum = arith.addf %a, %b : tensor<1024xf32>
  %os = kite.splat %out : !kite.ptr<f32> -> tensor<1024x!kite.ptr<f32>>
  %op = kite.addptr %os, %off : tensor<1024x!kite.ptr<f32>>, tensor<1024xi32>
  kite.store %op, %sum, %mask : tensor<1024x!kite.ptr<f32>>
  return
}

// -----

// Transpose: loads run along rows, stores along columns, so the tile is
// loaded in one layout, stored in another, with one convert_layout between.
// CHECK-DAG: #[[R:.*]] = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [2, 16], warpsPerCTA = [4, 1], order = [1, 0]}>
// CHECK-DAG: #[[C:.*]] = #kitegpu.blocked<{sizePerThread = [4, 1], threadsPerWarp = [16, 2], warpsPerCTA = [1, 4], order = [0, 1]}>
// CHECK-LABEL: func.func @transpose
// CHECK-NOT: kitegpu.convert_layout
// CHECK: %[[V:.*]] = kite.load %{{.*}} : tensor<64x64x!kite.ptr<f32>, #[[R]]>
// CHECK: %[[T:.*]] = kitegpu.convert_layout %[[V]] : tensor<64x64xf32, #[[R]]> -> tensor<64x64xf32, #[[C]]>
// CHECK: kite.store %{{.*}}, %[[T]] : tensor<64x64x!kite.ptr<f32>, #[[C]]>
// CHECK-NOT: kitegpu.convert_layout
// LAVA-DAG: #[[R:.*]] = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [1, 8], warpsPerCTA = [1, 2], order = [1, 0]}>
// LAVA-DAG: #[[C:.*]] = #kitegpu.blocked<{sizePerThread = [4, 1], threadsPerWarp = [8, 1], warpsPerCTA = [2, 1], order = [0, 1]}>
// LAVA-LABEL: func.func @transpose
// LAVA: kitegpu.convert_layout %{{.*}} : tensor<64x64xf32, #[[R]]> -> tensor<64x64xf32, #[[C]]>
func.func @transpose(%x: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %y: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %stride: i32 {kite.divisibility = 16 : i32}) attributes {kite.kernel} {
  %rm = kite.make_range 0 to 64 : tensor<64xi32>
  %rn = kite.make_range 0 to 64 : tensor<64xi32>
  %m = kite.expand_dims %rm axis = 1 : tensor<64xi32> -> tensor<64x1xi32>
  %n = kite.expand_dims %rn axis = 0 : tensor<64xi32> -> tensor<1x64xi32>
  %ss = kite.splat %stride : i32 -> tensor<64x1xi32>
  %ms = arith.muli %m, %ss : tensor<64x1xi32>
  %mb = kite.broadcast %ms : tensor<64x1xi32> -> tensor<64x64xi32>
  %nb = kite.broadcast %n : tensor<1x64xi32> -> tensor<64x64xi32>
  %in_off = arith.addi %mb, %nb : tensor<64x64xi32>
  %xs = kite.splat %x : !kite.ptr<f32> -> tensor<64x64x!kite.ptr<f32>>
  %xp = kite.addptr %xs, %in_off : tensor<64x64x!kite.ptr<f32>>, tensor<64x64xi32>
  %v = kite.load %xp : tensor<64x64x!kite.ptr<f32>>
  %ts = kite.splat %stride : i32 -> tensor<1x64xi32>
  %nt = arith.muli %n, %ts : tensor<1x64xi32>
  %ntb = kite.broadcast %nt : tensor<1x64xi32> -> tensor<64x64xi32>
  %mbb = kite.broadcast %m : tensor<64x1xi32> -> tensor<64x64xi32>
  %out_off = arith.addi %mbb, %ntb : tensor<64x64xi32>
  %ys = kite.splat %y : !kite.ptr<f32> -> tensor<64x64x!kite.ptr<f32>>
  %yp = kite.addptr %ys, %out_off : tensor<64x64x!kite.ptr<f32>>, tensor<64x64xi32>
  kite.store %yp, %v : tensor<64x64x!kite.ptr<f32>>
  return
}

// -----

// interleave(load a, load b) stored contiguously: the loads' 2 floats per
// thread join into 2 pairs and merge into runs of 4, which is the store's
// 128-bit layout too: no conversion. With 16 threads the loads hold 4, the
// runs are 8 and the store's layout holds 4, so one conversion remains.
// CHECK-DAG: #[[L:.*]] = #kitegpu.blocked<{sizePerThread = [2], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
// CHECK-DAG: #[[J:.*]] = #kitegpu.blocked<{sizePerThread = [2, 2], threadsPerWarp = [32, 1], warpsPerCTA = [4, 1], order = [1, 0]}>
// CHECK-DAG: #[[S:.*]] = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
// CHECK-LABEL: func.func @interleave_kernel
// CHECK-NOT: kitegpu.convert_layout
// CHECK: %[[J0:.*]] = kite.join %{{.*}}, %{{.*}} : tensor<256xf32, #[[L]]> -> tensor<256x2xf32, #[[J]]>
// CHECK: %[[R:.*]] = kite.reshape %[[J0]] : tensor<256x2xf32, #[[J]]> -> tensor<512xf32, #[[S]]>
// CHECK-NOT: kitegpu.convert_layout
// CHECK: kite.store %{{.*}}, %[[R]] : tensor<512x!kite.ptr<f32>, #[[S]]>
// LAVA-LABEL: func.func @interleave_kernel
// LAVA: kite.join
// LAVA: kite.reshape
// LAVA-COUNT-1: kitegpu.convert_layout
// LAVA-NOT: kitegpu.convert_layout
func.func @interleave_kernel(%arg0: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %arg1: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %arg2: !kite.ptr<f32> {kite.divisibility = 16 : i32}) attributes {kite.kernel} {
  %0 = kite.make_range 0 to 256 : tensor<256xi32>
  %1 = kite.splat %arg0 : !kite.ptr<f32> -> tensor<256x!kite.ptr<f32>>
  %2 = kite.addptr %1, %0 : tensor<256x!kite.ptr<f32>>, tensor<256xi32>
  %3 = kite.load %2 : tensor<256x!kite.ptr<f32>>
  %4 = kite.splat %arg1 : !kite.ptr<f32> -> tensor<256x!kite.ptr<f32>>
  %5 = kite.addptr %4, %0 : tensor<256x!kite.ptr<f32>>, tensor<256xi32>
  %6 = kite.load %5 : tensor<256x!kite.ptr<f32>>
  %7 = kite.join %3, %6 : tensor<256xf32> -> tensor<256x2xf32>
  %8 = kite.reshape %7 : tensor<256x2xf32> -> tensor<512xf32>
  %9 = kite.make_range 0 to 512 : tensor<512xi32>
  %10 = kite.splat %arg2 : !kite.ptr<f32> -> tensor<512x!kite.ptr<f32>>
  %11 = kite.addptr %10, %9 : tensor<512x!kite.ptr<f32>>, tensor<512xi32>
  kite.store %11, %8 : tensor<512x!kite.ptr<f32>>
  return
}

// -----

// A block of (re, im) pairs loaded as [256, 2] (8-byte loads) is split where
// it was loaded, and |z|^2 is computed in the halves' layout.
// CHECK-DAG: #[[P:.*]] = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [32, 1], warpsPerCTA = [4, 1], order = [1, 0]}>
// CHECK-LABEL: func.func @split_kernel
// CHECK: %[[X:.*]] = kite.load %{{.*}} : tensor<256x2x!kite.ptr<f32>, #[[P]]>
// CHECK-NOT: kitegpu.convert_layout
// CHECK: kite.split %[[X]] : tensor<256x2xf32, #[[P]]> -> tensor<256xf32, #[[H:.*]]>
// CHECK: arith.addf %{{.*}}, %{{.*}} : tensor<256xf32, #[[H]]>
// LAVA-LABEL: func.func @split_kernel
// LAVA: kite.load
// LAVA-NOT: kitegpu.convert_layout
// LAVA: kite.split
func.func @split_kernel(%arg0: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %arg1: !kite.ptr<f32> {kite.divisibility = 16 : i32}) attributes {kite.kernel} {
  %cst = arith.constant dense<2> : tensor<256x1xi32>
  %0 = kite.make_range 0 to 256 : tensor<256xi32>
  %1 = kite.expand_dims %0 axis = 1 : tensor<256xi32> -> tensor<256x1xi32>
  %2 = arith.muli %1, %cst : tensor<256x1xi32>
  %3 = kite.splat %arg0 : !kite.ptr<f32> -> tensor<256x1x!kite.ptr<f32>>
  %4 = kite.addptr %3, %2 : tensor<256x1x!kite.ptr<f32>>, tensor<256x1xi32>
  %5 = kite.make_range 0 to 2 : tensor<2xi32>
  %6 = kite.expand_dims %5 axis = 0 : tensor<2xi32> -> tensor<1x2xi32>
  %7 = kite.broadcast %4 : tensor<256x1x!kite.ptr<f32>> -> tensor<256x2x!kite.ptr<f32>>
  %8 = kite.broadcast %6 : tensor<1x2xi32> -> tensor<256x2xi32>
  %9 = kite.addptr %7, %8 : tensor<256x2x!kite.ptr<f32>>, tensor<256x2xi32>
  %10 = kite.load %9 : tensor<256x2x!kite.ptr<f32>>
  %lhs, %rhs = kite.split %10 : tensor<256x2xf32> -> tensor<256xf32>
  %11 = kite.splat %arg1 : !kite.ptr<f32> -> tensor<256x!kite.ptr<f32>>
  %12 = kite.addptr %11, %0 : tensor<256x!kite.ptr<f32>>, tensor<256xi32>
  %13 = arith.mulf %lhs, %lhs : tensor<256xf32>
  %14 = arith.mulf %rhs, %rhs : tensor<256xf32>
  %15 = arith.addf %13, %14 : tensor<256xf32>
  kite.store %12, %15 : tensor<256x!kite.ptr<f32>>
  return
}
