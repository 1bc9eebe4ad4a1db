// The fnuz and e8m0 formats' encoders (EmulatedFloats.cpp, derived from
// dialects/Kite/Float8Formats.h): f32 -> f8E4M3FNUZ saturates from 240.0
// (0x43700000) to code 0x7F, keeps a zero +0 whatever its sign, and makes
// infinities and NaN the one NaN, 0x80; f32 -> f8E8M0FNU takes the f32
// exponent field, one up from half the mantissa (0x400000), NaN (0xFF) for
// zero and past 2^127.
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads --canonicalize --cse | FileCheck %s

// CHECK-LABEL: func.func @to_e4m3fnuz()
// CHECK-DAG: %[[NAN:.*]] = arith.constant 128 : i32
// CHECK-DAG: %[[INF:.*]] = arith.constant 2139095040 : i32
// CHECK-DAG: %[[MAXCODE:.*]] = arith.constant 127 : i32
// CHECK-DAG: %[[MAX:.*]] = arith.constant 1131413504 : i32
// CHECK-DAG: %[[MINNORMAL:.*]] = arith.constant 1006632960 : i32
// CHECK: %[[SIGN:.*]] = arith.shrui %{{.*}}, %c24_i32 : i32
// CHECK: %[[ABS:.*]] = arith.andi %{{.*}}, %c2147483647_i32 : i32
// CHECK: arith.cmpi ult, %[[ABS]], %[[MINNORMAL]] : i32
// CHECK: %[[OVER:.*]] = arith.cmpi uge, %[[ABS]], %[[MAX]] : i32
// CHECK: %[[SAT:.*]] = arith.select %[[OVER]], %[[MAXCODE]], %{{.*}} : i32
// CHECK: %[[ZERO:.*]] = arith.cmpi eq, %[[SAT]], %c0_i32 : i32
// CHECK: %[[S:.*]] = arith.select %[[ZERO]], %c0_i32, %[[SIGN]] : i32
// CHECK: %[[SPECIAL:.*]] = arith.cmpi uge, %[[ABS]], %[[INF]] : i32
// CHECK: %[[SIGNED:.*]] = arith.ori %[[SAT]], %[[S]] : i32
// CHECK: %[[CODE:.*]] = arith.select %[[SPECIAL]], %[[NAN]], %[[SIGNED]] : i32
// CHECK: %[[BYTE:.*]] = arith.trunci %[[CODE]] : i32 to i8
// CHECK: kitethread.store %{{.*}}, %[[BYTE]] align 1 : i8
#b = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [4], warpsPerCTA = [1], order = [0]}>
module attributes {"kitegpu.num-warps" = 1 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @to_e4m3fnuz(%x: !kite.ptr<f32>, %y: !kite.ptr<f8E4M3FNUZ>) attributes {kite.kernel} {
    %r = kite.make_range 0 to 4 : tensor<4xi32, #b>
    %xs = kite.splat %x : !kite.ptr<f32> -> tensor<4x!kite.ptr<f32>, #b>
    %xp = kite.addptr %xs, %r : tensor<4x!kite.ptr<f32>, #b>, tensor<4xi32, #b>
    %v = kite.load %xp : tensor<4x!kite.ptr<f32>, #b>
    %w = kite.fp_to_fp %v rounding = rtne : tensor<4xf32, #b> -> tensor<4xf8E4M3FNUZ, #b>
    %ys = kite.splat %y : !kite.ptr<f8E4M3FNUZ> -> tensor<4x!kite.ptr<f8E4M3FNUZ>, #b>
    %yp = kite.addptr %ys, %r : tensor<4x!kite.ptr<f8E4M3FNUZ>, #b>, tensor<4xi32, #b>
    kite.store %yp, %w : tensor<4x!kite.ptr<f8E4M3FNUZ>, #b>
    return
  }
}

// -----

// CHECK-LABEL: func.func @to_e8m0()
// CHECK: %[[BITS:.*]] = arith.bitcast %{{.*}} : f32 to i32
// CHECK: %[[EXP:.*]] = arith.shrui %[[BITS]], %c23_i32 : i32
// CHECK: %[[MAN:.*]] = arith.andi %[[BITS]], %c8388607_i32 : i32
// CHECK: arith.cmpi uge, %[[MAN]], %c4194304_i32 : i32
// CHECK: arith.cmpi uge, %[[MAN]], %c6291456_i32 : i32
// CHECK: arith.cmpi eq, %[[BITS]], %c0_i32 : i32
// CHECK: arith.cmpi uge, %{{.*}}, %c255_i32 : i32
// CHECK: kitethread.store %{{.*}}, %{{.*}} align 1 : i8
#b = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [4], warpsPerCTA = [1], order = [0]}>
module attributes {"kitegpu.num-warps" = 1 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @to_e8m0(%x: !kite.ptr<f32>, %y: !kite.ptr<f8E8M0FNU>) attributes {kite.kernel} {
    %r = kite.make_range 0 to 4 : tensor<4xi32, #b>
    %xs = kite.splat %x : !kite.ptr<f32> -> tensor<4x!kite.ptr<f32>, #b>
    %xp = kite.addptr %xs, %r : tensor<4x!kite.ptr<f32>, #b>, tensor<4xi32, #b>
    %v = kite.load %xp : tensor<4x!kite.ptr<f32>, #b>
    %w = kite.fp_to_fp %v rounding = rtne : tensor<4xf32, #b> -> tensor<4xf8E8M0FNU, #b>
    %ys = kite.splat %y : !kite.ptr<f8E8M0FNU> -> tensor<4x!kite.ptr<f8E8M0FNU>, #b>
    %yp = kite.addptr %ys, %r : tensor<4x!kite.ptr<f8E8M0FNU>, #b>, tensor<4xi32, #b>
    kite.store %yp, %w : tensor<4x!kite.ptr<f8E8M0FNU>, #b>
    return
  }
}
