// remsi is the unsigned remainder of the magnitudes with the dividend's sign
// taken from x < 0 (SAbs(INT_MIN) is INT_MIN, so `x == SAbs(x)` was wrong);
// int/float conversions are NoContraction so that the driver does not fold
// f2i(i2f(x)) to x.
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-spirv="int8" | FileCheck %s

// CHECK-LABEL: spirv.module @remainder
// CHECK-DAG: %[[ZERO:.*]] = spirv.Constant 0 : i8
// CHECK: %[[XNEG:.*]] = spirv.SLessThan %[[X:.*]], %[[ZERO]] : i8
// CHECK: %[[NX:.*]] = spirv.ISub %[[ZERO]], %[[X]] : i8
// CHECK: %[[AX:.*]] = spirv.Select %[[XNEG]], %[[NX]], %[[X]]
// CHECK: %[[YNEG:.*]] = spirv.SLessThan %[[Y:.*]], %[[ZERO]] : i8
// CHECK: %[[NY:.*]] = spirv.ISub %[[ZERO]], %[[Y]] : i8
// CHECK: %[[AY:.*]] = spirv.Select %[[YNEG]], %[[NY]], %[[Y]]
// CHECK: %[[R:.*]] = spirv.UMod %[[AX]], %[[AY]] : i8
// CHECK: %[[NR:.*]] = spirv.ISub %[[ZERO]], %[[R]] : i8
// CHECK: spirv.Select %[[XNEG]], %[[NR]], %[[R]]
// CHECK-NOT: spirv.GL.SAbs
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @remainder() attributes {kite.kernel} {
    %p = kitethread.kernel_arg 0 : i64
    %x = kitethread.load %p align 1 : i8
    %c1 = arith.constant 1 : i64
    %q = arith.addi %p, %c1 : i64
    %y = kitethread.load %q align 1 : i8
    %r = arith.remsi %x, %y : i8
    kitethread.store %p, %r align 1 : i8
    return
  }
}

// -----

// CHECK-LABEL: spirv.module @round_trip
// CHECK: spirv.ConvertSToF %{{.*}} {no_contraction} : i32 to f32
// CHECK: spirv.ConvertFToS %{{.*}} {no_contraction} : f32 to i32
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @round_trip() attributes {kite.kernel} {
    %p = kitethread.kernel_arg 0 : i64
    %x = kitethread.load %p align 4 : i32
    %f = arith.sitofp %x : i32 to f32
    %y = arith.fptosi %f : f32 to i32
    kitethread.store %p, %y align 4 : i32
    return
  }
}
