// Two barriers in a row become one that orders memory as the wider of the
// two did (gpu.barrier's own pattern would keep the second as it is).
// RUN: kite-opt %s --split-input-file --canonicalize | FileCheck %s

// CHECK-LABEL: func.func @global_then_plain
// CHECK-NEXT: gpu.barrier {kitethread.global_memory = "gpu"}
// CHECK-NEXT: return
func.func @global_then_plain() {
  gpu.barrier {kitethread.global_memory = "gpu"}
  gpu.barrier
  return
}

// -----

// CHECK-LABEL: func.func @plain_then_global
// CHECK-NEXT: gpu.barrier {kitethread.global_memory}
// CHECK-NEXT: return
func.func @plain_then_global() {
  gpu.barrier
  gpu.barrier {kitethread.global_memory}
  return
}

// -----

// CHECK-LABEL: func.func @widest_of_three
// CHECK-NEXT: gpu.barrier {kitethread.global_memory = "sys"}
// CHECK-NEXT: return
func.func @widest_of_three() {
  gpu.barrier {kitethread.global_memory}
  gpu.barrier {kitethread.global_memory = "sys"}
  gpu.barrier {kitethread.global_memory = "cta"}
  return
}

// -----

// CHECK-LABEL: func.func @plain
// CHECK-NEXT: gpu.barrier{{$}}
// CHECK-NEXT: return
func.func @plain() {
  gpu.barrier
  gpu.barrier
  return
}
