// The NVPTX emitter: launch arguments become the kernel's parameters, the
// grid NVVM special registers, global accesses address-space-1 loads and
// stores, masked loads predicated inline PTX (masked-loads.mlir), masked
// stores branches, workgroup memory a shared (address space 3)
// global (atomics: atomics.mlir).
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-nvvm | FileCheck %s

// CHECK-LABEL: llvm.func @abi(%arg0: i64, %arg1: f32, %arg2: i32)
// CHECK-SAME: attributes {nvvm.kernel, nvvm.minctasm = 1 : i32, nvvm.reqntid = array<i32: 64, 1, 1>}
// CHECK-DAG: nvvm.read.ptx.sreg.ctaid.y : i32
// CHECK-DAG: nvvm.read.ptx.sreg.nctaid.x : i32
// CHECK: %[[P:.*]] = llvm.inttoptr %arg0 : i64 to !llvm.ptr<1>
// CHECK: llvm.store %{{.*}}, %[[P]] {alignment = 4 : i64} : i32, !llvm.ptr<1>
// CHECK: %[[Q:.*]] = llvm.inttoptr %arg0 : i64 to !llvm.ptr<1>
// CHECK: llvm.store %arg1, %[[Q]] {alignment = 4 : i64} : f32, !llvm.ptr<1>
module attributes {"kitethread.num-threads" = 64 : i32,
                   "kitethread.arg-types" = [i64, f32, i32]} {
  func.func @abi() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %f = kitethread.kernel_arg 1 : f32
    %p = kitethread.program_id y : i32
    %n = kitethread.num_programs x : i32
    %s = arith.addi %p, %n : i32
    kitethread.store %a, %s align 4 : i32
    kitethread.store %a, %f align 4 : f32
    return
  }
}

// -----

// CHECK-LABEL: llvm.func @masked
// CHECK-NOT: llvm.cond_br
// CHECK: llvm.inline_asm has_side_effects {{.*}}@$4 ld.global.v4.b32
// CHECK: llvm.cond_br
// CHECK: llvm.store %{{.*}}, %{{.*}} {alignment = 16 : i64} : vector<4xf32>, !llvm.ptr<1>
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @masked() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %n = kitethread.kernel_arg 1 : i32
    %pid = kitethread.program_id x : i32
    %m = arith.cmpi slt, %pid, %n : i32
    %ones = arith.constant dense<1.0> : vector<4xf32>
    %v = kitethread.load %a, %m other %ones align 16 : vector<4xf32>
    kitethread.store %a, %v, %m align 16 : vector<4xf32>
    return
  }
}

// -----

// CHECK: module attributes {"kitenvptx.shared-bytes" = 512 : i64
// CHECK: llvm.mlir.global external @__kite_shared() {addr_space = 3 : i32, alignment = 16 : i64} : !llvm.array<0 x i8>
// CHECK-LABEL: llvm.func @shared
// CHECK: llvm.mlir.addressof @__kite_shared : !llvm.ptr<3>
// CHECK: nvvm.read.ptx.sreg.tid.x
// CHECK: llvm.store %{{.*}}, %{{.*}} : f32, !llvm.ptr<3>
// CHECK: nvvm.barrier
// CHECK: nvvm.shfl.sync bfly
module attributes {"kitethread.num-threads" = 128 : i32} {
  func.func @shared() attributes {kite.kernel} {
    %buf = memref.alloc() : memref<128xf32, #gpu.address_space<workgroup>>
    %tid = gpu.thread_id x
    %x = arith.constant 2.0 : f32
    memref.store %x, %buf[%tid] : memref<128xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %y = memref.load %buf[%tid] : memref<128xf32, #gpu.address_space<workgroup>>
    %c1 = arith.constant 1 : i32
    %c32 = arith.constant 32 : i32
    %s, %ok = gpu.shuffle xor %y, %c1, %c32 : f32
    %a = kitethread.kernel_arg 0 : i64
    kitethread.store %a, %s align 4 : f32
    return
  }
}
