// kitegpu-software-pipeline: the loads that feed a dot in a loop become
// async copies into num-stages - 1 slots, issued that many iterations ahead
// (a prologue copies the first ones, masked off past the loop's end); the
// loop waits for its slot, reads it, and refills it for a later iteration.
// RUN: kite-opt %s --split-input-file --kitegpu-software-pipeline="num-stages=3 tensor-cores=80" | FileCheck %s
// RUN: kite-opt %s --split-input-file --kitegpu-software-pipeline="num-stages=3 tensor-cores=80 max-workgroup-bytes=2048" | FileCheck %s --check-prefix=SHALLOW
// RUN: kite-opt %s --split-input-file --kitegpu-software-pipeline="num-stages=3 tensor-cores=80 max-workgroup-bytes=1024" | FileCheck %s --check-prefix=TOOBIG
// RUN: kite-opt %s --split-input-file --kitegpu-software-pipeline="num-stages=3 tensor-cores=80 max-workgroup-bytes=3072" | FileCheck %s --check-prefix=BUDGET
// RUN: kite-opt %s --split-input-file --kitegpu-software-pipeline="num-stages=3 tensor-cores=75" | FileCheck %s --check-prefix=NOASYNC
// RUN: kite-opt %s --split-input-file --kitegpu-software-pipeline="num-stages=1 tensor-cores=80" | FileCheck %s --check-prefix=ONE

// CHECK-LABEL: func.func @matmul
// CHECK: %[[A:.*]] = kitegpu.local_alloc -> !kitegpu.memdesc<2x32x16xf16, #shared>
// CHECK: %[[B:.*]] = kitegpu.local_alloc -> !kitegpu.memdesc<2x16x32xf16, #shared1>
// Iteration 0 into slot 0, iteration 1 into slot 1, each masked off
// unless it runs, and each a group.
// CHECK: %[[RUN0:.*]] = arith.cmpi slt, %[[LB:.*]], %[[UB:.*]] : i32
// CHECK: %[[ON0:.*]] = kite.splat %[[RUN0]] : i1 -> tensor<32x16xi1, #blocked>
// CHECK: %[[M0:.*]] = arith.andi %{{.*}}, %[[ON0]]
// CHECK: kitegpu.async_copy %{{.*}}, %[[A]][%c0_i32{{.*}}], %[[M0]]
// CHECK: kitegpu.async_copy %{{.*}}, %[[B]][%c0_i32
// CHECK: kitegpu.async_commit_group
// CHECK: %[[IV1:.*]] = arith.addi %[[LB]], %{{.*}} : i32
// CHECK: arith.cmpi slt, %[[IV1]], %[[UB]] : i32
// CHECK: kitegpu.async_copy %{{.*}}, %[[A]][%c1_i32
// CHECK: kitegpu.async_copy %{{.*}}, %[[B]][%c1_i32
// CHECK: kitegpu.async_commit_group
// The loop carries the pointers of two iterations ahead and the slot.
// CHECK: scf.for %[[IV:.*]] = %[[LB]] to %[[UB]] step %[[STEP:.*]] iter_args(%{{.*}}, %{{.*}}, %{{.*}}, %[[AHEADA:.*]] = %{{.*}}, %[[AHEADB:.*]] = %{{.*}}, %[[SLOT:.*]] = %c0_i32
// CHECK: kitegpu.async_wait 1
// CHECK: %[[X:.*]] = kitegpu.local_load %[[A]][%[[SLOT]]] : !kitegpu.memdesc<2x32x16xf16, #shared> -> tensor<32x16xf16, #blocked>
// CHECK: %[[Y:.*]] = kitegpu.local_load %[[B]][%[[SLOT]]]
// CHECK: kite.dot %[[X]], %[[Y]]
// CHECK: gpu.barrier
// CHECK: %[[AHEAD:.*]] = arith.addi %[[IV]], %{{.*}} : i32
// CHECK: arith.cmpi slt, %[[AHEAD]], %[[UB]]
// CHECK: kitegpu.async_copy %[[AHEADA]], %[[A]][%[[SLOT]]]
// CHECK: kitegpu.async_copy %[[AHEADB]], %[[B]][%[[SLOT]]]
// CHECK: kitegpu.async_commit_group
// CHECK: arith.select
// CHECK: } {kitegpu.pipeline = "pipelined: 3 stages"}
// CHECK-NEXT: kitegpu.async_wait 0
// CHECK-NOT: kite.load

// SHALLOW: kitegpu.local_alloc -> !kitegpu.memdesc<1x32x16xf16
// SHALLOW: kitegpu.pipeline = "pipelined: 2 stages (3 asked: their 4096 bytes of slots are more than the 2048 of shared memory a program has on this target)"
// TOOBIG: kitegpu.pipeline = "not pipelined: one slot of the loads takes 2048 bytes, more than the 1024 of shared memory a program has on this target"
// NOASYNC: kitegpu.pipeline = "not pipelined: the target has no asynchronous copies (cp.async: NVIDIA sm_80 and later)"
// ONE: kitegpu.pipeline = "not pipelined: num_stages=1"
#a = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]}>
#b = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [2, 2], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @matmul(%pa: tensor<32x16x!kite.ptr<f16>, #a>, %pb: tensor<16x32x!kite.ptr<f16>, #b>,
                    %k: tensor<32x16xi32, #a>, %n: i32, %stepa: tensor<32x16xi32, #a>,
                    %stepb: tensor<16x32xi32, #b>) -> tensor<32x32xf32, #c> attributes {kite.kernel} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %c16 = arith.constant 16 : i32
    %zero = arith.constant dense<0.000000e+00> : tensor<32x32xf32, #c>
    %r:3 = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero, %x = %pa, %y = %pb)
        -> (tensor<32x32xf32, #c>, tensor<32x16x!kite.ptr<f16>, #a>, tensor<16x32x!kite.ptr<f16>, #b>) : i32 {
      %done = arith.muli %i, %c16 : i32
      %left = kite.splat %done : i32 -> tensor<32x16xi32, #a>
      %mask = arith.cmpi slt, %left, %k : tensor<32x16xi32, #a>
      %va = kite.load %x, %mask : tensor<32x16x!kite.ptr<f16>, #a>
      %vb = kite.load %y : tensor<16x32x!kite.ptr<f16>, #b>
      %d = kite.dot %va, %vb, %acc : tensor<32x16xf16, #a> * tensor<16x32xf16, #b> -> tensor<32x32xf32, #c>
      %nx = kite.addptr %x, %stepa : tensor<32x16x!kite.ptr<f16>, #a>, tensor<32x16xi32, #a>
      %ny = kite.addptr %y, %stepb : tensor<16x32x!kite.ptr<f16>, #b>, tensor<16x32xi32, #b>
      scf.yield %d, %nx, %ny : tensor<32x32xf32, #c>, tensor<32x16x!kite.ptr<f16>, #a>, tensor<16x32x!kite.ptr<f16>, #b>
    }
    return %r#0 : tensor<32x32xf32, #c>
  }
}

// -----

// A load whose `other` is not zero (copies fill with zeros) stays a load.
// CHECK-LABEL: func.func @nonzero_other
// CHECK-NOT: kitegpu.async_copy
// CHECK: kitegpu.pipeline = "not pipelined: a dot operand's load has an `other` that is not zero (async copies fill masked-off elements with zeros)"
#a = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]}>
#b = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [2, 2], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @nonzero_other(%pa: tensor<32x16x!kite.ptr<f16>, #a>, %pb: tensor<16x32x!kite.ptr<f16>, #b>,
                           %mask: tensor<32x16xi1, #a>, %n: i32) -> tensor<32x32xf32, #c> attributes {kite.kernel} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %one = arith.constant dense<1.000000e+00> : tensor<32x16xf16, #a>
    %zero = arith.constant dense<0.000000e+00> : tensor<32x32xf32, #c>
    %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> (tensor<32x32xf32, #c>) : i32 {
      %va = kite.load %pa, %mask, %one : tensor<32x16x!kite.ptr<f16>, #a>
      %vb = kite.load %pb : tensor<16x32x!kite.ptr<f16>, #b>
      %d = kite.dot %va, %vb, %acc : tensor<32x16xf16, #a> * tensor<16x32xf16, #b> -> tensor<32x32xf32, #c>
      scf.yield %d : tensor<32x32xf32, #c>
    }
    return %r : tensor<32x32xf32, #c>
  }
}

// -----

// Weight-only quantization: b's load reaches the dot through its
// dequantization (sitofp, a scale). The slot holds the raw 8-bit bytes and
// is read in the load's own layout; the dequantization runs on what it read.
// CHECK-LABEL: func.func @dequantized_operand
// CHECK: %[[A:.*]] = kitegpu.local_alloc -> !kitegpu.memdesc<2x32x16xf16, #shared>
// CHECK: %[[B:.*]] = kitegpu.local_alloc -> !kitegpu.memdesc<2x16x32xi8, #shared1>
// CHECK: kitegpu.async_copy %{{.*}}, %[[B]][%c0_i32
// CHECK: scf.for
// CHECK: kitegpu.async_wait 1
// CHECK: %[[X:.*]] = kitegpu.local_load %[[A]][%[[SLOT:.*]]] : !kitegpu.memdesc<2x32x16xf16, #shared> -> tensor<32x16xf16, #blocked>
// CHECK: %[[Q:.*]] = kitegpu.local_load %[[B]][%[[SLOT]]] : !kitegpu.memdesc<2x16x32xi8, #shared1> -> tensor<16x32xi8, #blocked1>
// CHECK: %[[F:.*]] = arith.sitofp %[[Q]]
// CHECK: %[[W:.*]] = arith.mulf %[[F]]
// CHECK: kite.dot %[[X]], %[[W]]
// CHECK: kitegpu.async_copy %{{.*}}, %[[B]][%[[SLOT]]]
// CHECK: } {kitegpu.pipeline = "pipelined: 3 stages"}
// CHECK-NOT: kite.load
// The dot stages the dequantized b (16x32 f16: 1024 bytes) while the slots
// (1536 bytes each) are live: 2048 bytes hold neither two slots nor one.
// SHALLOW-LABEL: func.func @dequantized_operand
// SHALLOW: kitegpu.pipeline = "not pipelined: one slot of the loads takes 1536 bytes, with the 1024 bytes its dots stage their operands in, is more than the 2048 of shared memory a program has on this target"
// BUDGET-LABEL: func.func @dequantized_operand
// BUDGET: kitegpu.pipeline = "pipelined: 2 stages (3 asked: their 3072 bytes of slots, with the 1024 bytes its dots stage their operands in, are more than the 3072 of shared memory a program has on this target)"
#a = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]}>
#b = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [2, 2], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @dequantized_operand(%pa: tensor<32x16x!kite.ptr<f16>, #a>, %pb: tensor<16x32x!kite.ptr<i8>, #b>,
                                 %n: i32, %stepa: tensor<32x16xi32, #a>, %stepb: tensor<16x32xi32, #b>,
                                 %s: f16) -> tensor<32x32xf32, #c> attributes {kite.kernel} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %zero = arith.constant dense<0.000000e+00> : tensor<32x32xf32, #c>
    %scale = kite.splat %s : f16 -> tensor<16x32xf16, #b>
    %r:3 = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero, %x = %pa, %y = %pb)
        -> (tensor<32x32xf32, #c>, tensor<32x16x!kite.ptr<f16>, #a>, tensor<16x32x!kite.ptr<i8>, #b>) : i32 {
      %va = kite.load %x : tensor<32x16x!kite.ptr<f16>, #a>
      %q = kite.load %y : tensor<16x32x!kite.ptr<i8>, #b>
      %f = arith.sitofp %q : tensor<16x32xi8, #b> to tensor<16x32xf16, #b>
      %w = arith.mulf %f, %scale : tensor<16x32xf16, #b>
      %d = kite.dot %va, %w, %acc : tensor<32x16xf16, #a> * tensor<16x32xf16, #b> -> tensor<32x32xf32, #c>
      %nx = kite.addptr %x, %stepa : tensor<32x16x!kite.ptr<f16>, #a>, tensor<32x16xi32, #a>
      %ny = kite.addptr %y, %stepb : tensor<16x32x!kite.ptr<i8>, #b>, tensor<16x32xi32, #b>
      scf.yield %d, %nx, %ny : tensor<32x32xf32, #c>, tensor<32x16x!kite.ptr<f16>, #a>, tensor<16x32x!kite.ptr<i8>, #b>
    }
    return %r#0 : tensor<32x32xf32, #c>
  }
}

// -----

// A scale reaching the dot through a multiply, loaded with `other = 1`
// (copies would fill zeros): it stays a load, and a's load still pipelines.
// CHECK-LABEL: func.func @scale_with_nonzero_other
// CHECK: kitegpu.local_alloc -> !kitegpu.memdesc<2x32x16xf16
// CHECK-NOT: kitegpu.local_alloc
// CHECK: scf.for
// CHECK: kite.load %{{.*}}, %{{.*}}, %{{.*}} : tensor<16x32x!kite.ptr<f16>
// CHECK: } {kitegpu.pipeline = "pipelined: 3 stages"}
#a = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [8, 4], warpsPerCTA = [4, 1], order = [1, 0]}>
#b = #kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [4, 8], warpsPerCTA = [4, 1], order = [1, 0]}>
#c = #kitegpu.blocked<{sizePerThread = [1, 2], threadsPerWarp = [8, 4], warpsPerCTA = [2, 2], order = [1, 0]}>
module attributes {"kitegpu.num-warps" = 4 : i32, "kitegpu.threads-per-warp" = 32 : i32} {
  func.func @scale_with_nonzero_other(%pa: tensor<32x16x!kite.ptr<f16>, #a>, %pb: tensor<16x32xf16, #b>,
                                      %ps: tensor<16x32x!kite.ptr<f16>, #b>, %mask: tensor<16x32xi1, #b>,
                                      %n: i32, %stepa: tensor<32x16xi32, #a>) -> tensor<32x32xf32, #c> attributes {kite.kernel} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %one = arith.constant dense<1.000000e+00> : tensor<16x32xf16, #b>
    %zero = arith.constant dense<0.000000e+00> : tensor<32x32xf32, #c>
    %r:2 = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero, %x = %pa)
        -> (tensor<32x32xf32, #c>, tensor<32x16x!kite.ptr<f16>, #a>) : i32 {
      %va = kite.load %x : tensor<32x16x!kite.ptr<f16>, #a>
      %s = kite.load %ps, %mask, %one : tensor<16x32x!kite.ptr<f16>, #b>
      %w = arith.mulf %pb, %s : tensor<16x32xf16, #b>
      %d = kite.dot %va, %w, %acc : tensor<32x16xf16, #a> * tensor<16x32xf16, #b> -> tensor<32x32xf32, #c>
      %nx = kite.addptr %x, %stepa : tensor<32x16x!kite.ptr<f16>, #a>, tensor<32x16xi32, #a>
      scf.yield %d, %nx : tensor<32x32xf32, #c>, tensor<32x16x!kite.ptr<f16>, #a>
    }
    return %r#0 : tensor<32x32xf32, #c>
  }
}
