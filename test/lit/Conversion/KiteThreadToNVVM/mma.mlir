// kitethread.mma_sync: the PTX instruction as inline assembly, its operands
// the fragment registers (A, B as .b32, C, D as .f32), D the 4 f32 of a
// struct.
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-nvvm="chip=sm_80" | FileCheck %s

// CHECK-LABEL: llvm.func @mma_f16(
// CHECK: %[[D:.*]] = llvm.inline_asm asm_dialect = att "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {$0, $1, $2, $3}, {$4, $5, $6, $7}, {$8, $9}, {$10, $11, $12, $13};", "=f,=f,=f,=f,r,r,r,r,r,r,f,f,f,f" %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}} : (i32, i32, i32, i32, i32, i32, f32, f32, f32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK: llvm.extractvalue %[[D]][0]
// CHECK: llvm.extractvalue %[[D]][3]
// CHECK-NOT: kitethread.mma_sync
module attributes {"kitethread.num-threads" = 32 : i32,
                   "kitethread.arg-types" = [i32, f32]} {
  func.func @mma_f16() attributes {kite.kernel} {
    %x = kitethread.kernel_arg 0 : i32
    %c = kitethread.kernel_arg 1 : f32
    %d:4 = kitethread.mma_sync f16 a(%x, %x, %x, %x) b(%x, %x) c(%c, %c, %c, %c : f32, f32, f32, f32) : f32, f32, f32, f32
    kitethread.print "" %d#0, %d#3 : f32, f32
    return
  }
}

// -----

// CHECK-LABEL: llvm.func @mma_bf16(
// CHECK: llvm.inline_asm asm_dialect = att "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
module attributes {"kitethread.num-threads" = 32 : i32,
                   "kitethread.arg-types" = [i32, f32]} {
  func.func @mma_bf16() attributes {kite.kernel} {
    %x = kitethread.kernel_arg 0 : i32
    %c = kitethread.kernel_arg 1 : f32
    %d:4 = kitethread.mma_sync bf16 a(%x, %x, %x, %x) b(%x, %x) c(%c, %c, %c, %c : f32, f32, f32, f32) : f32, f32, f32, f32
    kitethread.print "" %d#0, %d#3 : f32, f32
    return
  }
}
