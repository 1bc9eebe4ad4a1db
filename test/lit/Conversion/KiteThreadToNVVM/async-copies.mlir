// kitethread.async_copy: NVVM's cp.async (cg for 16 bytes, ca below), a
// mask becoming a source size of 0 (the bytes are zero-filled); commit
// and wait groups; ldmatrix with `transpose` is ldmatrix .trans.
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-nvvm="chip=sm_80" | FileCheck %s

// CHECK-LABEL: llvm.func @copies(
// CHECK: %[[SRC:.*]] = llvm.inttoptr %{{.*}} : i64 to !llvm.ptr<1>
// CHECK: %[[SIZE:.*]] = llvm.select %{{.*}}, %{{.*}}, %{{.*}} : i1, i32
// CHECK: nvvm.cp.async.shared.global %{{.*}}, %[[SRC]], 16, cache =  cg, %[[SIZE]] : !llvm.ptr<3>, !llvm.ptr<1>, i32
// CHECK: nvvm.cp.async.shared.global %{{.*}}, %{{.*}}, 8, cache =  ca : !llvm.ptr<3>, !llvm.ptr<1>
// CHECK: nvvm.cp.async.commit.group
// CHECK: nvvm.cp.async.wait.group 1
// CHECK: nvvm.ldmatrix %{{.*}} {eltType = #nvvm.ld_st_matrix_elt_type<b16>, layout = #nvvm.mma_layout<col>, num = 4 : i32, shape = #nvvm.ld_st_matrix_shape<m = 8, n = 8>}
module attributes {"kitethread.num-threads" = 32 : i32,
                   "kitethread.arg-types" = [i64, i1, i32]} {
  func.func @copies() attributes {kite.kernel} {
    %src = kitethread.kernel_arg 0 : i64
    %mask = kitethread.kernel_arg 1 : i1
    %i = kitethread.kernel_arg 2 : i32
    %buf = memref.alloc() : memref<1024xf16, #gpu.address_space<workgroup>>
    kitethread.async_copy %src, %buf[%i], %mask bytes 16 : memref<1024xf16, #gpu.address_space<workgroup>>
    kitethread.async_copy %src, %buf[%i] bytes 8 : memref<1024xf16, #gpu.address_space<workgroup>>
    kitethread.async_commit_group
    kitethread.async_wait_group 1
    %w:4 = kitethread.ldmatrix %buf[%i] {count = 4 : i32, transpose} : memref<1024xf16, #gpu.address_space<workgroup>> -> i32, i32, i32, i32
    kitethread.print "" %w#0 : i32
    return
  }
}
