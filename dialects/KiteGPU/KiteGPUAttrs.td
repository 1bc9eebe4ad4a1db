#ifndef KITEGPU_ATTRS_TD
#define KITEGPU_ATTRS_TD

include "mlir/IR/AttrTypeBase.td"
include "dialects/KiteGPU/KiteGPUDialect.td"
include "dialects/KiteGPU/KiteGPUAttrInterfaces.td"
include "mlir/IR/TensorEncoding.td"

class KiteGPU_Attr<string name, string attrMnemonic, list<Trait> traits = []>
    : AttrDef<KiteGPU_Dialect, name, traits> {
  let mnemonic = attrMnemonic;
  // `<{key = value, ...}>`, as Triton's TTGIR spells its layouts.
  let hasCustomAssemblyFormat = 1;
  let genVerifyDecl = 1;
}

def KiteGPU_BlockedLayout : KiteGPU_Attr<"BlockedLayout", "blocked",
    [DeclareAttrInterfaceMethods<KiteGPU_DistributedLayout>,
     DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let summary = "each thread holds a block of sizePerThread elements";
  let description = [{
    `#kitegpu.blocked<{sizePerThread = [1, 4], threadsPerWarp = [8, 4],
    warpsPerCTA = [4, 1], order = [1, 0]}>`: along each dimension a thread
    holds sizePerThread consecutive elements, threadsPerWarp threads and
    warpsPerCTA warps follow; `order` lists dimensions fastest first. Every
    entry is a power of two; the product of threadsPerWarp is the subgroup
    size, that of warpsPerCTA the number of warps.
  }];
  // The trailing underscore keeps the stored arrays' getters apart from the
  // DistributedLayout methods of the same name (which return SmallVectors).
  let parameters = (ins ArrayRefParameter<"unsigned">:$sizePerThread_,
                        ArrayRefParameter<"unsigned">:$threadsPerWarp_,
                        ArrayRefParameter<"unsigned">:$warpsPerCTA_,
                        ArrayRefParameter<"unsigned">:$order_);
}

def KiteGPU_SliceLayout : KiteGPU_Attr<"SliceLayout", "slice",
    [DeclareAttrInterfaceMethods<KiteGPU_DistributedLayout>,
     DeclareAttrInterfaceMethods<VerifiableTensorEncoding>]> {
  let summary = "the parent layout with one dimension removed";
  let description = [{
    `#kitegpu.slice<{dim = 1, parent = #blocked}>` is the layout of a
    reduction along `dim` of a tensor laid out as `parent`: the threads that
    held that dimension now hold copies of the same elements.
  }];
  let parameters = (ins "unsigned":$dim,
                        "::mlir::kitegpu::DistributedLayoutAttr":$parent);
}

def KiteGPU_SharedLayout : KiteGPU_Attr<"SharedLayout", "shared"> {
  let summary = "a swizzled layout of a buffer in shared memory";
  let description = [{
    `#kitegpu.shared<{vec = 4, perPhase = 1, maxPhase = 8, order = [1, 0]}>`:
    rows (along order[1]) are stored along order[0]; groups of `vec`
    elements of row r are XOR-swizzled by (r / perPhase) % maxPhase to avoid
    bank conflicts. vec = perPhase = maxPhase = 1 is no swizzling. With
    `slab = S` (printed when not 0) a row longer than S elements is cut
    into slabs of S: slab j of every row is stored together, row after row,
    before slab j + 1 (Hopper's wgmma reads a 128-byte swizzled operand only
    so: its rows 128 bytes apart). With `warpsM = W` (printed when not 0)
    the rows are stored in the order Hopper's wgmma reads an A operand
    through a descriptor for an accumulator with W warps along M (a
    multiple of 4): its 8-row blocks b = w + W (2 t + h) (warp w, tile row
    t, half h) are stored as block 8 (w / 4 + W / 4 t) + 2 (w % 4) + h,
    each warpgroup's 64 rows of a tile row together (emitPlacedRow).
  }];
  let parameters = (ins "unsigned":$vec, "unsigned":$perPhase,
                        "unsigned":$maxPhase,
                        ArrayRefParameter<"unsigned">:$order,
                        DefaultValuedParameter<"unsigned", "0">:$slab,
                        DefaultValuedParameter<"unsigned", "0">:$warpsM);
}

#endif // KITEGPU_ATTRS_TD
