// Every verifier of the kitethread dialect, with its message.
// RUN: kite-opt %s --split-input-file --verify-diagnostics

func.func @program_id_axis() {
  // expected-error @+1 {{'kitethread.program_id' op axis must be 0, 1 or 2, got 3}}
  %0 = kitethread.program_id 3 : i32
  return
}

// -----

func.func @kernel_arg_index() {
  // expected-error @+1 {{'kitethread.kernel_arg' op attribute 'index' failed to satisfy constraint: 32-bit signless integer attribute whose value is non-negative}}
  %0 = "kitethread.kernel_arg"() <{index = -1 : i32}> : () -> i64
  return
}

// -----

func.func @load_other_without_mask(%a: i64, %x: f32) {
  // expected-error @+1 {{'kitethread.load' op has `other` but no mask}}
  %0 = "kitethread.load"(%a, %x) <{alignment = 4 : i32, operandSegmentSizes = array<i32: 1, 0, 1>}> : (i64, f32) -> f32
  return
}

// -----

func.func @load_other_type(%a: i64, %m: i1, %x: f16) {
  // expected-error @+1 {{'kitethread.load' op failed to verify that other has the result type}}
  %0 = "kitethread.load"(%a, %m, %x) <{alignment = 4 : i32, operandSegmentSizes = array<i32: 1, 1, 1>}> : (i64, i1, f16) -> f32
  return
}

// -----

func.func @load_vector_bits(%a: i64) {
  // expected-error @+1 {{'kitethread.load' op vector access 'vector<3xf32>' has 96 bits; it must have 32, 64 or 128}}
  %0 = kitethread.load %a align 4 : vector<3xf32>
  return
}

// -----

func.func @load_alignment(%a: i64) {
  // expected-error @+1 {{'kitethread.load' op alignment must be a power of two, got 12}}
  %0 = kitethread.load %a align 12 : f32
  return
}

// -----

func.func @store_bool(%a: i64, %b: i1) {
  // expected-error @+1 {{'kitethread.store' op cannot access 'i1' in memory: booleans are stored as i8 (extend, then compare)}}
  kitethread.store %a, %b align 1 : i1
  return
}

// -----

func.func @atomic_float_kind_on_int(%a: i64, %x: i32) {
  // expected-error @+1 {{'kitethread.atomic_rmw' op 'fadd' needs a float type, got 'i32'}}
  %0 = kitethread.atomic_rmw fadd %a, %x : i32
  return
}

// -----

func.func @atomic_int_kind_on_float(%a: i64, %x: f32) {
  // expected-error @+1 {{'kitethread.atomic_rmw' op 'umax' needs an integer type, got 'f32'}}
  %0 = kitethread.atomic_rmw umax %a, %x : f32
  return
}

// -----

func.func @atomic_width(%a: i64, %x: f16) {
  // expected-error @+1 {{'kitethread.atomic_cas' op atomics work on 32- or 64-bit scalars, got 'f16'}}
  %0 = kitethread.atomic_cas %a, %x, %x : f16
  return
}

// -----

// expected-error @+1 {{'kitethread.num-threads' must be a positive i32, got 0 : i32}}
module attributes {"kitethread.num-threads" = 0 : i32} {
}

// -----

// expected-error @+1 {{'kitethread.arg-types' must be an array of scalar types (i1, i8, i16, i32, i64, f16, f32, f64), got [i64, vector<4xf32>]}}
module attributes {"kitethread.arg-types" = [i64, vector<4xf32>]} {
}

// -----

// expected-error @+1 {{unknown kitethread attribute 'kitethread.num_threads'}}
module attributes {"kitethread.num_threads" = 4 : i32} {
}

// -----

func.func @attribute_on_function() attributes {"kitethread.num-threads" = 4 : i32} {
  // expected-error @-1 {{'kitethread.num-threads' is only valid on a module}}
  return
}

// -----

func.func @global_memory_barrier_scope() {
  // expected-error @+1 {{'kitethread.global_memory' is a unit attribute or a scope ("cta", "gpu", "sys") of gpu.barrier}}
  gpu.barrier {kitethread.global_memory = "device"}
  return
}

// -----

func.func @mma_of_f32(%x: i32, %c: f32) {
  // expected-error @+1 {{'kitethread.mma_sync' op multiplies f16, bf16, tf32, i8, f8E4M3FN or f8E5M2, not 'f32'}}
  %d:4 = kitethread.mma_sync f32 a(%x, %x, %x, %x) b(%x, %x) c(%c, %c, %c, %c : f32, f32, f32, f32) : f32, f32, f32, f32
  return
}

// -----

func.func @mma_with_too_few_registers(%x: i32, %c: f32) {
  // expected-error @+1 {{'kitethread.mma_sync' op takes 4, 2 and 4 registers of A, B and C and gives 4 of D (m16n8k16), got 4, 1, 4 and 4}}
  %d:4 = kitethread.mma_sync f16 a(%x, %x, %x, %x) b(%x) c(%c, %c, %c, %c : f32, f32, f32, f32) : f32, f32, f32, f32
  return
}

// -----

func.func @wgmma_n(%x: i32, %c: f32, %b: memref<512xf16, #gpu.address_space<workgroup>>, %i: i32) {
  // expected-error @+1 {{'kitethread.wgmma' op has N a multiple of 8 from 8 to 256, not 12}}
  %d:6 = kitethread.wgmma f16 a(%x, %x, %x, %x) b(%b[%i] : memref<512xf16, #gpu.address_space<workgroup>>) c(%c, %c, %c, %c, %c, %c : f32, f32, f32, f32, f32, f32) {n = 12 : i64, b_swizzle = 128 : i64, b_leading = 0 : i64, b_stride = 1024 : i64} : f32, f32, f32, f32, f32, f32
  return
}

// -----

func.func @wgmma_registers(%x: i32, %c: f32, %b: memref<512xf16, #gpu.address_space<workgroup>>, %i: i32) {
  // expected-error @+1 {{'kitethread.wgmma' op takes 4 registers of A and N / 2 = 8 of C and D, got 4, 4 and 4}}
  %d:4 = kitethread.wgmma f16 a(%x, %x, %x, %x) b(%b[%i] : memref<512xf16, #gpu.address_space<workgroup>>) c(%c, %c, %c, %c : f32, f32, f32, f32) {n = 16 : i64, b_swizzle = 128 : i64, b_leading = 0 : i64, b_stride = 1024 : i64} : f32, f32, f32, f32
  return
}

// -----

func.func @wgmma_swizzle(%x: i32, %c: f32, %b: memref<512xf16, #gpu.address_space<workgroup>>, %i: i32) {
  // expected-error @+1 {{'kitethread.wgmma' op swizzles 32-, 64- or 128-byte rows, not 16}}
  %d:4 = kitethread.wgmma f16 a(%x, %x, %x, %x) b(%b[%i] : memref<512xf16, #gpu.address_space<workgroup>>) c(%c, %c, %c, %c : f32, f32, f32, f32) {n = 8 : i64, b_swizzle = 16 : i64, b_leading = 0 : i64, b_stride = 1024 : i64} : f32, f32, f32, f32
  return
}

// -----

func.func @wgmma_n_major_i8(%x: i32, %c: i32, %b: memref<512xi8, #gpu.address_space<workgroup>>, %i: i32) {
  // expected-error @+1 {{'kitethread.wgmma' op reads an N-major B of f16 or bf16 only, not 'i8'}}
  %d:4 = kitethread.wgmma i8 a(%x, %x, %x, %x) b(%b[%i] : memref<512xi8, #gpu.address_space<workgroup>>) c(%c, %c, %c, %c : i32, i32, i32, i32) {n = 8 : i64, b_swizzle = 128 : i64, b_leading = 0 : i64, b_stride = 1024 : i64, b_transposed} : i32, i32, i32, i32
  return
}

// -----

func.func @wgmma_a_registers_and_descriptor(%x: i32, %c: f32, %b: memref<512xf16, #gpu.address_space<workgroup>>, %i: i32) {
  // expected-error @+1 {{'kitethread.wgmma' op takes 0 registers of A and N / 2 = 4 of C and D, got 4, 4 and 4}}
  %d:4 = kitethread.wgmma f16 a(%x, %x, %x, %x) a_desc(%b[%i] : memref<512xf16, #gpu.address_space<workgroup>>) b(%b[%i] : memref<512xf16, #gpu.address_space<workgroup>>) c(%c, %c, %c, %c : f32, f32, f32, f32) {n = 8 : i64, a_swizzle = 128 : i64, a_leading = 0 : i64, a_stride = 1024 : i64, b_swizzle = 128 : i64, b_leading = 0 : i64, b_stride = 1024 : i64} : f32, f32, f32, f32
  return
}

// -----

func.func @wgmma_a_descriptor_fields(%c: f32, %b: memref<512xf16, #gpu.address_space<workgroup>>, %i: i32) {
  // expected-error @+1 {{'kitethread.wgmma' op reads A from workgroup memory with an index, a_swizzle, a_leading and a_stride}}
  %d:4 = kitethread.wgmma f16 a() a_desc(%b[%i] : memref<512xf16, #gpu.address_space<workgroup>>) b(%b[%i] : memref<512xf16, #gpu.address_space<workgroup>>) c(%c, %c, %c, %c : f32, f32, f32, f32) {n = 8 : i64, b_swizzle = 128 : i64, b_leading = 0 : i64, b_stride = 1024 : i64} : f32, f32, f32, f32
  return
}

// -----

func.func @wgmma_a_swizzle(%c: f32, %b: memref<512xf16, #gpu.address_space<workgroup>>, %i: i32) {
  // expected-error @+1 {{'kitethread.wgmma' op swizzles 32-, 64- or 128-byte rows, not 16}}
  %d:4 = kitethread.wgmma f16 a() a_desc(%b[%i] : memref<512xf16, #gpu.address_space<workgroup>>) b(%b[%i] : memref<512xf16, #gpu.address_space<workgroup>>) c(%c, %c, %c, %c : f32, f32, f32, f32) {n = 8 : i64, a_swizzle = 16 : i64, a_leading = 0 : i64, a_stride = 1024 : i64, b_swizzle = 128 : i64, b_leading = 0 : i64, b_stride = 1024 : i64} : f32, f32, f32, f32
  return
}

// -----

func.func @alignment_not_on_alloc(%x: i32) {
  // expected-error @+1 {{'kitethread.alignment' is a power-of-two byte count of a workgroup memref.alloc}}
  %y = arith.addi %x, %x {kitethread.alignment = 1024 : i64} : i32
  return
}

// -----

func.func @async_copy_to_global(%src: i64, %i: i32, %buf: memref<64xf16>) {
  // expected-error @+1 {{writes workgroup memory, not 'memref<64xf16>'}}
  kitethread.async_copy %src, %buf[%i] bytes 16 : memref<64xf16>
  return
}

// -----

func.func @async_copy_of_half_an_element(%src: i64, %i: i32, %buf: memref<64xf64, #gpu.address_space<workgroup>>) {
  // expected-error @+1 {{copies whole elements: 4 bytes into}}
  kitethread.async_copy %src, %buf[%i] bytes 4 : memref<64xf64, #gpu.address_space<workgroup>>
  return
}

// -----

func.func @cvt_pack_to_f16(%x: f32) {
  // expected-error @+1 {{'kitethread.cvt_pack' op packs f8E4M3FN, f8E5M2 or bf16, not 'f16'}}
  %p = kitethread.cvt_pack f16 %x, %x : i32
  return
}

// -----

func.func @cvt_pack_width(%x: f32) {
  // expected-error @+1 {{'kitethread.cvt_pack' op packs two 'f8E4M3FN' values into i16, not 'i32'}}
  %p = kitethread.cvt_pack f8E4M3FN %x, %x : i32
  return
}

// -----

func.func @cvt_unpack_fnuz(%p: i16) {
  // expected-error @+1 {{'kitethread.cvt_unpack' op unpacks f8E4M3FN or f8E5M2, not 'f8E4M3FNUZ'}}
  %v = kitethread.cvt_unpack f8E4M3FNUZ %p : vector<2xf16>
  return
}
