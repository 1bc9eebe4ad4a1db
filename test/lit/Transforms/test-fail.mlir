// kite-test-fail (test only) fails at the first op of the given name, with an
// error there, or without one when silent; elsewhere it changes nothing.
// RUN: not kite-opt %s --split-input-file --kite-test-fail=op=arith.addf 2>&1 | FileCheck %s --check-prefix=LOUD
// RUN: not kite-opt %s --split-input-file --kite-test-fail="op=arith.addf silent=true" 2>&1 | FileCheck %s --allow-empty --check-prefix=SILENT
// RUN: kite-opt %s --split-input-file --kite-test-fail=op=arith.mulf | FileCheck %s --check-prefix=NONE

// LOUD: error: kite-test-fail: failing at 'arith.addf'
// SILENT-NOT: error: kite-test-fail
// NONE-LABEL: func.func @add
// NONE: arith.addf
func.func @add(%a: f32, %b: f32) -> f32 {
  %0 = arith.addf %a, %b : f32
  return %0 : f32
}
