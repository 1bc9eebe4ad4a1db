// A tensor-core dot whose operand is decoded from 8-bit codes in a slot of
// the software pipeliner (DecodedOperands.cpp): with fuse-dequantize, the
// decode chain is evaluated at the mma.sync fragments' coordinates, reading
// the codes where they are, and the decoded operand is never staged in
// workgroup memory; the policy "unshared" (the default) does so where no
// other warp decodes the same elements, "always" wherever the chain allows,
// "never" not at all.
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads="tensor-cores=80 max-vector-elements=16" --canonicalize --cse | FileCheck %s
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads="tensor-cores=80 max-vector-elements=16 fuse-dequantize=never" --canonicalize --cse | FileCheck %s --check-prefix=NEVER
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads="tensor-cores=89 max-vector-elements=16 fuse-dequantize=always" --canonicalize --cse | FileCheck %s --check-prefix=ALWAYS
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads="tensor-cores=89 max-vector-elements=16" --canonicalize --cse | FileCheck %s --check-prefix=CHEAP
// RUN: not kite-opt %s --split-input-file --convert-kitegpu-to-threads="fuse-dequantize=sometimes" 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: convert-kitegpu-to-threads: fuse-dequantize is unshared, always or never, not 'sometimes'

// W8A16, 16 rows on 4 warps (one warp along M): b's int8 codes are read
// from their slot at each fragment's (k, n), converted, scaled, and rounded
// two at a time into the fragment's f16 words; a (f16) is read in place by
// ldmatrix. The only buffers are the two slots.
// CHECK-LABEL: func.func @w8a16(
// CHECK: memref.alloc() : memref<1024xf16, #gpu.address_space<workgroup>>
// CHECK: memref.alloc() : memref<2048xi8, #gpu.address_space<workgroup>>
// CHECK-NOT: memref.alloc
// CHECK: memref.load %{{.*}} : memref<1024xi8, strided<[1], offset: ?>, #gpu.address_space<workgroup>>
// CHECK: arith.sitofp %{{.*}} : i8 to f32
// CHECK: arith.mulf
// CHECK: arith.truncf %{{.*}} : vector<2xf32> to vector<2xf16>
// CHECK: kitethread.ldmatrix
// CHECK: kitethread.mma_sync f16
// CHECK: kitethread.mma_sync f16
// CHECK-NOT: kitethread.mma_sync
// NEVER-LABEL: func.func @w8a16(
// NEVER: memref.alloc() : memref<1024xf16, #gpu.address_space<workgroup>>
// NEVER: memref.alloc() : memref<2048xi8, #gpu.address_space<workgroup>>
// NEVER: memref.alloc() : memref<1024xf16, #gpu.address_space<workgroup>>
// NEVER: kitethread.ldmatrix {{.*}}transpose
// ALWAYS-LABEL: func.func @w8a16(
// ALWAYS: memref.alloc() : memref<1024xf16, #gpu.address_space<workgroup>>
// ALWAYS: memref.alloc() : memref<2048xi8, #gpu.address_space<workgroup>>
// ALWAYS-NOT: memref.alloc
// ALWAYS: kitethread.mma_sync f16
#a = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#b = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [1, 4], order = [1, 0]}>
#sa = #kitegpu.shared<{vec = 8, perPhase = 2, maxPhase = 4, order = [1, 0]}>
#sb = #kitegpu.shared<{vec = 16, perPhase = 4, maxPhase = 2, order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @w8a16(%out: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %slot: i32, %s: f32) attributes {kite.kernel} {
    %bufa = kitegpu.local_alloc -> !kitegpu.memdesc<2x16x32xf16, #sa>
    %bufb = kitegpu.local_alloc -> !kitegpu.memdesc<2x32x32xi8, #sb>
    kitegpu.async_wait 0
    %va = kitegpu.local_load %bufa[%slot] : !kitegpu.memdesc<2x16x32xf16, #sa> -> tensor<16x32xf16, #a>
    %q = kitegpu.local_load %bufb[%slot] : !kitegpu.memdesc<2x32x32xi8, #sb> -> tensor<32x32xi8, #b>
    %f = arith.sitofp %q : tensor<32x32xi8, #b> to tensor<32x32xf32, #b>
    %sc = kite.splat %s : f32 -> tensor<32x32xf32, #b>
    %m = arith.mulf %f, %sc : tensor<32x32xf32, #b>
    %w = arith.truncf %m : tensor<32x32xf32, #b> to tensor<32x32xf16, #b>
    %zero = arith.constant dense<0.000000e+00> : tensor<16x32xf32, #c>
    %d = kite.dot %va, %w, %zero : tensor<16x32xf16, #a> * tensor<32x32xf16, #b> -> tensor<16x32xf32, #c>
    %o = kite.splat %out : !kite.ptr<f32> -> tensor<16x32x!kite.ptr<f32>, #c>
    kite.store %o, %d : tensor<16x32x!kite.ptr<f32>, #c>
    return
  }
}

// -----

// The decoded weights are also stored: their chain is lowered anyway, so
// the dot stages them as usual.
// CHECK-LABEL: func.func @decoded_value_used_twice(
// CHECK: memref.alloc() : memref<1024xf16, #gpu.address_space<workgroup>>
// CHECK: memref.alloc() : memref<2048xi8, #gpu.address_space<workgroup>>
// CHECK: memref.alloc() : memref<1024xf16, #gpu.address_space<workgroup>>
// CHECK: kitethread.ldmatrix {{.*}}transpose
// ALWAYS-LABEL: func.func @decoded_value_used_twice(
// ALWAYS: memref.alloc() : memref<1024xf16, #gpu.address_space<workgroup>>
// ALWAYS: memref.alloc() : memref<2048xi8, #gpu.address_space<workgroup>>
// ALWAYS: memref.alloc() : memref<1024xf16, #gpu.address_space<workgroup>>
#a = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#b = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [1, 4], order = [1, 0]}>
#sa = #kitegpu.shared<{vec = 8, perPhase = 2, maxPhase = 4, order = [1, 0]}>
#sb = #kitegpu.shared<{vec = 16, perPhase = 4, maxPhase = 2, order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @decoded_value_used_twice(%out: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %wout: !kite.ptr<f16> {kite.divisibility = 16 : i32}, %slot: i32, %s: f32) attributes {kite.kernel} {
    %bufa = kitegpu.local_alloc -> !kitegpu.memdesc<2x16x32xf16, #sa>
    %bufb = kitegpu.local_alloc -> !kitegpu.memdesc<2x32x32xi8, #sb>
    kitegpu.async_wait 0
    %va = kitegpu.local_load %bufa[%slot] : !kitegpu.memdesc<2x16x32xf16, #sa> -> tensor<16x32xf16, #a>
    %q = kitegpu.local_load %bufb[%slot] : !kitegpu.memdesc<2x32x32xi8, #sb> -> tensor<32x32xi8, #b>
    %f = arith.sitofp %q : tensor<32x32xi8, #b> to tensor<32x32xf32, #b>
    %sc = kite.splat %s : f32 -> tensor<32x32xf32, #b>
    %m = arith.mulf %f, %sc : tensor<32x32xf32, #b>
    %w = arith.truncf %m : tensor<32x32xf32, #b> to tensor<32x32xf16, #b>
    %wp = kite.splat %wout : !kite.ptr<f16> -> tensor<32x32x!kite.ptr<f16>, #b>
    kite.store %wp, %w : tensor<32x32x!kite.ptr<f16>, #b>
    %zero = arith.constant dense<0.000000e+00> : tensor<16x32xf32, #c>
    %d = kite.dot %va, %w, %zero : tensor<16x32xf16, #a> * tensor<32x32xf16, #b> -> tensor<16x32xf32, #c>
    %o = kite.splat %out : !kite.ptr<f32> -> tensor<16x32x!kite.ptr<f32>, #c>
    kite.store %o, %d : tensor<16x32x!kite.ptr<f32>, #c>
    return
  }
}

// -----

// Both operands e4m3 codes (dot_scaled's MXFP8), 2 x 2 warps: every operand
// is decoded by two warps. On sm_80 (e4m3 decoded in software) the default
// stages both; from sm_89 the decode is cheap (a cvt per two codes) and the
// default, like "always", decodes both at the fragments, with K permuted
// alike in a and b so that a lane's codes of two K steps (32 of K) are one
// 8-byte load per row or column, decoded two per cvt and rounded two per
// cvt.rn.bf16x2.f32; no ldmatrix, and only the slots in workgroup memory.
// CHECK-LABEL: func.func @fp8_both(
// CHECK: kitethread.ldmatrix
// CHEAP-LABEL: func.func @fp8_both(
// CHEAP-NOT: kitethread.ldmatrix
// CHEAP: kitethread.cvt_unpack f8E4M3FN
// CHEAP-NOT: kitethread.ldmatrix
// CHEAP: return
// ALWAYS-LABEL: func.func @fp8_both(
// ALWAYS: memref.alloc() : memref<4096xi8, #gpu.address_space<workgroup>>
// ALWAYS: memref.alloc() : memref<4096xi8, #gpu.address_space<workgroup>>
// ALWAYS-NOT: memref.alloc
// ALWAYS-NOT: kitethread.ldmatrix
// ALWAYS: vector.load {{.*}} vector<8xi8>
// ALWAYS: kitethread.cvt_unpack f8E4M3FN
// ALWAYS: kitethread.cvt_pack bf16
// ALWAYS: kitethread.mma_sync bf16
// ALWAYS-NOT: kitethread.ldmatrix
#a = #kitegpu.blocked<{sizePerThread = [1, 16], threadsPerWarp = [16, 2], warpsPerCTA = [4, 1], order = [1, 0]}>
#bt = #kitegpu.blocked<{sizePerThread = [16, 1], threadsPerWarp = [2, 16], warpsPerCTA = [1, 4], order = [0, 1]}>
#c = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [2, 2], order = [1, 0]}>
#s = #kitegpu.shared<{vec = 16, perPhase = 2, maxPhase = 4, order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @fp8_both(%out: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %slot: i32) attributes {kite.kernel} {
    %bufa = kitegpu.local_alloc -> !kitegpu.memdesc<2x32x64xi8, #s>
    %bufb = kitegpu.local_alloc -> !kitegpu.memdesc<2x32x64xi8, #s>
    kitegpu.async_wait 0
    %qa = kitegpu.local_load %bufa[%slot] : !kitegpu.memdesc<2x32x64xi8, #s> -> tensor<32x64xi8, #a>
    %qb = kitegpu.local_load %bufb[%slot] : !kitegpu.memdesc<2x32x64xi8, #s> -> tensor<32x64xi8, #a>
    %qbt = kite.trans %qb order = [1, 0] : tensor<32x64xi8, #a> -> tensor<64x32xi8, #bt>
    %ea = arith.bitcast %qa : tensor<32x64xi8, #a> to tensor<32x64xf8E4M3FN, #a>
    %eb = arith.bitcast %qbt : tensor<64x32xi8, #bt> to tensor<64x32xf8E4M3FN, #bt>
    %fa = kite.fp_to_fp %ea : tensor<32x64xf8E4M3FN, #a> -> tensor<32x64xf32, #a>
    %fb = kite.fp_to_fp %eb : tensor<64x32xf8E4M3FN, #bt> -> tensor<64x32xf32, #bt>
    %ha = arith.truncf %fa : tensor<32x64xf32, #a> to tensor<32x64xbf16, #a>
    %hb = arith.truncf %fb : tensor<64x32xf32, #bt> to tensor<64x32xbf16, #bt>
    %zero = arith.constant dense<0.000000e+00> : tensor<32x32xf32, #c>
    %d = kite.dot %ha, %hb, %zero : tensor<32x64xbf16, #a> * tensor<64x32xbf16, #bt> -> tensor<32x32xf32, #c>
    %o = kite.splat %out : !kite.ptr<f32> -> tensor<32x32x!kite.ptr<f32>, #c>
    kite.store %o, %d : tensor<32x32x!kite.ptr<f32>, #c>
    return
  }
}

// -----

// A per-column scale computed outside the chain (loaded, as before a K
// loop; one register per thread) is read from its registers through a
// small workgroup buffer: its 32 values stored once, a barrier, then one
// load per fragment column; the weights are still not staged at 16 bits.
// A leaf of several registers per thread is not at hand (the conversion
// gives a pattern only its own operands' registers): then the weights are
// staged (@scale_of_four_registers).
// ALWAYS-LABEL: func.func @scale_from_registers(
// CHECK-LABEL: func.func @scale_from_registers(
// CHECK: memref.alloc() : memref<1024xf16, #gpu.address_space<workgroup>>
// CHECK: memref.alloc() : memref<2048xi8, #gpu.address_space<workgroup>>
// CHECK: %[[S:.*]] = memref.alloc() : memref<32xf32, #gpu.address_space<workgroup>>
// CHECK-NOT: memref.alloc
// CHECK: memref.store %{{.*}}, %[[S]]
// CHECK: gpu.barrier
// CHECK: memref.load %[[S]]
// CHECK: kitethread.mma_sync f16
#a = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#b = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [1, 4], order = [1, 0]}>
#sa = #kitegpu.shared<{vec = 8, perPhase = 2, maxPhase = 4, order = [1, 0]}>
#sb = #kitegpu.shared<{vec = 16, perPhase = 4, maxPhase = 2, order = [1, 0]}>
#l = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @scale_from_registers(%out: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %sp: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %slot: i32) attributes {kite.kernel} {
    %bufa = kitegpu.local_alloc -> !kitegpu.memdesc<2x16x32xf16, #sa>
    %bufb = kitegpu.local_alloc -> !kitegpu.memdesc<2x32x32xi8, #sb>
    %cols = kite.make_range 0 to 32 : tensor<32xi32, #l>
    %ptrs = kite.splat %sp : !kite.ptr<f32> -> tensor<32x!kite.ptr<f32>, #l>
    %at = kite.addptr %ptrs, %cols : tensor<32x!kite.ptr<f32>, #l>, tensor<32xi32, #l>
    %s = kite.load %at : tensor<32x!kite.ptr<f32>, #l>
    %s1 = kitegpu.convert_layout %s : tensor<32xf32, #l> -> tensor<32xf32, #kitegpu.slice<{dim = 0, parent = #b}>>
    %s2 = kite.expand_dims %s1 axis = 0 : tensor<32xf32, #kitegpu.slice<{dim = 0, parent = #b}>> -> tensor<1x32xf32, #b>
    %sc = kite.broadcast %s2 : tensor<1x32xf32, #b> -> tensor<32x32xf32, #b>
    kitegpu.async_wait 0
    %va = kitegpu.local_load %bufa[%slot] : !kitegpu.memdesc<2x16x32xf16, #sa> -> tensor<16x32xf16, #a>
    %q = kitegpu.local_load %bufb[%slot] : !kitegpu.memdesc<2x32x32xi8, #sb> -> tensor<32x32xi8, #b>
    %f = arith.sitofp %q : tensor<32x32xi8, #b> to tensor<32x32xf32, #b>
    %m = arith.mulf %f, %sc : tensor<32x32xf32, #b>
    %w = arith.truncf %m : tensor<32x32xf32, #b> to tensor<32x32xf16, #b>
    %zero = arith.constant dense<0.000000e+00> : tensor<16x32xf32, #c>
    %d = kite.dot %va, %w, %zero : tensor<16x32xf16, #a> * tensor<32x32xf16, #b> -> tensor<16x32xf32, #c>
    %o = kite.splat %out : !kite.ptr<f32> -> tensor<16x32x!kite.ptr<f32>, #c>
    kite.store %o, %d : tensor<16x32x!kite.ptr<f32>, #c>
    return
  }
}

// -----

// ALWAYS-LABEL: func.func @scale_of_four_registers(
// CHECK-LABEL: func.func @scale_of_four_registers(
// CHECK: memref.alloc() : memref<1024xf16, #gpu.address_space<workgroup>>
// CHECK: memref.alloc() : memref<2048xi8, #gpu.address_space<workgroup>>
// CHECK: memref.alloc() : memref<1024xf16, #gpu.address_space<workgroup>>
// CHECK: kitethread.ldmatrix {{.*}}transpose
#a = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#b = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [1, 4], order = [1, 0]}>
#sa = #kitegpu.shared<{vec = 8, perPhase = 2, maxPhase = 4, order = [1, 0]}>
#sb = #kitegpu.shared<{vec = 16, perPhase = 4, maxPhase = 2, order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @scale_of_four_registers(%out: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %sp: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %slot: i32) attributes {kite.kernel} {
    %bufa = kitegpu.local_alloc -> !kitegpu.memdesc<2x16x32xf16, #sa>
    %bufb = kitegpu.local_alloc -> !kitegpu.memdesc<2x32x32xi8, #sb>
    %cols = kite.make_range 0 to 32 : tensor<32xi32, #kitegpu.slice<{dim = 0, parent = #b}>>
    %row = kite.expand_dims %cols axis = 0 : tensor<32xi32, #kitegpu.slice<{dim = 0, parent = #b}>> -> tensor<1x32xi32, #b>
    %ptrs = kite.splat %sp : !kite.ptr<f32> -> tensor<1x32x!kite.ptr<f32>, #b>
    %at = kite.addptr %ptrs, %row : tensor<1x32x!kite.ptr<f32>, #b>, tensor<1x32xi32, #b>
    %s = kite.load %at : tensor<1x32x!kite.ptr<f32>, #b>
    %sc = kite.broadcast %s : tensor<1x32xf32, #b> -> tensor<32x32xf32, #b>
    kitegpu.async_wait 0
    %va = kitegpu.local_load %bufa[%slot] : !kitegpu.memdesc<2x16x32xf16, #sa> -> tensor<16x32xf16, #a>
    %q = kitegpu.local_load %bufb[%slot] : !kitegpu.memdesc<2x32x32xi8, #sb> -> tensor<32x32xi8, #b>
    %f = arith.sitofp %q : tensor<32x32xi8, #b> to tensor<32x32xf32, #b>
    %m = arith.mulf %f, %sc : tensor<32x32xf32, #b>
    %w = arith.truncf %m : tensor<32x32xf32, #b> to tensor<32x32xf16, #b>
    %zero = arith.constant dense<0.000000e+00> : tensor<16x32xf32, #c>
    %d = kite.dot %va, %w, %zero : tensor<16x32xf16, #a> * tensor<32x32xf16, #b> -> tensor<16x32xf32, #c>
    %o = kite.splat %out : !kite.ptr<f32> -> tensor<16x32x!kite.ptr<f32>, #c>
    kite.store %o, %d : tensor<16x32x!kite.ptr<f32>, #c>
    return
  }
}
