// A scalar atomic runs in thread 0 for the whole program, so its ordering
// covers every thread: a release (release, acq_rel) comes after a barrier
// that orders global memory at the atomic's scope, an acquire (acquire,
// acq_rel) hands its result out at such a barrier. A tensor atomic is run by
// each element's owner, whose own accesses its ordering covers: no barrier.
// RUN: kite-opt %s --split-input-file --convert-kitegpu-to-threads | FileCheck %s

// The unlock of a critical section (release): every thread's block store
// comes before the barrier, thread 0's xchg after it.
// CHECK-LABEL: func.func @scalar_release()
// CHECK: kitethread.store
// CHECK: gpu.barrier {kitethread.global_memory = "gpu"}
// CHECK-NOT: gpu.barrier
// CHECK: %[[FIRST:.*]] = arith.cmpi eq
// CHECK-NEXT: kitethread.atomic_rmw xchg release %{{.*}}, %{{.*}}, %[[FIRST]] : i32
// CHECK-NOT: kitethread.global_memory
// CHECK: return
#b = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @scalar_release(%x: !kite.ptr<i32>, %lock: !kite.ptr<i32>) attributes {kite.kernel} {
    %r = kite.make_range 0 to 8 : tensor<8xi32, #b>
    %xs = kite.splat %x : !kite.ptr<i32> -> tensor<8x!kite.ptr<i32>, #b>
    %xp = kite.addptr %xs, %r : tensor<8x!kite.ptr<i32>, #b>, tensor<8xi32, #b>
    kite.store %xp, %r : tensor<8x!kite.ptr<i32>, #b>
    %zero = arith.constant 0 : i32
    %old = kite.atomic_rmw xchg release, %lock, %zero : !kite.ptr<i32>
    return
  }
}

// -----

// The lock (acq_rel, the default, here at sys scope): a barrier before, and
// the barrier that hands thread 0's result to the others orders global
// memory, so that no thread reads the critical section's data before it.
// CHECK-LABEL: func.func @scalar_acq_rel()
// CHECK: gpu.barrier {kitethread.global_memory = "sys"}
// CHECK: kitethread.atomic_cas sys
// CHECK: memref.store
// CHECK-NEXT: }
// CHECK-NEXT: gpu.barrier {kitethread.global_memory = "sys"}
// CHECK: memref.load
// CHECK-NEXT: gpu.barrier{{$}}
// CHECK: kitethread.load
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @scalar_acq_rel(%lock: !kite.ptr<i32>, %count: !kite.ptr<i32>) attributes {kite.kernel} {
    %zero = arith.constant 0 : i32
    %one = arith.constant 1 : i32
    %old = kite.atomic_cas sys, %lock, %zero, %one : !kite.ptr<i32>
    %c = kite.load %count : !kite.ptr<i32>
    kite.print "" %old, %c : i32, i32
    return
  }
}

// -----

// acquire: no barrier before, an ordering one after; cta scope.
// CHECK-LABEL: func.func @scalar_acquire()
// CHECK-NOT: gpu.barrier
// CHECK: kitethread.atomic_rmw add acquire cta
// CHECK-NOT: gpu.barrier
// CHECK: gpu.barrier {kitethread.global_memory = "cta"}
// CHECK-NOT: kitethread.global_memory
// CHECK: return
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @scalar_acquire(%p: !kite.ptr<i32>) attributes {kite.kernel} {
    %one = arith.constant 1 : i32
    %old = kite.atomic_rmw add acquire cta, %p, %one : !kite.ptr<i32>
    kite.print "" %old : i32
    return
  }
}

// -----

// relaxed: only the barriers of the hand-out, which order workgroup memory.
// CHECK-LABEL: func.func @scalar_relaxed()
// CHECK-NOT: kitethread.global_memory
// CHECK: kitethread.atomic_rmw add relaxed
// CHECK-NOT: kitethread.global_memory
// CHECK: gpu.barrier
// CHECK-NOT: kitethread.global_memory
// CHECK: return
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @scalar_relaxed(%p: !kite.ptr<i32>) attributes {kite.kernel} {
    %one = arith.constant 1 : i32
    %old = kite.atomic_rmw add relaxed, %p, %one : !kite.ptr<i32>
    kite.print "" %old : i32
    return
  }
}

// -----

// A tensor atomic: each owner's atomic carries the ordering; no barrier.
// CHECK-LABEL: func.func @tensor_release()
// CHECK-NOT: gpu.barrier
// CHECK: kitethread.atomic_rmw add release %{{.*}}, %{{.*}} : i32
// CHECK-NOT: gpu.barrier
// CHECK: kitethread.atomic_cas acquire cta
// CHECK-NOT: gpu.barrier
// CHECK: return
#b = #kitegpu.blocked<{sizePerThread = [1], threadsPerWarp = [4], warpsPerCTA = [2], order = [0]}>
module attributes {"kitegpu.num-warps" = 2 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @tensor_release(%x: !kite.ptr<i32>) attributes {kite.kernel} {
    %r = kite.make_range 0 to 8 : tensor<8xi32, #b>
    %xs = kite.splat %x : !kite.ptr<i32> -> tensor<8x!kite.ptr<i32>, #b>
    %xp = kite.addptr %xs, %r : tensor<8x!kite.ptr<i32>, #b>, tensor<8xi32, #b>
    %old = kite.atomic_rmw add release, %xp, %r : tensor<8x!kite.ptr<i32>, #b>
    %cas = kite.atomic_cas acquire cta, %xp, %r, %old : tensor<8x!kite.ptr<i32>, #b>
    return
  }
}
