// Every verifier of the kitegpu dialect, with its message.
// RUN: kite-opt %s --split-input-file --verify-diagnostics

// expected-error @+1 {{sizePerThread, threadsPerWarp, warpsPerCTA and order must have one rank, got 2, 2, 1 and 2}}
func.func @rank_mismatch(%x: tensor<4x4xf32, #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [4, 8], warpsPerCTA = [4], order = [1, 0]}>>) {
  return
}

// -----

// expected-error @+1 {{threadsPerWarp entries must be powers of two, got 6}}
func.func @not_power_of_two(%x: tensor<4xf32, #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [6], warpsPerCTA = [4], order = [0]}>>) {
  return
}

// -----

// expected-error @+1 {{order must be a permutation of [0, 2)}}
func.func @bad_order(%x: tensor<4x4xf32, #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 1]}>>) {
  return
}

// -----

// expected-error @+1 {{expected an integer list 'order'}}
func.func @missing_field(%x: tensor<4xf32, #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4]}>>) {
  return
}

// -----

// expected-error @+1 {{slice dim 2 is out of range for a rank-2 parent}}
func.func @slice_dim(%x: tensor<4xf32, #kitegpu.slice<{dim = 2, parent = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>}>>) {
  return
}

// -----

// expected-error @+1 {{the parent of a slice must have rank 2 or more}}
func.func @slice_of_1d(%x: tensor<4xf32, #kitegpu.slice<{dim = 0, parent = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>}>>) {
  return
}

// -----

// expected-error @+1 {{a shared layout's slab must be a power of two and a multiple of vec, not 4}}
func.func @shared_slab(%x: !kitegpu.memdesc<4x64xf16, #kitegpu.shared<{vec = 8, perPhase = 1, maxPhase = 8, order = [1, 0], slab = 4}>>) {
  return
}

// -----

// expected-error @+1 {{vec, perPhase and maxPhase entries must be powers of two, got 3}}
func.func @shared_vec(%x: !kitegpu.memdesc<4x4xf32, #kitegpu.shared<{vec = 3, perPhase = 1, maxPhase = 1, order = [1, 0]}>>) {
  return
}

// -----

// expected-error @+1 {{shared layout order has 1 entries for a rank-3 buffer (its rank, or one less for a buffer of slots)}}
func.func @memdesc_rank(%x: !kitegpu.memdesc<2x4x4xf32, #kitegpu.shared<{vec = 1, perPhase = 1, maxPhase = 1, order = [0]}>>) {
  return
}

// -----

#a = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
func.func @convert_shape(%x: tensor<128xf32, #a>) {
  // expected-error @+1 {{'kitegpu.convert_layout' op changes the shape or element type}}
  %0 = kitegpu.convert_layout %x : tensor<128xf32, #a> -> tensor<128xf16, #a>
  return
}

// -----

#a = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
func.func @convert_plain(%x: tensor<128xf32>) {
  // expected-error @+1 {{'kitegpu.convert_layout' op needs distributed layouts on both sides}}
  %0 = kitegpu.convert_layout %x : tensor<128xf32> -> tensor<128xf32, #a>
  return
}

// -----

#a = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
#s = #kitegpu.shared<{vec = 1, perPhase = 1, maxPhase = 1, order = [0]}>
func.func @local_load_shape(%m: !kitegpu.memdesc<64xf32, #s>) {
  // expected-error @+1 {{'kitegpu.local_load' op tensor 'tensor<128xf32, #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>>' does not match the buffer}}
  %0 = kitegpu.local_load %m : !kitegpu.memdesc<64xf32, #s> -> tensor<128xf32, #a>
  return
}

// -----

// expected-error @+1 {{'kitegpu.num-warps' must be a positive power of two i32, got 3 : i32}}
module attributes {"kitegpu.num-warps" = 3 : i32} {
}

// -----

func.func @not_on_module() attributes {"kitegpu.threads-per-warp" = 32 : i32} {
  // expected-error @-1 {{'kitegpu.threads-per-warp' is only valid on a module}}
  return
}

// -----

module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 8 : i32} {
  func.func @wrong_subgroup() {
    // expected-error @+1 {{has 32 threads per warp and 4 warps, but the module has 8 and 4}}
    %0 = kite.make_range 0 to 128 : tensor<128xi32, #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>>
    return
  }
}

// -----

// A layout that no target could lower (kite-opt used to run out of memory).
// expected-error @+1 {{sizePerThread gives a thread more than 1048576 elements}}
func.func @absurd_size_per_thread(%x: tensor<16xi32, #kitegpu.blocked<{sizePerThread = [1073741824], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>>) {
  return
}

// -----

// expected-error @+1 {{threadsPerWarp and warpsPerCTA make more than 1024 threads}}
func.func @too_many_threads(%x: tensor<4096xf32, #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [64], warpsPerCTA = [32], order = [0]}>>) {
  return
}

// -----

// expected-error @+1 {{this layout gives each thread more than 1048576 elements of a tensor of shape [1048576, 1048576]}}
func.func @too_many_elements_per_thread(%x: tensor<1048576x1048576xf32, #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [1, 8], warpsPerCTA = [1, 4], order = [1, 0]}>>) {
  return
}

// -----

// expected-error @+1 {{a rank-2 layout on a tensor of rank 1}}
func.func @layout_of_another_rank(%x: tensor<16xf32, #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>>) {
  return
}

// -----

#s = #kitegpu.shared<{vec = 8, perPhase = 1, maxPhase = 8, order = [1, 0]}>
func.func @slot_of_a_single_buffer(%slot: i32) {
  %buf = kitegpu.local_alloc -> !kitegpu.memdesc<32x16xf16, #s>
  // expected-error @+1 {{reads a slot of a buffer of slots}}
  %v = kitegpu.local_load %buf[%slot] : !kitegpu.memdesc<32x16xf16, #s> -> tensor<16xf16, #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [1], order = [0]}>>
  return
}

// -----

#s = #kitegpu.shared<{vec = 8, perPhase = 1, maxPhase = 8, order = [1, 0]}>
#a = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [1, 1], order = [1, 0]}>
func.func @copy_of_another_shape(%p: tensor<8x16x!kite.ptr<f16>, #a>, %slot: i32) {
  %buf = kitegpu.local_alloc -> !kitegpu.memdesc<2x32x16xf16, #s>
  // expected-error @+1 {{copies 'tensor<8x16x!kite.ptr<f16>, #kitegpu.blocked}}
  kitegpu.async_copy %p, %buf[%slot] : tensor<8x16x!kite.ptr<f16>, #a> -> !kitegpu.memdesc<2x32x16xf16, #s>
  return
}

// -----

// expected-error @+1 {{a shared layout's rows placed for wgmma (warpsM = 6) need a multiple of 4 warps, two dimensions and a swizzle repeating every 8 rows}}
func.func @placed_rows_of_6_warps(%x: !kitegpu.memdesc<64x64xf16, #kitegpu.shared<{vec = 8, perPhase = 1, maxPhase = 8, order = [1, 0], warpsM = 6}>>) {
  return
}

// -----

// A slot whose rows are not contiguous (order [0, 1]): TMA writes rows.
#cols = #kitegpu.shared<{vec = 8, perPhase = 1, maxPhase = 8, order = [0, 1]}>
#bars = #kitegpu.shared<{vec = 1, perPhase = 1, maxPhase = 1, order = [0]}>
func.func @tma_copy_without_boxes(%map: i64, %r: i32, %slot: i32, %on: i1,
    %m: !kitegpu.memdesc<2x64x64xf16, #cols>, %bars: !kitegpu.memdesc<2xi64, #bars>) {
  // expected-error @+1 {{no TMA boxes write the layout of}}
  kitegpu.async_tma_copy %map[%r, %r], %m[%slot], %bars, %on : !kitegpu.memdesc<2x64x64xf16, #cols>, !kitegpu.memdesc<2xi64, #bars>
  return
}

// -----

#bars = #kitegpu.shared<{vec = 1, perPhase = 1, maxPhase = 1, order = [0]}>
func.func @barriers_of_i32(%bars: !kitegpu.memdesc<2xi32, #bars>, %i: i32) {
  // expected-error @+1 {{needs a 1-D buffer of i64 mbarriers}}
  kitegpu.wait_barrier %bars[%i], %i : !kitegpu.memdesc<2xi32, #bars>
  return
}

// -----

// A row of 24 bytes: no box writes a multiple of 16 bytes of it.
#rows = #kitegpu.shared<{vec = 4, perPhase = 1, maxPhase = 1, order = [1, 0]}>
func.func @tma_store_without_boxes(%map: i64, %r: i32, %m: !kitegpu.memdesc<128x12xf16, #rows>) {
  // expected-error @+1 {{no TMA boxes read the layout of}}
  kitegpu.async_tma_store %map[%r, %r], %m : !kitegpu.memdesc<128x12xf16, #rows>
  return
}
