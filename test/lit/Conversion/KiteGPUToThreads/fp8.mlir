// fp8 values are f32 registers holding a value of the format, bytes in
// memory (EmulatedFloats.cpp): a load of f8E4M3FN is an i8 load decoded
// exactly; fp_to_fp to f8E5M2 rounds the f32 register (an i8 code, decoded
// again); the store of an f8E5M2 value stores its i8 code: the code the
// value was decoded from, not encoded a second time.
// RUN: kite-opt %s --convert-kitegpu-to-threads --canonicalize --cse | FileCheck %s

// CHECK-LABEL: func.func @fp8()
// CHECK: %[[BYTE:.*]] = kitethread.load %{{.*}} align 1 : i8
// CHECK: arith.extui %[[BYTE]] : i8 to i32
// CHECK: arith.uitofp %{{.*}} : i32 to f32
// CHECK: %[[CODE:.*]] = arith.trunci %{{.*}} : i32 to i8
// CHECK-NOT: arith.trunci
// CHECK: kitethread.store %{{.*}}, %[[CODE]] align 1 : i8
// CHECK-NOT: f8E
// CHECK-NOT: kitethread.decoded
#b = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [4], warpsPerCTA = [1], order = [0]}>
module attributes {"kitegpu.num-warps" = 1 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @fp8(%x: !kite.ptr<f8E4M3FN>, %y: !kite.ptr<f8E5M2>) attributes {kite.kernel} {
    %r = kite.make_range 0 to 4 : tensor<4xi32, #b>
    %xs = kite.splat %x : !kite.ptr<f8E4M3FN> -> tensor<4x!kite.ptr<f8E4M3FN>, #b>
    %xp = kite.addptr %xs, %r : tensor<4x!kite.ptr<f8E4M3FN>, #b>, tensor<4xi32, #b>
    %v = kite.load %xp : tensor<4x!kite.ptr<f8E4M3FN>, #b>
    %w = kite.fp_to_fp %v rounding = rtne : tensor<4xf8E4M3FN, #b> -> tensor<4xf8E5M2, #b>
    %ys = kite.splat %y : !kite.ptr<f8E5M2> -> tensor<4x!kite.ptr<f8E5M2>, #b>
    %yp = kite.addptr %ys, %r : tensor<4x!kite.ptr<f8E5M2>, #b>, tensor<4xi32, #b>
    kite.store %yp, %w : tensor<4x!kite.ptr<f8E5M2>, #b>
    return
  }
}
