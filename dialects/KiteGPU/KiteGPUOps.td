#ifndef KITEGPU_OPS_TD
#define KITEGPU_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "dialects/KiteGPU/KiteGPUDialect.td"
include "dialects/KiteGPU/KiteGPUAttrs.td"
include "dialects/KiteGPU/KiteGPUTypes.td"
include "dialects/Kite/KiteTypes.td"

class KiteGPU_Op<string mnemonic, list<Trait> traits = []>
    : Op<KiteGPU_Dialect, mnemonic, traits>;

def KiteGPU_SharedMemory : Resource<"::mlir::kitegpu::SharedMemory">;

def KiteGPU_ConvertLayoutOp : KiteGPU_Op<"convert_layout", [Pure]> {
  let summary = "move a tensor to another layout";
  let description = [{
    Same shape and element type, another encoding. Lowered through shared
    memory (or shuffles) unless the two layouts place elements alike.
  }];
  let arguments = (ins Kite_Tensor:$src);
  let results = (outs Kite_Tensor:$result);
  let assemblyFormat = "$src attr-dict `:` type($src) `->` type($result)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def KiteGPU_LocalAllocOp : KiteGPU_Op<"local_alloc",
    [MemoryEffects<[MemAlloc<KiteGPU_SharedMemory>,
                    MemWrite<KiteGPU_SharedMemory>]>]> {
  let summary = "a shared-memory buffer, optionally filled from a tensor";
  let arguments = (ins Optional<Kite_Tensor>:$src);
  let results = (outs KiteGPU_MemDescType:$result);
  let assemblyFormat = [{
    ($src^ `:` type($src))? attr-dict `->` qualified(type($result))
  }];
  let hasVerifier = 1;
}

def KiteGPU_LocalLoadOp : KiteGPU_Op<"local_load",
    [MemoryEffects<[MemRead<KiteGPU_SharedMemory>]>]> {
  let summary = "read a shared-memory buffer (or one slot of it) into a distributed tensor";
  let description = [{
    With `[%slot]`, the buffer's first dimension numbers slots and the
    result is slot `%slot` (the software pipeliner's multi-buffered
    operands).
  }];
  let arguments = (ins KiteGPU_MemDescType:$src, Optional<I32>:$slot);
  let results = (outs Kite_Tensor:$result);
  let assemblyFormat = [{
    $src (`[` $slot^ `]`)? attr-dict `:` qualified(type($src)) `->`
    type($result)
  }];
  let hasVerifier = 1;
}

def KiteGPU_AsyncCopyOp : KiteGPU_Op<"async_copy",
    [MemoryEffects<[MemRead, MemWrite<KiteGPU_SharedMemory>]>]> {
  let summary = "start copying a tensor from global memory into a slot of a buffer";
  let description = [{
    `kitegpu.async_copy %ptrs, %buffer[%slot], %mask`: what
    `kite.load %ptrs, %mask, 0` would read, written to slot `%slot` of
    `%buffer` (zeros where masked off) without waiting. The copy belongs
    to the next async_commit_group; async_wait makes it visible to every
    thread.
  }];
  let arguments = (ins Kite_Tensor:$ptrs, KiteGPU_MemDescType:$buffer,
                   I32:$slot, Optional<Kite_Tensor>:$mask);
  let assemblyFormat = [{
    $ptrs `,` $buffer `[` $slot `]` (`,` $mask^)? attr-dict `:` type($ptrs)
    (`,` type($mask)^)? `->` qualified(type($buffer))
  }];
  let hasVerifier = 1;
}

def KiteGPU_AsyncCommitGroupOp : KiteGPU_Op<"async_commit_group",
    [MemoryEffects<[MemWrite<KiteGPU_SharedMemory>]>]> {
  let summary = "close the group of the async copies issued so far";
  let assemblyFormat = "attr-dict";
}

def KiteGPU_AsyncWaitOp : KiteGPU_Op<"async_wait",
    [MemoryEffects<[MemRead<KiteGPU_SharedMemory>,
                    MemWrite<KiteGPU_SharedMemory>]>]> {
  let summary = "wait until at most `pending` groups of copies are in flight";
  let description = [{
    The copies of every group but the last `pending` are in their buffers,
    for every thread of the program.
  }];
  let arguments = (ins ConfinedAttr<I32Attr, [IntNonNegative]>:$pending);
  let assemblyFormat = "$pending attr-dict";
}

def KiteGPU_InitBarriersOp : KiteGPU_Op<"init_barriers",
    [MemoryEffects<[MemWrite<KiteGPU_SharedMemory>]>]> {
  let summary = "initialise a buffer of mbarriers, each expecting `count` arrivals";
  let description = [{
    One mbarrier per i64 element of `barriers`, in phase 0, seen by every
    thread of the program once the op is done (Hopper's TMA copies complete
    on them: async_tma_copy).
  }];
  let arguments = (ins KiteGPU_MemDescType:$barriers,
                   ConfinedAttr<I32Attr, [IntPositive]>:$count);
  let assemblyFormat = [{
    $barriers `count` $count attr-dict `:` qualified(type($barriers))
  }];
  let hasVerifier = 1;
}

def KiteGPU_InvalBarriersOp : KiteGPU_Op<"inval_barriers",
    [MemoryEffects<[MemWrite<KiteGPU_SharedMemory>]>]> {
  let summary = "invalidate a buffer of mbarriers once every thread is done with them";
  let arguments = (ins KiteGPU_MemDescType:$barriers);
  let assemblyFormat = "$barriers attr-dict `:` qualified(type($barriers))";
  let hasVerifier = 1;
}

def KiteGPU_AsyncTmaCopyOp : KiteGPU_Op<"async_tma_copy",
    [MemoryEffects<[MemRead, MemWrite<KiteGPU_SharedMemory>]>]> {
  let summary = "start copying a box of a tensor map into a slot of a buffer (TMA)";
  let description = [{
    `kitegpu.async_tma_copy %map[%c0, %c1], %buffer[%slot], %barriers, %active`:
    where `%active`, the tile at coordinates (%c0, %c1) (outermost first)
    of the tensor map at address `%map` is copied into slot `%slot` of
    `%buffer` (zeros outside the tensor), in the boxes planTmaBoxes finds
    for the buffer's layout, by one thread, which first arrives on
    mbarrier `%slot` of `%barriers` expecting the tile's bytes. Once that
    phase completes (wait_barrier) every thread sees the slot.
  }];
  let arguments = (ins I64:$map, Variadic<I32>:$coordinates,
                   KiteGPU_MemDescType:$buffer, I32:$slot,
                   KiteGPU_MemDescType:$barriers, I1:$active);
  let assemblyFormat = [{
    $map `[` $coordinates `]` `,` $buffer `[` $slot `]` `,` $barriers `,`
    $active attr-dict `:` qualified(type($buffer)) `,` qualified(type($barriers))
  }];
  let hasVerifier = 1;
}

def KiteGPU_AsyncTmaStoreOp : KiteGPU_Op<"async_tma_store",
    [MemoryEffects<[MemRead<KiteGPU_SharedMemory>, MemWrite]>]> {
  let summary = "write a shared buffer to a box of a tensor map (TMA)";
  let description = [{
    `kitegpu.async_tma_store %map[%c0, %c1], %buffer`: every thread's
    writes to the 2-D `%buffer` (rows contiguous) are made visible to the
    copy engine, then one thread writes it to the tile at (%c0, %c1)
    (outermost first) of the tensor map at address `%map`, in the boxes
    planTmaBoxes finds for its layout, skipping what lies outside the
    tensor, and waits until they have read the buffer; after the op every
    thread may write the buffer again.
  }];
  let arguments = (ins I64:$map, Variadic<I32>:$coordinates,
                   KiteGPU_MemDescType:$buffer);
  let assemblyFormat = [{
    $map `[` $coordinates `]` `,` $buffer attr-dict `:` qualified(type($buffer))
  }];
  let hasVerifier = 1;
}

def KiteGPU_WaitBarrierOp : KiteGPU_Op<"wait_barrier",
    [MemoryEffects<[MemRead<KiteGPU_SharedMemory>,
                    MemWrite<KiteGPU_SharedMemory>]>]> {
  let summary = "wait until phase `parity` of mbarrier `index` has completed";
  let arguments = (ins KiteGPU_MemDescType:$barriers, I32:$index, I32:$parity);
  let assemblyFormat = [{
    $barriers `[` $index `]` `,` $parity attr-dict `:` qualified(type($barriers))
  }];
  let hasVerifier = 1;
}

def KiteGPU_LocalStoreOp : KiteGPU_Op<"local_store",
    [MemoryEffects<[MemWrite<KiteGPU_SharedMemory>]>]> {
  let summary = "write a distributed tensor into a shared-memory buffer";
  let arguments = (ins Kite_Tensor:$src, KiteGPU_MemDescType:$dst);
  let assemblyFormat = [{
    $src `,` $dst attr-dict `:` type($src) `->` qualified(type($dst))
  }];
  let hasVerifier = 1;
}

#endif // KITEGPU_OPS_TD
