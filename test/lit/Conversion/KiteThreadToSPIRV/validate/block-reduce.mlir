// A block reduction: subgroup shuffles (xor), a barrier, workgroup memory.
// The binary passes spirv-val for Vulkan 1.2 and deserializes again.
// REQUIRES: spirv-tools
// RUN: kite-opt %s --convert-kitethread-to-spirv=subgroup-size=32 | FileCheck %s
// RUN: kite-opt %s --convert-kitethread-to-spirv=subgroup-size=32 | kite-translate --serialize-spirv -o %t.spv
// RUN: spirv-val --target-env vulkan1.2 %t.spv
// RUN: mlir-translate --deserialize-spirv %t.spv | FileCheck %s --check-prefix=BINARY

// CHECK: spirv.GlobalVariable @{{.*}} : !spirv.ptr<!spirv.struct<(!spirv.array<4 x f32>)>, Workgroup>
// CHECK-COUNT-5: spirv.GroupNonUniformShuffleXor <Subgroup>
// CHECK: spirv.ControlBarrier <Workgroup>, <Workgroup>, <AcquireRelease|WorkgroupMemory>
// CHECK: spirv.Load "Workgroup"
// BINARY: spirv.EntryPoint "GLCompute" @block_sum
// BINARY: spirv.ExecutionMode @block_sum "LocalSize", 128, 1, 1
module attributes {"kitethread.num-threads" = 128 : i32, "kitethread.shared-bytes" = 16 : i32} {
  func.func @block_sum() attributes {kite.kernel} {
    %in = kitethread.kernel_arg 0 : i64
    %out = kitethread.kernel_arg 1 : i64
    %pid = kitethread.program_id x : i32
    %tid = gpu.thread_id x
    %t = arith.index_cast %tid : index to i32
    %c128 = arith.constant 128 : i32
    %base = arith.muli %pid, %c128 : i32
    %i = arith.addi %base, %t : i32
    %i64 = arith.extui %i : i32 to i64
    %c4 = arith.constant 4 : i64
    %off = arith.muli %i64, %c4 : i64
    %addr = arith.addi %in, %off : i64
    %x = kitethread.load %addr align 4 : f32
    %w = arith.constant 32 : i32
    %o16 = arith.constant 16 : i32
    %o8 = arith.constant 8 : i32
    %o4 = arith.constant 4 : i32
    %o2 = arith.constant 2 : i32
    %o1 = arith.constant 1 : i32
    %s16, %v16 = gpu.shuffle xor %x, %o16, %w : f32
    %x1 = arith.addf %x, %s16 : f32
    %s8, %v8 = gpu.shuffle xor %x1, %o8, %w : f32
    %x2 = arith.addf %x1, %s8 : f32
    %s4, %v4 = gpu.shuffle xor %x2, %o4, %w : f32
    %x3 = arith.addf %x2, %s4 : f32
    %s2, %v2 = gpu.shuffle xor %x3, %o2, %w : f32
    %x4 = arith.addf %x3, %s2 : f32
    %s1, %v1 = gpu.shuffle xor %x4, %o1, %w : f32
    %sum = arith.addf %x4, %s1 : f32
    %smem = memref.alloc() : memref<4xf32, #gpu.address_space<workgroup>>
    %lane = arith.remui %t, %w : i32
    %warp = arith.divui %t, %w : i32
    %c0 = arith.constant 0 : i32
    %first = arith.cmpi eq, %lane, %c0 : i32
    scf.if %first {
      %wi = arith.index_cast %warp : i32 to index
      memref.store %sum, %smem[%wi] : memref<4xf32, #gpu.address_space<workgroup>>
    }
    gpu.barrier
    %leader = arith.cmpi eq, %t, %c0 : i32
    scf.if %leader {
      %i0 = arith.constant 0 : index
      %i1 = arith.constant 1 : index
      %i2 = arith.constant 2 : index
      %i3 = arith.constant 3 : index
      %a = memref.load %smem[%i0] : memref<4xf32, #gpu.address_space<workgroup>>
      %b = memref.load %smem[%i1] : memref<4xf32, #gpu.address_space<workgroup>>
      %c = memref.load %smem[%i2] : memref<4xf32, #gpu.address_space<workgroup>>
      %d = memref.load %smem[%i3] : memref<4xf32, #gpu.address_space<workgroup>>
      %ab = arith.addf %a, %b : f32
      %cd = arith.addf %c, %d : f32
      %total = arith.addf %ab, %cd : f32
      %p64 = arith.extui %pid : i32 to i64
      %poff = arith.muli %p64, %c4 : i64
      %oaddr = arith.addi %out, %poff : i64
      kitethread.store %oaddr, %total align 4 : f32
    }
    return
  }
}
