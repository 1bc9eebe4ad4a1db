// kitethread.cvt_pack and cvt_unpack: one NVVM intrinsic each, the
// operand that PTX puts in the high half first (FloatConversionsToNVVM.cpp).
// RUN: kite-opt %s --convert-kitethread-to-nvvm="chip=sm_90" | FileCheck %s

// CHECK-LABEL: llvm.func @conversions(
// CHECK-SAME: %[[LO:[^:]*]]: f32, %[[HI:[^:]*]]: f32, %{{.*}}: i16
// CHECK: llvm.call_intrinsic "llvm.nvvm.ff.to.e4m3x2.rn"(%[[HI]], %[[LO]]) : (f32, f32) -> i16
// CHECK: llvm.call_intrinsic "llvm.nvvm.ff.to.e5m2x2.rn"(%[[HI]], %[[LO]]) : (f32, f32) -> i16
// CHECK: %[[BF:.*]] = llvm.call_intrinsic "llvm.nvvm.ff2bf16x2.rn"(%[[HI]], %[[LO]]) : (f32, f32) -> vector<2xbf16>
// CHECK: llvm.bitcast %[[BF]] : vector<2xbf16> to i32
// CHECK: llvm.call_intrinsic "llvm.nvvm.e4m3x2.to.f16x2.rn"(%{{.*}}) : (i16) -> vector<2xf16>
// CHECK: llvm.call_intrinsic "llvm.nvvm.e5m2x2.to.f16x2.rn"(%{{.*}}) : (i16) -> vector<2xf16>
module attributes {"kitethread.num-threads" = 32 : i32,
                   "kitethread.arg-types" = [f32, f32, i16, i64]} {
  func.func @conversions() attributes {kite.kernel} {
    %lo = kitethread.kernel_arg 0 : f32
    %hi = kitethread.kernel_arg 1 : f32
    %code = kitethread.kernel_arg 2 : i16
    %a = kitethread.kernel_arg 3 : i64
    %e4 = kitethread.cvt_pack f8E4M3FN %lo, %hi : i16
    %e5 = kitethread.cvt_pack f8E5M2 %lo, %hi : i16
    %bf = kitethread.cvt_pack bf16 %lo, %hi : i32
    %h4 = kitethread.cvt_unpack f8E4M3FN %code : vector<2xf16>
    %h5 = kitethread.cvt_unpack f8E5M2 %code : vector<2xf16>
    %codes = vector.from_elements %e4, %e5 : vector<2xi16>
    kitethread.store %a, %codes align 4 : vector<2xi16>
    kitethread.store %a, %bf align 4 : i32
    kitethread.store %a, %h4 align 4 : vector<2xf16>
    kitethread.store %a, %h5 align 4 : vector<2xf16>
    return
  }
}
