// The frontend's contract: kite ops in MLIR's generic form (as in
// docs/kite-dialect.md) parse, verify and print in the custom form; printing
// the generic form gives back the contract's attribute names and types.
// RUN: kite-opt %s | FileCheck %s
// RUN: kite-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// CHECK-LABEL: func.func @add_kernel
// CHECK-SAME: (%[[ARG0:.*]]: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %{{.*}}: i32) attributes {kite.kernel}
// CHECK: kite.program_id x : i32
// CHECK: %[[R:.*]] = kite.make_range 0 to 128 : tensor<128xi32>
// CHECK: %[[S:.*]] = kite.splat %[[ARG0]] : !kite.ptr<f32> -> tensor<128x!kite.ptr<f32>>
// CHECK: %[[P:.*]] = kite.addptr %[[S]], %[[R]] : tensor<128x!kite.ptr<f32>>, tensor<128xi32>
// CHECK: %[[V:.*]] = kite.load %[[P]] : tensor<128x!kite.ptr<f32>>
// CHECK: kite.store %[[P]], %[[V]] : tensor<128x!kite.ptr<f32>>
// GENERIC-LABEL: sym_name = "add_kernel"
// GENERIC: "kite.program_id"() <{axis = 0 : i32}> : () -> i32
// GENERIC: "kite.make_range"() <{end = 128 : i32, start = 0 : i32}> : () -> tensor<128xi32>
// GENERIC: "kite.load"(%{{.*}}) <{operandSegmentSizes = array<i32: 1, 0, 0, 0, 0>}> : (tensor<128x!kite.ptr<f32>>) -> tensor<128xf32>
// GENERIC: "kite.store"(%{{.*}}, %{{.*}}) <{operandSegmentSizes = array<i32: 1, 1, 0, 0, 0>}> : (tensor<128x!kite.ptr<f32>>, tensor<128xf32>) -> ()
module {
  func.func @add_kernel(%arg0: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %arg1: i32) attributes {kite.kernel} {
    %0 = "kite.program_id"() <{axis = 0 : i32}> : () -> i32 loc("add.py":5:10)
    %1 = "kite.make_range"() <{end = 128 : i32, start = 0 : i32}> : () -> tensor<128xi32> loc("add.py":6:10)
    %2 = "kite.splat"(%arg0) : (!kite.ptr<f32>) -> tensor<128x!kite.ptr<f32>> loc("add.py":7:10)
    %3 = "kite.addptr"(%2, %1) : (tensor<128x!kite.ptr<f32>>, tensor<128xi32>) -> tensor<128x!kite.ptr<f32>> loc("add.py":7:10)
    %4 = "kite.load"(%3) <{operandSegmentSizes = array<i32: 1, 0, 0, 0, 0>}> : (tensor<128x!kite.ptr<f32>>) -> tensor<128xf32> loc("add.py":8:10)
    "kite.store"(%3, %4) <{operandSegmentSizes = array<i32: 1, 1, 0, 0, 0>}> : (tensor<128x!kite.ptr<f32>>, tensor<128xf32>) -> () loc("add.py":9:4)
    func.return loc("add.py":9:4)
  } loc("add.py":3:0)

  // CHECK-LABEL: func.func @generic_ops
  // GENERIC-LABEL: sym_name = "generic_ops"
  func.func @generic_ops(%p: tensor<64x!kite.ptr<f32>>, %m: tensor<64xi1>, %x: tensor<64xf32>, %q: !kite.ptr<i32>, %i: i32) {
    // CHECK: kite.load volatile %{{.*}}, %{{.*}}, %{{.*}} : tensor<64x!kite.ptr<f32>>
    // GENERIC: "kite.load"(%{{.*}}, %{{.*}}, %{{.*}}) <{is_volatile, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}>
    %0 = "kite.load"(%p, %m, %x) <{is_volatile, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<64x!kite.ptr<f32>>, tensor<64xi1>, tensor<64xf32>) -> tensor<64xf32>
    // CHECK: kite.store %{{.*}}, %{{.*}}, %{{.*}} : tensor<64x!kite.ptr<f32>>
    // GENERIC: "kite.store"(%{{.*}}, %{{.*}}, %{{.*}}) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}>
    "kite.store"(%p, %0, %m) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<64x!kite.ptr<f32>>, tensor<64xf32>, tensor<64xi1>) -> ()
    // CHECK: kite.atomic_rmw fadd, %{{.*}}, %{{.*}}, %{{.*}} : tensor<64x!kite.ptr<f32>>
    // GENERIC: "kite.atomic_rmw"(%{{.*}}, %{{.*}}, %{{.*}}) <{operandSegmentSizes = array<i32: 1, 1, 1>, rmw_op = 1 : i32, scope = 0 : i32, sem = 3 : i32}>
    %1 = "kite.atomic_rmw"(%p, %x, %m) <{operandSegmentSizes = array<i32: 1, 1, 1>, rmw_op = 1 : i32}> : (tensor<64x!kite.ptr<f32>>, tensor<64xf32>, tensor<64xi1>) -> tensor<64xf32>
    // An atomic's sem (relaxed 0, acquire 1, release 2, acq_rel 3) and scope
    // (gpu 0, cta 1, sys 2) print where they are not acq_rel and gpu.
    // CHECK: kite.atomic_rmw xor release cta, %{{.*}}, %{{.*}} : !kite.ptr<i32>
    // GENERIC: "kite.atomic_rmw"(%{{.*}}, %{{.*}}) <{operandSegmentSizes = array<i32: 1, 1, 0>, rmw_op = 10 : i32, scope = 1 : i32, sem = 2 : i32}>
    %2 = "kite.atomic_rmw"(%q, %i) <{operandSegmentSizes = array<i32: 1, 1, 0>, rmw_op = 10 : i32, sem = 2 : i32, scope = 1 : i32}> : (!kite.ptr<i32>, i32) -> i32
    // CHECK: kite.atomic_cas %{{.*}}, %{{.*}}, %{{.*}} : !kite.ptr<i32>
    // GENERIC: "kite.atomic_cas"(%{{.*}}, %{{.*}}, %{{.*}}) <{scope = 0 : i32, sem = 3 : i32}>
    %3 = "kite.atomic_cas"(%q, %i, %2) : (!kite.ptr<i32>, i32, i32) -> i32
    // CHECK: kite.atomic_cas acquire sys, %{{.*}}, %{{.*}}, %{{.*}} : !kite.ptr<i32>
    %10 = "kite.atomic_cas"(%q, %i, %2) <{sem = 1 : i32, scope = 2 : i32}> : (!kite.ptr<i32>, i32, i32) -> i32
    // CHECK: kite.expand_dims %{{.*}} axis = 0 : tensor<64xf32> -> tensor<1x64xf32>
    %4 = "kite.expand_dims"(%x) <{axis = 0 : i32}> : (tensor<64xf32>) -> tensor<1x64xf32>
    // CHECK: kite.trans %{{.*}} order = [1, 0] : tensor<1x64xf32> -> tensor<64x1xf32>
    // GENERIC: "kite.trans"(%{{.*}}) <{order = array<i32: 1, 0>}>
    %5 = "kite.trans"(%4) <{order = array<i32: 1, 0>}> : (tensor<1x64xf32>) -> tensor<64x1xf32>
    // CHECK: kite.fp_to_fp %{{.*}} rounding = rtz : tensor<64xf32> -> tensor<64xf8E5M2>
    // GENERIC: "kite.fp_to_fp"(%{{.*}}) <{rounding = 1 : i32}>
    %6 = "kite.fp_to_fp"(%x) <{rounding = 1 : i32}> : (tensor<64xf32>) -> tensor<64xf8E5M2>
    // CHECK: kite.reduce(%{{.*}}) axis = 0 : (tensor<64xf32>) -> f32 {
    // CHECK: kite.reduce.return
    %7 = "kite.reduce"(%x) <{axis = 0 : i32}> ({
    ^bb0(%a: f32, %b: f32):
      %s = "arith.addf"(%a, %b) <{fastmath = #arith.fastmath<none>}> : (f32, f32) -> f32
      "kite.reduce.return"(%s) : (f32) -> ()
    }) : (tensor<64xf32>) -> f32
    // CHECK: kite.scan(%{{.*}}) axis = 0 reverse : (tensor<64xf32>) -> tensor<64xf32> {
    // GENERIC: "kite.scan"(%{{.*}}) <{axis = 0 : i32, reverse = true}>
    %8 = "kite.scan"(%x) <{axis = 0 : i32, reverse = true}> ({
    ^bb0(%a: f32, %b: f32):
      %s = "arith.addf"(%a, %b) <{fastmath = #arith.fastmath<none>}> : (f32, f32) -> f32
      "kite.scan.return"(%s) : (f32) -> ()
    }) : (tensor<64xf32>) -> tensor<64xf32>
    // CHECK: kite.scan(%{{.*}}) axis = 0 : (tensor<64xf32>) -> tensor<64xf32> {
    %9 = "kite.scan"(%x) <{axis = 0 : i32, reverse = false}> ({
    ^bb0(%a: f32, %b: f32):
      "kite.scan.return"(%b) : (f32) -> ()
    }) : (tensor<64xf32>) -> tensor<64xf32>
    // CHECK: kite.print "x: " hex %{{.*}} : tensor<64xf32>
    // GENERIC: "kite.print"(%{{.*}}) <{hex = true, prefix = "x: "}>
    "kite.print"(%x) <{hex = true, prefix = "x: "}> : (tensor<64xf32>) -> ()
    // CHECK: kite.print "y" %{{.*}} : i32
    "kite.print"(%i) <{hex = false, prefix = "y"}> : (i32) -> ()
    // CHECK: kite.assert %{{.*}}, "bad" : tensor<64xi1>
    // GENERIC: "kite.assert"(%{{.*}}) <{message = "bad"}>
    "kite.assert"(%m) <{message = "bad"}> : (tensor<64xi1>) -> ()
    func.return
  }
}
