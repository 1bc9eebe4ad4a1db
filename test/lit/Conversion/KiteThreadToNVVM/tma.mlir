// kitethread's TMA copy and mbarrier ops: NVVM's cp.async.bulk.tensor
// (global to shared::cluster, tile mode, completing on the mbarrier; the
// slot's shared address cast to address space 7, the map a generic
// pointer) and mbarrier init, inval, arrive.expect_tx and try_wait.parity.
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-nvvm="chip=sm_90a" | FileCheck %s

// CHECK-LABEL: llvm.func @tma(
// CHECK: nvvm.mbarrier.init %{{.*}}, %{{.*}} : !llvm.ptr<3>, i32
// CHECK: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %{{.*}} : !llvm.ptr<3>, i32
// CHECK: %[[DST:.*]] = llvm.addrspacecast %{{.*}} : !llvm.ptr<3> to !llvm.ptr<7>
// CHECK: %[[MAP:.*]] = llvm.inttoptr %{{.*}} : i64 to !llvm.ptr
// CHECK: nvvm.cp.async.bulk.tensor.shared.cluster.global %[[DST]], %[[MAP]], %{{.*}}, box[%{{.*}}, %{{.*}}] : !llvm.ptr<7>, !llvm.ptr
// CHECK: nvvm.mbarrier.try_wait %{{.*}}, %{{.*}} : !llvm.ptr<3>, i32 -> i1
// CHECK: nvvm.mbarrier.inval %{{.*}} : !llvm.ptr<3>
module attributes {"kitethread.num-threads" = 128 : i32,
                   "kitethread.arg-types" = [i64, i32, i32]} {
  func.func @tma() attributes {kite.kernel} {
    %map = kitethread.kernel_arg 0 : i64
    %x = kitethread.kernel_arg 1 : i32
    %y = kitethread.kernel_arg 2 : i32
    %c0 = arith.constant 0 : i32
    %buf = memref.alloc() : memref<8192xf16, #gpu.address_space<workgroup>>
    %bars = memref.alloc() : memref<2xi64, #gpu.address_space<workgroup>>
    kitethread.mbarrier_init %bars[%c0] count 1 : memref<2xi64, #gpu.address_space<workgroup>>
    kitethread.mbarrier_arrive_expect_tx %bars[%c0] bytes 16384 : memref<2xi64, #gpu.address_space<workgroup>>
    kitethread.tma_load %map[%x, %y], %buf[%c0], %bars[%c0] : memref<8192xf16, #gpu.address_space<workgroup>>, memref<2xi64, #gpu.address_space<workgroup>>
    %done = kitethread.mbarrier_try_wait %bars[%c0] parity %c0 : memref<2xi64, #gpu.address_space<workgroup>>
    kitethread.print "" %done : i1
    kitethread.mbarrier_inval %bars[%c0] : memref<2xi64, #gpu.address_space<workgroup>>
    return
  }
}
