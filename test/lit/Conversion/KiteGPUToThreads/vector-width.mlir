// How many elements one vector access moves: at most 16 bytes, and at most
// max-vector-elements (4 by default, for SPIR-V, whose vectors have 4
// components; NVPTX compiles with 16, moving 8 f16 or 16 i8 in one 128-bit
// access).
// RUN: kite-opt %s --convert-kitegpu-to-threads --canonicalize --cse | FileCheck %s --check-prefix=SPIRV
// RUN: kite-opt %s --convert-kitegpu-to-threads=max-vector-elements=16 --canonicalize --cse | FileCheck %s --check-prefix=NVPTX

// SPIRV-LABEL: func.func @copy_f16_i8()
// SPIRV-COUNT-2: kitethread.load %{{.*}}, %{{.*}} other %{{.*}} align 8 : vector<4xf16>
// SPIRV-COUNT-4: kitethread.load %{{.*}}, %{{.*}} other %{{.*}} align 4 : vector<4xi8>
// NVPTX-LABEL: func.func @copy_f16_i8()
// NVPTX: kitethread.load %{{.*}}, %{{.*}} other %{{.*}} align 16 : vector<8xf16>
// NVPTX: kitethread.store %{{.*}}, %{{.*}}, %{{.*}} align 16 : vector<8xf16>
// NVPTX: kitethread.load %{{.*}}, %{{.*}} other %{{.*}} align 16 : vector<16xi8>
// NVPTX: kitethread.store %{{.*}}, %{{.*}}, %{{.*}} align 16 : vector<16xi8>
#h = #kitegpu.blocked<{sizePerThread = [8], threadsPerWarp = [4], warpsPerCTA = [1], order = [0]}>
#c = #kitegpu.blocked<{sizePerThread = [16], threadsPerWarp = [4], warpsPerCTA = [1], order = [0]}>
module attributes {"kitegpu.num-warps" = 1 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @copy_f16_i8(%x: !kite.ptr<f16> {kite.divisibility = 16 : i32}, %y: !kite.ptr<f16> {kite.divisibility = 16 : i32},
                         %a: !kite.ptr<i8> {kite.divisibility = 16 : i32}, %b: !kite.ptr<i8> {kite.divisibility = 16 : i32},
                         %n: i32 {kite.divisibility = 16 : i32}) attributes {kite.kernel} {
    %r = kite.make_range 0 to 32 : tensor<32xi32, #h>
    %ns = kite.splat %n : i32 -> tensor<32xi32, #h>
    %m = arith.cmpi slt, %r, %ns : tensor<32xi32, #h>
    %o = arith.constant dense<0.0> : tensor<32xf16, #h>
    %xs = kite.splat %x : !kite.ptr<f16> -> tensor<32x!kite.ptr<f16>, #h>
    %xp = kite.addptr %xs, %r : tensor<32x!kite.ptr<f16>, #h>, tensor<32xi32, #h>
    %v = kite.load %xp, %m, %o : tensor<32x!kite.ptr<f16>, #h>
    %ys = kite.splat %y : !kite.ptr<f16> -> tensor<32x!kite.ptr<f16>, #h>
    %yp = kite.addptr %ys, %r : tensor<32x!kite.ptr<f16>, #h>, tensor<32xi32, #h>
    kite.store %yp, %v, %m : tensor<32x!kite.ptr<f16>, #h>

    %r8 = kite.make_range 0 to 64 : tensor<64xi32, #c>
    %ns8 = kite.splat %n : i32 -> tensor<64xi32, #c>
    %m8 = arith.cmpi slt, %r8, %ns8 : tensor<64xi32, #c>
    %o8 = arith.constant dense<0> : tensor<64xi8, #c>
    %as = kite.splat %a : !kite.ptr<i8> -> tensor<64x!kite.ptr<i8>, #c>
    %ap = kite.addptr %as, %r8 : tensor<64x!kite.ptr<i8>, #c>, tensor<64xi32, #c>
    %w = kite.load %ap, %m8, %o8 : tensor<64x!kite.ptr<i8>, #c>
    %bs = kite.splat %b : !kite.ptr<i8> -> tensor<64x!kite.ptr<i8>, #c>
    %bp = kite.addptr %bs, %r8 : tensor<64x!kite.ptr<i8>, #c>, tensor<64xi32, #c>
    kite.store %bp, %w, %m8 : tensor<64x!kite.ptr<i8>, #c>
    return
  }
}
