// A NaN's bits matter only where something reads them (UnobservedNaNBits.cpp).
// On sm_90 an e4m3 value decoded by cvt_unpack gets the software decoder's
// NaN (0x7FC00000 with the code's sign) by a cmpf uno and a select, and a
// bf16 rounded by cvt_pack the software 0x7FC0 the same way; where the
// value only reaches a dot's operands or a compare (through fp_to_fp,
// arithmetic, truncf and shape ops) both selects are left out. A store, a
// bitcast or a loop's yield keeps them.
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads="tensor-cores=90" --canonicalize --cse | FileCheck %s
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads="tensor-cores=90" | FileCheck %s --check-prefix=MARKS

// MARKS-NOT: kitethread.nan_bits_free

// The decoded codes, times a scale, rounded to bf16, as a dot's operand:
// no NaN select.
// CHECK-LABEL: func.func @dot_operands(
// CHECK: kitethread.cvt_unpack f8E4M3FN
// CHECK: kitethread.cvt_pack bf16
// CHECK-NOT: arith.cmpf uno
// CHECK: return
#b = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [2, 2], warpsPerCTA = [2, 1], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @dot_operands(%p: !kite.ptr<i8>, %s: f32, %y: f32) attributes {kite.kernel} {
    %r = kite.make_range 0 to 4 : tensor<4xi32, #kitegpu.slice<{dim = 1, parent = #b}>>
    %c = kite.make_range 0 to 8 : tensor<8xi32, #kitegpu.slice<{dim = 0, parent = #b}>>
    %r2 = kite.expand_dims %r axis = 1 : tensor<4xi32, #kitegpu.slice<{dim = 1, parent = #b}>> -> tensor<4x1xi32, #b>
    %c2 = kite.expand_dims %c axis = 0 : tensor<8xi32, #kitegpu.slice<{dim = 0, parent = #b}>> -> tensor<1x8xi32, #b>
    %eight = arith.constant dense<8> : tensor<4x1xi32, #b>
    %rows = arith.muli %r2, %eight : tensor<4x1xi32, #b>
    %rb = kite.broadcast %rows : tensor<4x1xi32, #b> -> tensor<4x8xi32, #b>
    %cb = kite.broadcast %c2 : tensor<1x8xi32, #b> -> tensor<4x8xi32, #b>
    %idx = arith.addi %rb, %cb : tensor<4x8xi32, #b>
    %ps = kite.splat %p : !kite.ptr<i8> -> tensor<4x8x!kite.ptr<i8>, #b>
    %pp = kite.addptr %ps, %idx : tensor<4x8x!kite.ptr<i8>, #b>, tensor<4x8xi32, #b>
    %codes = kite.load %pp : tensor<4x8x!kite.ptr<i8>, #b>
    %f8 = arith.bitcast %codes : tensor<4x8xi8, #b> to tensor<4x8xf8E4M3FN, #b>
    %wide = kite.fp_to_fp %f8 : tensor<4x8xf8E4M3FN, #b> -> tensor<4x8xf32, #b>
    %scale = kite.splat %s : f32 -> tensor<4x8xf32, #b>
    %scaled = arith.mulf %wide, %scale : tensor<4x8xf32, #b>
    %a = arith.truncf %scaled : tensor<4x8xf32, #b> to tensor<4x8xbf16, #b>
    %yh = arith.truncf %y : f32 to bf16
    %t = kite.splat %yh : bf16 -> tensor<8x4xbf16, #b>
    %zero = arith.constant dense<0.0> : tensor<4x4xf32, #b>
    %d = kite.dot %a, %t, %zero : tensor<4x8xbf16, #b> * tensor<8x4xbf16, #b> -> tensor<4x4xf32, #b>
    kite.print "" %d : tensor<4x4xf32, #b>
    return
  }
}

// -----

// Compared only: no select.
// CHECK-LABEL: func.func @compared(
// CHECK: kitethread.cvt_unpack f8E4M3FN
// CHECK-NOT: arith.select
// CHECK: arith.cmpf ogt
// CHECK: return
#b = #kitegpu.blocked<{sizePerThread = [2], threadsPerWarp = [4], warpsPerCTA = [1], order = [0]}>
module attributes {"kitegpu.num-warps" = 1 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @compared(%x: !kite.ptr<f8E4M3FN>) attributes {kite.kernel} {
    %r = kite.make_range 0 to 8 : tensor<8xi32, #b>
    %xs = kite.splat %x : !kite.ptr<f8E4M3FN> -> tensor<8x!kite.ptr<f8E4M3FN>, #b>
    %xp = kite.addptr %xs, %r : tensor<8x!kite.ptr<f8E4M3FN>, #b>, tensor<8xi32, #b>
    %v = kite.load %xp : tensor<8x!kite.ptr<f8E4M3FN>, #b>
    %w = kite.fp_to_fp %v : tensor<8xf8E4M3FN, #b> -> tensor<8xf32, #b>
    %zero = arith.constant dense<0.0> : tensor<8xf32, #b>
    %gt = arith.cmpf ogt, %w, %zero : tensor<8xf32, #b>
    kite.print "" %gt : tensor<8xi1, #b>
    return
  }
}

// -----

// Stored as f32 (and through a bitcast): the NaN's bits are the software
// decoder's.
// CHECK-LABEL: func.func @stored(
// CHECK: kitethread.cvt_unpack f8E4M3FN
// CHECK: arith.cmpf uno
// CHECK: arith.select
// CHECK: kitethread.store
// CHECK-LABEL: func.func @bitcast(
// CHECK: kitethread.cvt_pack bf16
// CHECK: arith.cmpf uno
// CHECK: arith.select
#b = #kitegpu.blocked<{sizePerThread = [2], threadsPerWarp = [4], warpsPerCTA = [1], order = [0]}>
module attributes {"kitegpu.num-warps" = 1 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @stored(%x: !kite.ptr<f8E4M3FN>, %y: !kite.ptr<f32>) attributes {kite.kernel} {
    %r = kite.make_range 0 to 8 : tensor<8xi32, #b>
    %xs = kite.splat %x : !kite.ptr<f8E4M3FN> -> tensor<8x!kite.ptr<f8E4M3FN>, #b>
    %xp = kite.addptr %xs, %r : tensor<8x!kite.ptr<f8E4M3FN>, #b>, tensor<8xi32, #b>
    %v = kite.load %xp : tensor<8x!kite.ptr<f8E4M3FN>, #b>
    %w = kite.fp_to_fp %v : tensor<8xf8E4M3FN, #b> -> tensor<8xf32, #b>
    %ys = kite.splat %y : !kite.ptr<f32> -> tensor<8x!kite.ptr<f32>, #b>
    %yp = kite.addptr %ys, %r : tensor<8x!kite.ptr<f32>, #b>, tensor<8xi32, #b>
    kite.store %yp, %w : tensor<8x!kite.ptr<f32>, #b>
    return
  }
  func.func @bitcast(%x: !kite.ptr<f32>) attributes {kite.kernel} {
    %r = kite.make_range 0 to 8 : tensor<8xi32, #b>
    %xs = kite.splat %x : !kite.ptr<f32> -> tensor<8x!kite.ptr<f32>, #b>
    %xp = kite.addptr %xs, %r : tensor<8x!kite.ptr<f32>, #b>, tensor<8xi32, #b>
    %v = kite.load %xp : tensor<8x!kite.ptr<f32>, #b>
    %h = arith.truncf %v : tensor<8xf32, #b> to tensor<8xbf16, #b>
    %i = arith.bitcast %h : tensor<8xbf16, #b> to tensor<8xi16, #b>
    kite.print "" %i : tensor<8xi16, #b>
    return
  }
}

// -----

// fp8 codes loaded only for a dot, which stages them (here the FMA dot,
// through workgroup memory): decoded without the NaN select, the decoded
// registers still carry their codes, so the staging stores the loaded
// bytes and the decode is dead; nothing is encoded again.
// CHECK-LABEL: func.func @staged_codes(
// CHECK-NOT: kitethread.cvt_unpack
// CHECK-NOT: kitethread.cvt_pack
// CHECK-NOT: arith.cmpf uno
// CHECK: memref.store %{{.*}} : memref<32xi8, #gpu.address_space<workgroup>>
// CHECK-NOT: kitethread.cvt_pack
// CHECK: gpu.barrier
#b = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [2, 2], warpsPerCTA = [2, 1], order = [1, 0]}>
#bt = #kitegpu.blocked<{sizePerThread = [2, 1], threadsPerWarp = [2, 2], warpsPerCTA = [1, 2], order = [0, 1]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @staged_codes(%p: !kite.ptr<f8E4M3FN>) attributes {kite.kernel} {
    %r = kite.make_range 0 to 4 : tensor<4xi32, #kitegpu.slice<{dim = 1, parent = #b}>>
    %c = kite.make_range 0 to 8 : tensor<8xi32, #kitegpu.slice<{dim = 0, parent = #b}>>
    %r2 = kite.expand_dims %r axis = 1 : tensor<4xi32, #kitegpu.slice<{dim = 1, parent = #b}>> -> tensor<4x1xi32, #b>
    %c2 = kite.expand_dims %c axis = 0 : tensor<8xi32, #kitegpu.slice<{dim = 0, parent = #b}>> -> tensor<1x8xi32, #b>
    %eight = arith.constant dense<8> : tensor<4x1xi32, #b>
    %rows = arith.muli %r2, %eight : tensor<4x1xi32, #b>
    %rb = kite.broadcast %rows : tensor<4x1xi32, #b> -> tensor<4x8xi32, #b>
    %cb = kite.broadcast %c2 : tensor<1x8xi32, #b> -> tensor<4x8xi32, #b>
    %idx = arith.addi %rb, %cb : tensor<4x8xi32, #b>
    %ps = kite.splat %p : !kite.ptr<f8E4M3FN> -> tensor<4x8x!kite.ptr<f8E4M3FN>, #b>
    %pp = kite.addptr %ps, %idx : tensor<4x8x!kite.ptr<f8E4M3FN>, #b>, tensor<4x8xi32, #b>
    %a = kite.load %pp : tensor<4x8x!kite.ptr<f8E4M3FN>, #b>
    %b = kite.trans %a order = [1, 0] : tensor<4x8xf8E4M3FN, #b> -> tensor<8x4xf8E4M3FN, #bt>
    %zero = arith.constant dense<0.0> : tensor<4x4xf32, #b>
    %d = kite.dot %a, %b, %zero : tensor<4x8xf8E4M3FN, #b> * tensor<8x4xf8E4M3FN, #bt> -> tensor<4x4xf32, #b>
    kite.print "" %d : tensor<4x4xf32, #b>
    return
  }
}
