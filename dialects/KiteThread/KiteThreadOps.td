#ifndef KITETHREAD_OPS_TD
#define KITETHREAD_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "dialects/Kite/KiteEnums.td"
include "dialects/KiteThread/KiteThreadDialect.td"

class KiteThread_Op<string mnemonic, list<Trait> traits = []>
    : Op<KiteThread_Dialect, mnemonic, traits>;

// What a thread holds: the scalars a launch argument may have, and (for
// vectorized memory accesses) vectors of 32, 64 or 128 bits in all.
def KiteThread_Scalar : AnyTypeOf<[I1, I8, I16, I32, I64, F16, F32, F64]>;
def KiteThread_Vector : VectorOfRankAndType<[1], [I8, I16, I32, I64, F16, F32,
                                                  F64]>;
def KiteThread_Value : AnyTypeOf<[KiteThread_Scalar, KiteThread_Vector]>;
def KiteThread_Address : TypeAlias<I64, "device address">;
def KiteThread_Alignment : ConfinedAttr<I32Attr, [IntPositive]>;

//===----------------------------------------------------------------------===//
// The program grid and launch arguments
//===----------------------------------------------------------------------===//

class KiteThread_GridOp<string mnemonic> : KiteThread_Op<mnemonic, [Pure]> {
  let arguments = (ins I32Attr:$axis);
  let results = (outs I32:$result);
  // `kitethread.program_id x : i32`; axes 0, 1, 2 print as x, y, z.
  let assemblyFormat = "custom<GridAxis>($axis) attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def KiteThread_ProgramIdOp : KiteThread_GridOp<"program_id"> {
  let summary = "index of this program along a grid axis";
}
def KiteThread_NumProgramsOp : KiteThread_GridOp<"num_programs"> {
  let summary = "number of programs along a grid axis";
}

def KiteThread_KernelArgOp : KiteThread_Op<"kernel_arg", [Pure]> {
  let summary = "the index-th launch argument (pointers are i64 addresses)";
  let arguments = (ins ConfinedAttr<I32Attr, [IntNonNegative]>:$index);
  let results = (outs KiteThread_Scalar:$result);
  let assemblyFormat = "$index attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Global memory
//===----------------------------------------------------------------------===//

def KiteThread_LoadOp : KiteThread_Op<"load", [AttrSizedOperandSegments,
    MemoryEffects<[MemRead]>,
    OptionalTypesMatchWith<"other has the result type", "result", "other",
                           "$_self">]> {
  let summary = "read a scalar or vector at an address; masked off: `other`";
  let description = [{
    Where `mask` is false the load does not touch memory and yields `other`
    (zero when absent). `alignment` is in bytes and promised by the caller.
  }];
  let arguments = (ins KiteThread_Address:$addr, Optional<I1>:$mask,
                   Optional<KiteThread_Value>:$other,
                   KiteThread_Alignment:$alignment);
  let results = (outs KiteThread_Value:$result);
  let assemblyFormat = [{
    $addr (`,` $mask^)? (`other` $other^)? `align` $alignment attr-dict
    `:` type($result)
  }];
  let hasVerifier = 1;
}

def KiteThread_StoreOp : KiteThread_Op<"store", [MemoryEffects<[MemWrite]>]> {
  let summary = "write a scalar or vector at an address where mask is true";
  let arguments = (ins KiteThread_Address:$addr, KiteThread_Value:$value,
                   Optional<I1>:$mask, KiteThread_Alignment:$alignment);
  let assemblyFormat = [{
    $addr `,` $value (`,` $mask^)? `align` $alignment attr-dict
    `:` type($value)
  }];
  let hasVerifier = 1;
}

def KiteThread_AtomicRMWOp : KiteThread_Op<"atomic_rmw", [
    MemoryEffects<[MemRead, MemWrite]>, AllTypesMatch<["val", "result"]>]> {
  let summary = "atomic read-modify-write, returns the old value";
  let description = [{
    Ordered as `sem` says (acq_rel unless given) at `scope` (gpu unless
    given), for this thread's memory accesses. Masked off, memory is not
    touched and the result is zero.
  }];
  let arguments = (ins Kite_RMWOpAttr:$kind, KiteThread_Address:$addr,
                   KiteThread_Scalar:$val, Optional<I1>:$mask,
                   Kite_DefaultSemantic:$sem, Kite_DefaultScope:$scope);
  let results = (outs KiteThread_Scalar:$result);
  let assemblyFormat = [{
    $kind ($sem^)? ($scope^)? $addr `,` $val (`,` $mask^)? attr-dict
    `:` type($val)
  }];
  let hasVerifier = 1;
}

def KiteThread_AtomicCASOp : KiteThread_Op<"atomic_cas", [
    MemoryEffects<[MemRead, MemWrite]>,
    AllTypesMatch<["cmp", "val", "result"]>]> {
  let summary = "atomic compare-and-swap, returns the old value";
  let description = [{
    Ordered as `sem` says at `scope`, as kitethread.atomic_rmw; a failed
    compare only reads, so it keeps at most the acquire half.
  }];
  let arguments = (ins KiteThread_Address:$addr, KiteThread_Scalar:$cmp,
                   KiteThread_Scalar:$val, Kite_DefaultSemantic:$sem,
                   Kite_DefaultScope:$scope);
  let results = (outs KiteThread_Scalar:$result);
  let assemblyFormat = [{
    ($sem^)? ($scope^)? $addr `,` $cmp `,` $val attr-dict `:` type($val)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Tensor cores
//===----------------------------------------------------------------------===//

def KiteThread_MmaSyncOp : KiteThread_Op<"mma_sync", [Pure,
    AttrSizedOperandSegments]> {
  let summary = "one warp's 16x8 tile D = A * B + C on tensor cores";
  let description = [{
    PTX `mma.sync.aligned.m16n8kK.row.col`: every lane of the warp passes
    its fragment registers of A (16xK, 4 registers), B (Kx8, 2 registers)
    and C (16x8, 4 accumulators) in the PTX ISA's fragment layout for the
    shape, and gets its 4 accumulators of D. `ab_type` picks the shape:
    f16 and bf16 (two elements packed per register, the first in the low
    half) m16n8k16; tf32 (one f32 per register, its low 13 bits ignored)
    m16n8k8; i8 (signed, four per register, saturating accumulation) and
    f8E4M3FN or f8E5M2 (four per register, sm_89 and later) m16n8k32. C
    and D are f32, or i32 for i8. All 32 lanes of the warp must execute it
    together (NVIDIA targets of sm_80 and later only).
  }];
  let arguments = (ins TypeAttr:$ab_type, Variadic<I32>:$a, Variadic<I32>:$b,
                   Variadic<AnyTypeOf<[F32, I32]>>:$c);
  let results = (outs Variadic<AnyTypeOf<[F32, I32]>>:$d);
  let assemblyFormat = [{
    $ab_type `a` `(` $a `)` `b` `(` $b `)` `c` `(` $c `:` type($c) `)` attr-dict
    `:` type($d)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// K of the instruction: 16 (f16, bf16), 8 (tf32) or 32 (8-bit).
    int64_t getK();
  }];
}

def KiteThread_WgmmaOp : KiteThread_Op<"wgmma", [
    MemoryEffects<[MemRead, MemWrite]>, AttrSizedOperandSegments]> {
  let summary = "a warpgroup's 64xN tile D = A * B + C on Hopper's tensor cores";
  let description = [{
    PTX `wgmma.mma_async.sync.aligned.m64nNkK` with A in registers and B in
    workgroup memory (sm_90a): the four warps of a warpgroup (128 threads)
    execute it together. Every thread passes its 4 registers of A, in
    mma.sync's A fragment layout of its warp's 16 rows (`ab_type` picks K as
    for mma_sync), and its N / 2 accumulators C, in the layout of N / 8
    mma.sync 16x8 tiles side by side (register 4 j + r of tile j). B is the
    K x N operand starting at element `b_index` of `buffer`: K-major (rows
    of N along K) or, with `b_transposed`, N-major; `b_swizzle` (32, 64 or
    128) is the byte width of its swizzled rows, `b_leading` and `b_stride`
    its descriptor's leading and stride byte offsets. The buffer must be
    aligned to 8 x `b_swizzle` bytes. Asynchronous: a wgmma_fence must come
    first, and D may be read only through a wgmma_wait after a
    wgmma_commit.

    With `a_buffer` instead of registers, A is read from workgroup memory
    too: the warpgroup's 64 x K rows, K-major, starting at element `a_index`
    (which may differ between warpgroups), with the same swizzle, leading
    and stride byte offsets as B (`a_swizzle`, `a_leading`, `a_stride`).
  }];
  let arguments = (ins TypeAttr:$ab_type, I64Attr:$n, Variadic<I32>:$a,
                   Optional<MemRefRankOf<[AnyType], [1]>>:$a_buffer,
                   Optional<I32>:$a_index, OptionalAttr<I64Attr>:$a_swizzle,
                   OptionalAttr<I64Attr>:$a_leading,
                   OptionalAttr<I64Attr>:$a_stride,
                   MemRefRankOf<[AnyType], [1]>:$buffer, I32:$b_index,
                   I64Attr:$b_swizzle, I64Attr:$b_leading, I64Attr:$b_stride,
                   UnitAttr:$b_transposed,
                   Variadic<AnyTypeOf<[F32, I32]>>:$c);
  let results = (outs Variadic<AnyTypeOf<[F32, I32]>>:$d);
  let assemblyFormat = [{
    $ab_type `a` `(` $a `)` (`a_desc` `(` $a_buffer^ `[` $a_index `]` `:`
    type($a_buffer) `)`)? `b` `(` $buffer `[` $b_index `]` `:` type($buffer)
    `)` `c` `(` $c `:` type($c) `)` attr-dict `:` type($d)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// K of the instruction: 16 (f16, bf16), 8 (tf32) or 32 (8-bit).
    int64_t getK();
  }];
}

def KiteThread_WgmmaFenceOp : KiteThread_Op<"wgmma_fence",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "orders register writes before wgmma";
  let description = [{
    `wgmma.fence.sync.aligned`: the registers of A and C are written before
    the next wgmma reads them.
  }];
  let assemblyFormat = "attr-dict";
}

def KiteThread_FenceAsyncSharedOp : KiteThread_Op<"fence_async_shared",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "the thread's workgroup-memory writes, visible to wgmma";
  let description = [{
    `fence.proxy.async.shared::cta`: the thread's writes to workgroup memory
    (stores, cp.async) are ordered before reads of the asynchronous proxy
    (wgmma's operands), once a barrier after the fence has made them
    everyone's.
  }];
  let assemblyFormat = "attr-dict";
}

def KiteThread_WgmmaCommitOp : KiteThread_Op<"wgmma_commit",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "closes the warpgroup's group of issued wgmmas";
  let description = [{ `wgmma.commit_group.sync.aligned`. }];
  let assemblyFormat = "attr-dict";
}

def KiteThread_WgmmaWaitOp : KiteThread_Op<"wgmma_wait",
    [MemoryEffects<[MemRead, MemWrite]>, AllTypesMatch<["values", "results"]>]> {
  let summary = "waits until at most `pending` wgmma groups are in flight";
  let description = [{
    `wgmma.wait_group.sync.aligned pending`; `values` (the accumulators of
    the groups waited for) come back as `results`, which only then may be
    read.
  }];
  let arguments = (ins I64Attr:$pending, Variadic<AnyType>:$values);
  let results = (outs Variadic<AnyType>:$results);
  let assemblyFormat = [{
    $pending (`(` $values^ `:` type($values) `)`)? attr-dict
  }];
}

def KiteThread_LdmatrixOp : KiteThread_Op<"ldmatrix",
    [MemoryEffects<[MemRead]>]> {
  let summary = "a warp loads 8x8 matrices of 16-bit elements from workgroup memory";
  let description = [{
    PTX `ldmatrix.sync.aligned.m8n8.x<count>.shared.b16`: lane l gives the
    element index (in `buffer`) of row l % 8 of matrix l / 8, a row being 16
    contiguous, 16-byte aligned bytes; lane l gets, from each matrix, the
    32-bit word (l % 4) of row l / 4. With 8- or 32-bit elements the same
    bytes make the fragments of m16n8k32 and m16n8k8. With `transpose`
    (`.trans`, 16-bit elements) lane l gets elements (2 (l % 4), l / 4) and
    (2 (l % 4) + 1, l / 4) of each matrix instead. All 32 lanes of the warp
    must execute it together (NVIDIA targets only).
  }];
  let arguments = (ins MemRefRankOf<[AnyType], [1]>:$buffer, I32:$index,
                   ConfinedAttr<I32Attr, [IntIsOneOf<[1, 2, 4]>]>:$count,
                   UnitAttr:$transpose);
  let results = (outs Variadic<I32>:$words);
  let assemblyFormat = [{
    $buffer `[` $index `]` attr-dict `:` type($buffer) `->` type($words)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Narrow float conversions in hardware (NVIDIA: PTX cvt). The thread
// lowering emits them only for a target that has them (ThreadGrid), around
// its exact software conversions (EmulatedFloats.cpp).
//===----------------------------------------------------------------------===//

def KiteThread_CvtPackOp : KiteThread_Op<"cvt_pack", [Pure]> {
  let summary = "round two f32 values to a narrow float format, packed";
  let description = [{
    Rounds `low` and `high` to nearest-even in `format` and packs their bits,
    `low`'s in the low half: f8E4M3FN and f8E5M2 into i16 (PTX
    `cvt.rn.satfinite.{e4m3x2,e5m2x2}.f32`, NVIDIA sm_89 and later), bf16
    into i32 (`cvt.rn.bf16x2.f32`, sm_80 and later). fp8 saturates: a
    magnitude above the largest finite value, infinity included, becomes
    the largest finite value with its sign; bf16 overflows to infinity. A
    NaN becomes some NaN of the format: which one is the target's (the PTX
    ISA does not say).
  }];
  let arguments = (ins TypeAttr:$format, F32:$low, F32:$high);
  let results = (outs AnyTypeOf<[I16, I32]>:$packed);
  let assemblyFormat = [{
    $format $low `,` $high attr-dict `:` type($packed)
  }];
  let hasVerifier = 1;
}

def KiteThread_CvtUnpackOp : KiteThread_Op<"cvt_unpack", [Pure]> {
  let summary = "two packed fp8 values as f16";
  let description = [{
    The two `format` codes of `packed` as f16, exactly, element 0 from the
    low byte: PTX `cvt.rn.f16x2.{e4m3x2,e5m2x2}` (f8E4M3FN, f8E5M2; NVIDIA
    sm_89 and later). A NaN code becomes some f16 NaN (the target's).
  }];
  let arguments = (ins TypeAttr:$format, I16:$packed);
  let results = (outs VectorOfLengthAndType<[2], [F16]>:$values);
  let assemblyFormat = "$format $packed attr-dict `:` type($values)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Asynchronous copies from global to workgroup memory (NVIDIA sm_80 and
// later: cp.async; the software pipeliner's loads)
//===----------------------------------------------------------------------===//

def KiteThread_AsyncCopyOp : KiteThread_Op<"async_copy",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "start copying 4, 8 or 16 bytes from global to workgroup memory";
  let description = [{
    PTX `cp.async.{ca,cg}.shared.global`: copies `bytes` bytes at address
    `src` to element `index` of `buffer`, both aligned to `bytes`, without
    waiting. Where `mask` is false nothing is read and the bytes are zeros.
    The copy belongs to the thread's next async_commit_group; its bytes are
    in the buffer once an async_wait_group has waited for that group.
  }];
  let arguments = (ins KiteThread_Address:$src,
                   MemRefRankOf<[AnyType], [1]>:$buffer, I32:$index,
                   Optional<I1>:$mask,
                   ConfinedAttr<I32Attr, [IntIsOneOf<[4, 8, 16]>]>:$bytes);
  let assemblyFormat = [{
    $src `,` $buffer `[` $index `]` (`,` $mask^)? `bytes` $bytes attr-dict
    `:` type($buffer)
  }];
  let hasVerifier = 1;
}

def KiteThread_AsyncCommitGroupOp : KiteThread_Op<"async_commit_group",
    [MemoryEffects<[MemWrite]>]> {
  let summary = "close the group of this thread's async copies so far";
  let assemblyFormat = "attr-dict";
}

def KiteThread_AsyncWaitGroupOp : KiteThread_Op<"async_wait_group",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "wait until at most `pending` of this thread's groups are in flight";
  let description = [{
    PTX `cp.async.wait_group`: the thread's own copies of the groups before
    the last `pending` are in workgroup memory. Other threads see them after
    a barrier.
  }];
  let arguments = (ins ConfinedAttr<I32Attr, [IntNonNegative]>:$pending);
  let assemblyFormat = "$pending attr-dict";
}

//===----------------------------------------------------------------------===//
// Hopper's tensor-copy engine (TMA) and the mbarriers its copies complete on
// (NVIDIA sm_90: the software pipeliner's loads of host tensor descriptors).
// An mbarrier is an i64 element of a workgroup buffer.
//===----------------------------------------------------------------------===//

def KiteThread_MbarrierInitOp : KiteThread_Op<"mbarrier_init",
    [MemoryEffects<[MemWrite]>]> {
  let summary = "initialise an mbarrier expecting `count` arrivals per phase";
  let description = [{ PTX `mbarrier.init.shared::cta.b64`, phase 0. }];
  let arguments = (ins MemRefRankOf<[I64], [1]>:$barriers, I32:$index,
                   ConfinedAttr<I32Attr, [IntPositive]>:$count);
  let assemblyFormat = [{
    $barriers `[` $index `]` `count` $count attr-dict `:` type($barriers)
  }];
}

def KiteThread_MbarrierInvalOp : KiteThread_Op<"mbarrier_inval",
    [MemoryEffects<[MemWrite]>]> {
  let summary = "invalidate an mbarrier, so that its memory may be initialised again";
  let arguments = (ins MemRefRankOf<[I64], [1]>:$barriers, I32:$index);
  let assemblyFormat = "$barriers `[` $index `]` attr-dict `:` type($barriers)";
}

def KiteThread_MbarrierArriveExpectTxOp : KiteThread_Op<"mbarrier_arrive_expect_tx",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "expect `bytes` more bytes of copies in the current phase, and arrive";
  let description = [{
    PTX `mbarrier.arrive.expect_tx.shared::cta.b64`: the phase completes
    once its arrivals are in and the copies that complete on the barrier
    have delivered these bytes.
  }];
  let arguments = (ins MemRefRankOf<[I64], [1]>:$barriers, I32:$index,
                   ConfinedAttr<I32Attr, [IntPositive]>:$bytes);
  let assemblyFormat = [{
    $barriers `[` $index `]` `bytes` $bytes attr-dict `:` type($barriers)
  }];
}

def KiteThread_MbarrierTryWaitOp : KiteThread_Op<"mbarrier_try_wait",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "whether the phase of parity `parity` has completed (may suspend a while)";
  let description = [{
    PTX `mbarrier.try_wait.parity.shared::cta.b64`; once true, what the
    phase's copies wrote is visible to the thread.
  }];
  let arguments = (ins MemRefRankOf<[I64], [1]>:$barriers, I32:$index, I32:$parity);
  let results = (outs I1:$done);
  let assemblyFormat = [{
    $barriers `[` $index `]` `parity` $parity attr-dict `:` type($barriers)
  }];
}

def KiteThread_TmaLoadOp : KiteThread_Op<"tma_load",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "start copying a box of a tensor map into workgroup memory";
  let description = [{
    PTX `cp.async.bulk.tensor.<rank>d.shared::cluster.global.tile.mbarrier::complete_tx::bytes`:
    the box at `coordinates` (innermost first) of the tensor map at address
    `map` is copied to element `index` of `buffer` (128-byte aligned),
    elements outside the tensor as zeros, and its bytes complete on the
    mbarrier `barriers[barrier]`.
  }];
  let arguments = (ins KiteThread_Address:$map, Variadic<I32>:$coordinates,
                   MemRefRankOf<[AnyType], [1]>:$buffer, I32:$index,
                   MemRefRankOf<[I64], [1]>:$barriers, I32:$barrier);
  let assemblyFormat = [{
    $map `[` $coordinates `]` `,` $buffer `[` $index `]` `,`
    $barriers `[` $barrier `]` attr-dict `:` type($buffer) `,` type($barriers)
  }];
  let hasVerifier = 1;
}

def KiteThread_TmaStoreOp : KiteThread_Op<"tma_store",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "start copying workgroup memory into a box of a tensor map";
  let description = [{
    PTX `cp.async.bulk.tensor.<rank>d.global.shared::cta.tile.bulk_group`:
    the box at `coordinates` (innermost first) of the tensor map at
    address `map` is written from element `index` of `buffer` (128-byte
    aligned; what lies outside the tensor is not written). The copy belongs
    to the thread's next bulk_commit_group; the buffer may be written again
    once bulk_wait_group_read has waited for it.
  }];
  let arguments = (ins KiteThread_Address:$map, Variadic<I32>:$coordinates,
                   MemRefRankOf<[AnyType], [1]>:$buffer, I32:$index);
  let assemblyFormat = [{
    $map `[` $coordinates `]` `,` $buffer `[` $index `]` attr-dict `:` type($buffer)
  }];
}

def KiteThread_BulkCommitGroupOp : KiteThread_Op<"bulk_commit_group",
    [MemoryEffects<[MemWrite]>]> {
  let summary = "close the group of this thread's bulk copies so far";
  let description = [{ PTX `cp.async.bulk.commit_group`. }];
  let assemblyFormat = "attr-dict";
}

def KiteThread_BulkWaitGroupReadOp : KiteThread_Op<"bulk_wait_group_read",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "wait until at most `pending` bulk groups still read their sources";
  let description = [{ PTX `cp.async.bulk.wait_group.read`. }];
  let arguments = (ins ConfinedAttr<I32Attr, [IntNonNegative]>:$pending);
  let assemblyFormat = "$pending attr-dict";
}

//===----------------------------------------------------------------------===//
// Programmatic dependent launch (kite.gdc_wait, kite.gdc_launch_dependents):
// PTX griddepcontrol on sm_90 and later; nothing on other targets.
//===----------------------------------------------------------------------===//

def KiteThread_GdcWaitOp : KiteThread_Op<"gdc_wait",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "wait for the grids this launch depends on";
  let assemblyFormat = "attr-dict";
}
def KiteThread_GdcLaunchDependentsOp : KiteThread_Op<"gdc_launch_dependents",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "let the grid launched after this one start";
  let assemblyFormat = "attr-dict";
}

//===----------------------------------------------------------------------===//
// Debugging
//===----------------------------------------------------------------------===//

def KiteThread_PrintOp : KiteThread_Op<"print",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "print a prefix and values from this thread";
  let description = [{
    `isUnsigned` (one flag per value, absent: none) marks unsigned integers;
    `hex` prints integers, and the bits of floats, in hexadecimal.
  }];
  let arguments = (ins StrAttr:$prefix,
                   DefaultValuedAttr<BoolAttr, "false">:$hex,
                   OptionalAttr<DenseBoolArrayAttr>:$isUnsigned,
                   Variadic<KiteThread_Value>:$args);
  let assemblyFormat = "$prefix attr-dict ($args^ `:` type($args))?";
}

def KiteThread_AssertOp : KiteThread_Op<"assert",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "report `message` and stop the kernel where cond is false";
  let description = [{
    `values` travel with the report where the target can carry them (the
    Vulkan debug buffer; CUDA's `__assertfail` takes the message only).
  }];
  let arguments = (ins I1:$cond, StrAttr:$message,
                   Variadic<KiteThread_Value>:$values);
  let assemblyFormat = [{
    $cond `,` $message attr-dict (`,` $values^ `:` type($values))?
  }];
  let builders = [
    OpBuilder<(ins "Value":$cond, "StringRef":$message), [{
      build($_builder, $_state, cond, message, ValueRange());
    }]>
  ];
}

#endif // KITETHREAD_OPS_TD
