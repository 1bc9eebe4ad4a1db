// End to end: a vector add from the tile level through the kitegpu stage,
// convert-kitegpu-to-threads and the SPIR-V emitter; the binary passes
// spirv-val for Vulkan 1.2.
// REQUIRES: spirv-tools
// RUN: kite-opt %s --kitegpu-pipeline="num-warps=4 threads-per-warp=32" --convert-kitegpu-to-threads --canonicalize --cse | FileCheck %s --check-prefix=THREADS
// RUN: kite-opt %s --kitegpu-pipeline="num-warps=4 threads-per-warp=32" --convert-kitegpu-to-threads --canonicalize --cse --convert-kitethread-to-spirv=subgroup-size=32 | kite-translate --serialize-spirv -o %t.spv
// RUN: spirv-val --target-env vulkan1.2 %t.spv
// RUN: mlir-translate --deserialize-spirv %t.spv | FileCheck %s --check-prefix=BINARY
// The `threads` stage runs the same passes.
// RUN: kite-opt %s --threads-pipeline="num-warps=4 threads-per-warp=32" | FileCheck %s --check-prefix=THREADS

// 1024 elements, sizePerThread 4 over 128 threads: two 128-bit accesses per
// operand and thread, at element 4 * tid and 512 + 4 * tid.
// THREADS: module attributes {{{.*}}"kitethread.arg-types" = [i64, i64, i64, i32], "kitethread.num-threads" = 128 : i32, "kitethread.pointer-args" = array<i32: 0, 1, 2>}
// THREADS-LABEL: func.func @add_kernel()
// THREADS-DAG: %[[X:.*]] = kitethread.kernel_arg 0 : i64
// THREADS-DAG: %[[N:.*]] = kitethread.kernel_arg 3 : i32
// THREADS-DAG: %[[PID:.*]] = kitethread.program_id x : i32
// THREADS-DAG: gpu.thread_id x
// THREADS-COUNT-2: kitethread.load %{{.*}}, %{{.*}} align 16 : vector<4xf32>
// THREADS-COUNT-2: kitethread.load %{{.*}}, %{{.*}} align 16 : vector<4xf32>
// THREADS: arith.addf %{{.*}}, %{{.*}} : f32
// THREADS-COUNT-2: kitethread.store %{{.*}}, %{{.*}}, %{{.*}} align 16 : vector<4xf32>
// THREADS-NOT: kitethread.store
// THREADS: return
// BINARY: spirv.EntryPoint "GLCompute" @add_kernel
// BINARY: spirv.ExecutionMode @add_kernel "LocalSize", 128, 1, 1
func.func @add_kernel(%x: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %y: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %out: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %n: i32 {kite.divisibility = 16 : i32}) attributes {kite.kernel} {
  %pid = kite.program_id x : i32
  %c1024 = arith.constant 1024 : i32
  %start = arith.muli %pid, %c1024 : i32
  %r = kite.make_range 0 to 1024 : tensor<1024xi32>
  %s = kite.splat %start : i32 -> tensor<1024xi32>
  %off = arith.addi %s, %r : tensor<1024xi32>
  %ns = kite.splat %n : i32 -> tensor<1024xi32>
  %mask = arith.cmpi slt, %off, %ns : tensor<1024xi32>
  %xs = kite.splat %x : !kite.ptr<f32> -> tensor<1024x!kite.ptr<f32>>
  %xp = kite.addptr %xs, %off : tensor<1024x!kite.ptr<f32>>, tensor<1024xi32>
  %a = kite.load %xp, %mask : tensor<1024x!kite.ptr<f32>>
  %ys = kite.splat %y : !kite.ptr<f32> -> tensor<1024x!kite.ptr<f32>>
  %yp = kite.addptr %ys, %off : tensor<1024x!kite.ptr<f32>>, tensor<1024xi32>
  %b = kite.load %yp, %mask : tensor<1024x!kite.ptr<f32>>
  %sum = arith.addf %a, %b : tensor<1024xf32>
  %os = kite.splat %out : !kite.ptr<f32> -> tensor<1024x!kite.ptr<f32>>
  %op = kite.addptr %os, %off : tensor<1024x!kite.ptr<f32>>, tensor<1024xi32>
  kite.store %op, %sum, %mask : tensor<1024x!kite.ptr<f32>>
  return
}
