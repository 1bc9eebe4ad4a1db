// The `kite` stage (--kite-pipeline): inline, canonicalize, kite-combine, cse,
// loop-invariant-code-motion, canonicalize.
// RUN: kite-opt %s --kite-pipeline | FileCheck %s

// CHECK-LABEL: func.func @kernel
// CHECK-SAME: (%[[X:.*]]: !kite.ptr<f32>, %[[N:.*]]: i32)
// CHECK-DAG: %[[ONE:.*]] = arith.constant dense<1.000000e+00> : tensor<64xf32>
// CHECK-DAG: %[[R:.*]] = kite.make_range 0 to 64 : tensor<64xi32>
// CHECK-DAG: %[[PS:.*]] = kite.splat %[[X]] : !kite.ptr<f32> -> tensor<64x!kite.ptr<f32>>
// The helper is inlined and its two addptrs become one; the range, the splat
// and the addptr do not depend on the loop and are hoisted out of it.
// CHECK: %[[P:.*]] = kite.addptr %[[PS]], %{{.*}} : tensor<64x!kite.ptr<f32>>, tensor<64xi32>
// CHECK-NOT: kite.addptr
// CHECK: scf.for
// CHECK-NOT: kite.splat
// CHECK: %[[V:.*]] = kite.load %[[P]] : tensor<64x!kite.ptr<f32>>
// CHECK: %[[W:.*]] = arith.addf %[[V]], %[[ONE]] : tensor<64xf32>
// CHECK: kite.store %[[P]], %[[W]] : tensor<64x!kite.ptr<f32>>
// CHECK-NOT: call
// CHECK-NOT: @offset
func.func @kernel(%x: !kite.ptr<f32>, %n: i32) attributes {kite.kernel} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    %r = kite.make_range 0 to 64 : tensor<64xi32>
    %ps = kite.splat %x : !kite.ptr<f32> -> tensor<64x!kite.ptr<f32>>
    %p = func.call @offset(%ps, %r) : (tensor<64x!kite.ptr<f32>>, tensor<64xi32>) -> tensor<64x!kite.ptr<f32>>
    %true = arith.constant dense<true> : tensor<64xi1>
    %v = kite.load %p, %true : tensor<64x!kite.ptr<f32>>
    %one = arith.constant 1.0 : f32
    %ones = kite.splat %one : f32 -> tensor<64xf32>
    %w = arith.addf %v, %ones : tensor<64xf32>
    kite.store %p, %w : tensor<64x!kite.ptr<f32>>
  }
  return
}

// A @kite.func helper that the tracer left as a call.
func.func private @offset(%p: tensor<64x!kite.ptr<f32>>, %r: tensor<64xi32>) -> tensor<64x!kite.ptr<f32>> {
  %c = arith.constant dense<8> : tensor<64xi32>
  %0 = kite.addptr %p, %r : tensor<64x!kite.ptr<f32>>, tensor<64xi32>
  %1 = kite.addptr %0, %c : tensor<64x!kite.ptr<f32>>, tensor<64xi32>
  return %1 : tensor<64x!kite.ptr<f32>>
}
