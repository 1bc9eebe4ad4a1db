#ifndef KITEGPU_ATTR_INTERFACES_TD
#define KITEGPU_ATTR_INTERFACES_TD

include "mlir/IR/OpBase.td"

// Every layout that spreads a tensor over registers, threads and warps
// (blocked and slice today; mma and dot_operand later) answers these
// questions. The thread-level lowering uses only this interface.
def KiteGPU_DistributedLayout : AttrInterface<"DistributedLayoutAttr"> {
  let cppNamespace = "::mlir::kitegpu";
  let description = [{
    A layout of a tensor over the threads of one program (a CTA). For each
    dimension, a thread holds `sizePerThread` consecutive elements; the
    threads of a warp and the warps of the CTA tile the tensor in `order`
    (fastest dimension first). A tensor larger than one tile repeats it in
    more registers; a smaller one is replicated over threads.
  }];
  let methods = [
    InterfaceMethod<"The rank of the tensors this layout applies to.",
      "unsigned", "getRank">,
    InterfaceMethod<"Consecutive elements a thread holds, per dimension.",
      "::llvm::SmallVector<unsigned>", "getSizePerThread">,
    InterfaceMethod<"Threads of a warp along each dimension.",
      "::llvm::SmallVector<unsigned>", "getThreadsPerWarp">,
    InterfaceMethod<"Warps of a CTA along each dimension.",
      "::llvm::SmallVector<unsigned>", "getWarpsPerCTA">,
    InterfaceMethod<"Dimensions from fastest to slowest varying.",
      "::llvm::SmallVector<unsigned>", "getOrder">,
    InterfaceMethod<[{
        Registers of one thread along each dimension for a tensor of
        `shape`: the tile repeats, each repetition sizePerThread elements.
      }], "::llvm::SmallVector<int64_t>", "getElemsPerThread",
      (ins "::llvm::ArrayRef<int64_t>":$shape)>,
    InterfaceMethod<[{
        The tensor coordinates of register `reg` of the thread `lane` of warp
        `warp`, for a tensor of `shape`. Registers count sizePerThread
        elements fastest, then tile repetitions, both in `order`.
      }], "::llvm::SmallVector<int64_t>", "getElementCoords",
      (ins "::llvm::ArrayRef<int64_t>":$shape, "unsigned":$lane,
           "unsigned":$warp, "unsigned":$reg)>,
  ];
  let extraSharedClassDeclaration = [{
    /// Registers a thread holds for a tensor of `shape`.
    int64_t getTotalElemsPerThread(::llvm::ArrayRef<int64_t> shape) {
      int64_t total = 1;
      for (int64_t n : $_attr.getElemsPerThread(shape))
        total *= n;
      return total;
    }
  }];
}

#endif // KITEGPU_ATTR_INTERFACES_TD
