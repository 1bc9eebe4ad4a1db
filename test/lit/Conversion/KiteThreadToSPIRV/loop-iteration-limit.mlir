// Kernels whose loops may take more back-edges than the driver allows end
// with a probe loop and an assert; provably short ones are left alone.
// RUN: kite-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(kitespirv-check-loop-iteration-limit{limit=65535}))' | FileCheck %s

// CHECK-LABEL: func.func @runtime_trip_count
// CHECK: scf.for
// CHECK: %[[N:.*]] = kitethread.num_programs x : i32
// CHECK: %[[M:.*]] = arith.minui %[[N]], %[[C1:.*]] : i32
// CHECK: %[[T:.*]] = arith.addi %[[M]], %[[C1]] : i32
// CHECK: %[[P:.*]] = scf.while (%[[I:.*]] = %{{.*}}) : (i32) -> i32 {
// CHECK:   arith.cmpi ult, %[[I]], %[[T]] : i32
// CHECK: %[[OK:.*]] = arith.cmpi eq, %[[P]], %[[T]] : i32
// CHECK: kitethread.assert %[[OK]], "the Vulkan driver stopped a loop of this kernel{{.*}}65535 iterations{{.*}}" {"kitespirv.driver-limit"}
// CHECK-NEXT: return
func.func @runtime_trip_count(%n: i32) -> i32 {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%a = %c0) -> (i32) : i32 {
    %b = arith.addi %a, %c1 : i32
    scf.yield %b : i32
  }
  return %r : i32
}

// -----

// CHECK-LABEL: func.func @while_loop
// CHECK: kitethread.assert {{.*}} {"kitespirv.driver-limit"}
func.func @while_loop(%x: i32) {
  %c1 = arith.constant 1 : i32
  %r = scf.while (%a = %x) : (i32) -> i32 {
    %c = arith.cmpi ne, %a, %c1 : i32
    scf.condition(%c) %a : i32
  } do {
  ^bb0(%a: i32):
    %b = arith.shrui %a, %c1 : i32
    scf.yield %b : i32
  }
  return
}

// -----

// Constant trip counts: 200 x 300 nested (60,200 back-edges) stays within
// the budget.
// CHECK-LABEL: func.func @short_nested
// CHECK-NOT: kitethread.assert
// CHECK: return
func.func @short_nested() {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c200 = arith.constant 200 : i32
  %c300 = arith.constant 300 : i32
  scf.for %i = %c0 to %c200 step %c1 : i32 {
    scf.for %j = %c0 to %c300 step %c1 : i32 {
    }
  }
  return
}

// -----

// 300 x 300 nested constant loops (90,300 back-edges) exceed it.
// CHECK-LABEL: func.func @long_nested
// CHECK: kitethread.assert {{.*}} {"kitespirv.driver-limit"}
func.func @long_nested() {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c300 = arith.constant 300 : i32
  scf.for %i = %c0 to %c300 step %c1 : i32 {
    scf.for %j = %c0 to %c300 step %c1 : i32 {
    }
  }
  return
}

// -----

// Two sequential constant loops share the budget: 40,000 + 40,000.
// CHECK-LABEL: func.func @sequential
// CHECK: kitethread.assert {{.*}} {"kitespirv.driver-limit"}
func.func @sequential() {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c40000 = arith.constant 40000 : i32
  scf.for %i = %c0 to %c40000 step %c1 : i32 {
  }
  scf.for %i = %c0 to %c40000 step %c1 : i32 {
  }
  return
}

// -----

// limit=0: a driver without a loop limit.
// RUN: kite-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(kitespirv-check-loop-iteration-limit{limit=0}))' | FileCheck %s --check-prefix=NOLIMIT
// NOLIMIT-NOT: kitethread.assert
func.func @no_limit(%n: i32) {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  scf.for %i = %c0 to %n step %c1 : i32 {
  }
  return
}
