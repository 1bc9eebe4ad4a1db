// A mask AxisInfo proves constant over groups of a thread's consecutive
// registers (`r < n` with n divisible by 16, 4 registers per thread) is
// computed once per group, and its value used by every register of it.
// RUN: kite-opt %s --convert-kitegpu-to-threads | FileCheck %s

// CHECK-LABEL: func.func @masked_select
// CHECK-COUNT-1: arith.cmpi slt
// CHECK-NOT: arith.cmpi
// CHECK-COUNT-4: arith.select %[[M:.*]], %{{.*}}, %{{.*}} : f32
#b = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [4], warpsPerCTA = [1], order = [0]}>
module attributes {"kitegpu.num-warps" = 1 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @masked_select(%x: f32, %n: i32 {kite.divisibility = 16 : i32}) attributes {kite.kernel} {
    %r = kite.make_range 0 to 16 : tensor<16xi32, #b>
    %ns = kite.splat %n : i32 -> tensor<16xi32, #b>
    %m = arith.cmpi slt, %r, %ns : tensor<16xi32, #b>
    %xs = kite.splat %x : f32 -> tensor<16xf32, #b>
    %z = arith.constant dense<0.0> : tensor<16xf32, #b>
    %s = arith.select %m, %xs, %z : tensor<16xi1, #b>, tensor<16xf32, #b>
    kite.print "" %s : tensor<16xf32, #b>
    return
  }
}
