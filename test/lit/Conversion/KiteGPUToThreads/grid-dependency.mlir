// kite.gdc_wait and kite.gdc_launch_dependents become their kitethread ops,
// in order around the memory accesses (each emitter decides what they are).
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads | FileCheck %s

// CHECK-LABEL: func.func @gdc
// CHECK: kitethread.gdc_wait
// CHECK: kitethread.load
// CHECK: kitethread.gdc_launch_dependents
// CHECK: kitethread.store
#b = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [1], order = [0]}>
module attributes {"kitegpu.num-warps" = 1 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @gdc(%x: !kite.ptr<f32>) attributes {kite.kernel} {
    %r = kite.make_range 0 to 32 : tensor<32xi32, #b>
    %xs = kite.splat %x : !kite.ptr<f32> -> tensor<32x!kite.ptr<f32>, #b>
    %xp = kite.addptr %xs, %r : tensor<32x!kite.ptr<f32>, #b>, tensor<32xi32, #b>
    kite.gdc_wait
    %v = kite.load %xp : tensor<32x!kite.ptr<f32>, #b>
    kite.gdc_launch_dependents
    kite.store %xp, %v : tensor<32x!kite.ptr<f32>, #b>
    return
  }
}
