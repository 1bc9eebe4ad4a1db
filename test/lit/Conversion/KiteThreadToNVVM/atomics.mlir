// Atomics are acquire-release at device scope by default. From sm_70 on, each is one
// `atom.acq_rel.gpu.global` instruction (inline assembly: the NVPTX backend
// would drop an atomicrmw's ordering); fmax and fmin, and every atomic
// before sm_70, are a relaxed atomicrmw between device-scope fences.
// Compare-and-swap is cmpxchg, whose ordering the backend keeps.
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-nvvm | FileCheck %s
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-nvvm=chip=sm_60 | FileCheck %s --check-prefix=SM60

// CHECK-LABEL: llvm.func @atomics
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "atom.acq_rel.gpu.global.add.f32 $0, [$1], $2;", "=f,l,f,~{memory}"
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "atom.acq_rel.gpu.global.add.f64 $0, [$1], $2;", "=d,l,d,~{memory}"
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "atom.acq_rel.gpu.global.add.u64 $0, [$1], $2;", "=l,l,l,~{memory}"
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "atom.acq_rel.gpu.global.max.s32 $0, [$1], $2;", "=r,l,r,~{memory}"
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "atom.acq_rel.gpu.global.min.u32 $0, [$1], $2;", "=r,l,r,~{memory}"
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "atom.acq_rel.gpu.global.exch.b64 $0, [$1], $2;", "=l,l,l,~{memory}"
// CHECK: llvm.fence syncscope("device") release
// CHECK-NEXT: llvm.atomicrmw fmax %{{.*}}, %{{.*}} syncscope("device") monotonic {alignment = 4 : i64} : !llvm.ptr<1>, f32
// CHECK-NEXT: llvm.fence syncscope("device") acquire
// CHECK: llvm.cmpxchg %{{.*}}, %{{.*}}, %{{.*}} syncscope("device") acq_rel acquire {alignment = 4 : i64} : !llvm.ptr<1>, i32
// CHECK: llvm.extractvalue %{{.*}}[0] : !llvm.struct<(i32, i1)>
// CHECK: llvm.bitcast %{{.*}} : i32 to f32

// SM60-LABEL: llvm.func @atomics
// SM60-NOT: llvm.inline_asm
// SM60: llvm.fence syncscope("device") release
// SM60-NEXT: llvm.atomicrmw fadd %{{.*}}, %{{.*}} syncscope("device") monotonic {alignment = 4 : i64} : !llvm.ptr<1>, f32
// SM60-NEXT: llvm.fence syncscope("device") acquire
// SM60: llvm.fence syncscope("device") release
// SM60: llvm.cmpxchg
// SM60-NEXT: llvm.extractvalue
// SM60: llvm.fence syncscope("device") acquire
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @atomics() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %x = arith.constant 1.0 : f32
    %d = arith.constant 1.0 : f64
    %i = arith.constant 1 : i32
    %l = arith.constant 1 : i64
    %old = kitethread.atomic_rmw fadd %a, %x : f32
    %0 = kitethread.atomic_rmw fadd %a, %d : f64
    %1 = kitethread.atomic_rmw add %a, %l : i64
    %2 = kitethread.atomic_rmw max %a, %i : i32
    %3 = kitethread.atomic_rmw umin %a, %i : i32
    %4 = kitethread.atomic_rmw xchg %a, %l : i64
    %5 = kitethread.atomic_rmw fmax %a, %x : f32
    %c = kitethread.atomic_cas %a, %old, %x : f32
    kitethread.store %a, %c align 4 : f32
    return
  }
}

// -----

// Each sem and scope: atom.<sem>.<scope> from sm_70 on; cmpxchg with the
// ordering (a failed compare keeps the acquire) and the syncscope (block,
// device, system); fences only where the ordering asks (fmax, sm_60).
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-nvvm | FileCheck %s --check-prefix=ORDER
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-nvvm=chip=sm_60 | FileCheck %s --check-prefix=ORDER60
// ORDER-LABEL: llvm.func @orderings
// ORDER: "atom.relaxed.gpu.global.add.u32 $0, [$1], $2;"
// ORDER: "atom.acquire.cta.global.exch.b32 $0, [$1], $2;"
// ORDER: "atom.release.sys.global.max.s32 $0, [$1], $2;"
// ORDER-NOT: llvm.fence
// ORDER: llvm.atomicrmw fmin %{{.*}}, %{{.*}} syncscope("block") monotonic
// ORDER-NEXT: llvm.fence syncscope("block") acquire
// ORDER: llvm.cmpxchg %{{.*}}, %{{.*}}, %{{.*}} syncscope("block") release monotonic
// ORDER: llvm.cmpxchg %{{.*}}, %{{.*}}, %{{.*}} acquire acquire
// ORDER: llvm.cmpxchg %{{.*}}, %{{.*}}, %{{.*}} syncscope("device") monotonic monotonic
// ORDER-NOT: llvm.fence
// ORDER: llvm.return
// ORDER60-LABEL: llvm.func @orderings
// ORDER60-NOT: llvm.fence
// ORDER60: llvm.atomicrmw add %{{.*}}, %{{.*}} syncscope("device") monotonic
// ORDER60-NOT: llvm.fence
// ORDER60: llvm.atomicrmw xchg %{{.*}}, %{{.*}} syncscope("block") monotonic
// ORDER60-NEXT: llvm.fence syncscope("block") acquire
// ORDER60: llvm.fence release
// ORDER60-NEXT: llvm.atomicrmw max %{{.*}}, %{{.*}} monotonic
// ORDER60: llvm.fence syncscope("block") release
// ORDER60-NEXT: llvm.cmpxchg %{{.*}}, %{{.*}}, %{{.*}} syncscope("block") monotonic monotonic
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @orderings() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %x = arith.constant 1.0 : f32
    %i = arith.constant 1 : i32
    %0 = kitethread.atomic_rmw add relaxed %a, %i : i32
    %1 = kitethread.atomic_rmw xchg acquire cta %a, %0 : i32
    %2 = kitethread.atomic_rmw max release sys %a, %1 : i32
    %3 = kitethread.atomic_rmw fmin acquire cta %a, %x : f32
    %4 = kitethread.atomic_cas release cta %a, %2, %i : i32
    %5 = kitethread.atomic_cas acquire sys %a, %4, %i : i32
    %6 = kitethread.atomic_cas relaxed %a, %5, %i : i32
    kitethread.store %a, %3 align 4 : f32
    kitethread.store %a, %6 align 4 : i32
    return
  }
}
