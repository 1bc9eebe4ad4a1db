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

def KiteQuantizeDot : Pass<"kite-quantize-dot"> {
  let summary = "Dots of dequantized 8-bit operands run on the 8-bit values";
  let description = [{
    `dot(dequantize(a, sa), dequantize(b, sb), c)` with `a` and `b` int8 (no
    zero point) or one fp8 format, `sa` per row of a or per tensor, `sb`
    per column of b or per tensor, and an f32 result, becomes
    `c + dot(a, b, 0) * sa * sb` (i32 or f32 product), exact by algebra. In
    an `scf.for` that carries the accumulator, with scales defined outside
    the loop, the loop carries the unscaled product and the rescale happens
    once after it; scales loaded inside the loop (a group of K per
    iteration) rescale each iteration's product.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::kite::KiteDialect"];
}

def KiteExpandQuantization : Pass<"kite-expand-quantization"> {
  let summary = "kite.quantize and kite.dequantize as f32 arithmetic";
  let description = [{
    Quantize: `x / scale`, then to an integer type round to nearest-even,
    add the zero point, NaN to the zero point, saturate to [min, max],
    convert; to fp8 saturate to the largest finite value (NaN stays) and
    convert to nearest-even. Dequantize: `(q - zero_point) * scale` in f32,
    rounded once to the scale's type. Block scales are repeated to the
    source's shape by expand_dims, broadcast and reshape.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
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
