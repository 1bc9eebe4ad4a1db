// Global loads and stores: PhysicalStorageBuffer pointers with `Aligned`;
// masks become structured selections that skip the access.
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-spirv | FileCheck %s

// CHECK-LABEL: spirv.module @unmasked
// CHECK: %[[P:.*]] = spirv.ConvertUToPtr %[[A:.*]] : i64 to !spirv.ptr<vector<4xf32>, PhysicalStorageBuffer>
// CHECK: %[[V:.*]] = spirv.Load "PhysicalStorageBuffer" %[[P]] ["Aligned", 16] : vector<4xf32>
// CHECK: %[[Q:.*]] = spirv.ConvertUToPtr %[[A]] : i64 to !spirv.ptr<vector<4xf32>, PhysicalStorageBuffer>
// CHECK: spirv.Store "PhysicalStorageBuffer" %[[Q]], %[[V]] ["Aligned", 16] : vector<4xf32>
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @unmasked() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %v = kitethread.load %a align 16 : vector<4xf32>
    kitethread.store %a, %v align 16 : vector<4xf32>
    return
  }
}

// -----

// CHECK-LABEL: spirv.module @masked
// CHECK-DAG: %[[ZERO:.*]] = spirv.Constant 0.000000e+00 : f32
// CHECK-DAG: %[[OTHER:.*]] = spirv.Constant dense<1.000000e+00> : vector<2xf32>
// A load with `other`:
// CHECK: spirv.mlir.selection {
// CHECK-NEXT: spirv.BranchConditional %[[M:.*]], ^bb1, ^bb2
// CHECK-NEXT: ^bb1:
// CHECK-NEXT: %[[P:.*]] = spirv.ConvertUToPtr %{{.*}} : i64 to !spirv.ptr<vector<2xf32>, PhysicalStorageBuffer>
// CHECK-NEXT: %[[V:.*]] = spirv.Load "PhysicalStorageBuffer" %[[P]] ["Aligned", 8] : vector<2xf32>
// CHECK-NEXT: spirv.Store "Function" %{{.*}}, %[[V]] : vector<2xf32>
// CHECK: ^bb2:
// CHECK-NEXT: spirv.Store "Function" %{{.*}}, %[[OTHER]] : vector<2xf32>
// A load without `other` yields zero:
// CHECK: spirv.mlir.selection {
// CHECK: spirv.Load "PhysicalStorageBuffer" %{{.*}} ["Aligned", 4] : f32
// CHECK: ^bb2:
// CHECK-NEXT: spirv.Store "Function" %{{.*}}, %[[ZERO]] : f32
// A masked store has no else branch:
// CHECK: spirv.mlir.selection {
// CHECK-NEXT: spirv.BranchConditional %[[M]], ^bb1, ^bb2
// CHECK-NEXT: ^bb1:
// CHECK-NEXT: spirv.ConvertUToPtr
// CHECK-NEXT: spirv.Store "PhysicalStorageBuffer" %{{.*}}, %{{.*}} ["Aligned", 4] : f32
// CHECK-NEXT: spirv.Branch ^bb2
// CHECK-NEXT: ^bb2:
// CHECK-NEXT: spirv.mlir.merge
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @masked() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %n = kitethread.kernel_arg 1 : i32
    %pid = kitethread.program_id x : i32
    %m = arith.cmpi slt, %pid, %n : i32
    %ones = arith.constant dense<1.0> : vector<2xf32>
    %v = kitethread.load %a, %m other %ones align 8 : vector<2xf32>
    %x = kitethread.load %a, %m align 4 : f32
    %e = vector.extract %v[1] : f32 from vector<2xf32>
    %s = arith.addf %e, %x : f32
    kitethread.store %a, %s, %m align 4 : f32
    return
  }
}
