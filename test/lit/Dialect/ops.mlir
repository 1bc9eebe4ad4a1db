// Every kite op in its custom form: printing then parsing gives the same IR,
// and so does going through the generic form.
// RUN: kite-opt %s | kite-opt | FileCheck %s
// RUN: kite-opt %s --mlir-print-op-generic | kite-opt | FileCheck %s

// CHECK-LABEL: func.func @grid
func.func @grid() -> (i32, i32, i32) {
  // CHECK: kite.program_id x : i32
  %0 = kite.program_id x : i32
  // CHECK: kite.program_id z : i32
  %1 = kite.program_id 2 : i32
  // CHECK: kite.num_programs y : i32
  %2 = kite.num_programs y : i32
  return %0, %1, %2 : i32, i32, i32
}

// CHECK-LABEL: func.func @shapes
func.func @shapes(%x: f32, %p: !kite.ptr<f32>) {
  // CHECK: kite.make_range 0 to 128 : tensor<128xi32>
  %r = kite.make_range 0 to 128 : tensor<128xi32>
  // CHECK: kite.make_range 16 to 32 : tensor<16xi32>
  %r2 = kite.make_range 16 to 32 : tensor<16xi32>
  // CHECK: kite.splat %{{.*}} : f32 -> tensor<1x64xf32>
  %s = kite.splat %x : f32 -> tensor<1x64xf32>
  // CHECK: kite.splat %{{.*}} : !kite.ptr<f32> -> tensor<4x!kite.ptr<f32>>
  %sp = kite.splat %p : !kite.ptr<f32> -> tensor<4x!kite.ptr<f32>>
  // CHECK: kite.broadcast %{{.*}} : tensor<1x64xf32> -> tensor<32x64xf32>
  %b = kite.broadcast %s : tensor<1x64xf32> -> tensor<32x64xf32>
  // CHECK: kite.expand_dims %{{.*}} axis = 1 : tensor<128xi32> -> tensor<128x1xi32>
  %e = kite.expand_dims %r axis = 1 : tensor<128xi32> -> tensor<128x1xi32>
  // CHECK: kite.reshape %{{.*}} : tensor<32x64xf32> -> tensor<2048xf32>
  %rs = kite.reshape %b : tensor<32x64xf32> -> tensor<2048xf32>
  // CHECK: kite.trans %{{.*}} order = [1, 0] : tensor<32x64xf32> -> tensor<64x32xf32>
  %t = kite.trans %b order = [1, 0] : tensor<32x64xf32> -> tensor<64x32xf32>
  return
}

// CHECK-LABEL: func.func @join_split
func.func @join_split(%a: tensor<4x8xf16>, %b: tensor<4x8xf16>, %x: i32, %y: i32,
                      %p: tensor<16x!kite.ptr<f32>>) {
  // CHECK: %[[J:.*]] = kite.join %{{.*}}, %{{.*}} : tensor<4x8xf16> -> tensor<4x8x2xf16>
  %j = kite.join %a, %b : tensor<4x8xf16> -> tensor<4x8x2xf16>
  // CHECK: kite.split %[[J]] : tensor<4x8x2xf16> -> tensor<4x8xf16>
  %l, %r = kite.split %j : tensor<4x8x2xf16> -> tensor<4x8xf16>
  // CHECK: %[[S:.*]] = kite.join %{{.*}}, %{{.*}} : i32 -> tensor<2xi32>
  %s = kite.join %x, %y : i32 -> tensor<2xi32>
  // CHECK: kite.split %[[S]] : tensor<2xi32> -> i32
  %u, %v = kite.split %s : tensor<2xi32> -> i32
  // CHECK: kite.join %{{.*}}, %{{.*}} : tensor<16x!kite.ptr<f32>> -> tensor<16x2x!kite.ptr<f32>>
  %q = kite.join %p, %p : tensor<16x!kite.ptr<f32>> -> tensor<16x2x!kite.ptr<f32>>
  return
}

// CHECK-LABEL: func.func @gather
func.func @gather(%src: tensor<4x8xf32>, %i: tensor<4x16xi32>, %j: tensor<2x8xi64>,
                  %v: tensor<32xi8>, %k: tensor<64xi16>) {
  // CHECK: kite.gather %{{.*}}[%{{.*}}] axis = 1 : tensor<4x8xf32>, tensor<4x16xi32> -> tensor<4x16xf32>
  %0 = kite.gather %src[%i] axis = 1 : tensor<4x8xf32>, tensor<4x16xi32> -> tensor<4x16xf32>
  // CHECK: kite.gather %{{.*}}[%{{.*}}] axis = 0 : tensor<4x8xf32>, tensor<2x8xi64> -> tensor<2x8xf32>
  %1 = kite.gather %src[%j] axis = 0 : tensor<4x8xf32>, tensor<2x8xi64> -> tensor<2x8xf32>
  // CHECK: kite.gather %{{.*}}[%{{.*}}] axis = 0 : tensor<32xi8>, tensor<64xi16> -> tensor<64xi8>
  %2 = kite.gather %v[%k] axis = 0 : tensor<32xi8>, tensor<64xi16> -> tensor<64xi8>
  return
}

// CHECK-LABEL: func.func @memory
func.func @memory(%p: !kite.ptr<f32>, %q: !kite.ptr<i32>, %pp: !kite.ptr<!kite.ptr<f16>>) {
  %r = kite.make_range 0 to 128 : tensor<128xi32>
  %sp = kite.splat %p : !kite.ptr<f32> -> tensor<128x!kite.ptr<f32>>
  // CHECK: %[[PTRS:.*]] = kite.addptr %{{.*}}, %{{.*}} : tensor<128x!kite.ptr<f32>>, tensor<128xi32>
  %ptrs = kite.addptr %sp, %r : tensor<128x!kite.ptr<f32>>, tensor<128xi32>
  %c64 = arith.constant 64 : i64
  // CHECK: kite.addptr %{{.*}}, %{{.*}} : !kite.ptr<f32>, i64
  %p2 = kite.addptr %p, %c64 : !kite.ptr<f32>, i64
  %lim = arith.constant dense<100> : tensor<128xi32>
  %mask = arith.cmpi slt, %r, %lim : tensor<128xi32>
  %zero = arith.constant dense<0.0> : tensor<128xf32>
  // CHECK: kite.load %[[PTRS]] : tensor<128x!kite.ptr<f32>>
  %v0 = kite.load %ptrs : tensor<128x!kite.ptr<f32>>
  // CHECK: kite.load %[[PTRS]], %[[MASK:.*]] : tensor<128x!kite.ptr<f32>>
  %v1 = kite.load %ptrs, %mask : tensor<128x!kite.ptr<f32>>
  // CHECK: kite.load %[[PTRS]], %[[MASK]], %{{.*}} : tensor<128x!kite.ptr<f32>>
  %v2 = kite.load %ptrs, %mask, %zero : tensor<128x!kite.ptr<f32>>
  // CHECK: kite.load volatile %{{.*}} : !kite.ptr<f32>
  %v3 = kite.load volatile %p2 : !kite.ptr<f32>
  // CHECK: kite.load %{{.*}} : !kite.ptr<!kite.ptr<f16>>
  %inner = kite.load %pp : !kite.ptr<!kite.ptr<f16>>
  // CHECK: kite.store %[[PTRS]], %{{.*}} : tensor<128x!kite.ptr<f32>>
  kite.store %ptrs, %v0 : tensor<128x!kite.ptr<f32>>
  // CHECK: kite.store %[[PTRS]], %{{.*}}, %[[MASK]] : tensor<128x!kite.ptr<f32>>
  kite.store %ptrs, %v1, %mask : tensor<128x!kite.ptr<f32>>
  // CHECK: kite.atomic_rmw fadd, %[[PTRS]], %{{.*}}, %[[MASK]] : tensor<128x!kite.ptr<f32>>
  %old = kite.atomic_rmw fadd, %ptrs, %v2, %mask : tensor<128x!kite.ptr<f32>>
  %one = arith.constant 1 : i32
  // CHECK: kite.atomic_rmw umax, %{{.*}}, %{{.*}} : !kite.ptr<i32>
  %old1 = kite.atomic_rmw umax, %q, %one : !kite.ptr<i32>
  // CHECK: kite.atomic_rmw xchg, %{{.*}}, %{{.*}} : !kite.ptr<i32>
  %old2 = kite.atomic_rmw xchg, %q, %one : !kite.ptr<i32>
  // CHECK: kite.atomic_cas %{{.*}}, %{{.*}}, %{{.*}} : !kite.ptr<i32>
  %old3 = kite.atomic_cas %q, %one, %old1 : !kite.ptr<i32>
  // An ordering other than acq_rel at gpu scope is named.
  // CHECK: kite.atomic_rmw xchg release, %{{.*}}, %{{.*}} : !kite.ptr<i32>
  %old4 = kite.atomic_rmw xchg release, %q, %one : !kite.ptr<i32>
  // CHECK: kite.atomic_rmw add relaxed cta, %{{.*}}, %{{.*}} : !kite.ptr<i32>
  %old5 = kite.atomic_rmw add relaxed cta, %q, %one : !kite.ptr<i32>
  // CHECK: kite.atomic_cas acquire sys, %{{.*}}, %{{.*}}, %{{.*}} : !kite.ptr<i32>
  %old6 = kite.atomic_cas acquire sys, %q, %one, %old1 : !kite.ptr<i32>
  // CHECK: kite.atomic_cas %{{.*}}, %{{.*}}, %{{.*}} : !kite.ptr<i32>
  %old7 = kite.atomic_cas acq_rel gpu, %q, %one, %old1 : !kite.ptr<i32>
  return
}

// CHECK-LABEL: func.func @conversions
func.func @conversions(%x: tensor<16xf32>, %p: !kite.ptr<f32>, %i: i64) {
  // CHECK: kite.fp_to_fp %{{.*}} rounding = rtne : tensor<16xf32> -> tensor<16xf8E4M3FN>
  %f8 = kite.fp_to_fp %x rounding = rtne : tensor<16xf32> -> tensor<16xf8E4M3FN>
  // CHECK: kite.fp_to_fp %{{.*}} : tensor<16xf8E4M3FN> -> tensor<16xf32>
  %f32 = kite.fp_to_fp %f8 : tensor<16xf8E4M3FN> -> tensor<16xf32>
  // CHECK: kite.fp4_to_fp %{{.*}} high : tensor<16xi8> -> tensor<16xbf16>
  %codes = arith.constant dense<7> : tensor<16xi8>
  %e2m1 = kite.fp4_to_fp %codes high : tensor<16xi8> -> tensor<16xbf16>
  // CHECK: kite.ptr_to_int %{{.*}} : !kite.ptr<f32> -> i64
  %addr = kite.ptr_to_int %p : !kite.ptr<f32> -> i64
  // CHECK: kite.int_to_ptr %{{.*}} : i64 -> !kite.ptr<i8>
  %p8 = kite.int_to_ptr %i : i64 -> !kite.ptr<i8>
  // CHECK: kite.bitcast %{{.*}} : !kite.ptr<f32> -> !kite.ptr<i32>
  %pi = kite.bitcast %p : !kite.ptr<f32> -> !kite.ptr<i32>
  // CHECK: kite.bitcast %{{.*}} : tensor<16xf32> -> tensor<16xi32>
  %bits = kite.bitcast %x : tensor<16xf32> -> tensor<16xi32>
  return
}

// CHECK-LABEL: func.func @dot
func.func @dot(%a: tensor<16x32xf16>, %b: tensor<32x64xf16>, %c: tensor<16x64xf32>,
               %ia: tensor<16x16xi8>, %ic: tensor<16x16xi32>) {
  // CHECK: kite.dot %{{.*}}, %{{.*}}, %{{.*}} : tensor<16x32xf16> * tensor<32x64xf16> -> tensor<16x64xf32>
  %d = kite.dot %a, %b, %c : tensor<16x32xf16> * tensor<32x64xf16> -> tensor<16x64xf32>
  // CHECK: kite.dot %{{.*}}, %{{.*}}, %{{.*}} : tensor<16x16xi8> * tensor<16x16xi8> -> tensor<16x16xi32>
  %i = kite.dot %ia, %ia, %ic : tensor<16x16xi8> * tensor<16x16xi8> -> tensor<16x16xi32>
  return
}

// CHECK-LABEL: func.func @reduce_scan
func.func @reduce_scan(%x: tensor<128xf32>, %y: tensor<8x16xf32>, %k: tensor<8x16xi32>) {
  // CHECK: kite.reduce(%{{.*}}) axis = 0 : (tensor<128xf32>) -> f32 {
  // CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32):
  // CHECK-NEXT: %[[S:.*]] = arith.addf %[[A]], %[[B]] : f32
  // CHECK-NEXT: kite.reduce.return %[[S]] : f32
  // CHECK-NEXT: }
  %sum = kite.reduce(%x) axis = 0 : (tensor<128xf32>) -> f32 {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    kite.reduce.return %s : f32
  }
  // CHECK: kite.reduce(%{{.*}}, %{{.*}}) axis = 1 : (tensor<8x16xf32>, tensor<8x16xi32>) -> (tensor<8xf32>, tensor<8xi32>) {
  // CHECK: kite.reduce.return %{{.*}}, %{{.*}} : f32, i32
  %m:2 = kite.reduce(%y, %k) axis = 1 : (tensor<8x16xf32>, tensor<8x16xi32>) -> (tensor<8xf32>, tensor<8xi32>) {
  ^bb0(%v0: f32, %i0: i32, %v1: f32, %i1: i32):
    %gt = arith.cmpf ogt, %v1, %v0 : f32
    %v = arith.select %gt, %v1, %v0 : f32
    %i = arith.select %gt, %i1, %i0 : i32
    kite.reduce.return %v, %i : f32, i32
  }
  // CHECK: kite.scan(%{{.*}}) axis = 0 : (tensor<128xf32>) -> tensor<128xf32> {
  // CHECK: kite.scan.return %{{.*}} : f32
  %cs = kite.scan(%x) axis = 0 : (tensor<128xf32>) -> tensor<128xf32> {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    kite.scan.return %s : f32
  }
  // CHECK: kite.scan(%{{.*}}) axis = 1 reverse : (tensor<8x16xf32>) -> tensor<8x16xf32> {
  %rs = kite.scan(%y) axis = 1 reverse : (tensor<8x16xf32>) -> tensor<8x16xf32> {
  ^bb0(%a: f32, %b: f32):
    %s = arith.maximumf %a, %b : f32
    kite.scan.return %s : f32
  }
  return
}

// CHECK-LABEL: func.func @debug
func.func @debug(%x: tensor<16xi32>, %n: i32, %c: tensor<16xi1>) {
  // CHECK: kite.print "x = " %{{.*}}, %{{.*}} : tensor<16xi32>, i32
  kite.print "x = " %x, %n : tensor<16xi32>, i32
  // CHECK: kite.print "bits " hex %{{.*}} : tensor<16xi32>
  kite.print "bits " hex %x : tensor<16xi32>
  // CHECK: kite.print "here"{{$}}
  kite.print "here"
  // CHECK: kite.assert %{{.*}}, "x out of range" : tensor<16xi1>
  kite.assert %c, "x out of range" : tensor<16xi1>
  // CHECK: kite.debug_barrier{{$}}
  kite.debug_barrier
  // CHECK: kite.gdc_wait{{$}}
  kite.gdc_wait
  // CHECK: kite.gdc_launch_dependents{{$}}
  kite.gdc_launch_dependents
  return
}

// CHECK-LABEL: func.func @quantization
func.func @quantization(%x: tensor<8x32xf32>, %h: tensor<8x32xf16>, %s: f32, %rows: tensor<8x1xf32>,
                        %groups: tensor<8x8xbf16>, %z: tensor<8x1xi32>, %zs: i32) {
  // CHECK: kite.quantize %{{.*}}, %{{.*}}, %{{.*}} {max = 255 : i64, min = 0 : i64} : tensor<8x32xf32>, tensor<8x1xf32>, tensor<8x1xi32> -> tensor<8x32xi8>
  %u8 = kite.quantize %x, %rows, %z {max = 255 : i64, min = 0 : i64} : tensor<8x32xf32>, tensor<8x1xf32>, tensor<8x1xi32> -> tensor<8x32xi8>
  // CHECK: kite.quantize %{{.*}}, %{{.*}}, %{{.*}} {max = 127 : i64, min = -128 : i64} : tensor<8x32xf32>, f32, i32 -> tensor<8x32xi8>
  %i8 = kite.quantize %x, %s, %zs {max = 127 : i64, min = -128 : i64} : tensor<8x32xf32>, f32, i32 -> tensor<8x32xi8>
  // CHECK: kite.quantize %{{.*}}, %{{.*}} {max = 7 : i64, min = -8 : i64} : tensor<8x32xf16>, tensor<8x8xbf16> -> tensor<8x32xi8>
  %i4 = kite.quantize %h, %groups {max = 7 : i64, min = -8 : i64} : tensor<8x32xf16>, tensor<8x8xbf16> -> tensor<8x32xi8>
  // CHECK: kite.quantize %{{.*}}, %{{.*}} : tensor<8x32xf32>, f32 -> tensor<8x32xf8E4M3FN>
  %f8 = kite.quantize %x, %s : tensor<8x32xf32>, f32 -> tensor<8x32xf8E4M3FN>
  // CHECK: kite.dequantize %{{.*}}, %{{.*}}, %{{.*}} {is_unsigned} : tensor<8x32xi8>, tensor<8x1xf32>, tensor<8x1xi32> -> tensor<8x32xf32>
  %d0 = kite.dequantize %u8, %rows, %z {is_unsigned} : tensor<8x32xi8>, tensor<8x1xf32>, tensor<8x1xi32> -> tensor<8x32xf32>
  // CHECK: kite.dequantize %{{.*}}, %{{.*}} : tensor<8x32xi8>, tensor<8x8xbf16> -> tensor<8x32xbf16>
  %d1 = kite.dequantize %i4, %groups : tensor<8x32xi8>, tensor<8x8xbf16> -> tensor<8x32xbf16>
  // CHECK: kite.dequantize %{{.*}}, %{{.*}} : tensor<8x32xf8E4M3FN>, f32 -> tensor<8x32xf32>
  %d2 = kite.dequantize %f8, %s : tensor<8x32xf8E4M3FN>, f32 -> tensor<8x32xf32>
  return
}
