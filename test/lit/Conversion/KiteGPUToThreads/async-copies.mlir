// The software pipeliner's ops at the thread level: a buffer of slots is
// one workgroup buffer; an async copy is one kitethread.async_copy per
// vector of the pointers' layout, at the swizzled index of its first
// element in the slot; a wait is cp.async.wait_group and a barrier; a
// local_load reads each register's element, a run of them along the
// buffer's contiguous dimension as one vector. A tensor-core dot whose
// operands are local_loads of slots in the staging layout reads them there
// with ldmatrix (.trans for b stored K x N) and stages nothing.
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads="tensor-cores=80 max-vector-elements=16" --canonicalize --cse | FileCheck %s

// 32x16 f16 over 128 threads, 4 consecutive elements each: one 8-byte
// copy per thread, masked.
// CHECK-LABEL: func.func @copy_wait_read()
// CHECK: %[[BUF:.*]] = memref.alloc() : memref<1024xf16, #gpu.address_space<workgroup>>
// CHECK: %[[SLOT:.*]] = memref.reinterpret_cast %[[BUF]] to offset: [512], sizes: [512], strides: [1]
// The swizzled index, row * 16 + (group ^ phase) * 8 + column % 8, in
// arithmetic that says it does not wrap (LLVM then folds constant offsets
// into addresses).
// CHECK: %[[ROW:.*]] = arith.muli %{{.*}}, %{{.*}} overflow<nsw, nuw> : i32
// CHECK-NEXT: %[[GROUP:.*]] = arith.muli %{{.*}}, %{{.*}} overflow<nsw, nuw> : i32
// CHECK-NEXT: %[[START:.*]] = arith.addi %[[ROW]], %[[GROUP]] overflow<nsw, nuw> : i32
// CHECK-NEXT: %[[IN:.*]] = arith.remui
// CHECK-NEXT: %[[I:.*]] = arith.addi %[[START]], %[[IN]] overflow<nsw, nuw> : i32
// CHECK-NEXT: kitethread.async_copy %{{.*}}, %{{.*}}[%[[I]]], %{{.*}} bytes 8 : memref<512xf16, strided<[1], offset: ?>, #gpu.address_space<workgroup>>
// CHECK-NOT: kitethread.async_copy
// CHECK: kitethread.async_commit_group
// CHECK: kitethread.async_wait_group 0
// CHECK-NEXT: gpu.barrier
// The thread's 4 consecutive elements are one vector in the slot (they lie
// in one swizzled group of 8).
// CHECK: vector.load %[[SLOT]][%{{.*}}] {alignment = 8 : i64} : memref<512xf16, strided<[1], offset: 512>, #gpu.address_space<workgroup>>, vector<4xf16>
// CHECK-NOT: memref.load
#a = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]}>
#s = #kitegpu.shared<{vec = 8, perPhase = 4, maxPhase = 2, order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @copy_wait_read(%p: !kite.ptr<f16> {kite.divisibility = 16 : i32}, %out: !kite.ptr<f16> {kite.divisibility = 16 : i32}, %n: i32) attributes {kite.kernel} {
    %c1 = arith.constant 1 : i32
    %rows = kite.make_range 0 to 32 : tensor<32xi32, #kitegpu.slice<{dim = 1, parent = #a}>>
    %cols = kite.make_range 0 to 16 : tensor<16xi32, #kitegpu.slice<{dim = 0, parent = #a}>>
    %r = kite.expand_dims %rows axis = 1 : tensor<32xi32, #kitegpu.slice<{dim = 1, parent = #a}>> -> tensor<32x1xi32, #a>
    %c = kite.expand_dims %cols axis = 0 : tensor<16xi32, #kitegpu.slice<{dim = 0, parent = #a}>> -> tensor<1x16xi32, #a>
    %c16 = arith.constant dense<16> : tensor<32x1xi32, #a>
    %rs = arith.muli %r, %c16 : tensor<32x1xi32, #a>
    %rb = kite.broadcast %rs : tensor<32x1xi32, #a> -> tensor<32x16xi32, #a>
    %cb = kite.broadcast %c : tensor<1x16xi32, #a> -> tensor<32x16xi32, #a>
    %off = arith.addi %rb, %cb : tensor<32x16xi32, #a>
    %base = kite.splat %p : !kite.ptr<f16> -> tensor<32x16x!kite.ptr<f16>, #a>
    %ptrs = kite.addptr %base, %off : tensor<32x16x!kite.ptr<f16>, #a>, tensor<32x16xi32, #a>
    %ns = kite.splat %n : i32 -> tensor<32x1xi32, #a>
    %m1 = arith.cmpi slt, %r, %ns : tensor<32x1xi32, #a>
    %mask = kite.broadcast %m1 : tensor<32x1xi1, #a> -> tensor<32x16xi1, #a>
    %buf = kitegpu.local_alloc -> !kitegpu.memdesc<2x32x16xf16, #s>
    kitegpu.async_copy %ptrs, %buf[%c1], %mask : tensor<32x16x!kite.ptr<f16>, #a>, tensor<32x16xi1, #a> -> !kitegpu.memdesc<2x32x16xf16, #s>
    kitegpu.async_commit_group
    kitegpu.async_wait 0
    %v = kitegpu.local_load %buf[%c1] : !kitegpu.memdesc<2x32x16xf16, #s> -> tensor<32x16xf16, #a>
    %obase = kite.splat %out : !kite.ptr<f16> -> tensor<32x16x!kite.ptr<f16>, #a>
    %optrs = kite.addptr %obase, %off : tensor<32x16x!kite.ptr<f16>, #a>, tensor<32x16xi32, #a>
    kite.store %optrs, %v : tensor<32x16x!kite.ptr<f16>, #a>
    return
  }
}

// -----

// a (32x16, K contiguous) and b (16x32, N contiguous) read in place: a by
// ldmatrix, b by ldmatrix.trans; no operand is staged (the only buffers
// are the slots), and a barrier follows the reads.
// CHECK-LABEL: func.func @dot_of_slots()
// CHECK: %[[A:.*]] = memref.alloc() : memref<1024xf16, #gpu.address_space<workgroup>>
// CHECK: %[[B:.*]] = memref.alloc() : memref<1024xf16, #gpu.address_space<workgroup>>
// CHECK-NOT: memref.alloc
// CHECK: %[[SA:.*]] = memref.reinterpret_cast %[[A]] to offset: [%[[AT:.*]]], sizes: [512], strides: [1]
// CHECK: %[[SB:.*]] = memref.reinterpret_cast %[[B]] to offset: [%[[AT]]], sizes: [512], strides: [1]
// CHECK: kitethread.ldmatrix %[[SA]][%{{.*}}] {count = 4 : i32}
// CHECK: kitethread.ldmatrix %[[SB]][%{{.*}}] {count = 4 : i32, transpose}
// CHECK: kitethread.mma_sync f16
// CHECK: gpu.barrier
#a = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]}>
#b = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [2, 2], order = [1, 0]}>
#sa = #kitegpu.shared<{vec = 8, perPhase = 4, maxPhase = 2, order = [1, 0]}>
#sb = #kitegpu.shared<{vec = 8, perPhase = 2, maxPhase = 4, order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @dot_of_slots(%out: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %slot: i32) attributes {kite.kernel} {
    %bufa = kitegpu.local_alloc -> !kitegpu.memdesc<2x32x16xf16, #sa>
    %bufb = kitegpu.local_alloc -> !kitegpu.memdesc<2x16x32xf16, #sb>
    kitegpu.async_wait 0
    %va = kitegpu.local_load %bufa[%slot] : !kitegpu.memdesc<2x32x16xf16, #sa> -> tensor<32x16xf16, #a>
    %vb = kitegpu.local_load %bufb[%slot] : !kitegpu.memdesc<2x16x32xf16, #sb> -> tensor<16x32xf16, #b>
    %zero = arith.constant dense<0.000000e+00> : tensor<32x32xf32, #c>
    %d = kite.dot %va, %vb, %zero : tensor<32x16xf16, #a> * tensor<16x32xf16, #b> -> tensor<32x32xf32, #c>
    %o = kite.splat %out : !kite.ptr<f32> -> tensor<32x32x!kite.ptr<f32>, #c>
    kite.store %o, %d : tensor<32x32x!kite.ptr<f32>, #c>
    return
  }
}
