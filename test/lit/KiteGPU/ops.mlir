// Layouts and ops of the kitegpu dialect print and parse back.
// RUN: kite-opt %s --split-input-file | kite-opt --split-input-file | FileCheck %s

// CHECK-DAG: #[[B:.*]] = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]}>
// CHECK-DAG: #[[B1:.*]] = #kitegpu.blocked<{sizePerThread = [4, 1], threadsPerWarp = [4, 8], warpsPerCTA = [1, 4], order = [0, 1]}>
// CHECK-DAG: #[[S:.*]] = #kitegpu.slice<{dim = 1, parent = #[[B]]}>
// CHECK-DAG: #[[SH:.*]] = #kitegpu.shared<{vec = 4, perPhase = 1, maxPhase = 8, order = [1, 0]}>
// CHECK: module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32}
// CHECK-LABEL: func.func @layouts
// CHECK-SAME: tensor<32x64xf32, #[[B]]>
// CHECK: kitegpu.convert_layout %{{.*}} : tensor<32x64xf32, #[[B]]> -> tensor<32x64xf32, #[[B1]]>
// CHECK: kite.reduce(%{{.*}}) axis = 1 : (tensor<32x64xf32, #[[B]]>) -> tensor<32xf32, #[[S]]>
// CHECK: kitegpu.local_alloc %{{.*}} : tensor<32x64xf32, #[[B]]> -> !kitegpu.memdesc<32x64xf32, #[[SH]]>
// CHECK: kitegpu.local_alloc -> !kitegpu.memdesc<32x64xf32, #[[SH]]>
// CHECK: kitegpu.local_store %{{.*}}, %{{.*}} : tensor<32x64xf32, #[[B1]]> -> !kitegpu.memdesc<32x64xf32, #[[SH]]>
// CHECK: kitegpu.local_load %{{.*}} : !kitegpu.memdesc<32x64xf32, #[[SH]]> -> tensor<32x64xf32, #[[B]]>
#blocked = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]}>
#blocked1 = #kitegpu.blocked<{sizePerThread = [4, 1], threadsPerWarp = [4, 8], warpsPerCTA = [1, 4], order = [0, 1]}>
#shared = #kitegpu.shared<{vec = 4, perPhase = 1, maxPhase = 8, order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @layouts(%x: tensor<32x64xf32, #blocked>) -> (tensor<32xf32, #kitegpu.slice<{dim = 1, parent = #blocked}>>, tensor<32x64xf32, #blocked>) {
    %0 = kitegpu.convert_layout %x : tensor<32x64xf32, #blocked> -> tensor<32x64xf32, #blocked1>
    %1 = kite.reduce(%x) axis = 1 : (tensor<32x64xf32, #blocked>) -> tensor<32xf32, #kitegpu.slice<{dim = 1, parent = #blocked}>> {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      kite.reduce.return %s : f32
    }
    %2 = kitegpu.local_alloc %x : tensor<32x64xf32, #blocked> -> !kitegpu.memdesc<32x64xf32, #shared>
    %3 = kitegpu.local_alloc -> !kitegpu.memdesc<32x64xf32, #shared>
    kitegpu.local_store %0, %3 : tensor<32x64xf32, #blocked1> -> !kitegpu.memdesc<32x64xf32, #shared>
    %4 = kitegpu.local_load %3 : !kitegpu.memdesc<32x64xf32, #shared> -> tensor<32x64xf32, #blocked>
    return %1, %4 : tensor<32xf32, #kitegpu.slice<{dim = 1, parent = #blocked}>>, tensor<32x64xf32, #blocked>
  }
}

// -----

// Lavapipe's subgroups have 8 lanes.
// CHECK: #[[L:.*]] = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [8], warpsPerCTA = [2], order = [0]}>
// CHECK: module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 8 : i32}
// CHECK-LABEL: func.func @lavapipe
// CHECK: kite.make_range 0 to 16 : tensor<16xi32, #[[L]]>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 8 : i32} {
  func.func @lavapipe() -> tensor<16xi32, #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [8], warpsPerCTA = [2], order = [0]}>> {
    %0 = kite.make_range 0 to 16 : tensor<16xi32, #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [8], warpsPerCTA = [2], order = [0]}>>
    return %0 : tensor<16xi32, #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [8], warpsPerCTA = [2], order = [0]}>>
  }
}

// -----

// A slabbed shared layout (Hopper's wgmma operands) keeps its slab.
// CHECK: #kitegpu.shared<{vec = 8, perPhase = 1, maxPhase = 8, order = [1, 0], slab = 64}>
// CHECK-LABEL: func.func @slabbed
func.func @slabbed(%x: !kitegpu.memdesc<64x128xf16, #kitegpu.shared<{vec = 8, perPhase = 1, maxPhase = 8, order = [1, 0], slab = 64}>>) {
  return
}

// -----

// Rows placed for wgmma's A descriptor (4 warps along M) are kept.
// CHECK: #kitegpu.shared<{vec = 8, perPhase = 1, maxPhase = 8, order = [1, 0], warpsM = 4}>
// CHECK-LABEL: func.func @placed_rows
func.func @placed_rows(%x: !kitegpu.memdesc<64x64xf16, #kitegpu.shared<{vec = 8, perPhase = 1, maxPhase = 8, order = [1, 0], warpsM = 4}>>) {
  return
}
