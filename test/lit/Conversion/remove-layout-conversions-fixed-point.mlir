// kitegpu-remove-layout-conversions reaches a fixed point on the graphs
// where a conversion was moved up past a narrowing op and back down again
// for ever ("did not converge"), and keeps the fewest conversions there.
// RUN: kite-opt %s --split-input-file --kitegpu-remove-layout-conversions 2>&1 | FileCheck %s
// A bound too small to reach the fixed point keeps the conversions left,
// with a warning, and the module still verifies (kite-opt re-parses it).
// RUN: kite-opt %s --split-input-file --kitegpu-remove-layout-conversions=max-iterations=1 2>&1 | FileCheck %s --check-prefix=BOUND
// RUN: kite-opt %s --split-input-file --kitegpu-remove-layout-conversions=max-iterations=1 2>/dev/null | kite-opt --split-input-file > /dev/null

// CHECK-NOT: warning
// CHECK-NOT: error

#d = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
#h = #kitegpu.blocked<{sizePerThread = [8], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
#f = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>

// fp16 x + fp32 bias stored as fp16: each load in its own coalesced layout.
// Everything computes in the fp16 load's layout; the bias is the one value
// converted.
// CHECK-DAG: #[[H:.*]] = #kitegpu.blocked<{sizePerThread = [8]
// CHECK-DAG: #[[F:.*]] = #kitegpu.blocked<{sizePerThread = [4]
// CHECK-LABEL: func.func @mixed_width_bias_add
// CHECK: %[[X:.*]] = kite.load %arg0 : tensor<1024x!kite.ptr<f16>, #[[H]]>
// CHECK: %[[B:.*]] = kite.load %arg1 : tensor<1024x!kite.ptr<f32>, #[[F]]>
// CHECK-DAG: %[[BH:.*]] = kitegpu.convert_layout %[[B]] : tensor<1024xf32, #[[F]]> -> tensor<1024xf32, #[[H]]>
// CHECK-DAG: arith.extf %[[X]] : tensor<1024xf16, #[[H]]>
// CHECK-NOT: kitegpu.convert_layout
// CHECK: kite.store %arg2, %{{.*}} : tensor<1024x!kite.ptr<f16>, #[[H]]>
// BOUND: warning: kitegpu-remove-layout-conversions stopped after 1 rounds without reaching a fixed point; the conversions left in 'mixed_width_bias_add' are kept
func.func @mixed_width_bias_add(%px: tensor<1024x!kite.ptr<f16>, #h>, %pb: tensor<1024x!kite.ptr<f32>, #f>, %po: tensor<1024x!kite.ptr<f16>, #h>) {
  %x = kite.load %px : tensor<1024x!kite.ptr<f16>, #h>
  %xd = kitegpu.convert_layout %x : tensor<1024xf16, #h> -> tensor<1024xf16, #d>
  %b = kite.load %pb : tensor<1024x!kite.ptr<f32>, #f>
  %bd = kitegpu.convert_layout %b : tensor<1024xf32, #f> -> tensor<1024xf32, #d>
  %xf = arith.extf %xd : tensor<1024xf16, #d> to tensor<1024xf32, #d>
  %s = arith.addf %xf, %bd : tensor<1024xf32, #d>
  %r = arith.truncf %s : tensor<1024xf32, #d> to tensor<1024xf16, #d>
  %rh = kitegpu.convert_layout %r : tensor<1024xf16, #d> -> tensor<1024xf16, #h>
  kite.store %po, %rh : tensor<1024x!kite.ptr<f16>, #h>
  return
}

// -----

#d = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
#w = #kitegpu.blocked<{sizePerThread = [2], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
#f = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>

// A float64 block plus a float32 block widened, stored as float32.
// CHECK-DAG: #[[W:.*]] = #kitegpu.blocked<{sizePerThread = [2]
// CHECK-DAG: #[[F:.*]] = #kitegpu.blocked<{sizePerThread = [4]
// CHECK-LABEL: func.func @f64_plus_f32_stored_as_f32
// CHECK-COUNT-1: kitegpu.convert_layout
// CHECK-NOT: kitegpu.convert_layout
// CHECK: return
func.func @f64_plus_f32_stored_as_f32(%pa: tensor<512x!kite.ptr<f64>, #w>, %pb: tensor<512x!kite.ptr<f32>, #f>, %po: tensor<512x!kite.ptr<f32>, #f>) {
  %a = kite.load %pa : tensor<512x!kite.ptr<f64>, #w>
  %ad = kitegpu.convert_layout %a : tensor<512xf64, #w> -> tensor<512xf64, #d>
  %b = kite.load %pb : tensor<512x!kite.ptr<f32>, #f>
  %bd = kitegpu.convert_layout %b : tensor<512xf32, #f> -> tensor<512xf32, #d>
  %bw = arith.extf %bd : tensor<512xf32, #d> to tensor<512xf64, #d>
  %s = arith.addf %ad, %bw : tensor<512xf64, #d>
  %r = arith.truncf %s : tensor<512xf64, #d> to tensor<512xf32, #d>
  %rf = kitegpu.convert_layout %r : tensor<512xf32, #d> -> tensor<512xf32, #f>
  kite.store %po, %rf : tensor<512x!kite.ptr<f32>, #f>
  return
}

// -----

#d = #kitegpu.blocked<{sizePerThread = [1, 1], threadsPerWarp = [1, 32], warpsPerCTA = [4, 1], order = [1, 0]}>
#acc = #kitegpu.blocked<{sizePerThread = [2, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#st = #kitegpu.blocked<{sizePerThread = [1, 8], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]}>

// A dot's accumulator, leaky-ReLU'd (`kl.where(acc >= 0, acc, 0.01 * acc)`)
// and stored as fp16: the store's conversion moves up to the accumulator's
// and they fold into one (per use of the accumulator, which CSE merges).
// CHECK-LABEL: func.func @leaky_relu_of_dot
// CHECK-SAME: (%arg0: tensor<32x32xf32, #[[ACC:.*]]>, %arg1: tensor<32x32x!kite.ptr<f16>, #[[ST:.*]]>)
// CHECK-NOT: kitegpu.convert_layout %{{.*}} : tensor<32x32xf16
// CHECK: kitegpu.convert_layout %arg0 : tensor<32x32xf32, #[[ACC]]> -> tensor<32x32xf32, #[[ST]]>
// CHECK-NOT: kitegpu.convert_layout %{{.*}} : tensor<32x32xf16
// CHECK: %[[H:.*]] = arith.truncf %{{.*}} : tensor<32x32xf32, #[[ST]]> to tensor<32x32xf16, #[[ST]]>
// CHECK-NEXT: kite.store %arg1, %[[H]]
func.func @leaky_relu_of_dot(%acc: tensor<32x32xf32, #acc>, %p: tensor<32x32x!kite.ptr<f16>, #st>) {
  %zero = arith.constant dense<0.0> : tensor<32x32xf32, #d>
  %slope = arith.constant dense<0.01> : tensor<32x32xf32, #d>
  %a = kitegpu.convert_layout %acc : tensor<32x32xf32, #acc> -> tensor<32x32xf32, #d>
  %pos = arith.cmpf oge, %a, %zero : tensor<32x32xf32, #d>
  %neg = arith.mulf %a, %slope : tensor<32x32xf32, #d>
  %r = arith.select %pos, %a, %neg : tensor<32x32xi1, #d>, tensor<32x32xf32, #d>
  %h = arith.truncf %r : tensor<32x32xf32, #d> to tensor<32x32xf16, #d>
  %hs = kitegpu.convert_layout %h : tensor<32x32xf16, #d> -> tensor<32x32xf16, #st>
  kite.store %p, %hs : tensor<32x32x!kite.ptr<f16>, #st>
  return
}
