// Atomics: one spirv.Atomic* op per integer kind and xchg; float add as a
// compare-and-swap loop unless atomic-float-add is enabled; float max and
// min as an integer atomic on the bits (smax/umin, smin/umax by the sign).
// The ordering is the memory semantics on UniformMemory (a compare that
// fails keeps the acquire only), the scope Workgroup (cta) or Device.
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-spirv | FileCheck %s
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-spirv=atomic-float-add | FileCheck %s --check-prefix=EXT

// CHECK-LABEL: spirv.module @integer_kinds
// CHECK-SAME: Int64Atomics]
// CHECK: spirv.AtomicIAdd <Device> <AcquireRelease|UniformMemory> %{{.*}}, %{{.*}} : !spirv.ptr<i32, PhysicalStorageBuffer>
// CHECK: spirv.AtomicSMax <Device> <AcquireRelease|UniformMemory>
// CHECK: spirv.AtomicUMax <Device>
// CHECK: spirv.AtomicSMin <Device>
// CHECK: spirv.AtomicUMin <Device>
// CHECK: spirv.AtomicAnd <Device>
// CHECK: spirv.AtomicOr <Device>
// CHECK: spirv.AtomicXor <Device>
// CHECK: spirv.AtomicExchange <Device> <AcquireRelease|UniformMemory> %{{.*}}, %{{.*}} : !spirv.ptr<f32, PhysicalStorageBuffer>
// CHECK: spirv.AtomicIAdd <Device> <AcquireRelease|UniformMemory> %{{.*}}, %{{.*}} : !spirv.ptr<i64, PhysicalStorageBuffer>
// CHECK: %[[FP:.*]] = spirv.ConvertUToPtr %{{.*}} : i64 to !spirv.ptr<i32, PhysicalStorageBuffer>
// CHECK: %[[VAL:.*]] = spirv.Bitcast %{{.*}} : f32 to i32
// CHECK: %[[CMP:.*]] = spirv.Bitcast %{{.*}} : f32 to i32
// CHECK: spirv.AtomicCompareExchange <Device> <AcquireRelease|UniformMemory> <Acquire|UniformMemory> %[[FP]], %[[VAL]], %[[CMP]]
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @integer_kinds() attributes {kite.kernel} {
    %p = kitethread.kernel_arg 0 : i64
    %i = kitethread.kernel_arg 1 : i32
    %f = kitethread.kernel_arg 2 : f32
    %l = kitethread.kernel_arg 3 : i64
    %0 = kitethread.atomic_rmw add %p, %i : i32
    %1 = kitethread.atomic_rmw max %p, %i : i32
    %2 = kitethread.atomic_rmw umax %p, %i : i32
    %3 = kitethread.atomic_rmw min %p, %i : i32
    %4 = kitethread.atomic_rmw umin %p, %i : i32
    %5 = kitethread.atomic_rmw and %p, %i : i32
    %6 = kitethread.atomic_rmw or %p, %i : i32
    %7 = kitethread.atomic_rmw xor %p, %i : i32
    %8 = kitethread.atomic_rmw xchg %p, %f : f32
    %9 = kitethread.atomic_rmw add %p, %l : i64
    %10 = kitethread.atomic_cas %p, %f, %8 : f32
    return
  }
}

// -----

// CHECK-LABEL: spirv.module @float_add
// CHECK: %[[P:.*]] = spirv.ConvertUToPtr %{{.*}} : i64 to !spirv.ptr<i32, PhysicalStorageBuffer>
// CHECK: %[[INIT:.*]] = spirv.Load "PhysicalStorageBuffer" %[[P]] ["Aligned", 4] : i32
// CHECK: spirv.mlir.loop {
// CHECK: %[[OLD:.*]] = spirv.Bitcast %[[EXP:.*]] : i32 to f32
// CHECK: %[[NEW:.*]] = spirv.FAdd %[[OLD]], %{{.*}} : f32
// CHECK: %[[BITS:.*]] = spirv.Bitcast %[[NEW]] : f32 to i32
// CHECK: %[[SEEN:.*]] = spirv.AtomicCompareExchange <Device> <AcquireRelease|UniformMemory> <Acquire|UniformMemory> %[[P]], %[[BITS]], %[[EXP]]
// CHECK: spirv.INotEqual %[[SEEN]], %[[EXP]] : i32
// CHECK: spirv.SLessThan %[[MAXBITS:.*]], %{{.*}} : i32
// CHECK: spirv.mlir.selection
// CHECK: spirv.AtomicUMin <Device> <AcquireRelease|UniformMemory> %{{.*}}, %[[MAXBITS]]
// CHECK: spirv.AtomicSMax <Device> <AcquireRelease|UniformMemory> %{{.*}}, %[[MAXBITS]]
// CHECK: spirv.AtomicUMax <Device>
// CHECK: spirv.AtomicSMin <Device>
// CHECK-NOT: spirv.GL.FMax

// EXT-LABEL: spirv.module @float_add
// EXT-SAME: AtomicFloat32AddEXT
// EXT-SAME: SPV_EXT_shader_atomic_float_add
// EXT: spirv.EXT.AtomicFAdd <Device> <AcquireRelease|UniformMemory> %{{.*}}, %{{.*}} : !spirv.ptr<f32, PhysicalStorageBuffer>
// EXT: spirv.AtomicUMin <Device>
// EXT: spirv.AtomicSMax <Device>
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @float_add() attributes {kite.kernel} {
    %p = kitethread.kernel_arg 0 : i64
    %f = kitethread.kernel_arg 1 : f32
    %0 = kitethread.atomic_rmw fadd %p, %f : f32
    %1 = kitethread.atomic_rmw fmax %p, %0 : f32
    %2 = kitethread.atomic_rmw fmin %p, %1 : f32
    kitethread.store %p, %2 align 4 : f32
    return
  }
}

// -----

// A masked atomic does not touch memory and returns zero.
// CHECK-LABEL: spirv.module @masked
// CHECK: spirv.mlir.selection {
// CHECK: spirv.AtomicIAdd <Device>
// CHECK: ^bb2:
// CHECK-NEXT: spirv.Store "Function" %{{.*}}, %cst0_i32 : i32
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @masked() attributes {kite.kernel} {
    %p = kitethread.kernel_arg 0 : i64
    %m = kitethread.kernel_arg 1 : i1
    %one = arith.constant 1 : i32
    %old = kitethread.atomic_rmw add %p, %one, %m : i32
    kitethread.store %p, %old align 4 : i32
    return
  }
}

// -----

// Each sem and scope; the float CAS loop and min/max keep them too.
// CHECK-LABEL: spirv.module @orderings
// CHECK: spirv.AtomicIAdd <Device> <None>
// CHECK: spirv.AtomicIAdd <Workgroup> <Acquire|UniformMemory>
// CHECK: spirv.AtomicExchange <Device> <Release|UniformMemory>
// CHECK: spirv.AtomicCompareExchange <Workgroup> <AcquireRelease|UniformMemory> <Acquire|UniformMemory>
// CHECK: spirv.AtomicCompareExchange <Device> <Release|UniformMemory> <None>
// CHECK: spirv.AtomicCompareExchange <Device> <None> <None>
// CHECK: spirv.AtomicCompareExchange <Workgroup> <Release|UniformMemory> <None>
// CHECK: spirv.AtomicSMax <Workgroup> <Release|UniformMemory>
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @orderings() attributes {kite.kernel} {
    %p = kitethread.kernel_arg 0 : i64
    %i = kitethread.kernel_arg 1 : i32
    %f = kitethread.kernel_arg 2 : f32
    %0 = kitethread.atomic_rmw add relaxed %p, %i : i32
    %1 = kitethread.atomic_rmw add acquire cta %p, %0 : i32
    %2 = kitethread.atomic_rmw xchg release sys %p, %1 : i32
    %3 = kitethread.atomic_cas cta %p, %2, %1 : i32
    %4 = kitethread.atomic_cas release %p, %3, %2 : i32
    %5 = kitethread.atomic_cas relaxed %p, %f, %f : f32
    %6 = kitethread.atomic_rmw fadd release cta %p, %5 : f32
    %7 = kitethread.atomic_rmw fmax release cta %p, %6 : f32
    kitethread.store %p, %7 align 4 : f32
    return
  }
}

// -----

// Barriers that order global memory: kl.debug_barrier's among the
// workgroup, a scalar atomic's at its scope (sys is Device: Vulkan has no
// wider scope); other barriers order workgroup memory only.
// CHECK-LABEL: spirv.module @barriers
// CHECK: spirv.ControlBarrier <Workgroup>, <Workgroup>, <AcquireRelease|UniformMemory|WorkgroupMemory>
// CHECK: spirv.ControlBarrier <Workgroup>, <Workgroup>, <AcquireRelease|UniformMemory|WorkgroupMemory>
// CHECK: spirv.ControlBarrier <Workgroup>, <Device>, <AcquireRelease|UniformMemory|WorkgroupMemory>
// CHECK: spirv.ControlBarrier <Workgroup>, <Device>, <AcquireRelease|UniformMemory|WorkgroupMemory>
// CHECK: spirv.ControlBarrier <Workgroup>, <Workgroup>, <AcquireRelease|WorkgroupMemory>
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @barriers() attributes {kite.kernel} {
    gpu.barrier {kitethread.global_memory}
    gpu.barrier {kitethread.global_memory = "cta"}
    gpu.barrier {kitethread.global_memory = "gpu"}
    gpu.barrier {kitethread.global_memory = "sys"}
    gpu.barrier
    return
  }
}
