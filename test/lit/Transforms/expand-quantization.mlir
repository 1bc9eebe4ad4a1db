// kite-expand-quantization: kite.quantize and kite.dequantize as f32
// arithmetic, their block-scaled scales repeated to the data's shape.
// RUN: kite-opt %s --split-input-file --kite-expand-quantization | FileCheck %s

// Per row, with a zero point: divide, round to even, add the zero point, a
// NaN becomes the zero point, saturate, convert through i32.
// CHECK-LABEL: func.func @int8_per_row_zero_point
// CHECK-DAG: %[[HI:.*]] = arith.constant dense<1.270000e+02> : tensor<8x32xf32>
// CHECK-DAG: %[[LO:.*]] = arith.constant dense<-1.280000e+02> : tensor<8x32xf32>
// CHECK: %[[S:.*]] = kite.broadcast %arg1 : tensor<8x1xf32> -> tensor<8x32xf32>
// CHECK: %[[Y:.*]] = arith.divf %arg0, %[[S]] : tensor<8x32xf32>
// CHECK: %[[R:.*]] = math.roundeven %[[Y]] : tensor<8x32xf32>
// CHECK: %[[ZI:.*]] = kite.broadcast %arg2 : tensor<8x1xi32> -> tensor<8x32xi32>
// CHECK: %[[Z:.*]] = arith.sitofp %[[ZI]] : tensor<8x32xi32> to tensor<8x32xf32>
// CHECK: %[[V:.*]] = arith.addf %[[R]], %[[Z]] : tensor<8x32xf32>
// CHECK: %[[NAN:.*]] = arith.cmpf uno, %[[V]], %[[V]] : tensor<8x32xf32>
// CHECK: %[[SEL:.*]] = arith.select %[[NAN]], %[[Z]], %[[V]] : tensor<8x32xi1>, tensor<8x32xf32>
// CHECK: %[[MAX:.*]] = arith.maxnumf %[[SEL]], %[[LO]] : tensor<8x32xf32>
// CHECK: %[[MIN:.*]] = arith.minnumf %[[MAX]], %[[HI]] : tensor<8x32xf32>
// CHECK: %[[I:.*]] = arith.fptosi %[[MIN]] : tensor<8x32xf32> to tensor<8x32xi32>
// CHECK: %[[Q:.*]] = arith.trunci %[[I]] : tensor<8x32xi32> to tensor<8x32xi8>
// CHECK: return %[[Q]]
func.func @int8_per_row_zero_point(%x: tensor<8x32xf32>, %s: tensor<8x1xf32>, %z: tensor<8x1xi32>) -> tensor<8x32xi8> {
  %q = kite.quantize %x, %s, %z {max = 127 : i64, min = -128 : i64} : tensor<8x32xf32>, tensor<8x1xf32>, tensor<8x1xi32> -> tensor<8x32xi8>
  return %q : tensor<8x32xi8>
}

// -----

// Without a zero point a NaN becomes 0; uint8's [0, 255] reaches i8 as bits.
// CHECK-LABEL: func.func @uint8_scalar
// CHECK-DAG: %[[HI:.*]] = arith.constant dense<2.550000e+02> : tensor<64xf32>
// CHECK-DAG: %[[LO:.*]] = arith.constant dense<0.000000e+00> : tensor<64xf32>
// CHECK: %[[S:.*]] = kite.splat %arg1 : f32 -> tensor<64xf32>
// CHECK: %[[R:.*]] = math.roundeven
// CHECK: %[[NAN:.*]] = arith.cmpf uno, %[[R]], %[[R]]
// CHECK: arith.select %[[NAN]], %[[LO]], %[[R]]
// CHECK: arith.maxnumf %{{.*}}, %[[LO]]
// CHECK: arith.minnumf %{{.*}}, %[[HI]]
// CHECK: arith.fptosi %{{.*}} : tensor<64xf32> to tensor<64xi32>
// CHECK: arith.trunci %{{.*}} : tensor<64xi32> to tensor<64xi8>
func.func @uint8_scalar(%x: tensor<64xf32>, %s: f32) -> tensor<64xi8> {
  %q = kite.quantize %x, %s {max = 255 : i64, min = 0 : i64} : tensor<64xf32>, f32 -> tensor<64xi8>
  return %q : tensor<64xi8>
}

// -----

// fp8: the f16 data in f32, saturated to +-448 by minimumf/maximumf (which
// keep NaN), then one conversion, rounding to nearest-even.
// CHECK-LABEL: func.func @fp8_e4m3
// CHECK-DAG: %[[HI:.*]] = arith.constant dense<4.480000e+02> : tensor<8x32xf32>
// CHECK-DAG: %[[LO:.*]] = arith.constant dense<-4.480000e+02> : tensor<8x32xf32>
// CHECK: %[[S:.*]] = kite.splat %arg1 : f32 -> tensor<8x32xf32>
// CHECK: %[[X:.*]] = arith.extf %arg0 : tensor<8x32xf16> to tensor<8x32xf32>
// CHECK: %[[Y:.*]] = arith.divf %[[X]], %[[S]]
// CHECK: %[[A:.*]] = arith.minimumf %[[Y]], %[[HI]]
// CHECK: %[[B:.*]] = arith.maximumf %[[A]], %[[LO]]
// CHECK: %[[Q:.*]] = kite.fp_to_fp %[[B]] : tensor<8x32xf32> -> tensor<8x32xf8E4M3FN>
// CHECK-NOT: math.roundeven
// CHECK: return %[[Q]]
func.func @fp8_e4m3(%x: tensor<8x32xf16>, %s: f32) -> tensor<8x32xf8E4M3FN> {
  %q = kite.quantize %x, %s : tensor<8x32xf16>, f32 -> tensor<8x32xf8E4M3FN>
  return %q : tensor<8x32xf8E4M3FN>
}

// -----

// e5m2 saturates to its own largest value.
// CHECK-LABEL: func.func @fp8_e5m2
// CHECK-DAG: arith.constant dense<5.734400e+04> : tensor<16xf32>
// CHECK-DAG: arith.constant dense<-5.734400e+04> : tensor<16xf32>
// CHECK: kite.fp_to_fp %{{.*}} : tensor<16xf32> -> tensor<16xf8E5M2>
func.func @fp8_e5m2(%x: tensor<16xf32>, %s: f32) -> tensor<16xf8E5M2> {
  %q = kite.quantize %x, %s : tensor<16xf32>, f32 -> tensor<16xf8E5M2>
  return %q : tensor<16xf8E5M2>
}

// -----

// A group of 4 along the last dimension ([M, K / G]): the bf16 scales
// repeated as expand_dims, broadcast and reshape, then widened.
// CHECK-LABEL: func.func @group_of_k
// CHECK: %[[E:.*]] = kite.expand_dims %arg1 axis = 2 : tensor<8x8xbf16> -> tensor<8x8x1xbf16>
// CHECK: %[[B:.*]] = kite.broadcast %[[E]] : tensor<8x8x1xbf16> -> tensor<8x8x4xbf16>
// CHECK: %[[R:.*]] = kite.reshape %[[B]] : tensor<8x8x4xbf16> -> tensor<8x32xbf16>
// CHECK: %[[S:.*]] = arith.extf %[[R]] : tensor<8x32xbf16> to tensor<8x32xf32>
// CHECK: arith.divf %arg0, %[[S]]
func.func @group_of_k(%x: tensor<8x32xf32>, %s: tensor<8x8xbf16>) -> tensor<8x32xi8> {
  %q = kite.quantize %x, %s {max = 7 : i64, min = -8 : i64} : tensor<8x32xf32>, tensor<8x8xbf16> -> tensor<8x32xi8>
  return %q : tensor<8x32xi8>
}

// -----

// Groups along both dimensions, and a per-tensor [1, 1] block.
// CHECK-LABEL: func.func @groups_of_both
// CHECK: %[[E0:.*]] = kite.expand_dims %arg1 axis = 1 : tensor<2x4xf32> -> tensor<2x1x4xf32>
// CHECK: %[[E1:.*]] = kite.expand_dims %[[E0]] axis = 3 : tensor<2x1x4xf32> -> tensor<2x1x4x1xf32>
// CHECK: %[[B:.*]] = kite.broadcast %[[E1]] : tensor<2x1x4x1xf32> -> tensor<2x4x4x8xf32>
// CHECK: kite.reshape %[[B]] : tensor<2x4x4x8xf32> -> tensor<8x32xf32>
// CHECK: kite.broadcast %arg2 : tensor<1x1xf32> -> tensor<8x32xf32>
func.func @groups_of_both(%x: tensor<8x32xf32>, %s: tensor<2x4xf32>, %t: tensor<1x1xf32>) -> (tensor<8x32xi8>, tensor<8x32xi8>) {
  %q = kite.quantize %x, %s {max = 127 : i64, min = -128 : i64} : tensor<8x32xf32>, tensor<2x4xf32> -> tensor<8x32xi8>
  %r = kite.quantize %x, %t {max = 127 : i64, min = -128 : i64} : tensor<8x32xf32>, tensor<1x1xf32> -> tensor<8x32xi8>
  return %q, %r : tensor<8x32xi8>, tensor<8x32xi8>
}

// -----

// A scale of the data's own shape is used as it is.
// CHECK-LABEL: func.func @full_shape_scale
// CHECK-NOT: kite.broadcast
// CHECK: arith.divf %arg0, %arg1 : tensor<4x8xf32>
func.func @full_shape_scale(%x: tensor<4x8xf32>, %s: tensor<4x8xf32>) -> tensor<4x8xi8> {
  %q = kite.quantize %x, %s {max = 127 : i64, min = -128 : i64} : tensor<4x8xf32>, tensor<4x8xf32> -> tensor<4x8xi8>
  return %q : tensor<4x8xi8>
}

// -----

// Unsigned data read as such, a zero point per group of 4 rows ([K / G, N]),
// and an f16 result: f32 arithmetic, one truncf at the end.
// CHECK-LABEL: func.func @dequantize_unsigned_f16
// CHECK: %[[Q:.*]] = arith.uitofp %arg0 : tensor<8x32xi8> to tensor<8x32xf32>
// CHECK: %[[ZE:.*]] = kite.expand_dims %arg2 axis = 1 : tensor<2x32xi32> -> tensor<2x1x32xi32>
// CHECK: %[[ZB:.*]] = kite.broadcast %[[ZE]] : tensor<2x1x32xi32> -> tensor<2x4x32xi32>
// CHECK: %[[ZR:.*]] = kite.reshape %[[ZB]] : tensor<2x4x32xi32> -> tensor<8x32xi32>
// CHECK: %[[Z:.*]] = arith.sitofp %[[ZR]] : tensor<8x32xi32> to tensor<8x32xf32>
// CHECK: %[[D:.*]] = arith.subf %[[Q]], %[[Z]] : tensor<8x32xf32>
// CHECK: %[[SR:.*]] = kite.reshape %{{.*}} : tensor<2x4x32xf16> -> tensor<8x32xf16>
// CHECK: %[[S:.*]] = arith.extf %[[SR]] : tensor<8x32xf16> to tensor<8x32xf32>
// CHECK: %[[P:.*]] = arith.mulf %[[D]], %[[S]] : tensor<8x32xf32>
// CHECK: %[[R:.*]] = arith.truncf %[[P]] : tensor<8x32xf32> to tensor<8x32xf16>
// CHECK: return %[[R]]
func.func @dequantize_unsigned_f16(%q: tensor<8x32xi8>, %s: tensor<2x32xf16>, %z: tensor<2x32xi32>) -> tensor<8x32xf16> {
  %d = kite.dequantize %q, %s, %z {is_unsigned} : tensor<8x32xi8>, tensor<2x32xf16>, tensor<2x32xi32> -> tensor<8x32xf16>
  return %d : tensor<8x32xf16>
}

// -----

// Signed integers, and fp8 widened by kite.fp_to_fp; an f32 result needs no
// rounding after the product.
// CHECK-LABEL: func.func @dequantize_signed_and_fp8
// CHECK: %[[Q:.*]] = arith.sitofp %arg0 : tensor<16xi8> to tensor<16xf32>
// CHECK: %[[S:.*]] = kite.broadcast %arg2 : tensor<1xf32> -> tensor<16xf32>
// CHECK: %[[A:.*]] = arith.mulf %[[Q]], %[[S]] : tensor<16xf32>
// CHECK: %[[F:.*]] = kite.fp_to_fp %arg1 : tensor<16xf8E4M3FN> -> tensor<16xf32>
// CHECK: %[[B:.*]] = arith.mulf %[[F]], %{{.*}} : tensor<16xf32>
// CHECK-NOT: arith.truncf
// CHECK: return %[[A]], %[[B]]
func.func @dequantize_signed_and_fp8(%q: tensor<16xi8>, %f: tensor<16xf8E4M3FN>, %s: tensor<1xf32>, %t: f32) -> (tensor<16xf32>, tensor<16xf32>) {
  %a = kite.dequantize %q, %s : tensor<16xi8>, tensor<1xf32> -> tensor<16xf32>
  %b = kite.dequantize %f, %t : tensor<16xf8E4M3FN>, f32 -> tensor<16xf32>
  return %a, %b : tensor<16xf32>, tensor<16xf32>
}

// -----

// f64 data and scales are rounded to f32 first; an f64 result is widened.
// CHECK-LABEL: func.func @f64_in_f32
// CHECK: %[[S:.*]] = arith.truncf %{{.*}} : tensor<16xf64> to tensor<16xf32>
// CHECK: %[[X:.*]] = arith.truncf %arg0 : tensor<16xf64> to tensor<16xf32>
// CHECK: arith.divf %[[X]], %[[S]] : tensor<16xf32>
// CHECK: %[[P:.*]] = arith.mulf %{{.*}} : tensor<16xf32>
// CHECK: arith.extf %[[P]] : tensor<16xf32> to tensor<16xf64>
func.func @f64_in_f32(%x: tensor<16xf64>, %s: f64, %q: tensor<16xi8>) -> (tensor<16xi8>, tensor<16xf64>) {
  %a = kite.quantize %x, %s {max = 127 : i64, min = -128 : i64} : tensor<16xf64>, f64 -> tensor<16xi8>
  %b = kite.dequantize %q, %s : tensor<16xi8>, f64 -> tensor<16xf64>
  return %a, %b : tensor<16xi8>, tensor<16xf64>
}
