// Element-wise ops, make_range, splat, constants and the program grid: one
// op per register. 8 threads (2 warps of 4) and sizePerThread 2: a thread
// holds elements 2 * tid and 2 * tid + 1 of a 16-element tensor.
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads | FileCheck %s

#b = #kitegpu.blocked<{sizePerThread = [2], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
// CHECK: module attributes {{{.*}}"kitethread.arg-types" = [i32, f32], "kitethread.num-threads" = 8 : i32, "kitethread.pointer-args" = array<i32>}
// CHECK-LABEL: func.func @arith()
// CHECK: %[[N:.*]] = kitethread.kernel_arg 0 : i32
// CHECK: %[[PID:.*]] = kitethread.program_id y : i32
// CHECK: %[[NP:.*]] = kitethread.num_programs z : i32
// The thread's first element: (warp * 4 + lane) * 2.
// CHECK: %[[TID:.*]] = gpu.thread_id x
// CHECK: %[[T:.*]] = arith.index_cast %[[TID]] : index to i32
// CHECK: %[[LANE:.*]] = arith.andi %[[T]], %{{.*}} : i32
// CHECK: %[[WARP:.*]] = arith.shrui %[[T]], %{{.*}} : i32
// CHECK: %[[FIRST:.*]] = arith.muli %{{.*}}, %c2_i32{{.*}} : i32
// make_range 8 to 24: registers 0 and 1 hold 8 + first and 8 + first + 1.
// CHECK: %[[SECOND:.*]] = arith.addi %[[FIRST]], %c1_i32{{.*}} : i32
// CHECK: %[[R0:.*]] = arith.addi %[[FIRST]], %c8_i32{{.*}} : i32
// CHECK: %[[R1:.*]] = arith.addi %[[SECOND]], %c8_i32{{.*}} : i32
// splat: %n in both registers.
// CHECK: %[[A0:.*]] = arith.addi %[[R0]], %[[N]] : i32
// CHECK: %[[A1:.*]] = arith.addi %[[R1]], %[[N]] : i32
// CHECK: %[[M0:.*]] = arith.cmpi slt, %[[A0]], %[[N]] : i32
// CHECK: %[[M1:.*]] = arith.cmpi slt, %[[A1]], %[[N]] : i32
// CHECK: %[[F0:.*]] = arith.sitofp %[[A0]] : i32 to f32
// CHECK: %[[F1:.*]] = arith.sitofp %[[A1]] : i32 to f32
// CHECK: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: %[[S0:.*]] = arith.select %[[M0]], %[[F0]], %[[HALF]] : f32
// CHECK: %[[S1:.*]] = arith.select %[[M1]], %[[F1]], %[[HALF]] : f32
// CHECK: %[[E0:.*]] = math.exp %[[S0]] : f32
// CHECK: %[[E1:.*]] = math.exp %[[S1]] : f32
// CHECK: kitethread.print "e = " %[[E0]], %[[E1]], %[[PID]], %[[NP]] : f32, f32, i32, i32
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @arith(%n: i32, %f: f32) attributes {kite.kernel} {
    %pid = kite.program_id y : i32
    %np = kite.num_programs z : i32
    %r = kite.make_range 8 to 24 : tensor<16xi32, #b>
    %s = kite.splat %n : i32 -> tensor<16xi32, #b>
    %a = arith.addi %r, %s : tensor<16xi32, #b>
    %m = arith.cmpi slt, %a, %s : tensor<16xi32, #b>
    %c = arith.sitofp %a : tensor<16xi32, #b> to tensor<16xf32, #b>
    %z = arith.constant dense<0.5> : tensor<16xf32, #b>
    %sel = arith.select %m, %c, %z : tensor<16xi1, #b>, tensor<16xf32, #b>
    %e = math.exp %sel : tensor<16xf32, #b>
    kite.print "e = " %e, %pid, %np : tensor<16xf32, #b>, i32, i32
    return
  }
}
