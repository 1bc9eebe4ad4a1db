// Memory checks need to know which launch arguments are pointers.
// RUN: not kite-opt %s --kitethread-check-memory-accesses 2>&1 | FileCheck %s
// CHECK: memory checks need 'kitethread.pointer-args'
module attributes {"kitethread.arg-types" = [i64]} {
func.func @unknown() attributes {kite.kernel} {
  return
}
}
