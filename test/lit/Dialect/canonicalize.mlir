// Folders and canonicalization patterns of the kite dialect.
// RUN: kite-opt %s --split-input-file --canonicalize | FileCheck %s

// CHECK-LABEL: func.func @splat_of_constant
// CHECK-DAG: %[[F:.*]] = arith.constant dense<2.500000e+00> : tensor<128xf32>
// CHECK-DAG: %[[I:.*]] = arith.constant dense<7> : tensor<4x4xi32>
// CHECK-NOT: kite.splat
// CHECK: return %[[F]], %[[I]]
func.func @splat_of_constant() -> (tensor<128xf32>, tensor<4x4xi32>) {
  %f = arith.constant 2.5 : f32
  %i = arith.constant 7 : i32
  %0 = kite.splat %f : f32 -> tensor<128xf32>
  %1 = kite.splat %i : i32 -> tensor<4x4xi32>
  return %0, %1 : tensor<128xf32>, tensor<4x4xi32>
}

// -----

// CHECK-LABEL: func.func @splat_of_argument
// CHECK: kite.splat %arg0 : f32 -> tensor<128xf32>
func.func @splat_of_argument(%x: f32) -> tensor<128xf32> {
  %0 = kite.splat %x : f32 -> tensor<128xf32>
  return %0 : tensor<128xf32>
}

// -----

// CHECK-LABEL: func.func @broadcast_of_broadcast
// CHECK: %[[B:.*]] = kite.broadcast %arg0 : tensor<1x1xf32> -> tensor<8x16xf32>
// CHECK-NOT: kite.broadcast
// CHECK: return %[[B]]
func.func @broadcast_of_broadcast(%x: tensor<1x1xf32>) -> tensor<8x16xf32> {
  %0 = kite.broadcast %x : tensor<1x1xf32> -> tensor<1x16xf32>
  %1 = kite.broadcast %0 : tensor<1x16xf32> -> tensor<8x16xf32>
  return %1 : tensor<8x16xf32>
}

// -----

// CHECK-LABEL: func.func @same_type_is_the_source
// CHECK-NOT: kite.broadcast
// CHECK-NOT: kite.reshape
// CHECK-NOT: kite.trans
// CHECK-NOT: kite.bitcast
// CHECK: return %arg0, %arg0, %arg0, %arg0
func.func @same_type_is_the_source(%x: tensor<8x16xf32>) -> (tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>) {
  %0 = kite.broadcast %x : tensor<8x16xf32> -> tensor<8x16xf32>
  %1 = kite.reshape %x : tensor<8x16xf32> -> tensor<8x16xf32>
  %2 = kite.trans %x order = [0, 1] : tensor<8x16xf32> -> tensor<8x16xf32>
  %3 = kite.bitcast %x : tensor<8x16xf32> -> tensor<8x16xf32>
  return %0, %1, %2, %3 : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>, tensor<8x16xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_of_reshape
// CHECK: %[[R:.*]] = kite.reshape %arg0 : tensor<8x16xf32> -> tensor<4x32xf32>
// CHECK-NEXT: return %[[R]]
func.func @reshape_of_reshape(%x: tensor<8x16xf32>) -> tensor<4x32xf32> {
  %0 = kite.reshape %x : tensor<8x16xf32> -> tensor<128xf32>
  %1 = kite.reshape %0 : tensor<128xf32> -> tensor<4x32xf32>
  return %1 : tensor<4x32xf32>
}

// -----

// CHECK-LABEL: func.func @bitcast_round_trip
// CHECK-NOT: kite.bitcast
// CHECK: return %arg0
func.func @bitcast_round_trip(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = kite.bitcast %x : tensor<8xf32> -> tensor<8xi32>
  %1 = kite.bitcast %0 : tensor<8xi32> -> tensor<8xf32>
  return %1 : tensor<8xf32>
}

// -----

// Shape ops on a splat constant give a splat constant of the new shape.
// CHECK-LABEL: func.func @shape_ops_of_splat_constant
// CHECK-DAG: arith.constant dense<1.000000e+00> : tensor<1x64xf32>
// CHECK-DAG: arith.constant dense<1.000000e+00> : tensor<32x64xf32>
// CHECK-DAG: arith.constant dense<1.000000e+00> : tensor<64x1xf32>
// CHECK-DAG: arith.constant dense<1.000000e+00> : tensor<8x8xf32>
// CHECK-NOT: kite.
func.func @shape_ops_of_splat_constant() -> (tensor<1x64xf32>, tensor<32x64xf32>, tensor<64x1xf32>, tensor<8x8xf32>) {
  %c = arith.constant dense<1.0> : tensor<64xf32>
  %0 = kite.expand_dims %c axis = 0 : tensor<64xf32> -> tensor<1x64xf32>
  %1 = kite.broadcast %0 : tensor<1x64xf32> -> tensor<32x64xf32>
  %2 = kite.trans %0 order = [1, 0] : tensor<1x64xf32> -> tensor<64x1xf32>
  %3 = kite.reshape %c : tensor<64xf32> -> tensor<8x8xf32>
  return %0, %1, %2, %3 : tensor<1x64xf32>, tensor<32x64xf32>, tensor<64x1xf32>, tensor<8x8xf32>
}

// -----

// CHECK-LABEL: func.func @addptr_zero
// CHECK-NOT: kite.addptr
// CHECK: return %arg0, %arg1
func.func @addptr_zero(%p: !kite.ptr<f32>, %ps: tensor<64x!kite.ptr<f32>>) -> (!kite.ptr<f32>, tensor<64x!kite.ptr<f32>>) {
  %z = arith.constant 0 : i64
  %zs = arith.constant dense<0> : tensor<64xi32>
  %0 = kite.addptr %p, %z : !kite.ptr<f32>, i64
  %1 = kite.addptr %ps, %zs : tensor<64x!kite.ptr<f32>>, tensor<64xi32>
  return %0, %1 : !kite.ptr<f32>, tensor<64x!kite.ptr<f32>>
}

// -----

// CHECK-LABEL: func.func @load_all_true_mask
// CHECK: %[[V:.*]] = kite.load %arg0 : tensor<64x!kite.ptr<f32>>
// CHECK: %[[W:.*]] = kite.load volatile %arg0 : tensor<64x!kite.ptr<f32>>
// CHECK: return %[[V]], %[[W]]
func.func @load_all_true_mask(%p: tensor<64x!kite.ptr<f32>>, %o: tensor<64xf32>) -> (tensor<64xf32>, tensor<64xf32>) {
  %t = arith.constant dense<true> : tensor<64xi1>
  %0 = kite.load %p, %t, %o : tensor<64x!kite.ptr<f32>>
  %1 = kite.load volatile %p, %t : tensor<64x!kite.ptr<f32>>
  return %0, %1 : tensor<64xf32>, tensor<64xf32>
}

// -----

// CHECK-LABEL: func.func @load_all_false_mask
// CHECK: %[[V:.*]] = kite.load %arg0, %{{.*}} : tensor<64x!kite.ptr<f32>>
// CHECK: return %arg1, %[[V]]
func.func @load_all_false_mask(%p: tensor<64x!kite.ptr<f32>>, %o: tensor<64xf32>) -> (tensor<64xf32>, tensor<64xf32>) {
  %f = arith.constant dense<false> : tensor<64xi1>
  %0 = kite.load %p, %f, %o : tensor<64x!kite.ptr<f32>>
  // Without `other` the lanes are undefined; the load stays.
  %1 = kite.load %p, %f : tensor<64x!kite.ptr<f32>>
  return %0, %1 : tensor<64xf32>, tensor<64xf32>
}

// -----

// CHECK-LABEL: func.func @unused_loads
// CHECK-NOT: kite.load %
// CHECK: kite.load volatile %arg0 : !kite.ptr<f32>
// CHECK-NEXT: return
func.func @unused_loads(%p: !kite.ptr<f32>) {
  %0 = kite.load %p : !kite.ptr<f32>
  %1 = kite.load volatile %p : !kite.ptr<f32>
  return
}

// -----

// CHECK-LABEL: func.func @store_masks
// CHECK-NEXT: kite.store %arg0, %arg1 : tensor<64x!kite.ptr<f32>>
// CHECK-NEXT: return
func.func @store_masks(%p: tensor<64x!kite.ptr<f32>>, %v: tensor<64xf32>) {
  %t = arith.constant dense<true> : tensor<64xi1>
  %f = arith.constant dense<false> : tensor<64xi1>
  kite.store %p, %v, %t : tensor<64x!kite.ptr<f32>>
  kite.store %p, %v, %f : tensor<64x!kite.ptr<f32>>
  return
}

// -----

// CHECK-LABEL: func.func @scalar_store_mask
// CHECK-NEXT: kite.store %arg0, %arg1 : !kite.ptr<i32>
// CHECK-NEXT: return
func.func @scalar_store_mask(%p: !kite.ptr<i32>, %v: i32) {
  %t = arith.constant true
  kite.store %p, %v, %t : !kite.ptr<i32>
  return
}

// -----

// The ordering stays.
// CHECK-LABEL: func.func @atomic_all_true_mask
// CHECK: %[[O:.*]] = kite.atomic_rmw add release cta, %arg0, %arg1 : tensor<64x!kite.ptr<i32>>
// CHECK: return %[[O]]
func.func @atomic_all_true_mask(%p: tensor<64x!kite.ptr<i32>>, %v: tensor<64xi32>) -> tensor<64xi32> {
  %t = arith.constant dense<true> : tensor<64xi1>
  %0 = kite.atomic_rmw add release cta, %p, %v, %t : tensor<64x!kite.ptr<i32>>
  return %0 : tensor<64xi32>
}

// -----

// split(join(a, b)) is (a, b) and join(split(x)) is x.
// CHECK-LABEL: func.func @join_split_fold
// CHECK-NEXT: return %arg0, %arg1, %arg2
func.func @join_split_fold(%a: tensor<8xf32>, %b: tensor<8xf32>, %x: tensor<4x2xi8>)
    -> (tensor<8xf32>, tensor<8xf32>, tensor<4x2xi8>) {
  %j = kite.join %a, %b : tensor<8xf32> -> tensor<8x2xf32>
  %l, %r = kite.split %j : tensor<8x2xf32> -> tensor<8xf32>
  %u, %v = kite.split %x : tensor<4x2xi8> -> tensor<4xi8>
  %y = kite.join %u, %v : tensor<4xi8> -> tensor<4x2xi8>
  return %l, %r, %y : tensor<8xf32>, tensor<8xf32>, tensor<4x2xi8>
}

// -----

// Swapped halves are not the source.
// CHECK-LABEL: func.func @join_swapped_split
// CHECK: kite.split
// CHECK: kite.join
func.func @join_swapped_split(%x: tensor<4x2xi8>) -> tensor<4x2xi8> {
  %u, %v = kite.split %x : tensor<4x2xi8> -> tensor<4xi8>
  %y = kite.join %v, %u : tensor<4xi8> -> tensor<4x2xi8>
  return %y : tensor<4x2xi8>
}
