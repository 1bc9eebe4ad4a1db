// The kernel, the grid and launch arguments: push constants and builtins.
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-spirv | FileCheck %s

// The push-constant block is { u32 programIdOffset[3], u32 grid[3],
// u64 argsAddress } (docs/vulkan-abi.md); program_id adds the dispatch's
// offset.

// CHECK-LABEL: spirv.module @grid PhysicalStorageBuffer64 GLSL450 requires #spirv.vce<v1.5,
// CHECK-DAG: spirv.GlobalVariable @__builtin__WorkgroupId__ built_in("WorkgroupId") : !spirv.ptr<vector<3xi32>, Input>
// CHECK-DAG: spirv.GlobalVariable @__kite_launch : !spirv.ptr<!spirv.struct<(!spirv.array<3 x i32, stride=4> [0], !spirv.array<3 x i32, stride=4> [12], i64 [24]), Block>, PushConstant>
// CHECK: spirv.func @grid() "None"
// CHECK-DAG: %[[C0:.*]] = spirv.Constant 0 : i32
// CHECK-DAG: %[[C1:.*]] = spirv.Constant 1 : i32
// CHECK: %[[IDS:.*]] = spirv.Load "Input" %{{.*}} : vector<3xi32>
// CHECK: %[[ID:.*]] = spirv.CompositeExtract %[[IDS]][1 : i32] : vector<3xi32>
// CHECK: %[[OFFP:.*]] = spirv.AccessChain %{{.*}}[%[[C0]], %[[C1]]]
// CHECK: %[[OFF:.*]] = spirv.Load "PushConstant" %[[OFFP]] : i32
// CHECK: %[[PID:.*]] = spirv.IAdd %[[ID]], %[[OFF]] : i32
// CHECK: %[[NUMP:.*]] = spirv.AccessChain %{{.*}}[%[[C1]], %[[C0]]]
// CHECK: %[[NUM:.*]] = spirv.Load "PushConstant" %[[NUMP]] : i32
// CHECK: spirv.IAdd %[[PID]], %[[NUM]] : i32
// CHECK: spirv.EntryPoint "GLCompute" @grid, @__builtin__WorkgroupId__, @__kite_launch{{$}}
// CHECK: spirv.ExecutionMode @grid "LocalSize", 256, 1, 1
module attributes {"kitethread.num-threads" = 256 : i32} {
  func.func @grid() attributes {kite.kernel} {
    %pid = kitethread.program_id y : i32
    %num = kitethread.num_programs x : i32
    %sum = arith.addi %pid, %num : i32
    %addr = arith.constant 0 : i64
    kitethread.store %addr, %sum align 4 : i32
    return
  }
}

// -----

// Arguments are packed in order, each aligned to its size: i32 at 0, i1 at 4
// and 8 (a u32 each), i64 at 16, f32 at 24.

// CHECK-LABEL: spirv.module @args
// CHECK: %[[ARGS0:.*]] = spirv.Load "PushConstant" %{{.*}} : i64
// CHECK: %[[P0:.*]] = spirv.ConvertUToPtr %[[ARGS0]] : i64 to !spirv.ptr<i32, PhysicalStorageBuffer>
// CHECK: spirv.Load "PhysicalStorageBuffer" %[[P0]] ["Aligned", 4] : i32
// CHECK: %[[A1:.*]] = spirv.IAdd %{{.*}}, %cst4_i64 : i64
// CHECK: %[[P1:.*]] = spirv.ConvertUToPtr %[[A1]] : i64 to !spirv.ptr<i32, PhysicalStorageBuffer>
// CHECK: %[[WORD1:.*]] = spirv.Load "PhysicalStorageBuffer" %[[P1]] ["Aligned", 4] : i32
// CHECK: spirv.INotEqual %[[WORD1]], %cst0_i32 : i32
// CHECK: %[[A2:.*]] = spirv.IAdd %{{.*}}, %cst8_i64 : i64
// CHECK: %[[P2:.*]] = spirv.ConvertUToPtr %[[A2]] : i64 to !spirv.ptr<i32, PhysicalStorageBuffer>
// CHECK: %[[WORD2:.*]] = spirv.Load "PhysicalStorageBuffer" %[[P2]] ["Aligned", 4] : i32
// CHECK: spirv.INotEqual %[[WORD2]], %cst0_i32 : i32
// CHECK: %[[A3:.*]] = spirv.IAdd %{{.*}}, %cst16_i64 : i64
// CHECK: %[[P3:.*]] = spirv.ConvertUToPtr %[[A3]] : i64 to !spirv.ptr<i64, PhysicalStorageBuffer>
// CHECK: spirv.Load "PhysicalStorageBuffer" %[[P3]] ["Aligned", 8] : i64
// CHECK: %[[A4:.*]] = spirv.IAdd %{{.*}}, %cst24_i64 : i64
// CHECK: %[[P4:.*]] = spirv.ConvertUToPtr %[[A4]] : i64 to !spirv.ptr<f32, PhysicalStorageBuffer>
// CHECK: spirv.Load "PhysicalStorageBuffer" %[[P4]] ["Aligned", 4] : f32
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @args() attributes {kite.kernel} {
    %n = kitethread.kernel_arg 0 : i32
    %flag = kitethread.kernel_arg 1 : i1
    %flag2 = kitethread.kernel_arg 2 : i1
    %p = kitethread.kernel_arg 3 : i64
    %x = kitethread.kernel_arg 4 : f32
    %zero = arith.constant 0.0 : f32
    %both = arith.andi %flag, %flag2 : i1
    %y = arith.select %both, %x, %zero : f32
    kitethread.store %p, %y align 4 : f32
    kitethread.store %p, %n align 4 : i32
    return
  }
}

// -----

// With `kitethread.arg-types`, unread arguments still take their place:
// argument 2 (f32) is at offset 12, after an i64 and an unread i32.

// CHECK-LABEL: spirv.module @listed_args
// CHECK: %[[A2:.*]] = spirv.IAdd %{{.*}}, %cst12_i64 : i64
// CHECK: spirv.ConvertUToPtr %[[A2]] : i64 to !spirv.ptr<f32, PhysicalStorageBuffer>
module attributes {"kitethread.num-threads" = 32 : i32,
                   "kitethread.arg-types" = [i64, i32, f32]} {
  func.func @listed_args() attributes {kite.kernel} {
    %p = kitethread.kernel_arg 0 : i64
    %x = kitethread.kernel_arg 2 : f32
    kitethread.store %p, %x align 4 : f32
    return
  }
}

// -----

// gpu.thread_id and gpu.block_dim: LocalInvocationId and the LocalSize.

// CHECK-LABEL: spirv.module @threads
// CHECK: spirv.GlobalVariable @__builtin__LocalInvocationId__ built_in("LocalInvocationId")
// CHECK: spirv.func @threads
// CHECK: %[[C64:.*]] = spirv.Constant 64 : i32
// CHECK: %[[IDS:.*]] = spirv.Load "Input" %{{.*}} : vector<3xi32>
// CHECK: %[[ID:.*]] = spirv.CompositeExtract %[[IDS]][0 : i32]
// CHECK: spirv.IAdd %[[ID]], %[[C64]] : i32
// CHECK: spirv.EntryPoint "GLCompute" @threads, @__kite_launch, @__builtin__LocalInvocationId__{{$}}
// CHECK: spirv.ExecutionMode @threads "LocalSize", 64, 1, 1
module attributes {"kitethread.num-threads" = 64 : i32} {
  func.func @threads() attributes {kite.kernel} {
    %p = kitethread.kernel_arg 0 : i64
    %tid = gpu.thread_id x
    %dim = gpu.block_dim x
    %s = arith.addi %tid, %dim : index
    %v = arith.index_cast %s : index to i32
    kitethread.store %p, %v align 4 : i32
    return
  }
}
