// Folders of kitegpu.convert_layout.
// RUN: kite-opt %s --split-input-file --canonicalize | FileCheck %s

#a = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
#b = #kitegpu.blocked<{sizePerThread = [4], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>
#c = #kitegpu.blocked<{sizePerThread = [2], threadsPerWarp = [32], warpsPerCTA = [4], order = [0]}>

// CHECK-LABEL: func.func @same_layout
// CHECK-NOT: kitegpu.convert_layout
// CHECK: return %arg0
func.func @same_layout(%x: tensor<512xf32, #a>) -> tensor<512xf32, #a> {
  %0 = kitegpu.convert_layout %x : tensor<512xf32, #a> -> tensor<512xf32, #a>
  return %0 : tensor<512xf32, #a>
}

// CHECK-LABEL: func.func @round_trip
// CHECK-NOT: kitegpu.convert_layout
// CHECK: return %arg0
func.func @round_trip(%x: tensor<512xf32, #a>) -> tensor<512xf32, #a> {
  %0 = kitegpu.convert_layout %x : tensor<512xf32, #a> -> tensor<512xf32, #b>
  %1 = kitegpu.convert_layout %0 : tensor<512xf32, #b> -> tensor<512xf32, #a>
  return %1 : tensor<512xf32, #a>
}

// CHECK-LABEL: func.func @convert_of_convert
// CHECK: %[[C:.*]] = kitegpu.convert_layout %arg0 : tensor<512xf32, #{{.*}}> -> tensor<512xf32, #[[C_LAYOUT:.*]]>
// CHECK-NOT: kitegpu.convert_layout
// CHECK: return %[[C]]
func.func @convert_of_convert(%x: tensor<512xf32, #a>) -> tensor<512xf32, #c> {
  %0 = kitegpu.convert_layout %x : tensor<512xf32, #a> -> tensor<512xf32, #b>
  %1 = kitegpu.convert_layout %0 : tensor<512xf32, #b> -> tensor<512xf32, #c>
  return %1 : tensor<512xf32, #c>
}

// CHECK-LABEL: func.func @splat_constant
// CHECK: %[[K:.*]] = arith.constant dense<1.000000e+00> : tensor<512xf32, #{{.*}}>
// CHECK-NOT: kitegpu.convert_layout
// CHECK: return %[[K]]
func.func @splat_constant() -> tensor<512xf32, #b> {
  %k = arith.constant dense<1.0> : tensor<512xf32, #a>
  %0 = kitegpu.convert_layout %k : tensor<512xf32, #a> -> tensor<512xf32, #b>
  return %0 : tensor<512xf32, #b>
}
