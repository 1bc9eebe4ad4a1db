// Small innermost for loops with unknown or large trip counts are unrolled
// (main loop stepping by factor * step, epilogue for the rest); short,
// large-bodied and outer loops are left alone.
// RUN: kite-opt %s --split-input-file --pass-pipeline='builtin.module(func.func(kitespirv-unroll-for-loop-budget{factor=4 max-body-ops=8 min-trips=100}))' | FileCheck %s

// CHECK-LABEL: func.func @runtime_trips
// CHECK: %[[R:.*]] = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK-COUNT-4: arith.addi %{{.*}}, %{{.*}} : i32
// CHECK: scf.yield
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %[[R]])
func.func @runtime_trips(%n: i32) -> i32 {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%a = %c0) -> (i32) : i32 {
    %b = arith.addi %a, %i : i32
    scf.yield %b : i32
  }
  return %r : i32
}

// -----

// CHECK-LABEL: func.func @short_trips
// CHECK-COUNT-1: arith.addi
// CHECK-NOT: arith.addi
func.func @short_trips() -> i32 {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %c50 = arith.constant 50 : i32
  %r = scf.for %i = %c0 to %c50 step %c1 iter_args(%a = %c0) -> (i32) : i32 {
    %b = arith.addi %a, %i : i32
    scf.yield %b : i32
  }
  return %r : i32
}

// -----

// Nine body operations (more than max-body-ops) and an outer loop stay.
// CHECK-LABEL: func.func @large_body_and_outer
// CHECK: scf.for
// CHECK: scf.for
// CHECK-COUNT-8: arith.addi
// CHECK-NOT: arith.addi
func.func @large_body_and_outer(%n: i32) -> i32 {
  %c0 = arith.constant 0 : i32
  %c1 = arith.constant 1 : i32
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%a = %c0) -> (i32) : i32 {
    %s = scf.for %j = %c0 to %n step %c1 iter_args(%x = %a) -> (i32) : i32 {
      %x1 = arith.addi %x, %j : i32
      %x2 = arith.addi %x1, %j : i32
      %x3 = arith.addi %x2, %j : i32
      %x4 = arith.addi %x3, %j : i32
      %x5 = arith.addi %x4, %j : i32
      %x6 = arith.addi %x5, %j : i32
      %x7 = arith.addi %x6, %j : i32
      %x8 = arith.addi %x7, %j : i32
      scf.yield %x8 : i32
    }
    scf.yield %s : i32
  }
  return %r : i32
}
