// The software pipeliner's TMA ops at the thread level: thread 0
// initialises a buffer's mbarriers (then a barrier), and for each copy
// arrives on the slot's mbarrier expecting the tile's bytes and issues one
// box per planTmaBoxes box: for a 64x64 f16 A whose rows are placed for
// wgmma (warpsM = 4) that is 8 boxes of 8 rows, each 1024 bytes, at the
// placed blocks' indices; for a 64x128 f16 B in 64-element slabs, 2 boxes
// of 64 rows. Every thread waits for a phase by try_wait in a loop.
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads="tensor-cores=90 warpgroup-mma=true max-workgroup-bytes=232448" --canonicalize --cse | FileCheck %s

// CHECK-LABEL: func.func @tma_copies()
// CHECK: %[[BARS:.*]] = memref.alloc() : memref<3xi64, #gpu.address_space<workgroup>>
// CHECK: scf.if
// CHECK-COUNT-3: kitethread.mbarrier_init %[[BARS]][%{{.*}}] count 2
// CHECK: gpu.barrier
// CHECK: scf.if
// CHECK: kitethread.mbarrier_arrive_expect_tx %[[BARS]][%{{.*}}] bytes 8192
// CHECK-COUNT-8: kitethread.tma_load
// CHECK-NOT: kitethread.tma_load
// CHECK: scf.if
// CHECK: kitethread.mbarrier_arrive_expect_tx %[[BARS]][%{{.*}}] bytes 16384
// CHECK-COUNT-2: kitethread.tma_load
// CHECK-NOT: kitethread.tma_load
// CHECK: scf.while
// CHECK: kitethread.mbarrier_try_wait %[[BARS]][%{{.*}}] parity
// CHECK: gpu.barrier
// CHECK: kitethread.mbarrier_inval
#placed = #kitegpu.shared<{vec = 8, perPhase = 1, maxPhase = 8, order = [1, 0], warpsM = 4}>
#slabs = #kitegpu.shared<{vec = 8, perPhase = 1, maxPhase = 8, order = [1, 0], slab = 64}>
#bars = #kitegpu.shared<{vec = 1, perPhase = 1, maxPhase = 1, order = [0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @tma_copies(%map: i64, %row: i32, %col: i32, %slot: i32, %parity: i32, %active: i1) attributes {kite.kernel} {
    %a = kitegpu.local_alloc -> !kitegpu.memdesc<3x64x64xf16, #placed>
    %b = kitegpu.local_alloc -> !kitegpu.memdesc<3x64x128xf16, #slabs>
    %bars = kitegpu.local_alloc -> !kitegpu.memdesc<3xi64, #bars>
    kitegpu.init_barriers %bars count 2 : !kitegpu.memdesc<3xi64, #bars>
    kitegpu.async_tma_copy %map[%row, %col], %a[%slot], %bars, %active : !kitegpu.memdesc<3x64x64xf16, #placed>, !kitegpu.memdesc<3xi64, #bars>
    kitegpu.async_tma_copy %map[%row, %col], %b[%slot], %bars, %active : !kitegpu.memdesc<3x64x128xf16, #slabs>, !kitegpu.memdesc<3xi64, #bars>
    kitegpu.wait_barrier %bars[%slot], %parity : !kitegpu.memdesc<3xi64, #bars>
    kitegpu.inval_barriers %bars : !kitegpu.memdesc<3xi64, #bars>
    return
  }
}
