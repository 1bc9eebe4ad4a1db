// Vector add with 128-bit (vector<4xf32>) loads and stores under a mask.
// The binary passes spirv-val for Vulkan 1.2 and deserializes again.
// REQUIRES: spirv-tools
// RUN: kite-opt %s --convert-kitethread-to-spirv | FileCheck %s
// RUN: kite-opt %s --convert-kitethread-to-spirv | kite-translate --serialize-spirv -o %t.spv
// RUN: spirv-val --target-env vulkan1.2 %t.spv
// RUN: mlir-translate --deserialize-spirv %t.spv | FileCheck %s --check-prefix=BINARY

// CHECK: spirv.Load "PhysicalStorageBuffer" %{{.*}} ["Aligned", 16] : vector<4xf32>
// CHECK: spirv.FAdd %{{.*}}, %{{.*}} : vector<4xf32>
// CHECK: spirv.Store "PhysicalStorageBuffer" %{{.*}}, %{{.*}} ["Aligned", 16] : vector<4xf32>
// BINARY: spirv.module PhysicalStorageBuffer64 GLSL450 requires #spirv.vce<v1.5,
// BINARY: spirv.EntryPoint "GLCompute" @vadd
// BINARY: spirv.ExecutionMode @vadd "LocalSize", 128, 1, 1
module attributes {"kitethread.num-threads" = 128 : i32} {
  func.func @vadd() attributes {kite.kernel} {
    %x = kitethread.kernel_arg 0 : i64
    %y = kitethread.kernel_arg 1 : i64
    %out = kitethread.kernel_arg 2 : i64
    %n = kitethread.kernel_arg 3 : i32
    %pid = kitethread.program_id x : i32
    %tid = gpu.thread_id x
    %t = arith.index_cast %tid : index to i32
    %c512 = arith.constant 512 : i32
    %c4 = arith.constant 4 : i32
    %base = arith.muli %pid, %c512 : i32
    %t4 = arith.muli %t, %c4 : i32
    %i = arith.addi %base, %t4 : i32
    %mask = arith.cmpi slt, %i, %n : i32
    %i64 = arith.extsi %i : i32 to i64
    %c4_64 = arith.constant 4 : i64
    %off = arith.muli %i64, %c4_64 : i64
    %xa = arith.addi %x, %off : i64
    %ya = arith.addi %y, %off : i64
    %oa = arith.addi %out, %off : i64
    %zero = arith.constant dense<0.0> : vector<4xf32>
    %a = kitethread.load %xa, %mask other %zero align 16 : vector<4xf32>
    %b = kitethread.load %ya, %mask align 16 : vector<4xf32>
    %s = arith.addf %a, %b : vector<4xf32>
    kitethread.store %oa, %s, %mask align 16 : vector<4xf32>
    return
  }
}
