// On Hopper, a store that is also a box of a host descriptor's tensor map
// becomes a local_alloc of the tile (from before the layout conversion the
// store's coalescing added) in 128-byte swizzled slabs and an
// async_tma_store, its boxes recorded on the kernel; a store whose map is
// recorded in other boxes stays a store through pointers.
// RUN: kite-opt %s --split-input-file --kitegpu-tma-stores | FileCheck %s

// CHECK-LABEL: func.func @tile_store
// CHECK-SAME: kite.tensor_maps = "1:128x64:128"
// CHECK: %[[TILE:.*]] = kitegpu.local_alloc %arg2 : tensor<128x128xf16, #{{.*}}> -> !kitegpu.memdesc<128x128xf16, #[[SLABS:.*]]>
// CHECK: kitegpu.async_tma_store %{{.*}}[%arg3, %arg4], %[[TILE]]
// CHECK-NOT: kite.store
#acc = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]}>
#out = #kitegpu.blocked<{sizePerThread = [1, 8], threadsPerWarp = [2, 16], warpsPerCTA = [4, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @tile_store(%p: tensor<128x128x!kite.ptr<f16>, #out>, %map: !kite.ptr<i8>,
                        %v: tensor<128x128xf16, #acc>, %row: i32, %col: i32,
                        %m: tensor<128x128xi1, #out>) attributes {kite.kernel} {
    %a = kite.ptr_to_int %map : !kite.ptr<i8> -> i64
    %c = kitegpu.convert_layout %v : tensor<128x128xf16, #acc> -> tensor<128x128xf16, #out>
    kite.store %p, %c, %m tensor_map(%a, %row, %col) : tensor<128x128x!kite.ptr<f16>, #out>
    return
  }
}

// -----

// The map is already read in 8-row boxes (a pipelined A): the store keeps
// its pointers.
// CHECK-LABEL: func.func @map_read_in_other_boxes
// CHECK-NOT: async_tma_store
// CHECK: kite.store
#out = #kitegpu.blocked<{sizePerThread = [1, 8], threadsPerWarp = [2, 16], warpsPerCTA = [4, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @map_read_in_other_boxes(%p: tensor<128x128x!kite.ptr<f16>, #out>, %map: !kite.ptr<i8>,
                                     %v: tensor<128x128xf16, #out>, %row: i32, %col: i32,
                                     %m: tensor<128x128xi1, #out>)
      attributes {kite.kernel, kite.tensor_maps = "1:8x64:128"} {
    %a = kite.ptr_to_int %map : !kite.ptr<i8> -> i64
    kite.store %p, %v, %m tensor_map(%a, %row, %col) : tensor<128x128x!kite.ptr<f16>, #out>
    return
  }
}
