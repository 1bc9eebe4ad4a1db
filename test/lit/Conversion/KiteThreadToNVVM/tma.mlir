// kitethread's TMA ops and mbarrier ops: a load is inline PTX
// cp.async.bulk.tensor (global to shared::cluster, tile mode, completing on
// the mbarrier; the CTA's 32-bit shared address standing for its
// shared::cluster one, the map's 64-bit address), a store NVVM's (shared::cta
// to global, bulk groups committed and waited for reading), and mbarrier
// init, inval, arrive.expect_tx and try_wait.parity.
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-nvvm="chip=sm_90a" | FileCheck %s

// CHECK-LABEL: llvm.func @tma(
// CHECK: nvvm.mbarrier.init %{{.*}}, %{{.*}} : !llvm.ptr<3>, i32
// CHECK: nvvm.mbarrier.arrive.expect_tx %{{.*}}, %{{.*}} : !llvm.ptr<3>, i32
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "cp.async.bulk.tensor.2d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [$0], [$1, {$2, $3}], [$4];", "r,l,r,r,r" %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (!llvm.ptr<3>, i64, i32, i32, !llvm.ptr<3>) -> ()
// CHECK: nvvm.mbarrier.try_wait %{{.*}}, %{{.*}} : !llvm.ptr<3>, i32 -> i1
// CHECK: %[[MAP:.*]] = llvm.inttoptr %{{.*}} : i64 to !llvm.ptr
// CHECK: nvvm.cp.async.bulk.tensor.global.shared.cta %[[MAP]], %{{.*}}, box[%{{.*}}, %{{.*}}] : !llvm.ptr, <3>
// CHECK: nvvm.cp.async.bulk.commit.group
// CHECK: nvvm.cp.async.bulk.wait_group 0 {read}
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
    kitethread.tma_store %map[%x, %y], %buf[%c0] : memref<8192xf16, #gpu.address_space<workgroup>>
    kitethread.bulk_commit_group
    kitethread.bulk_wait_group_read 0
    kitethread.mbarrier_inval %bars[%c0] : memref<2xi64, #gpu.address_space<workgroup>>
    return
  }
}
