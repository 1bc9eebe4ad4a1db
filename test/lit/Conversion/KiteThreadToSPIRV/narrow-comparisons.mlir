// Comparisons of an extended integer with a constant that fits its width
// are made in that width (lavapipe miscompiled the 64-bit form); others stay.
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-spirv | FileCheck %s

// CHECK-LABEL: spirv.module @narrowed
// CHECK-DAG: %[[C16:.*]] = spirv.Constant 16 : i32
// CHECK-DAG: %[[C7:.*]] = spirv.Constant 7 : i32
// CHECK: spirv.SLessThan %[[X:.*]], %[[C16]] : i32
// CHECK: spirv.SGreaterThan %[[X]], %[[C7]] : i32
// CHECK: spirv.IEqual %[[X]], %[[C16]] : i32
// CHECK: spirv.ULessThan %[[X]], %[[C16]] : i32
// A constant outside i32, an unsigned predicate on a sign-extended value and
// a compare of two wide values stay 64-bit:
// CHECK: spirv.SLessThan %{{.*}}, %{{.*}} : i64
// CHECK: spirv.ULessThan %{{.*}}, %{{.*}} : i64
// CHECK: spirv.SLessThan %{{.*}}, %{{.*}} : i64
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @narrowed() attributes {kite.kernel} {
    %x = kitethread.kernel_arg 0 : i32
    %p = kitethread.kernel_arg 1 : i64
    %s = arith.extsi %x : i32 to i64
    %u = arith.extui %x : i32 to i64
    %c16 = arith.constant 16 : i64
    %c7 = arith.constant 7 : i64
    %big = arith.constant 8589934592 : i64
    %a = arith.cmpi slt, %s, %c16 : i64
    %b = arith.cmpi slt, %c7, %s : i64
    %c = arith.cmpi eq, %s, %c16 : i64
    %d = arith.cmpi ult, %u, %c16 : i64
    %e = arith.cmpi slt, %s, %big : i64
    %f = arith.cmpi ult, %s, %c16 : i64
    %g = arith.cmpi slt, %s, %p : i64
    %ab = arith.andi %a, %b : i1
    %cd = arith.andi %c, %d : i1
    %ef = arith.andi %e, %f : i1
    %abcd = arith.andi %ab, %cd : i1
    %efg = arith.andi %ef, %g : i1
    %all = arith.andi %abcd, %efg : i1
    %v = arith.extui %all : i1 to i32
    kitethread.store %p, %v, %all align 4 : i32
    return
  }
}
