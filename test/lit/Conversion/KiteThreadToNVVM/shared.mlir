// Workgroup buffers become views of one dynamic shared array; buffers whose
// uses do not overlap in program order share bytes, and the module says how
// many bytes a launch must give.
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-nvvm | FileCheck %s --check-prefix=LLVM

// Used one after the other: both at offset 0, 256 bytes in all.
// LLVM-LABEL: module attributes {"kitenvptx.shared-bytes" = 256 : i64
// LLVM: llvm.mlir.global external @__kite_shared()
module attributes {"kitethread.num-threads" = 64 : i32} {
  func.func @sequential() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %c0 = arith.constant 0 : index
    %x = arith.constant 1.0 : f32
    %first = memref.alloc() : memref<64xf32, #gpu.address_space<workgroup>>
    memref.store %x, %first[%c0] : memref<64xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %y = memref.load %first[%c0] : memref<64xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %second = memref.alloc() : memref<32xf64, #gpu.address_space<workgroup>>
    %yd = arith.extf %y : f32 to f64
    memref.store %yd, %second[%c0] : memref<32xf64, #gpu.address_space<workgroup>>
    gpu.barrier
    %z = memref.load %second[%c0] : memref<32xf64, #gpu.address_space<workgroup>>
    gpu.barrier
    kitethread.store %a, %z align 8 : f64
    return
  }
}

// -----

// Live at once: the second starts after the first, 16-byte aligned (36 -> 48).
// LLVM-LABEL: module attributes {"kitenvptx.shared-bytes" = 64 : i64
module attributes {"kitethread.num-threads" = 64 : i32} {
  func.func @overlapping() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %c0 = arith.constant 0 : index
    %x = arith.constant 1.0 : f32
    %first = memref.alloc() : memref<9xf32, #gpu.address_space<workgroup>>
    %second = memref.alloc() : memref<4xf32, #gpu.address_space<workgroup>>
    memref.store %x, %first[%c0] : memref<9xf32, #gpu.address_space<workgroup>>
    memref.store %x, %second[%c0] : memref<4xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %y = memref.load %first[%c0] : memref<9xf32, #gpu.address_space<workgroup>>
    %z = memref.load %second[%c0] : memref<4xf32, #gpu.address_space<workgroup>>
    %s = arith.addf %y, %z : f32
    kitethread.store %a, %s align 4 : f32
    return
  }
}

// -----

// A buffer made before a loop and used in it is live for the whole loop: one
// used inside the loop may not share its bytes.
// LLVM-LABEL: module attributes {"kitenvptx.shared-bytes" = 32 : i64
module attributes {"kitethread.num-threads" = 64 : i32} {
  func.func @loop() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %x = arith.constant 1.0 : f32
    %outer = memref.alloc() : memref<4xf32, #gpu.address_space<workgroup>>
    memref.store %x, %outer[%c0] : memref<4xf32, #gpu.address_space<workgroup>>
    scf.for %i = %c0 to %c4 step %c1 {
      %inner = memref.alloc() : memref<4xf32, #gpu.address_space<workgroup>>
      memref.store %x, %inner[%c0] : memref<4xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %y = memref.load %inner[%c0] : memref<4xf32, #gpu.address_space<workgroup>>
      memref.store %y, %outer[%c0] : memref<4xf32, #gpu.address_space<workgroup>>
      gpu.barrier
    }
    %z = memref.load %outer[%c0] : memref<4xf32, #gpu.address_space<workgroup>>
    kitethread.store %a, %z align 4 : f32
    return
  }
}
