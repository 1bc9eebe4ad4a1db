// fp16 vectors, i8 bytes and i64 arithmetic where the target enables them.
// The binary passes spirv-val for Vulkan 1.2 and deserializes again.
// REQUIRES: spirv-tools
// RUN: kite-opt %s --convert-kitethread-to-spirv="int8 float16" | FileCheck %s
// RUN: kite-opt %s --convert-kitethread-to-spirv="int8 float16" | kite-translate --serialize-spirv -o %t.spv
// RUN: spirv-val --target-env vulkan1.2 %t.spv
// RUN: mlir-translate --deserialize-spirv %t.spv | FileCheck %s --check-prefix=BINARY

// CHECK: #spirv.vce<v1.5, [{{.*}}Float16, Int8, {{.*}}StorageBuffer8BitAccess, StorageBuffer16BitAccess], [{{.*}}SPV_KHR_8bit_storage, SPV_KHR_16bit_storage]>
// CHECK: spirv.Load "PhysicalStorageBuffer" %{{.*}} ["Aligned", 4] : vector<2xf16>
// CHECK: spirv.FMul %{{.*}}, %{{.*}} : vector<2xf16>
// CHECK: spirv.Load "PhysicalStorageBuffer" %{{.*}} ["Aligned", 1] : i8
// CHECK: spirv.IMul %{{.*}}, %{{.*}} : i64
// BINARY: Float16
// BINARY: spirv.EntryPoint "GLCompute" @mixed_types
module attributes {"kitethread.num-threads" = 64 : i32} {
  func.func @mixed_types() attributes {kite.kernel} {
    %h = kitethread.kernel_arg 0 : i64
    %b = kitethread.kernel_arg 1 : i64
    %scale = kitethread.kernel_arg 2 : f16
    %shift = kitethread.kernel_arg 3 : i8
    %big = kitethread.kernel_arg 4 : i64
    %tid = gpu.thread_id x
    %t = arith.index_cast %tid : index to i64
    %c4 = arith.constant 4 : i64
    %off = arith.muli %t, %c4 : i64
    %ha = arith.addi %h, %off : i64
    %v = kitethread.load %ha align 4 : vector<2xf16>
    %s = vector.broadcast %scale : f16 to vector<2xf16>
    %w = arith.mulf %v, %s : vector<2xf16>
    kitethread.store %ha, %w align 4 : vector<2xf16>
    %ba = arith.addi %b, %t : i64
    %q = kitethread.load %ba align 1 : i8
    %q2 = arith.addi %q, %shift : i8
    kitethread.store %ba, %q2 align 1 : i8
    %e = vector.extract %w[0] : f16 from vector<2xf16>
    %ef = arith.extf %e : f16 to f32
    %el = arith.fptosi %ef : f32 to i64
    %prod = arith.muli %el, %big : i64
    %pa = arith.addi %b, %off : i64
    kitethread.store %pa, %prod align 8 : i64
    return
  }
}
