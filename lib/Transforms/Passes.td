#ifndef KITE_TRANSFORMS_PASSES_TD
#define KITE_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def KiteCombine : Pass<"kite-combine"> {
  let summary = "Peephole rewrites of the tile level";
  let description = [{
    - `addptr(addptr(p, a), b)` becomes `addptr(p, a + b)` (same offset type);
    - `dot(a, b, 0) + d` becomes `dot(a, b, d)` when the dot has no other use;
    - `select(m, load(p, m), o)` becomes `load(p, m, o)`;
    - `broadcast(splat(x))` becomes `splat(x)`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::kite::KiteDialect"];
}

def KiteTestFail : Pass<"kite-test-fail", "::mlir::ModuleOp"> {
  let summary = "Test only: fail at the first op of a given name";
  let description = [{
    Fails the pass at the first op named `op` (e.g. `arith.addf`), with an
    error at that op unless `silent` (a pass that fails without a
    diagnostic). Tests use it to check that a failing pass reaches the user
    with the kernel's name and the op's source line. Does nothing when no
    op has that name.
  }];
  let options = [
    Option<"opName", "op", "std::string", "",
           "The name of the op to fail at">,
    Option<"silent", "silent", "bool", "false",
           "Fail without emitting a diagnostic">,
  ];
}

#endif // KITE_TRANSFORMS_PASSES_TD
