// kitethread.wgmma, its fences, commit and wait: inline PTX with side
// effects (they must stay in order). B's matrix descriptor is built from
// the element's shared address: (address >> 4) & 0x3fff, then the leading
// (bits 16-29) and stride (32-45) byte offsets in 16-byte units and the
// swizzle mode (62-63: 1 for 128 bytes, 2 for 64, 3 for 32). The wait
// passes the accumulators through as tied operands.
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-nvvm="chip=sm_90a" | FileCheck %s

// m64n8k16 f16, B K-major in 128-byte rows: stride 1024 (64 units),
// leading 2048 (128 units): 64 << 32 | 128 << 16 | 1 << 62.
// CHECK-LABEL: llvm.func @wgmma_f16(
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "fence.proxy.async.shared::cta;", ""  : () -> ()
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "wgmma.fence.sync.aligned;", ""  : () -> ()
// CHECK: %[[ADDRESS:.*]] = llvm.ptrtoint %{{.*}} : !llvm.ptr<3> to i64
// CHECK: %[[UNITS:.*]] = llvm.lshr %[[ADDRESS]], %{{.*}} : i64
// CHECK: %[[START:.*]] = llvm.and %[[UNITS]], %{{.*}} : i64
// CHECK: %[[FIELDS:.*]] = llvm.mlir.constant(4611686293313683456 : i64) : i64
// CHECK: %[[DESCRIPTOR:.*]] = llvm.or %[[START]], %[[FIELDS]] : i64
// CHECK: %[[D:.*]] = llvm.inline_asm has_side_effects asm_dialect = att "wgmma.mma_async.sync.aligned.m64n8k16.f32.f16.f16 {$0, $1, $2, $3}, {$8, $9, $10, $11}, $12, $13, 1, 1, 0;", "=f,=f,=f,=f,0,1,2,3,r,r,r,r,l,b" %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[DESCRIPTOR]], %{{.*}} : (f32, f32, f32, f32, i32, i32, i32, i32, i64, i1) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "wgmma.commit_group.sync.aligned;", ""
// CHECK: %[[W:.*]] = llvm.inline_asm has_side_effects asm_dialect = att "wgmma.wait_group.sync.aligned 0;", "=f,=f,=f,=f,0,1,2,3"
// CHECK: llvm.extractvalue %[[W]][3]
module attributes {"kitethread.num-threads" = 128 : i32,
                   "kitethread.arg-types" = [i32, f32]} {
  func.func @wgmma_f16() attributes {kite.kernel} {
    %x = kitethread.kernel_arg 0 : i32
    %c = kitethread.kernel_arg 1 : f32
    %b = memref.alloc() {kitethread.alignment = 1024 : i64} : memref<512xf16, #gpu.address_space<workgroup>>
    %i = arith.constant 0 : i32
    kitethread.fence_async_shared
    kitethread.wgmma_fence
    %d:4 = kitethread.wgmma f16 a(%x, %x, %x, %x) b(%b[%i] : memref<512xf16, #gpu.address_space<workgroup>>) c(%c, %c, %c, %c : f32, f32, f32, f32) {n = 8 : i64, b_swizzle = 128 : i64, b_leading = 2048 : i64, b_stride = 1024 : i64} : f32, f32, f32, f32
    kitethread.wgmma_commit
    %w:4 = kitethread.wgmma_wait 0 (%d#0, %d#1, %d#2, %d#3 : f32, f32, f32, f32)
    kitethread.print "" %w#0, %w#3 : f32, f32
    return
  }
}

// -----

// An N-major B (b_transposed) sets imm-trans-b; the 64-byte swizzle is
// mode 2; the buffer and the shared array are aligned to 1024 bytes.
// CHECK-LABEL: llvm.mlir.global external @__kite_shared() {addr_space = 3 : i32, alignment = 1024 : i64}
// CHECK-LABEL: llvm.func @wgmma_n_major(
// CHECK: llvm.mlir.constant(-9223371899415822336 : i64) : i64
// CHECK: "wgmma.mma_async.sync.aligned.m64n8k16.f32.bf16.bf16 {$0, $1, $2, $3}, {$8, $9, $10, $11}, $12, $13, 1, 1, 1;"
module attributes {"kitethread.num-threads" = 128 : i32,
                   "kitethread.arg-types" = [i32, f32]} {
  func.func @wgmma_n_major() attributes {kite.kernel} {
    %x = kitethread.kernel_arg 0 : i32
    %c = kitethread.kernel_arg 1 : f32
    %small = memref.alloc() : memref<8xf32, #gpu.address_space<workgroup>>
    %b = memref.alloc() {kitethread.alignment = 1024 : i64} : memref<512xbf16, #gpu.address_space<workgroup>>
    %i = arith.constant 0 : i32
    %j = arith.index_cast %i : i32 to index
    memref.store %c, %small[%j] : memref<8xf32, #gpu.address_space<workgroup>>
    kitethread.wgmma_fence
    %d:4 = kitethread.wgmma bf16 a(%x, %x, %x, %x) b(%b[%i] : memref<512xbf16, #gpu.address_space<workgroup>>) c(%c, %c, %c, %c : f32, f32, f32, f32) {n = 8 : i64, b_swizzle = 64 : i64, b_leading = 0 : i64, b_stride = 512 : i64, b_transposed} : f32, f32, f32, f32
    kitethread.wgmma_commit
    %w:4 = kitethread.wgmma_wait 0 (%d#0, %d#1, %d#2, %d#3 : f32, f32, f32, f32)
    %s = memref.load %small[%j] : memref<8xf32, #gpu.address_space<workgroup>>
    kitethread.print "" %w#0, %s : f32, f32
    return
  }
}

// -----

// Integer products saturate (.satfinite), as mma.sync's do.
// CHECK-LABEL: llvm.func @wgmma_s8(
// CHECK: "wgmma.mma_async.sync.aligned.m64n8k32.satfinite.s32.s8.s8 {$0, $1, $2, $3}, {$8, $9, $10, $11}, $12, $13;", "=r,=r,=r,=r,0,1,2,3,r,r,r,r,l,b"
module attributes {"kitethread.num-threads" = 128 : i32,
                   "kitethread.arg-types" = [i32]} {
  func.func @wgmma_s8() attributes {kite.kernel} {
    %x = kitethread.kernel_arg 0 : i32
    %b = memref.alloc() {kitethread.alignment = 1024 : i64} : memref<1024xi8, #gpu.address_space<workgroup>>
    %i = arith.constant 0 : i32
    kitethread.wgmma_fence
    %d:4 = kitethread.wgmma i8 a(%x, %x, %x, %x) b(%b[%i] : memref<1024xi8, #gpu.address_space<workgroup>>) c(%x, %x, %x, %x : i32, i32, i32, i32) {n = 8 : i64, b_swizzle = 128 : i64, b_leading = 0 : i64, b_stride = 1024 : i64} : i32, i32, i32, i32
    kitethread.wgmma_commit
    %w:4 = kitethread.wgmma_wait 0 (%d#0, %d#1, %d#2, %d#3 : i32, i32, i32, i32)
    kitethread.print "" %w#0 : i32
    return
  }
}

// -----

// A through its own descriptor (a_desc): no A registers, the descriptor
// before B's, and imm-trans-a 0 before imm-trans-b.
// CHECK-LABEL: llvm.func @wgmma_f16_a_in_memory(
// CHECK: %[[B:.*]] = llvm.or %{{.*}}, %{{.*}} : i64
// CHECK: %[[A:.*]] = llvm.or %{{.*}}, %{{.*}} : i64
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "wgmma.mma_async.sync.aligned.m64n8k16.f32.f16.f16 {$0, $1, $2, $3}, $8, $9, $10, 1, 1, 0, 0;", "=f,=f,=f,=f,0,1,2,3,l,l,b" %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[A]], %[[B]], %{{.*}} : (f32, f32, f32, f32, i64, i64, i1)
module attributes {"kitethread.num-threads" = 128 : i32,
                   "kitethread.arg-types" = [f32]} {
  func.func @wgmma_f16_a_in_memory() attributes {kite.kernel} {
    %c = kitethread.kernel_arg 0 : f32
    %a = memref.alloc() {kitethread.alignment = 1024 : i64} : memref<1024xf16, #gpu.address_space<workgroup>>
    %b = memref.alloc() {kitethread.alignment = 1024 : i64} : memref<512xf16, #gpu.address_space<workgroup>>
    %i = arith.constant 0 : i32
    kitethread.wgmma_fence
    %d:4 = kitethread.wgmma f16 a() a_desc(%a[%i] : memref<1024xf16, #gpu.address_space<workgroup>>) b(%b[%i] : memref<512xf16, #gpu.address_space<workgroup>>) c(%c, %c, %c, %c : f32, f32, f32, f32) {n = 8 : i64, a_swizzle = 128 : i64, a_leading = 2048 : i64, a_stride = 1024 : i64, b_swizzle = 128 : i64, b_leading = 2048 : i64, b_stride = 1024 : i64} : f32, f32, f32, f32
    kitethread.wgmma_commit
    %w:4 = kitethread.wgmma_wait 0 (%d#0, %d#1, %d#2, %d#3 : f32, f32, f32, f32)
    kitethread.print "" %w#0, %w#3 : f32, f32
    return
  }
}

// -----

// Operands at a value plus a constant (a K step's offset): the value's
// descriptor plus the constant in 16-byte units (32 f16 elements: 4), the
// same for A through its descriptor (base + 64 elements: 8); an offset
// that is no multiple of 16 bytes (3 elements) is described whole.
// CHECK-LABEL: llvm.func @wgmma_descriptor_plus_offset(
// CHECK: %[[B0:.*]] = llvm.or %{{.*}}, %{{.*}} : i64
// CHECK: %[[FOUR:.*]] = llvm.mlir.constant(4 : i64) : i64
// CHECK: %[[B:.*]] = llvm.add %[[B0]], %[[FOUR]] : i64
// CHECK: %[[A0:.*]] = llvm.or %{{.*}}, %{{.*}} : i64
// CHECK: %[[EIGHT:.*]] = llvm.mlir.constant(8 : i64) : i64
// CHECK: %[[A:.*]] = llvm.add %[[A0]], %[[EIGHT]] : i64
// CHECK: "wgmma.mma_async{{.*}}" {{.*}}, %[[A]], %[[B]], %{{.*}} :
// CHECK: %[[ODD:.*]] = llvm.or %{{.*}}, %{{.*}} : i64
// CHECK-NOT: llvm.add %[[ODD]]
// CHECK: "wgmma.mma_async{{.*}}" {{.*}}, %[[ODD]], %{{.*}} :
module attributes {"kitethread.num-threads" = 128 : i32,
                   "kitethread.arg-types" = [f32, i32]} {
  func.func @wgmma_descriptor_plus_offset() attributes {kite.kernel} {
    %c = kitethread.kernel_arg 0 : f32
    %base = kitethread.kernel_arg 1 : i32
    %a = memref.alloc() {kitethread.alignment = 1024 : i64} : memref<4096xf16, #gpu.address_space<workgroup>>
    %b = memref.alloc() {kitethread.alignment = 1024 : i64} : memref<2048xf16, #gpu.address_space<workgroup>>
    %c32 = arith.constant 32 : i32
    %c64 = arith.constant 64 : i32
    %c3 = arith.constant 3 : i32
    %ia = arith.addi %base, %c64 : i32
    %iodd = arith.addi %base, %c3 : i32
    kitethread.wgmma_fence
    %d:4 = kitethread.wgmma f16 a() a_desc(%a[%ia] : memref<4096xf16, #gpu.address_space<workgroup>>) b(%b[%c32] : memref<2048xf16, #gpu.address_space<workgroup>>) c(%c, %c, %c, %c : f32, f32, f32, f32) {n = 8 : i64, a_swizzle = 128 : i64, a_leading = 2048 : i64, a_stride = 1024 : i64, b_swizzle = 128 : i64, b_leading = 2048 : i64, b_stride = 1024 : i64} : f32, f32, f32, f32
    %e:4 = kitethread.wgmma f16 a(%base, %base, %base, %base) b(%b[%iodd] : memref<2048xf16, #gpu.address_space<workgroup>>) c(%d#0, %d#1, %d#2, %d#3 : f32, f32, f32, f32) {n = 8 : i64, b_swizzle = 128 : i64, b_leading = 2048 : i64, b_stride = 1024 : i64} : f32, f32, f32, f32
    kitethread.wgmma_commit
    %w:4 = kitethread.wgmma_wait 0 (%e#0, %e#1, %e#2, %e#3 : f32, f32, f32, f32)
    kitethread.print "" %w#0, %w#3 : f32, f32
    return
  }
}
