// kitegpu-check-thread-limits: a tensor whose layout gives a thread more
// elements than the target allows is an error at the op that makes it.
// RUN: kite-opt %s --split-input-file --verify-diagnostics \
// RUN:   --kitegpu-check-thread-limits=max-elements-per-thread=16
// RUN: kite-opt %s --split-input-file \
// RUN:   --kitegpu-check-thread-limits=max-elements-per-thread=0 | FileCheck %s

// 64 elements over 2 warps of 4 threads: 8 each, within the limit.
#b = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  // CHECK-LABEL: func.func @within
  func.func @within(%n: i32) attributes {kite.kernel} {
    %r = kite.make_range 0 to 64 : tensor<64xi32, #b>
    kite.print "r" %r : tensor<64xi32, #b>
    return
  }
}

// -----

// 256 elements: 32 a thread, beyond 16 (the second op is not reached).
#b = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  // CHECK-LABEL: func.func @beyond
  func.func @beyond(%n: i32) attributes {kite.kernel} {
    // expected-error @+1 {{'kite.make_range' makes a block of shape [256] that gives each thread 32 elements, more than the 16 this target allows (2 warps of 4 threads); use smaller blocks (loop over them) or more warps}}
    %r = kite.make_range 0 to 256 : tensor<256xi32, #b>
    %s = kite.splat %n : i32 -> tensor<256xi32, #b>
    %a = arith.addi %r, %s : tensor<256xi32, #b>
    kite.print "a" %a : tensor<256xi32, #b>
    return
  }
}

// -----

// The elements a thread holds, not the block's: sizePerThread 32 on a block
// of 8 repeats elements in every thread.
#b = #kitegpu.blocked<{sizePerThread = [32], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  // CHECK-LABEL: func.func @replicated
  func.func @replicated(%n: i32) attributes {kite.kernel} {
    // expected-error @+1 {{'kite.splat' makes a block of shape [8] that gives each thread 32 elements}}
    %s = kite.splat %n : i32 -> tensor<8xi32, #b>
    kite.print "s" %s : tensor<8xi32, #b>
    return
  }
}
