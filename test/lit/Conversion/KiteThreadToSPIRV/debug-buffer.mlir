// print and assert write records into a debug buffer, one more launch
// argument; the module lists what the host needs to print or raise; the
// result converts to SPIR-V that validates for Vulkan.
// RUN: kite-opt %s --kitespirv-debug-buffer | FileCheck %s
// RUN: kite-opt %s --kitespirv-debug-buffer --convert-kitethread-to-spirv="subgroup-size=32 float64=true" | kite-translate --serialize-spirv -o %t.spv
// RUN: spirv-val --target-env vulkan1.2 %t.spv

// CHECK: module attributes {"kitespirv.debug-records" = ["print\1Fx = \1Fi32,f32,i64,f64\1Fk.py\1F3", "assert\1Fx must be positive\1F\1Fk.py\1F4"], "kitethread.arg-types" = [i32, f32, i64, f64, i64]
// CHECK-LABEL: func.func @debug
// CHECK: %[[BUF:.*]] = kitethread.kernel_arg 4 : i64
// The print: 5 header words, 1 + 1 + 2 + 2 value words.
// CHECK: %[[N:.*]] = arith.constant 11 : i32
// CHECK: %[[START:.*]] = kitethread.atomic_rmw add %[[BUF]], %[[N]] : i32
// CHECK: kitethread.load %{{.*}} align 4 : i32
// CHECK: scf.if
// CHECK-COUNT-11: kitethread.store %{{.*}}, %{{.*}} align 4 : i32
// The assert: a record where the condition is false.
// CHECK: %[[FAILED:.*]] = arith.xori %{{.*}}, %true
// CHECK: scf.if %[[FAILED]] {
// CHECK: kitethread.atomic_rmw add %[[BUF]]
// CHECK-NOT: kitethread.print
// CHECK-NOT: kitethread.assert
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @debug() attributes {kite.kernel} {
    %i = kitethread.kernel_arg 0 : i32
    %f = kitethread.kernel_arg 1 : f32
    %l = kitethread.kernel_arg 2 : i64
    %d = kitethread.kernel_arg 3 : f64
    kitethread.print "x = " %i, %f, %l, %d : i32, f32, i64, f64 loc("k.py":3:5)
    %zero = arith.constant 0 : i32
    %positive = arith.cmpi sgt, %i, %zero : i32
    kitethread.assert %positive, "x must be positive" loc("k.py":4:5)
    return
  }
}
