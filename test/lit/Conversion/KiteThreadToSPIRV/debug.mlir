// print and assert have no Vulkan lowering: dropped, with a remark each.
// RUN: kite-opt %s --convert-kitethread-to-spirv --verify-diagnostics | FileCheck %s

// CHECK-LABEL: spirv.func @debug
// CHECK-NOT: kitethread
// CHECK: spirv.Return
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @debug() attributes {kite.kernel} {
    %x = kitethread.kernel_arg 0 : f32
    %zero = arith.constant 0.0 : f32
    %c = arith.cmpf ogt, %x, %zero : f32
    // expected-remark @+1 {{'kitethread.print' is dropped: the SPIR-V emitter has no debug printf support on Vulkan (run with KITE_INTERPRET=1 to see it)}}
    kitethread.print "x = " %x : f32
    // expected-remark @+1 {{'kitethread.assert' is dropped}}
    kitethread.assert %c, "x must be positive"
    return
  }
}
