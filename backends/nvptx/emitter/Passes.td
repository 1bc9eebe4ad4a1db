#ifndef KITE_BACKENDS_NVPTX_EMITTER_PASSES_TD
#define KITE_BACKENDS_NVPTX_EMITTER_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertKiteThreadToNVVM
    : Pass<"convert-kitethread-to-nvvm", "::mlir::ModuleOp"> {
  let summary = "Thread-level IR to the LLVM dialect with NVVM";
  let description = [{
    Turns a module of thread-level IR (one `func.func` marked `kite.kernel`
    in `arith`, `math`, `scf`, `gpu`, `vector`, workgroup `memref` and
    `kitethread`) into an `llvm.func` marked `nvvm.kernel` whose parameters
    are the launch arguments in order (pointers are i64 device addresses),
    with `nvvm.maxntid = kitethread.num-threads`. Workgroup memrefs become
    shared memory (address space 3), global accesses loads and stores in
    address space 1: masked loads predicated `ld.global` (inline PTX), masked
    stores and atomics branches (docs/nvptx-emitter.md).
  }];
  let options = [
    Option<"chip", "chip", "std::string", /*default=*/"\"sm_80\"",
           "the architecture the code is for (sm_80, sm_90a, ...): atomics "
           "are single acq_rel atom instructions from sm_70 on">,
    Option<"fpFusion", "fp-fusion", "bool", /*default=*/"true",
           "let floating-point multiplies and the adds or subtracts using "
           "them fuse into FMAs (rounded once), as Triton's enable_fp_fusion">
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::NVVM::NVVMDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::cf::ControlFlowDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

#endif // KITE_BACKENDS_NVPTX_EMITTER_PASSES_TD
