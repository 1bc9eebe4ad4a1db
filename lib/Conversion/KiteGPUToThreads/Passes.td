#ifndef KITE_CONVERSION_KITEGPUTOTHREADS_PASSES_TD
#define KITE_CONVERSION_KITEGPUTOTHREADS_PASSES_TD

include "mlir/Pass/PassBase.td"

def KiteGPUCheckThreadLimits
    : Pass<"kitegpu-check-thread-limits", "::mlir::ModuleOp"> {
  let summary = "Refuse tensors that give a thread more elements than the "
                "target allows";
  let description = [{
    Runs before `convert-kitegpu-to-threads`, which gives every element a
    thread holds a register of its own: a tensor whose layout gives one
    thread more than `max-elements-per-thread` elements is an error at the
    op that makes it, naming the op, the count and the limit (instead of
    minutes of compilation and a driver that runs out of memory). The
    limits per target are in docs/lowering.md; 0 checks nothing.
  }];
  let options = [
    Option<"maxElementsPerThread", "max-elements-per-thread", "unsigned",
           /*default=*/"4096",
           "the most elements of one tensor a thread may hold">
  ];
}

def ConvertKiteGPUToThreads
    : Pass<"convert-kitegpu-to-threads", "::mlir::ModuleOp"> {
  let summary = "Distribute tiles with layouts over threads (thread-level IR)";
  let description = [{
    Turns the kernel of a kitegpu module into what one thread runs: every
    tensor becomes the registers its layout gives a thread (a 1:N type
    conversion, registers in the layout's order), `!kite.ptr` becomes an i64
    address, kernel arguments become `kitethread.kernel_arg`, and tile ops
    become per-register arith/math/scf, `gpu.thread_id`/`gpu.shuffle`/
    `gpu.barrier`, workgroup `memref`s and kitethread memory primitives.
    Sets `kitethread.num-threads` (num-warps x threads-per-warp),
    `kitethread.arg-types` and `kitethread.shared-bytes`. The plan is in
    docs/lowering.md.
  }];
  let options = [
    Option<"maxVectorElements", "max-vector-elements", "unsigned",
           /*default=*/"4",
           "the most elements one vector load or store moves (at most 16 "
           "bytes either way): 4 for SPIR-V, whose vectors have 4 components "
           "at most; 16 for NVPTX, which moves 8 f16 or 16 i8 in one 128-bit "
           "access">,
    Option<"maxWorkgroupBytes", "max-workgroup-bytes", "int64_t",
           /*default=*/"32768",
           "the workgroup (shared) memory one program may use, from the "
           "target: Vulkan's maxComputeSharedMemorySize, the opt-in shared "
           "memory per block of an NVIDIA architecture; an op whose buffers "
           "need more is an error at the op (0: unchecked). 32768 for "
           "targets without a device (docs/lowering.md)">,
    Option<"tensorCores", "tensor-cores", "int64_t", /*default=*/"0",
           "the compute capability (80 for sm_80) of an NVIDIA target with "
           "mma.sync, 0 for none: a dot whose operands and shape allow it "
           "becomes kitethread.mma_sync instead of an FMA loop; bf16 (from "
           "80) and e4m3/e5m2 (from 89) conversions use kitethread.cvt_pack "
           "and cvt_unpack">,
    Option<"fuseDequantize", "fuse-dequantize", "std::string",
           /*default=*/"\"unshared\"",
           "which tensor-core dot operands decoded from narrow codes in "
           "workgroup memory are evaluated at their mma fragments instead "
           "of staged again at 16 bits: unshared (an operand no other warp "
           "decodes again, or both where both decode cheaply), always, "
           "never">,
    Option<"warpgroupMma", "warpgroup-mma", "bool", /*default=*/"false",
           "Hopper's wgmma (sm_90a): a dot whose warps go in fours along M and whose b is in workgroup memory becomes kitethread.wgmma">
  ];
  let dependentDialects = [
    "::mlir::kitethread::KiteThreadDialect", "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect", "::mlir::vector::VectorDialect",
    "::mlir::arith::ArithDialect", "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect"];
}

def CheckMemoryAccesses
    : Pass<"kitethread-check-memory-accesses", "::mlir::ModuleOp"> {
  let summary = "Bound every global load, store and atomic to its allocation";
  let description = [{
    Runs on thread-level IR (after convert-kitegpu-to-threads). The launch
    gets hidden i64 arguments after the kernel's own: for each pointer
    argument (`kitethread.pointer-args`) the begin and the size in bytes of
    the allocation it points into, then the address and entry count of a
    table of all live allocations (sorted `[begin, end)` pairs, entry 0 being
    `[0, 0)`). An access whose address derives from pointer argument i
    (PointerProvenance.h) must lie within that argument's allocation; any
    other address (loaded from memory, computed from two pointers) within
    one allocation of the table, found by binary search (the module then
    gets `kitethread.allocation-table`). The check joins the access's mask,
    once per vector access (so vector widths stay), and a
    `kitethread.assert` marked `kitethread.memory_check` reports the active
    accesses that fail it, naming the argument and the kernel.
  }];
  let dependentDialects = [
    "::mlir::kitethread::KiteThreadDialect", "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect"];
}

#endif // KITE_CONVERSION_KITEGPUTOTHREADS_PASSES_TD
