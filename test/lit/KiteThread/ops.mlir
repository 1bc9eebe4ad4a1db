// Every kitethread op in its custom form: printing then parsing gives the
// same IR, and so does going through the generic form.
// RUN: kite-opt %s | kite-opt | FileCheck %s
// RUN: kite-opt %s --mlir-print-op-generic | kite-opt | FileCheck %s

// CHECK: module attributes {"kitethread.arg-types" = [i64, i32, i1], "kitethread.num-threads" = 128 : i32, "kitethread.shared-bytes" = 1024 : i32}
module attributes {"kitethread.num-threads" = 128 : i32,
                   "kitethread.shared-bytes" = 1024 : i32,
                   "kitethread.arg-types" = [i64, i32, i1]} {

// CHECK-LABEL: func.func @grid_and_args
func.func @grid_and_args() attributes {kite.kernel} {
  // CHECK: kitethread.program_id x : i32
  %0 = kitethread.program_id x : i32
  // CHECK: kitethread.program_id z : i32
  %1 = kitethread.program_id 2 : i32
  // CHECK: kitethread.num_programs y : i32
  %2 = kitethread.num_programs y : i32
  // CHECK: kitethread.kernel_arg 0 : i64
  %3 = kitethread.kernel_arg 0 : i64
  // CHECK: kitethread.kernel_arg 2 : i1
  %4 = kitethread.kernel_arg 2 : i1
  return
}

// CHECK-LABEL: func.func @memory
func.func @memory(%addr: i64, %mask: i1, %v: vector<4xf32>, %h: vector<2xf16>,
                  %x: f32, %i: i32) {
  // CHECK: kitethread.load %{{.*}} align 4 : f32
  %0 = kitethread.load %addr align 4 : f32
  // CHECK: kitethread.load %{{.*}}, %{{.*}} align 16 : vector<4xf32>
  %1 = kitethread.load %addr, %mask align 16 : vector<4xf32>
  // CHECK: kitethread.load %{{.*}}, %{{.*}} other %{{.*}} align 16 : vector<4xf32>
  %2 = kitethread.load %addr, %mask other %v align 16 : vector<4xf32>
  // CHECK: kitethread.load %{{.*}} align 4 : vector<2xf16>
  %3 = kitethread.load %addr align 4 : vector<2xf16>
  // CHECK: kitethread.store %{{.*}}, %{{.*}} align 4 : f32
  kitethread.store %addr, %x align 4 : f32
  // CHECK: kitethread.store %{{.*}}, %{{.*}}, %{{.*}} align 16 : vector<4xf32>
  kitethread.store %addr, %v, %mask align 16 : vector<4xf32>
  // CHECK: kitethread.store %{{.*}}, %{{.*}} align 4 : vector<2xf16>
  kitethread.store %addr, %h align 4 : vector<2xf16>
  return
}

// CHECK-LABEL: func.func @atomics
func.func @atomics(%addr: i64, %mask: i1, %x: f32, %i: i32, %l: i64) {
  // CHECK: kitethread.atomic_rmw add %{{.*}}, %{{.*}} : i32
  %0 = kitethread.atomic_rmw add %addr, %i : i32
  // CHECK: kitethread.atomic_rmw fadd %{{.*}}, %{{.*}}, %{{.*}} : f32
  %1 = kitethread.atomic_rmw fadd %addr, %x, %mask : f32
  // CHECK: kitethread.atomic_rmw umax %{{.*}}, %{{.*}} : i64
  %2 = kitethread.atomic_rmw umax %addr, %l : i64
  // CHECK: kitethread.atomic_rmw xchg %{{.*}}, %{{.*}} : f32
  %3 = kitethread.atomic_rmw xchg %addr, %x : f32
  // CHECK: kitethread.atomic_cas %{{.*}}, %{{.*}}, %{{.*}} : i32
  %4 = kitethread.atomic_cas %addr, %i, %i : i32
  // CHECK: kitethread.atomic_cas %{{.*}}, %{{.*}}, %{{.*}} : f32
  %5 = kitethread.atomic_cas %addr, %x, %x : f32
  // The ordering prints where it is not acq_rel at gpu scope.
  // CHECK: kitethread.atomic_rmw xchg release %{{.*}}, %{{.*}}, %{{.*}} : i32
  %6 = kitethread.atomic_rmw xchg release %addr, %i, %mask : i32
  // CHECK: kitethread.atomic_rmw add relaxed cta %{{.*}}, %{{.*}} : i32
  %7 = kitethread.atomic_rmw add relaxed cta %addr, %i : i32
  // CHECK: kitethread.atomic_cas acquire sys %{{.*}}, %{{.*}}, %{{.*}} : i32
  %8 = kitethread.atomic_cas acquire sys %addr, %i, %i : i32
  // CHECK: kitethread.atomic_cas %{{.*}}, %{{.*}}, %{{.*}} : i32
  %9 = kitethread.atomic_cas acq_rel gpu %addr, %i, %i : i32
  // A barrier that orders global memory among the workgroup, or at a scope.
  // CHECK: gpu.barrier {kitethread.global_memory}
  gpu.barrier {kitethread.global_memory}
  // CHECK: gpu.barrier {kitethread.global_memory = "gpu"}
  gpu.barrier {kitethread.global_memory = "gpu"}
  return
}

// CHECK-LABEL: func.func @debug
func.func @debug(%c: i1, %x: f32, %i: i32) {
  // CHECK: kitethread.print "x = " %{{.*}}, %{{.*}} : f32, i32
  kitethread.print "x = " %x, %i : f32, i32
  // CHECK: kitethread.print "here"
  kitethread.print "here"
  // CHECK: kitethread.assert %{{.*}}, "x must be positive"
  kitethread.assert %c, "x must be positive"
  return
}

// CHECK-LABEL: func.func @grid_dependency
func.func @grid_dependency() {
  // CHECK: kitethread.gdc_wait{{$}}
  kitethread.gdc_wait
  // CHECK: kitethread.gdc_launch_dependents{{$}}
  kitethread.gdc_launch_dependents
  return
}

// CHECK-LABEL: func.func @mma
func.func @mma(%x: i32, %c: f32) {
  // CHECK: kitethread.mma_sync bf16 a(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}) b(%{{.*}}, %{{.*}}) c(%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : f32, f32, f32, f32) : f32, f32, f32, f32
  %d:4 = kitethread.mma_sync bf16 a(%x, %x, %x, %x) b(%x, %x) c(%c, %c, %c, %c : f32, f32, f32, f32) : f32, f32, f32, f32
  return
}

// CHECK-LABEL: func.func @float_conversions
func.func @float_conversions(%x: f32, %y: f32) {
  // CHECK: %[[P:.*]] = kitethread.cvt_pack f8E4M3FN %{{.*}}, %{{.*}} : i16
  %p = kitethread.cvt_pack f8E4M3FN %x, %y : i16
  // CHECK: kitethread.cvt_pack bf16 %{{.*}}, %{{.*}} : i32
  %b = kitethread.cvt_pack bf16 %x, %y : i32
  // CHECK: kitethread.cvt_unpack f8E5M2 %[[P]] : vector<2xf16>
  %v = kitethread.cvt_unpack f8E5M2 %p : vector<2xf16>
  return
}

}
