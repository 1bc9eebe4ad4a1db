// bf16 and fp8 conversions in hardware where the target has them
// (EmulatedFloats.cpp, tensor-cores = the NVIDIA compute capability): on
// sm_89 and later the two fp8 registers of a thread are decoded by one
// cvt_unpack and rounded by one cvt_pack, each value with a select that
// gives a NaN the software path's bits; from sm_80 f32 -> bf16 is one
// cvt_pack per two registers. Without (SPIR-V, sm_80 fp8) every conversion
// is integer arithmetic. The store takes the bits the rounding made.
// RUN: kite-opt %s --convert-kitegpu-to-threads="tensor-cores=90" --canonicalize --cse | FileCheck %s --check-prefix=SM90
// RUN: kite-opt %s --convert-kitegpu-to-threads="tensor-cores=80" --canonicalize --cse | FileCheck %s --check-prefix=SM80
// RUN: kite-opt %s --convert-kitegpu-to-threads --canonicalize --cse | FileCheck %s --check-prefix=SOFT

// SM90-LABEL: func.func @convert()
// SM90: %[[C0:.*]] = kitethread.load %{{.*}} align 1 : i8
// SM90: %[[C1:.*]] = kitethread.load %{{.*}} align 1 : i8
// SM90: %[[H:.*]] = kitethread.cvt_unpack f8E4M3FN %{{.*}} : vector<2xf16>
// SM90-NOT: kitethread.cvt_unpack
// SM90: %[[P:.*]] = kitethread.cvt_pack f8E5M2 %{{.*}}, %{{.*}} : i16
// SM90: %[[LO:.*]] = arith.trunci %[[P]] : i16 to i8
// SM90: arith.select %{{.*}}, %{{.*}}, %[[LO]] : i8
// SM90: kitethread.store %{{.*}}, %{{.*}} align 1 : i8
// SM90: kitethread.cvt_pack bf16 %{{.*}}, %{{.*}} : i32
// SM90-NOT: kitethread.cvt_pack
// SM90-NOT: kitethread.decoded

// SM80-LABEL: func.func @convert()
// SM80-NOT: kitethread.cvt_unpack
// SM80-NOT: kitethread.cvt_pack f8
// SM80: arith.uitofp
// SM80: kitethread.cvt_pack bf16 %{{.*}}, %{{.*}} : i32
// SM80-NOT: kitethread.cvt_pack

// SOFT-LABEL: func.func @convert()
// SOFT-NOT: kitethread.cvt_
#b = #kitegpu.blocked<{sizePerThread = [2], threadsPerWarp = [4], warpsPerCTA = [1], order = [0]}>
module attributes {"kitegpu.num-warps" = 1 : i32, "kitegpu.threads-per-warp" = 4 : i32} {
  func.func @convert(%x: !kite.ptr<f8E4M3FN>, %y: !kite.ptr<f8E5M2>, %f: !kite.ptr<f32>,
                     %g: !kite.ptr<bf16>) attributes {kite.kernel} {
    %r = kite.make_range 0 to 8 : tensor<8xi32, #b>
    %xs = kite.splat %x : !kite.ptr<f8E4M3FN> -> tensor<8x!kite.ptr<f8E4M3FN>, #b>
    %xp = kite.addptr %xs, %r : tensor<8x!kite.ptr<f8E4M3FN>, #b>, tensor<8xi32, #b>
    %v = kite.load %xp : tensor<8x!kite.ptr<f8E4M3FN>, #b>
    %w = kite.fp_to_fp %v rounding = rtne : tensor<8xf8E4M3FN, #b> -> tensor<8xf8E5M2, #b>
    %ys = kite.splat %y : !kite.ptr<f8E5M2> -> tensor<8x!kite.ptr<f8E5M2>, #b>
    %yp = kite.addptr %ys, %r : tensor<8x!kite.ptr<f8E5M2>, #b>, tensor<8xi32, #b>
    kite.store %yp, %w : tensor<8x!kite.ptr<f8E5M2>, #b>
    %fs = kite.splat %f : !kite.ptr<f32> -> tensor<8x!kite.ptr<f32>, #b>
    %fp = kite.addptr %fs, %r : tensor<8x!kite.ptr<f32>, #b>, tensor<8xi32, #b>
    %a = kite.load %fp : tensor<8x!kite.ptr<f32>, #b>
    %h = arith.truncf %a : tensor<8xf32, #b> to tensor<8xbf16, #b>
    %gs = kite.splat %g : !kite.ptr<bf16> -> tensor<8x!kite.ptr<bf16>, #b>
    %gp = kite.addptr %gs, %r : tensor<8x!kite.ptr<bf16>, #b>, tensor<8xi32, #b>
    kite.store %gp, %h : tensor<8x!kite.ptr<bf16>, #b>
    return
  }
}
