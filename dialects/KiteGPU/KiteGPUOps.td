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
  let summary = "read a shared-memory buffer into a distributed tensor";
  let arguments = (ins KiteGPU_MemDescType:$src);
  let results = (outs Kite_Tensor:$result);
  let assemblyFormat = [{
    $src attr-dict `:` qualified(type($src)) `->` type($result)
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
