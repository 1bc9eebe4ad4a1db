#ifndef KITE_CONVERSION_KITETOKITEGPU_PASSES_TD
#define KITE_CONVERSION_KITETOKITEGPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertKiteToKiteGPU : Pass<"convert-kite-to-kitegpu", "::mlir::ModuleOp"> {
  let summary = "Give every tensor a blocked layout";
  let description = [{
    Records `kitegpu.num-warps` and `kitegpu.threads-per-warp` on the module
    and gives every tensor the default blocked layout of its shape (one
    element per thread, threads then warps along the fastest dimension,
    order [rank-1, ..., 0]), in functions, scf regions and loop-carried
    values alike. Reductions produce slice layouts; transposes produce the
    permuted layout of their source; expand_dims takes a slice of its
    result's layout and broadcast its result's layout. `convert_layout`
    goes wherever a value's layout and its use's differ.
  }];
  let options = [
    Option<"numWarps", "num-warps", "unsigned", "4",
           "Warps per program (CTA)">,
    Option<"threadsPerWarp", "threads-per-warp", "unsigned", "32",
           "Threads per warp: the target's subgroup size (8 on lavapipe)">,
    Option<"tensorCores", "tensor-cores", "int64_t", /*default=*/"0",
           "the compute capability (80 for sm_80) of an NVIDIA target with "
           "mma.sync, 0 for none: a dot that will run on it gets the layout "
           "of its accumulators">,
    Option<"warpgroupMma", "warpgroup-mma", "bool", /*default=*/"false",
           "Hopper's wgmma (sm_90a): a dot's warps go in fours along M">,
  ];
  let dependentDialects = ["::mlir::kitegpu::KiteGPUDialect"];
}

def KiteGPUCoalesce : Pass<"kitegpu-coalesce", "::mlir::ModuleOp"> {
  let summary = "Pick layouts for coalesced, vectorized memory accesses";
  let description = [{
    For each load, store and atomic on a tensor of pointers, uses the axis
    info of the pointers to pick a blocked layout whose order starts with
    the most contiguous dimension and whose sizePerThread along it is the
    widest access up to 128 bits that contiguity and alignment allow (and
    that the number of elements per thread leaves room for). The operands
    are converted to that layout and the results back; the
    kitegpu-remove-layout-conversions pass then removes what it can.
  }];
  let dependentDialects = ["::mlir::kitegpu::KiteGPUDialect"];
}

def KiteGPURemoveLayoutConversions
    : Pass<"kitegpu-remove-layout-conversions", "::mlir::ModuleOp"> {
  let summary = "Remove the convert_layout ops that are not needed";
  let description = [{
    Folds conversions that cancel or chain; builds splats, ranges and
    constants directly in the layout they are converted to; and moves a
    conversion above element-wise ops, broadcast and expand_dims (which
    then compute in the converted layout) when every operand it meets is
    such a cheap value or another conversion, so that conversions meet and
    fold away. No pattern undoes another's move, so the rewrite reaches a
    fixed point; should it ever take more than max-iterations rounds, the
    pass keeps the conversions left and warns instead of failing.
  }];
  let options = [
    Option<"maxIterations", "max-iterations", "int64_t", "10",
           "Rounds of rewriting before the pass stops and keeps the "
           "conversions left (with a warning); it reaches a fixed point "
           "well before">,
  ];
  let dependentDialects = ["::mlir::kitegpu::KiteGPUDialect"];
}

def KiteGPUSoftwarePipeline
    : Pass<"kitegpu-software-pipeline", "::mlir::ModuleOp"> {
  let summary = "Software-pipeline the loads that feed dots with async copies";
  let description = [{
    In an scf.for whose body loads the operands of a kite.dot, each such
    load becomes an async_copy into one of num-stages - 1 slots of a
    shared-memory buffer, issued num-stages - 1 iterations ahead (a
    prologue issues the first ones, masked off past the loop's end), and a
    local_load of its slot after an async_wait. Where the slots would need
    more shared memory than the target has, fewer stages are used. Every
    loop with a dot gets `kitegpu.pipeline`: what was done, or why not.
  }];
  let options = [
    Option<"numStages", "num-stages", "unsigned", "1",
           "How many iterations' loads are in flight (Triton's num_stages); "
           "1 or less: no pipelining">,
    Option<"tensorCores", "tensor-cores", "int64_t", /*default=*/"0",
           "the compute capability of an NVIDIA target (80 for sm_80): "
           "asynchronous copies need 80 or more">,
    Option<"maxWorkgroupBytes", "max-workgroup-bytes", "int64_t",
           /*default=*/"0",
           "shared memory a program may use (0: any): a loop whose slots "
           "would need more is pipelined less deep, or not at all">,
    Option<"warpgroupMma", "warpgroup-mma", "bool", /*default=*/"false",
           "Hopper's wgmma (sm_90a): operand rows longer than 128 bytes are staged in 128-byte slabs">,
  ];
  let dependentDialects = ["::mlir::kitegpu::KiteGPUDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::gpu::GPUDialect"];
}

def KiteGPUTmaStores : Pass<"kitegpu-tma-stores", "::mlir::ModuleOp"> {
  let summary = "Write host descriptors' stores with TMA (Hopper)";
  let description = [{
    A kite.store with a tensor map (a host descriptor's `store`) of a 2-D
    tile becomes a local_alloc of the tile in 128-byte swizzled slabs and a
    kitegpu.async_tma_store of it, where TMA boxes fit the tile and the
    kernel reads the map in no other boxes; the boxes are recorded in the
    kernel's `kite.tensor_maps`. Run on Hopper targets only.
  }];
  let dependentDialects = ["::mlir::kitegpu::KiteGPUDialect"];
}

#endif // KITE_CONVERSION_KITETOKITEGPU_PASSES_TD
