// kite.fp4_to_fp (Fp4ToThreads.cpp), one register at a time: without
// tensor cores (SPIR-V, where a shader may flush subnormals) the exact f32
// bits by a select between 0.5 and (m + 252) << 22; on NVIDIA the code's
// bits placed in an f32 (sign, exponent, mantissa: the value times
// 2^-126), times 2^126. The high nibble is shifted down first.
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads | FileCheck %s
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads="tensor-cores=80" | FileCheck %s --check-prefix=NV

// CHECK-LABEL: func.func @decode(
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.cmpi ult
// CHECK: arith.select
// CHECK: arith.bitcast %{{.*}} : i32 to f32
// CHECK: arith.shrui %{{.*}}, %c4_i32
// NV-LABEL: func.func @decode(
// NV: arith.extui %{{.*}} : i8 to i32
// NV: arith.shli %{{.*}}, %c22_i32
// NV: arith.bitcast %{{.*}} : i32 to f32
// NV: arith.mulf %{{.*}}, %cst{{.*}} : f32
// NV-NOT: arith.select
// NV: arith.shrui %{{.*}}, %c4_i32
#b = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [1], order = [0]}>
module attributes {"kitegpu.num-warps" = 1 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @decode(%p: !kite.ptr<i8>, %q: !kite.ptr<f32>) attributes {kite.kernel} {
    %ps = kite.splat %p : !kite.ptr<i8> -> tensor<32x!kite.ptr<i8>, #b>
    %codes = kite.load %ps : tensor<32x!kite.ptr<i8>, #b>
    %low = kite.fp4_to_fp %codes : tensor<32xi8, #b> -> tensor<32xf32, #b>
    %high = kite.fp4_to_fp %codes high : tensor<32xi8, #b> -> tensor<32xf32, #b>
    %sum = arith.addf %low, %high : tensor<32xf32, #b>
    %qs = kite.splat %q : !kite.ptr<f32> -> tensor<32x!kite.ptr<f32>, #b>
    kite.store %qs, %sum : tensor<32x!kite.ptr<f32>, #b>
    return
  }
}
