#ifndef KITETHREAD_DIALECT_TD
#define KITETHREAD_DIALECT_TD

include "mlir/IR/OpBase.td"

def KiteThread_Dialect : Dialect {
  let name = "kitethread";
  let cppNamespace = "::mlir::kitethread";
  let summary = "Thread-level primitives that each target's emitter lowers";
  let description = [{
    Thread-level IR is what one thread of a program runs: scalars and small
    vectors in upstream `arith`, `math`, `scf`, `gpu` (thread ids, shuffles,
    barriers) and workgroup `memref`s. This dialect adds the few primitives
    whose lowering differs per target: the program grid, launch arguments,
    global memory through i64 device addresses, atomics, print and assert.
    See docs/kitethread-dialect.md.
  }];
  let hasOperationAttrVerify = 1;
  let hasCanonicalizer = 1;
  let extraClassDeclaration = [{
    /// Module attribute: threads per program (i32).
    static constexpr ::llvm::StringLiteral getNumThreadsAttrName() {
      return ::llvm::StringLiteral("kitethread.num-threads");
    }
    /// Module attribute: the types of all launch arguments, in order
    /// (optional; needed when some argument is never read).
    static constexpr ::llvm::StringLiteral getArgTypesAttrName() {
      return ::llvm::StringLiteral("kitethread.arg-types");
    }
    /// Module attribute: bytes of workgroup memory the kernel uses (i32).
    static constexpr ::llvm::StringLiteral getSharedBytesAttrName() {
      return ::llvm::StringLiteral("kitethread.shared-bytes");
    }
    /// Module attribute: the indexes of the launch arguments that are
    /// pointers (i64 addresses like i64 integers at this level).
    static constexpr ::llvm::StringLiteral getPointerArgsAttrName() {
      return ::llvm::StringLiteral("kitethread.pointer-args");
    }
    /// Module attribute (unit): checked accesses read the table of live
    /// allocations (docs/runtime.md, "Memory safety").
    static constexpr ::llvm::StringLiteral getAllocationTableAttrName() {
      return ::llvm::StringLiteral("kitethread.allocation-table");
    }
  }];
}

#endif // KITETHREAD_DIALECT_TD
