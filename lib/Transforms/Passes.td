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

#endif // KITE_TRANSFORMS_PASSES_TD
