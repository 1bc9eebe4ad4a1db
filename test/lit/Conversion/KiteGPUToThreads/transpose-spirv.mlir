// End to end: a 64x64 transpose. Loads run along rows, stores along
// columns; the convert_layout between goes through workgroup memory.
// REQUIRES: spirv-tools
// RUN: kite-opt %s --threads-pipeline="num-warps=4 threads-per-warp=32" | FileCheck %s --check-prefix=THREADS
// RUN: kite-opt %s --threads-pipeline="num-warps=4 threads-per-warp=32" --convert-kitethread-to-spirv=subgroup-size=32 | kite-translate --serialize-spirv -o %t.spv
// RUN: spirv-val --target-env vulkan1.2 %t.spv
// RUN: mlir-translate --deserialize-spirv %t.spv | FileCheck %s --check-prefix=BINARY

// THREADS: module attributes {{{.*}}"kitethread.num-threads" = 128 : i32, "kitethread.pointer-args" = array<i32: 0, 1>, "kitethread.shared-bytes" = 16384 : i32}
// THREADS-LABEL: func.func @transpose()
// 32 elements per thread: 8 vector loads, 32 stores to the buffer, a
// barrier, 32 loads of the column layout's elements, a barrier, 8 stores.
// THREADS-COUNT-8: kitethread.load %{{.*}} align 16 : vector<4xf32>
// THREADS: %[[BUF:.*]] = memref.alloc() : memref<4096xf32, #gpu.address_space<workgroup>>
// THREADS-NOT: gpu.barrier
// THREADS-COUNT-32: memref.store %{{.*}}, %[[BUF]][
// THREADS-NOT: memref.store
// THREADS: gpu.barrier
// THREADS-NOT: memref.store
// THREADS-COUNT-32: memref.load
// THREADS-NOT: memref.load
// THREADS: gpu.barrier
// THREADS-COUNT-8: kitethread.store %{{.*}}, %{{.*}} align 16 : vector<4xf32>
// BINARY: spirv.GlobalVariable {{.*}} : !spirv.ptr<!spirv.struct<(!spirv.array<4096 x f32>)>, Workgroup>
// BINARY: spirv.ControlBarrier <Workgroup>
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
