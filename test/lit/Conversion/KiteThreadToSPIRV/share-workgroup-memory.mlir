// Workgroup buffers of one element width share one Workgroup variable, each
// at an offset no buffer live at the same time uses (first fit); the limit
// check counts the variables that remain.
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-spirv="int8=true" | FileCheck %s

// Two reductions one after the other, 24 KiB each: one variable of 24 KiB,
// within the default 32 KiB although the buffers add up to 48 KiB.
// CHECK-LABEL: spirv.module
// CHECK-COUNT-1: spirv.GlobalVariable {{.*}} : !spirv.ptr<!spirv.struct<(!spirv.array<6144 x f32>)>, Workgroup>
// CHECK-NOT: Workgroup>
// CHECK: spirv.func @two_reductions
module attributes {"kitethread.num-threads" = 64 : i32} {
  func.func @two_reductions() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %x = arith.constant 1.0 : f32
    %first = memref.alloc() : memref<6144xf32, #gpu.address_space<workgroup>>
    memref.store %x, %first[%c0] : memref<6144xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %y = memref.load %first[%c1] : memref<6144xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %second = memref.alloc() : memref<4096xf32, #gpu.address_space<workgroup>>
    memref.store %y, %second[%c0] : memref<4096xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %z = memref.load %second[%c1] : memref<4096xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    kitethread.store %a, %z align 4 : f32
    return
  }
}

// -----

// Live at once (both stored before either is read): side by side in one
// variable, the second at element 16.
// CHECK-LABEL: spirv.module
// CHECK-COUNT-1: spirv.GlobalVariable {{.*}} : !spirv.ptr<!spirv.struct<(!spirv.array<24 x f32>)>, Workgroup>
// CHECK-NOT: spirv.GlobalVariable {{.*}} Workgroup>
// CHECK: spirv.func @overlapping
// CHECK: spirv.Constant 16 : i32
module attributes {"kitethread.num-threads" = 64 : i32} {
  func.func @overlapping() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %c0 = arith.constant 0 : index
    %x = arith.constant 1.0 : f32
    %first = memref.alloc() : memref<16xf32, #gpu.address_space<workgroup>>
    %second = memref.alloc() : memref<8xf32, #gpu.address_space<workgroup>>
    memref.store %x, %first[%c0] : memref<16xf32, #gpu.address_space<workgroup>>
    memref.store %x, %second[%c0] : memref<8xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %y = memref.load %first[%c0] : memref<16xf32, #gpu.address_space<workgroup>>
    %z = memref.load %second[%c0] : memref<8xf32, #gpu.address_space<workgroup>>
    %s = arith.addf %y, %z : f32
    kitethread.store %a, %s align 4 : f32
    return
  }
}

// -----

// Different element types of one width share an integer variable; the
// values are bitcast on the way in and out.
// CHECK-LABEL: spirv.module
// CHECK-COUNT-1: spirv.GlobalVariable {{.*}} : !spirv.ptr<!spirv.struct<(!spirv.array<16 x i32>)>, Workgroup>
// CHECK-NOT: spirv.GlobalVariable {{.*}} Workgroup>
// CHECK: spirv.func @same_width
// CHECK: spirv.Bitcast %{{.*}} : f32 to i32
// CHECK: spirv.Store "Workgroup"
// CHECK: %[[BITS:.*]] = spirv.Load "Workgroup" %{{.*}} : i32
// CHECK: spirv.Bitcast %[[BITS]] : i32 to f32
module attributes {"kitethread.num-threads" = 64 : i32} {
  func.func @same_width() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %x = kitethread.kernel_arg 1 : f32
    %c0 = arith.constant 0 : index
    %first = memref.alloc() : memref<16xf32, #gpu.address_space<workgroup>>
    memref.store %x, %first[%c0] : memref<16xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %y = memref.load %first[%c0] : memref<16xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %second = memref.alloc() : memref<16xi32, #gpu.address_space<workgroup>>
    %yi = arith.fptosi %y : f32 to i32
    memref.store %yi, %second[%c0] : memref<16xi32, #gpu.address_space<workgroup>>
    gpu.barrier
    %z = memref.load %second[%c0] : memref<16xi32, #gpu.address_space<workgroup>>
    gpu.barrier
    kitethread.store %a, %z align 4 : i32
    return
  }
}

// -----

// Different widths never share, even one after the other.
// CHECK-LABEL: spirv.module
// CHECK-DAG: spirv.GlobalVariable {{.*}} : !spirv.ptr<!spirv.struct<(!spirv.array<16 x f32>)>, Workgroup>
// CHECK-DAG: spirv.GlobalVariable {{.*}} : !spirv.ptr<!spirv.struct<(!spirv.array<16 x i8>)>, Workgroup>
// CHECK: spirv.func @widths
module attributes {"kitethread.num-threads" = 64 : i32} {
  func.func @widths() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %c0 = arith.constant 0 : index
    %x = arith.constant 1.0 : f32
    %first = memref.alloc() : memref<16xf32, #gpu.address_space<workgroup>>
    memref.store %x, %first[%c0] : memref<16xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %y = memref.load %first[%c0] : memref<16xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %second = memref.alloc() : memref<16xi8, #gpu.address_space<workgroup>>
    %yi = arith.fptosi %y : f32 to i8
    memref.store %yi, %second[%c0] : memref<16xi8, #gpu.address_space<workgroup>>
    gpu.barrier
    %z = memref.load %second[%c0] : memref<16xi8, #gpu.address_space<workgroup>>
    gpu.barrier
    kitethread.store %a, %z align 1 : i8
    return
  }
}

// -----

// A buffer made before a loop and used in it is live for the whole loop, so
// the one made in the loop body sits beside it (elements 32 to 39); the
// buffer made after the loop reuses elements 0 to 15: 40 elements in all.
// CHECK-LABEL: spirv.module
// CHECK-COUNT-1: spirv.GlobalVariable {{.*}} : !spirv.ptr<!spirv.struct<(!spirv.array<40 x f32>)>, Workgroup>
// CHECK-NOT: spirv.GlobalVariable {{.*}} Workgroup>
// CHECK: spirv.func @loop
module attributes {"kitethread.num-threads" = 64 : i32} {
  func.func @loop() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    %x = arith.constant 1.0 : f32
    %outer = memref.alloc() : memref<32xf32, #gpu.address_space<workgroup>>
    scf.for %i = %c0 to %c4 step %c1 {
      %inner = memref.alloc() : memref<8xf32, #gpu.address_space<workgroup>>
      memref.store %x, %inner[%i] : memref<8xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      %y = memref.load %inner[%c0] : memref<8xf32, #gpu.address_space<workgroup>>
      gpu.barrier
      memref.store %y, %outer[%i] : memref<32xf32, #gpu.address_space<workgroup>>
    }
    gpu.barrier
    %z = memref.load %outer[%c0] : memref<32xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %after = memref.alloc() : memref<16xf32, #gpu.address_space<workgroup>>
    memref.store %z, %after[%c0] : memref<16xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %w = memref.load %after[%c1] : memref<16xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    kitethread.store %a, %w align 4 : f32
    return
  }
}

// -----

// A matmul's shape: two operand buffers live together in the loop, then a
// larger epilogue buffer after it. First fit puts the epilogue over both:
// one variable of the epilogue's size (a slot per buffer needed 24 + 8).
// CHECK-LABEL: spirv.module
// CHECK-COUNT-1: spirv.GlobalVariable {{.*}} : !spirv.ptr<!spirv.struct<(!spirv.array<24 x f32>)>, Workgroup>
// CHECK-NOT: spirv.GlobalVariable {{.*}} Workgroup>
// CHECK: spirv.func @operands_then_epilogue
module attributes {"kitethread.num-threads" = 64 : i32} {
  func.func @operands_then_epilogue() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %c0 = arith.constant 0 : index
    %x = arith.constant 1.0 : f32
    %lhs = memref.alloc() : memref<8xf32, #gpu.address_space<workgroup>>
    %rhs = memref.alloc() : memref<8xf32, #gpu.address_space<workgroup>>
    memref.store %x, %lhs[%c0] : memref<8xf32, #gpu.address_space<workgroup>>
    memref.store %x, %rhs[%c0] : memref<8xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %y = memref.load %lhs[%c0] : memref<8xf32, #gpu.address_space<workgroup>>
    %z = memref.load %rhs[%c0] : memref<8xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %s = arith.addf %y, %z : f32
    %out = memref.alloc() : memref<24xf32, #gpu.address_space<workgroup>>
    memref.store %s, %out[%c0] : memref<24xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    %w = memref.load %out[%c0] : memref<24xf32, #gpu.address_space<workgroup>>
    gpu.barrier
    kitethread.store %a, %w align 4 : f32
    return
  }
}
