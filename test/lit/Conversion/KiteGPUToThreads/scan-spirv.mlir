// End to end: a cumulative sum along the rows of a 16x64 tile, then a
// reverse cumulative max along its columns, through the kitegpu stage,
// convert-kitegpu-to-threads and the SPIR-V emitter; spirv-val accepts it.
// REQUIRES: spirv-tools
// RUN: kite-opt %s --threads-pipeline="num-warps=4 threads-per-warp=32" | FileCheck %s --check-prefix=THREADS
// RUN: kite-opt %s --threads-pipeline="num-warps=4 threads-per-warp=32" --convert-kitethread-to-spirv=subgroup-size=32 | kite-translate --serialize-spirv -o %t.spv
// RUN: spirv-val --target-env vulkan1.2 %t.spv
// Lavapipe's subgroups have 8 threads.
// RUN: kite-opt %s --threads-pipeline="num-warps=2 threads-per-warp=8" --convert-kitethread-to-spirv=subgroup-size=8 | kite-translate --serialize-spirv -o %t8.spv
// RUN: spirv-val --target-env vulkan1.2 %t8.spv

// THREADS-LABEL: func.func @scans()
// THREADS: gpu.shuffle xor
// THREADS: arith.select
// THREADS: gpu.barrier
// THREADS: arith.maximumf
func.func @scans(%x: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %y: !kite.ptr<f32> {kite.divisibility = 16 : i32}) attributes {kite.kernel} {
  %rm = kite.make_range 0 to 16 : tensor<16xi32>
  %rn = kite.make_range 0 to 64 : tensor<64xi32>
  %m = kite.expand_dims %rm axis = 1 : tensor<16xi32> -> tensor<16x1xi32>
  %n = kite.expand_dims %rn axis = 0 : tensor<64xi32> -> tensor<1x64xi32>
  %c64 = arith.constant dense<64> : tensor<16x1xi32>
  %ms = arith.muli %m, %c64 : tensor<16x1xi32>
  %mb = kite.broadcast %ms : tensor<16x1xi32> -> tensor<16x64xi32>
  %nb = kite.broadcast %n : tensor<1x64xi32> -> tensor<16x64xi32>
  %off = arith.addi %mb, %nb : tensor<16x64xi32>
  %xs = kite.splat %x : !kite.ptr<f32> -> tensor<16x64x!kite.ptr<f32>>
  %xp = kite.addptr %xs, %off : tensor<16x64x!kite.ptr<f32>>, tensor<16x64xi32>
  %v = kite.load %xp : tensor<16x64x!kite.ptr<f32>>
  %s = kite.scan(%v) axis = 1 : (tensor<16x64xf32>) -> tensor<16x64xf32> {
  ^bb0(%a: f32, %b: f32):
    %r = arith.addf %a, %b : f32
    kite.scan.return %r : f32
  }
  %t = kite.scan(%s) axis = 0 reverse : (tensor<16x64xf32>) -> tensor<16x64xf32> {
  ^bb0(%a: f32, %b: f32):
    %r = arith.maximumf %a, %b : f32
    kite.scan.return %r : f32
  }
  %ys = kite.splat %y : !kite.ptr<f32> -> tensor<16x64x!kite.ptr<f32>>
  %yp = kite.addptr %ys, %off : tensor<16x64x!kite.ptr<f32>>, tensor<16x64xi32>
  kite.store %yp, %t : tensor<16x64x!kite.ptr<f32>>
  return
}
