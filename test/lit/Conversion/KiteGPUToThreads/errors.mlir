// What convert-kitegpu-to-threads does not lower is reported, not crashed on.
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads --verify-diagnostics

// expected-error @below {{convert-kitegpu-to-threads needs the module attributes kitegpu.num-warps and kitegpu.threads-per-warp}}
module {
  func.func @no_target() attributes {kite.kernel} {
    return
  }
}

// -----

#b = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @plain_tensor() attributes {kite.kernel} {
    // expected-error @below {{has a tensor without a distributed layout ('tensor<8xi32>'); run the kitegpu stage first}}
    %r = kite.make_range 0 to 8 : tensor<8xi32>
    return
  }
}

// -----

#b = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @dense(%x: !kite.ptr<i32>) attributes {kite.kernel} {
    // The pattern says why; the conversion driver then names the op.
    // expected-error @below {{only splat tensor constants lower to threads yet}}
    // expected-error @below {{failed to legalize operation 'arith.constant'}}
    %c = arith.constant dense<[0, 1, 2, 3, 4, 5, 6, 7]> : tensor<8xi32, #b>
    kite.print "" %c : tensor<8xi32, #b>
    return
  }
}

// -----

// A broadcast whose result layout puts elements in other threads needs a
// convert_layout (the kitegpu stage inserts one).
#a = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [4, 1], warpsPerCTA = [2, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [1, 4], warpsPerCTA = [1, 2], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @bad_broadcast(%v: i32) attributes {kite.kernel} {
    %s = kite.splat %v : i32 -> tensor<8x1xi32, #a>
    // expected-error @below {{moves elements between threads}}
    // expected-error @below {{failed to legalize operation 'kite.broadcast'}}
    %b = kite.broadcast %s : tensor<8x1xi32, #a> -> tensor<8x8xi32, #c>
    kite.print "" %b : tensor<8x8xi32, #c>
    return
  }
}

// -----

module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  // expected-error @below {{only kernels lower to threads}}
  func.func @helper() {
    return
  }
}

// -----

// A join whose pairs are spread over two threads would move data between
// them: the kitegpu stage never builds one, and it is reported.
#p = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [2, 2], warpsPerCTA = [2, 1], order = [1, 0]}>
#d = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @join_across_threads() attributes {kite.kernel} {
    %a = kite.make_range 0 to 16 : tensor<16xi32, #d>
    // expected-error @below {{'kite.join' op needs each thread to hold both elements of every pair of 'tensor<16x2xi32, #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [2, 2], warpsPerCTA = [2, 1], order = [1, 0]}>>'; it needs a kitegpu.convert_layout}}
    // expected-error @below {{failed to legalize operation 'kite.join'}}
    %j = kite.join %a, %a : tensor<16xi32, #d> -> tensor<16x2xi32, #p>
    kite.print "j" %j : tensor<16x2xi32, #p>
    return
  }
}

// -----

#p = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [2, 2], warpsPerCTA = [2, 1], order = [1, 0]}>
#d = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @split_across_threads(%x: i32) attributes {kite.kernel} {
    %s = kite.splat %x : i32 -> tensor<16x2xi32, #p>
    // expected-error @below {{'kite.split' op needs each thread to hold both elements of every pair}}
    // expected-error @below {{failed to legalize operation 'kite.split'}}
    %l, %h = kite.split %s : tensor<16x2xi32, #p> -> tensor<16xi32, #d>
    kite.print "h" %h : tensor<16xi32, #d>
    return
  }
}

// -----

// A gather's source goes to workgroup memory: 16384 f32 are 64 KiB.
#b = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @gather_too_big(%v: f32, %i: i32) attributes {kite.kernel} {
    %src = kite.splat %v : f32 -> tensor<16384xf32, #b>
    %idx = kite.splat %i : i32 -> tensor<8xi32, #b>
    // expected-error @below {{'kite.gather' needs 65536 bytes of workgroup memory for its source of shape 16384, more than the 32768 a program has on this target; gather from a smaller block}}
    // expected-error @below {{failed to legalize operation 'kite.gather'}}
    %g = kite.gather %src[%idx] axis = 0 : tensor<16384xf32, #b>, tensor<8xi32, #b> -> tensor<8xf32, #b>
    kite.print "" %g : tensor<8xf32, #b>
    return
  }
}

// -----

// The result is read through the index's registers: its layout must place
// elements as the index's does.
#b = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
#v = #kitegpu.blocked<{sizePerThread = [2], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @gather_result_layout(%v: f32, %i: i32) attributes {kite.kernel} {
    %src = kite.splat %v : f32 -> tensor<16xf32, #b>
    %idx = kite.splat %i : i32 -> tensor<16xi32, #b>
    // expected-error @below {{needs its result in its index's layout ('tensor<16xi32, #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>>' to 'tensor<16xf32, #kitegpu.blocked<{sizePerThread = [2], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>>'); it needs a kitegpu.convert_layout}}
    // expected-error @below {{failed to legalize operation 'kite.gather'}}
    %g = kite.gather %src[%idx] axis = 0 : tensor<16xf32, #b>, tensor<16xi32, #b> -> tensor<16xf32, #v>
    kite.print "" %g : tensor<16xf32, #v>
    return
  }
}
