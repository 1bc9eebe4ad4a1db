#ifndef KITE_DIALECT_TD
#define KITE_DIALECT_TD

include "mlir/IR/OpBase.td"

def Kite_Dialect : Dialect {
  let name = "kite";
  let cppNamespace = "::mlir::kite";
  let summary = "Tile-level kernels: blocks of numbers and of global pointers";
  let description = [{
    A Kite kernel is a `func.func` marked `kite.kernel` whose values are
    scalars or statically shaped tensors ("blocks"). Element-wise math uses
    `arith` and `math`, control flow `scf`; this dialect adds the program
    grid, pointers, memory access, block shape manipulation, `dot`,
    reductions and scans. See docs/kite-dialect.md.
  }];
  // Folders materialize `arith.constant`; canonicalization creates arith ops.
  let dependentDialects = ["::mlir::arith::ArithDialect"];
  let useDefaultTypePrinterParser = 1;
  let hasConstantMaterializer = 1;
  let hasOperationAttrVerify = 1;
  let hasRegionArgAttrVerify = 1;
  let extraClassDeclaration = [{
    static constexpr ::llvm::StringLiteral getKernelAttrName() {
      return ::llvm::StringLiteral("kite.kernel");
    }
    static constexpr ::llvm::StringLiteral getDivisibilityAttrName() {
      return ::llvm::StringLiteral("kite.divisibility");
    }
  }];
}

#endif // KITE_DIALECT_TD
