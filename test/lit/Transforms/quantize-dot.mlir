// kite-quantize-dot: dots of dequantized 8-bit operands run on the 8-bit
// values and rescale the product.
// RUN: kite-opt %s --split-input-file --kite-quantize-dot | FileCheck %s

// Per-row a and per-column b scales, int8: an i32 product, rescaled, plus c.
// CHECK-LABEL: func.func @int8_rows_columns
// CHECK: %[[ZERO:.*]] = arith.constant dense<0> : tensor<16x32xi32>
// CHECK: %[[LOW:.*]] = kite.dot %arg0, %arg1, %[[ZERO]] : tensor<16x64xi8> * tensor<64x32xi8> -> tensor<16x32xi32>
// CHECK: %[[F:.*]] = arith.sitofp %[[LOW]] : tensor<16x32xi32> to tensor<16x32xf32>
// CHECK: %[[SA:.*]] = kite.broadcast %arg2 : tensor<16x1xf32> -> tensor<16x32xf32>
// CHECK: %[[X:.*]] = arith.mulf %[[F]], %[[SA]]
// CHECK: %[[SB:.*]] = kite.broadcast %arg3 : tensor<1x32xf32> -> tensor<16x32xf32>
// CHECK: %[[Y:.*]] = arith.mulf %[[X]], %[[SB]]
// CHECK: %[[R:.*]] = arith.addf %arg4, %[[Y]]
// CHECK-NOT: kite.dequantize
// CHECK: return %[[R]]
func.func @int8_rows_columns(%a: tensor<16x64xi8>, %b: tensor<64x32xi8>, %sa: tensor<16x1xf32>, %sb: tensor<1x32xf32>, %c: tensor<16x32xf32>) -> tensor<16x32xf32> {
  %0 = kite.dequantize %a, %sa : tensor<16x64xi8>, tensor<16x1xf32> -> tensor<16x64xf32>
  %1 = kite.dequantize %b, %sb : tensor<64x32xi8>, tensor<1x32xf32> -> tensor<64x32xf32>
  %2 = kite.dot %0, %1, %c : tensor<16x64xf32> * tensor<64x32xf32> -> tensor<16x32xf32>
  return %2 : tensor<16x32xf32>
}

// -----

// fp8 with per-tensor f16 scales and a zero accumulator: an f32 product,
// rescaled, with no add.
// CHECK-LABEL: func.func @fp8_per_tensor
// CHECK: %[[LOW:.*]] = kite.dot %arg0, %arg1, %{{.*}} : tensor<16x32xf8E4M3FN> * tensor<32x16xf8E4M3FN> -> tensor<16x16xf32>
// CHECK: %[[SA:.*]] = arith.extf %arg2 : f16 to f32
// CHECK: %[[SPLAT:.*]] = kite.splat %[[SA]] : f32 -> tensor<16x16xf32>
// CHECK: arith.mulf %[[LOW]], %[[SPLAT]]
// CHECK-NOT: arith.addf
// CHECK: return
func.func @fp8_per_tensor(%a: tensor<16x32xf8E4M3FN>, %b: tensor<32x16xf8E4M3FN>, %sa: f16, %sb: f16) -> tensor<16x16xf32> {
  %zero = arith.constant dense<0.0> : tensor<16x16xf32>
  %0 = kite.dequantize %a, %sa : tensor<16x32xf8E4M3FN>, f16 -> tensor<16x32xf16>
  %1 = kite.dequantize %b, %sb : tensor<32x16xf8E4M3FN>, f16 -> tensor<32x16xf16>
  %2 = kite.dot %0, %1, %zero : tensor<16x32xf16> * tensor<32x16xf16> -> tensor<16x16xf32>
  return %2 : tensor<16x16xf32>
}

// -----

// Scales that do not factor out of the sum are left alone: a per-column
// scale of a (it varies along K), zero points, unsigned data, mixed types.
// CHECK-LABEL: func.func @not_factorable
// CHECK-COUNT-2: kite.dot %{{.*}} : tensor<16x32xf32> * tensor<32x16xf32>
// CHECK: kite.dot %{{.*}} : tensor<16x32xf32> * tensor<32x16xf32>
// CHECK: kite.dot %{{.*}} : tensor<16x32xf32> * tensor<32x16xf32>
// CHECK-NOT: xi32>
func.func @not_factorable(%a: tensor<16x32xi8>, %b: tensor<32x16xi8>, %f: tensor<32x16xf8E5M2>, %sk: tensor<1x32xf32>, %s: f32, %zp: i32, %c: tensor<16x16xf32>) -> (tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>) {
  %along_k = kite.dequantize %a, %sk : tensor<16x32xi8>, tensor<1x32xf32> -> tensor<16x32xf32>
  %b0 = kite.dequantize %b, %s : tensor<32x16xi8>, f32 -> tensor<32x16xf32>
  %0 = kite.dot %along_k, %b0, %c : tensor<16x32xf32> * tensor<32x16xf32> -> tensor<16x16xf32>
  %shifted = kite.dequantize %a, %s, %zp : tensor<16x32xi8>, f32, i32 -> tensor<16x32xf32>
  %1 = kite.dot %shifted, %b0, %c : tensor<16x32xf32> * tensor<32x16xf32> -> tensor<16x16xf32>
  %unsigned = kite.dequantize %a, %s {is_unsigned} : tensor<16x32xi8>, f32 -> tensor<16x32xf32>
  %2 = kite.dot %unsigned, %b0, %c : tensor<16x32xf32> * tensor<32x16xf32> -> tensor<16x16xf32>
  %a0 = kite.dequantize %a, %s : tensor<16x32xi8>, f32 -> tensor<16x32xf32>
  %fp8 = kite.dequantize %f, %s : tensor<32x16xf8E5M2>, f32 -> tensor<32x16xf32>
  %3 = kite.dot %a0, %fp8, %c : tensor<16x32xf32> * tensor<32x16xf32> -> tensor<16x16xf32>
  return %0, %1, %2, %3 : tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>
}

// -----

// A K loop with scales from outside it carries the unscaled i32 product and
// rescales once after the loop, adding the loop's initial accumulator.
// CHECK-LABEL: func.func @k_loop
// CHECK: %[[ZERO:.*]] = arith.constant dense<0> : tensor<16x16xi32>
// CHECK: %[[LOOP:.*]] = scf.for {{.*}} iter_args(%[[ACC:.*]] = %[[ZERO]]) -> (tensor<16x16xi32>)
// CHECK:   %[[LOW:.*]] = kite.dot %{{.*}}, %{{.*}}, %[[ACC]] : tensor<16x32xi8> * tensor<32x16xi8> -> tensor<16x16xi32>
// CHECK:   scf.yield %[[LOW]]
// CHECK: %[[F:.*]] = arith.sitofp %[[LOOP]]
// CHECK: arith.mulf %[[F]]
// CHECK: %[[Y:.*]] = arith.mulf
// CHECK: %[[R:.*]] = arith.addf %arg4, %[[Y]]
// CHECK: return %[[R]]
func.func @k_loop(%a: tensor<16x32xi8>, %b: tensor<32x16xi8>, %sa: tensor<16x1xf32>, %sb: f32, %init: tensor<16x16xf32>, %n: index) -> tensor<16x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %init) -> (tensor<16x16xf32>) {
    %0 = kite.dequantize %a, %sa : tensor<16x32xi8>, tensor<16x1xf32> -> tensor<16x32xf32>
    %1 = kite.dequantize %b, %sb : tensor<32x16xi8>, f32 -> tensor<32x16xf32>
    %2 = kite.dot %0, %1, %acc : tensor<16x32xf32> * tensor<32x16xf32> -> tensor<16x16xf32>
    scf.yield %2 : tensor<16x16xf32>
  }
  return %r : tensor<16x16xf32>
}

// -----

// Scales loaded inside the loop (a group of K per iteration) rescale each
// iteration's product; the loop keeps its f32 accumulator.
// CHECK-LABEL: func.func @group_per_iteration
// CHECK: scf.for {{.*}} -> (tensor<16x16xf32>)
// CHECK:   kite.dot %{{.*}} : tensor<16x32xi8> * tensor<32x16xi8> -> tensor<16x16xi32>
// CHECK:   arith.sitofp
// CHECK:   arith.addf %{{.*}}, %{{.*}} : tensor<16x16xf32>
func.func @group_per_iteration(%a: tensor<16x32xi8>, %b: tensor<32x16xi8>, %p: tensor<16x1x!kite.ptr<f32>>, %sb: f32, %init: tensor<16x16xf32>, %n: index) -> tensor<16x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %init) -> (tensor<16x16xf32>) {
    %sa = kite.load %p : tensor<16x1x!kite.ptr<f32>>
    %0 = kite.dequantize %a, %sa : tensor<16x32xi8>, tensor<16x1xf32> -> tensor<16x32xf32>
    %1 = kite.dequantize %b, %sb : tensor<32x16xi8>, f32 -> tensor<32x16xf32>
    %2 = kite.dot %0, %1, %acc : tensor<16x32xf32> * tensor<32x16xf32> -> tensor<16x16xf32>
    scf.yield %2 : tensor<16x16xf32>
  }
  return %r : tensor<16x16xf32>
}

// -----

// Scales loaded before the loop for the rescale alone are loaded after it:
// the load and the tensor ops its addresses need (not the scalars) move
// there, so the scales hold no registers through the loop.
// CHECK-LABEL: func.func @scale_loaded_after_the_loop
// CHECK-NOT: kite.load
// CHECK: %[[LOOP:.*]] = scf.for
// CHECK-NOT: kite.load
// CHECK: scf.yield
// CHECK: %[[SPLAT:.*]] = kite.splat %arg2
// CHECK: %[[PTRS:.*]] = kite.addptr %[[SPLAT]], %arg3
// CHECK: %[[S:.*]] = kite.load %[[PTRS]]
// CHECK: %[[SA:.*]] = kite.expand_dims %[[S]] axis = 1
// CHECK: arith.sitofp %[[LOOP]]
// CHECK: kite.broadcast %[[SA]]
func.func @scale_loaded_after_the_loop(%a: tensor<16x32xi8>, %b: tensor<32x16xi8>, %p: !kite.ptr<f32>, %rows: tensor<16xi32>, %sb: f32, %init: tensor<16x16xf32>, %n: index) -> tensor<16x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %splat = kite.splat %p : !kite.ptr<f32> -> tensor<16x!kite.ptr<f32>>
  %ptrs = kite.addptr %splat, %rows : tensor<16x!kite.ptr<f32>>, tensor<16xi32>
  %s = kite.load %ptrs : tensor<16x!kite.ptr<f32>>
  %sa = kite.expand_dims %s axis = 1 : tensor<16xf32> -> tensor<16x1xf32>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %init) -> (tensor<16x16xf32>) {
    %0 = kite.dequantize %a, %sa : tensor<16x32xi8>, tensor<16x1xf32> -> tensor<16x32xf32>
    %1 = kite.dequantize %b, %sb : tensor<32x16xi8>, f32 -> tensor<32x16xf32>
    %2 = kite.dot %0, %1, %acc : tensor<16x32xf32> * tensor<32x16xf32> -> tensor<16x16xf32>
    scf.yield %2 : tensor<16x16xf32>
  }
  return %r : tensor<16x16xf32>
}

// -----

// They stay where a store comes between (in the loop or before it), where
// another op reads them, or where the load is volatile.
// CHECK-LABEL: func.func @scale_loads_that_stay
// CHECK: kite.load
// CHECK: scf.for
// CHECK: kite.store
// CHECK: kite.load
// CHECK: kite.store
// CHECK: scf.for
// CHECK: kite.load
// CHECK: arith.addf
// CHECK: scf.for
// CHECK: kite.load volatile
// CHECK: scf.for
// CHECK-NOT: kite.load
// CHECK: return
func.func @scale_loads_that_stay(%a: tensor<16x32xi8>, %b: tensor<32x16xi8>, %p: tensor<16x1x!kite.ptr<f32>>, %q: tensor<16x16x!kite.ptr<f32>>, %sb: f32, %init: tensor<16x16xf32>, %n: index) -> (tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x1xf32>, tensor<16x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %sa = kite.load %p : tensor<16x1x!kite.ptr<f32>>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %init) -> (tensor<16x16xf32>) {
    %0 = kite.dequantize %a, %sa : tensor<16x32xi8>, tensor<16x1xf32> -> tensor<16x32xf32>
    %1 = kite.dequantize %b, %sb : tensor<32x16xi8>, f32 -> tensor<32x16xf32>
    %2 = kite.dot %0, %1, %acc : tensor<16x32xf32> * tensor<32x16xf32> -> tensor<16x16xf32>
    kite.store %q, %init : tensor<16x16x!kite.ptr<f32>>
    scf.yield %2 : tensor<16x16xf32>
  }
  %sa2 = kite.load %p : tensor<16x1x!kite.ptr<f32>>
  kite.store %q, %init : tensor<16x16x!kite.ptr<f32>>
  %r2 = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %init) -> (tensor<16x16xf32>) {
    %0 = kite.dequantize %a, %sa2 : tensor<16x32xi8>, tensor<16x1xf32> -> tensor<16x32xf32>
    %1 = kite.dequantize %b, %sb : tensor<32x16xi8>, f32 -> tensor<32x16xf32>
    %2 = kite.dot %0, %1, %acc : tensor<16x32xf32> * tensor<32x16xf32> -> tensor<16x16xf32>
    scf.yield %2 : tensor<16x16xf32>
  }
  %sa3 = kite.load %p : tensor<16x1x!kite.ptr<f32>>
  %used = arith.addf %sa3, %sa3 : tensor<16x1xf32>
  %r3 = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %init) -> (tensor<16x16xf32>) {
    %0 = kite.dequantize %a, %sa3 : tensor<16x32xi8>, tensor<16x1xf32> -> tensor<16x32xf32>
    %1 = kite.dequantize %b, %sb : tensor<32x16xi8>, f32 -> tensor<32x16xf32>
    %2 = kite.dot %0, %1, %acc : tensor<16x32xf32> * tensor<32x16xf32> -> tensor<16x16xf32>
    scf.yield %2 : tensor<16x16xf32>
  }
  %sa4 = kite.load volatile %p : tensor<16x1x!kite.ptr<f32>>
  %r4 = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %init) -> (tensor<16x16xf32>) {
    %0 = kite.dequantize %a, %sa4 : tensor<16x32xi8>, tensor<16x1xf32> -> tensor<16x32xf32>
    %1 = kite.dequantize %b, %sb : tensor<32x16xi8>, f32 -> tensor<32x16xf32>
    %2 = kite.dot %0, %1, %acc : tensor<16x32xf32> * tensor<32x16xf32> -> tensor<16x16xf32>
    scf.yield %2 : tensor<16x16xf32>
  }
  return %r, %r2, %r3, %used, %r4 : tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x16xf32>, tensor<16x1xf32>, tensor<16x16xf32>
}

// -----

// A dequantization of the same scales outside the loop (not one the
// rescale replaces) keeps them where they are: loaded once, not again
// after the loop.
// CHECK-LABEL: func.func @scale_also_dequantized_outside_the_loop
// CHECK: kite.load
// CHECK: scf.for
// CHECK-NOT: kite.load
// CHECK: return
func.func @scale_also_dequantized_outside_the_loop(%a: tensor<16x32xi8>, %b: tensor<32x16xi8>, %p: tensor<16x1x!kite.ptr<f32>>, %sb: f32, %init: tensor<16x16xf32>, %n: index) -> (tensor<16x16xf32>, tensor<16x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %sa = kite.load %p : tensor<16x1x!kite.ptr<f32>>
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %init) -> (tensor<16x16xf32>) {
    %0 = kite.dequantize %a, %sa : tensor<16x32xi8>, tensor<16x1xf32> -> tensor<16x32xf32>
    %1 = kite.dequantize %b, %sb : tensor<32x16xi8>, f32 -> tensor<32x16xf32>
    %2 = kite.dot %0, %1, %acc : tensor<16x32xf32> * tensor<32x16xf32> -> tensor<16x16xf32>
    scf.yield %2 : tensor<16x16xf32>
  }
  %outside = kite.dequantize %a, %sa : tensor<16x32xi8>, tensor<16x1xf32> -> tensor<16x32xf32>
  return %r, %outside : tensor<16x16xf32>, tensor<16x32xf32>
}
