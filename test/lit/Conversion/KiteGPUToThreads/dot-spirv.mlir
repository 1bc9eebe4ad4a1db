// End to end: an f16 dot (16x32 * 32x16) with an f32 accumulator through
// the kitegpu stage, convert-kitegpu-to-threads and the SPIR-V emitter;
// spirv-val accepts it.
// REQUIRES: spirv-tools
// RUN: kite-opt %s --threads-pipeline="num-warps=4 threads-per-warp=32" | FileCheck %s --check-prefix=THREADS
// RUN: kite-opt %s --threads-pipeline="num-warps=4 threads-per-warp=32" --convert-kitethread-to-spirv="subgroup-size=32 float16=true" | kite-translate --serialize-spirv -o %t.spv
// RUN: spirv-val --target-env vulkan1.2 %t.spv
// Lavapipe's subgroups have 8 threads.
// RUN: kite-opt %s --threads-pipeline="num-warps=2 threads-per-warp=8" --convert-kitethread-to-spirv="subgroup-size=8 float16=true" | kite-translate --serialize-spirv -o %t8.spv
// RUN: spirv-val --target-env vulkan1.2 %t8.spv

// THREADS-LABEL: func.func @dot()
// THREADS: memref.alloc() : memref<512xf16, #gpu.address_space<workgroup>>
// THREADS: gpu.barrier
// THREADS: scf.for
// THREADS: arith.extf %{{.*}} : f16 to f32
// THREADS: arith.mulf {{.*}} fastmath<contract>
// THREADS: arith.addf {{.*}} fastmath<contract>
// THREADS: gpu.barrier
func.func @dot(%a: !kite.ptr<f16> {kite.divisibility = 16 : i32}, %b: !kite.ptr<f16> {kite.divisibility = 16 : i32}, %c: !kite.ptr<f32> {kite.divisibility = 16 : i32}) attributes {kite.kernel} {
  %r16 = kite.make_range 0 to 16 : tensor<16xi32>
  %r32 = kite.make_range 0 to 32 : tensor<32xi32>
  // a: 16x32, b: 32x16, c: 16x16, all row-major.
  %am = kite.expand_dims %r16 axis = 1 : tensor<16xi32> -> tensor<16x1xi32>
  %ak = kite.expand_dims %r32 axis = 0 : tensor<32xi32> -> tensor<1x32xi32>
  %c32 = arith.constant dense<32> : tensor<16x1xi32>
  %ams = arith.muli %am, %c32 : tensor<16x1xi32>
  %amb = kite.broadcast %ams : tensor<16x1xi32> -> tensor<16x32xi32>
  %akb = kite.broadcast %ak : tensor<1x32xi32> -> tensor<16x32xi32>
  %aoff = arith.addi %amb, %akb : tensor<16x32xi32>
  %as = kite.splat %a : !kite.ptr<f16> -> tensor<16x32x!kite.ptr<f16>>
  %ap = kite.addptr %as, %aoff : tensor<16x32x!kite.ptr<f16>>, tensor<16x32xi32>
  %av = kite.load %ap : tensor<16x32x!kite.ptr<f16>>
  %bk = kite.expand_dims %r32 axis = 1 : tensor<32xi32> -> tensor<32x1xi32>
  %bn = kite.expand_dims %r16 axis = 0 : tensor<16xi32> -> tensor<1x16xi32>
  %c16 = arith.constant dense<16> : tensor<32x1xi32>
  %bks = arith.muli %bk, %c16 : tensor<32x1xi32>
  %bkb = kite.broadcast %bks : tensor<32x1xi32> -> tensor<32x16xi32>
  %bnb = kite.broadcast %bn : tensor<1x16xi32> -> tensor<32x16xi32>
  %boff = arith.addi %bkb, %bnb : tensor<32x16xi32>
  %bs = kite.splat %b : !kite.ptr<f16> -> tensor<32x16x!kite.ptr<f16>>
  %bp = kite.addptr %bs, %boff : tensor<32x16x!kite.ptr<f16>>, tensor<32x16xi32>
  %bv = kite.load %bp : tensor<32x16x!kite.ptr<f16>>
  %cm = kite.expand_dims %r16 axis = 1 : tensor<16xi32> -> tensor<16x1xi32>
  %c16b = arith.constant dense<16> : tensor<16x1xi32>
  %cms = arith.muli %cm, %c16b : tensor<16x1xi32>
  %zero = arith.constant dense<0.0> : tensor<16x16xf32>
  %d = kite.dot %av, %bv, %zero : tensor<16x32xf16> * tensor<32x16xf16> -> tensor<16x16xf32>
  %cmb = kite.broadcast %cms : tensor<16x1xi32> -> tensor<16x16xi32>
  %cnb = kite.broadcast %bn : tensor<1x16xi32> -> tensor<16x16xi32>
  %coff = arith.addi %cmb, %cnb : tensor<16x16xi32>
  %cs = kite.splat %c : !kite.ptr<f32> -> tensor<16x16x!kite.ptr<f32>>
  %cp = kite.addptr %cs, %coff : tensor<16x16x!kite.ptr<f32>>, tensor<16x16xi32>
  kite.store %cp, %d : tensor<16x16x!kite.ptr<f32>>
  return
}
