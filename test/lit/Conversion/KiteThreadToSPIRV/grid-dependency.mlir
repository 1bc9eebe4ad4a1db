// Vulkan runs the dispatches of a queue in order: gdc_wait and
// gdc_launch_dependents are dropped.
// RUN: kite-opt %s --convert-kitethread-to-spirv | FileCheck %s

// CHECK-LABEL: spirv.func @gdc
// CHECK-NOT: kitethread
// CHECK-NOT: gdc
// CHECK: spirv.Return
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @gdc() attributes {kite.kernel} {
    kitethread.gdc_wait
    kitethread.gdc_launch_dependents
    return
  }
}
