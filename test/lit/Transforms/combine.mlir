// kite-combine: the tile-level peephole rewrites.
// RUN: kite-opt %s --split-input-file --kite-combine | FileCheck %s

// CHECK-LABEL: func.func @addptr_chain
// CHECK: %[[SUM:.*]] = arith.addi %arg1, %arg2 : tensor<64xi32>
// CHECK: %[[P:.*]] = kite.addptr %arg0, %[[SUM]] : tensor<64x!kite.ptr<f32>>, tensor<64xi32>
// CHECK-NOT: kite.addptr
// CHECK: return %[[P]]
func.func @addptr_chain(%p: tensor<64x!kite.ptr<f32>>, %a: tensor<64xi32>, %b: tensor<64xi32>) -> tensor<64x!kite.ptr<f32>> {
  %0 = kite.addptr %p, %a : tensor<64x!kite.ptr<f32>>, tensor<64xi32>
  %1 = kite.addptr %0, %b : tensor<64x!kite.ptr<f32>>, tensor<64xi32>
  return %1 : tensor<64x!kite.ptr<f32>>
}

// -----

// Offsets of different types are left alone.
// CHECK-LABEL: func.func @addptr_chain_mixed_types
// CHECK: kite.addptr %arg0, %arg1 : !kite.ptr<f32>, i32
// CHECK: kite.addptr %{{.*}}, %arg2 : !kite.ptr<f32>, i64
func.func @addptr_chain_mixed_types(%p: !kite.ptr<f32>, %a: i32, %b: i64) -> !kite.ptr<f32> {
  %0 = kite.addptr %p, %a : !kite.ptr<f32>, i32
  %1 = kite.addptr %0, %b : !kite.ptr<f32>, i64
  return %1 : !kite.ptr<f32>
}

// -----

// CHECK-LABEL: func.func @dot_plus_d
// CHECK: %[[D:.*]] = kite.dot %arg0, %arg1, %arg2 : tensor<16x16xf16> * tensor<16x16xf16> -> tensor<16x16xf32>
// CHECK-NOT: arith.addf
// CHECK: %[[E:.*]] = kite.dot %arg0, %arg1, %arg2 : tensor<16x16xf16> * tensor<16x16xf16> -> tensor<16x16xf32>
// CHECK-NOT: arith.addf
// CHECK: return %[[D]], %[[E]]
func.func @dot_plus_d(%a: tensor<16x16xf16>, %b: tensor<16x16xf16>, %d: tensor<16x16xf32>) -> (tensor<16x16xf32>, tensor<16x16xf32>) {
  %zero = arith.constant dense<0.0> : tensor<16x16xf32>
  %0 = kite.dot %a, %b, %zero : tensor<16x16xf16> * tensor<16x16xf16> -> tensor<16x16xf32>
  %1 = arith.addf %0, %d : tensor<16x16xf32>
  %2 = kite.dot %a, %b, %zero : tensor<16x16xf16> * tensor<16x16xf16> -> tensor<16x16xf32>
  %3 = arith.addf %d, %2 : tensor<16x16xf32>
  return %1, %3 : tensor<16x16xf32>, tensor<16x16xf32>
}

// -----

// CHECK-LABEL: func.func @int_dot_plus_d
// CHECK: %[[D:.*]] = kite.dot %arg0, %arg0, %arg1 : tensor<16x16xi8> * tensor<16x16xi8> -> tensor<16x16xi32>
// CHECK-NEXT: return %[[D]]
func.func @int_dot_plus_d(%a: tensor<16x16xi8>, %d: tensor<16x16xi32>) -> tensor<16x16xi32> {
  %zero = arith.constant dense<0> : tensor<16x16xi32>
  %0 = kite.dot %a, %a, %zero : tensor<16x16xi8> * tensor<16x16xi8> -> tensor<16x16xi32>
  %1 = arith.addi %0, %d : tensor<16x16xi32>
  return %1 : tensor<16x16xi32>
}

// -----

// The dot is kept when its result has another use, or when it already
// accumulates into something other than zero.
// CHECK-LABEL: func.func @dot_not_combined
// CHECK: %[[D0:.*]] = kite.dot %arg0, %arg1, %{{.*}}
// CHECK: arith.addf %[[D0]], %arg2
// CHECK: %[[D1:.*]] = kite.dot %arg0, %arg1, %arg2
// CHECK: arith.addf %[[D1]], %arg2
func.func @dot_not_combined(%a: tensor<16x16xf16>, %b: tensor<16x16xf16>, %d: tensor<16x16xf32>) -> (tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>) {
  %zero = arith.constant dense<0.0> : tensor<16x16xf32>
  %0 = kite.dot %a, %b, %zero : tensor<16x16xf16> * tensor<16x16xf16> -> tensor<16x16xf32>
  %1 = arith.addf %0, %d : tensor<16x16xf32>
  %2 = kite.dot %a, %b, %d : tensor<16x16xf16> * tensor<16x16xf16> -> tensor<16x16xf32>
  %3 = arith.addf %2, %d : tensor<16x16xf32>
  return %0, %1, %3 : tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>
}

// -----

// CHECK-LABEL: func.func @select_of_masked_load
// CHECK: %[[V:.*]] = kite.load %arg0, %arg1, %arg2 : tensor<64x!kite.ptr<f32>>
// CHECK-NOT: arith.select
// CHECK: return %[[V]]
func.func @select_of_masked_load(%p: tensor<64x!kite.ptr<f32>>, %m: tensor<64xi1>, %o: tensor<64xf32>) -> tensor<64xf32> {
  %0 = kite.load %p, %m : tensor<64x!kite.ptr<f32>>
  %1 = arith.select %m, %0, %o : tensor<64xi1>, tensor<64xf32>
  return %1 : tensor<64xf32>
}

// -----

// A select on another condition is not the load's `other`.
// CHECK-LABEL: func.func @select_other_condition
// CHECK: %[[V:.*]] = kite.load %arg0, %arg1 : tensor<64x!kite.ptr<f32>>
// CHECK: arith.select %arg2, %[[V]], %arg3
func.func @select_other_condition(%p: tensor<64x!kite.ptr<f32>>, %m: tensor<64xi1>, %n: tensor<64xi1>, %o: tensor<64xf32>) -> tensor<64xf32> {
  %0 = kite.load %p, %m : tensor<64x!kite.ptr<f32>>
  %1 = arith.select %n, %0, %o : tensor<64xi1>, tensor<64xf32>
  return %1 : tensor<64xf32>
}

// -----

// CHECK-LABEL: func.func @select_of_volatile_load
// CHECK: %[[V:.*]] = kite.load volatile %arg0, %arg1, %arg2 : tensor<64x!kite.ptr<f32>>
// CHECK-NOT: kite.load
// CHECK: return %[[V]]
func.func @select_of_volatile_load(%p: tensor<64x!kite.ptr<f32>>, %m: tensor<64xi1>, %o: tensor<64xf32>) -> tensor<64xf32> {
  %0 = kite.load volatile %p, %m : tensor<64x!kite.ptr<f32>>
  %1 = arith.select %m, %0, %o : tensor<64xi1>, tensor<64xf32>
  return %1 : tensor<64xf32>
}

// -----

// CHECK-LABEL: func.func @broadcast_of_splat
// CHECK: %[[S:.*]] = kite.splat %arg0 : f32 -> tensor<32x64xf32>
// CHECK-NOT: kite.broadcast
// CHECK: return %[[S]]
func.func @broadcast_of_splat(%x: f32) -> tensor<32x64xf32> {
  %0 = kite.splat %x : f32 -> tensor<1x64xf32>
  %1 = kite.broadcast %0 : tensor<1x64xf32> -> tensor<32x64xf32>
  return %1 : tensor<32x64xf32>
}
