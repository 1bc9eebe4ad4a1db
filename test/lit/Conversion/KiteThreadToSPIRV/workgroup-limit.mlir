// Every workgroup buffer is a Workgroup variable of its own: together they
// may not exceed the device's maxComputeSharedMemorySize (the option; 32768
// without a device), which the target environment also carries.
// RUN: kite-opt %s --convert-kitethread-to-spirv="int8=true max-compute-shared-memory-size=65536" | FileCheck %s
// RUN: not kite-opt %s --convert-kitethread-to-spirv="int8=true" 2>&1 | FileCheck %s --check-prefix=DEFAULT

// 40 KiB: more than the default, within 64 KiB.
// CHECK-LABEL: spirv.module
// CHECK-DAG: spirv.GlobalVariable {{.*}} : !spirv.ptr<!spirv.struct<(!spirv.array<8192 x i32>)>, Workgroup>
// CHECK-DAG: spirv.GlobalVariable {{.*}} : !spirv.ptr<!spirv.struct<(!spirv.array<8192 x i8>)>, Workgroup>
// DEFAULT: workgroup-limit.mlir:[[@LINE+8]]:14: error: this kernel's workgroup memory reaches 40960 bytes here (this buffer: 8192), more than the device's maxComputeSharedMemorySize (32768); use smaller blocks
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @two_buffers() attributes {kite.kernel} {
    %c0 = arith.constant 0 : index
    %i = arith.constant 7 : i32
    %b = arith.constant 7 : i8
    %big = memref.alloc() : memref<8192xi32, #gpu.address_space<workgroup>>
    memref.store %i, %big[%c0] : memref<8192xi32, #gpu.address_space<workgroup>>
    %small = memref.alloc() : memref<8192xi8, #gpu.address_space<workgroup>>
    memref.store %b, %small[%c0] : memref<8192xi8, #gpu.address_space<workgroup>>
    return
  }
}
