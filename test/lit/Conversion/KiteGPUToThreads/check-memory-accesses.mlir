// Checked addressing: every global access is bounded by its allocation.
// RUN: kite-opt %s --split-input-file --kitethread-check-memory-accesses | FileCheck %s

// A vector load through a pointer argument plus an offset: the check joins
// the mask once for the vector, the assert names the argument and kernel.
// The hidden arguments follow the kernel's own: [begin, size] per pointer,
// then the table's address and count.
// CHECK: module attributes {"kitethread.arg-types" = [i64, i32, i64, i64, i64, i64], "kitethread.pointer-args" = array<i32: 0>}
// CHECK-LABEL: func.func @add
// CHECK-DAG: %[[BEGIN:.*]] = kitethread.kernel_arg 2 : i64
// CHECK-DAG: %[[SIZE:.*]] = kitethread.kernel_arg 3 : i64
// CHECK: %[[FITS:.*]] = arith.cmpi uge, %[[SIZE]], %c16_i64
// CHECK: %[[ROOM:.*]] = arith.addi
// CHECK: %[[LIMIT:.*]] = arith.select %[[FITS]], %[[ROOM]], %c0_i64
// CHECK: %[[ADDR:.*]] = arith.addi
// CHECK: %[[OFF:.*]] = arith.subi %[[ADDR]], %[[BEGIN]]
// CHECK: %[[OK:.*]] = arith.cmpi ult, %[[OFF]], %[[LIMIT]]
// CHECK: %[[ACTIVE:.*]] = arith.andi %{{.*}}, %[[OK]]
// The report carries the byte offset, the allocation's size, the element size.
// CHECK: kitethread.assert %{{.*}}, "out-of-bounds load from 'x_ptr' in kernel 'add'" {kitethread.memory_check}, %[[OFF]], %[[SIZE]], %c4_i32 : i64, i64, i32
// CHECK: kitethread.load %[[ADDR]], %[[ACTIVE]] align 16 : vector<4xf32>
// CHECK-NOT: scf.while
module attributes {"kitethread.arg-types" = [i64, i32],
                   "kitethread.pointer-args" = array<i32: 0>} {
func.func @add() attributes {kite.kernel} {
  %x = kitethread.kernel_arg 0 : i64 loc("x_ptr")
  %n = kitethread.kernel_arg 1 : i32
  %c16 = arith.constant 16 : i64
  %pid = kitethread.program_id x : i32
  %wide = arith.extsi %pid : i32 to i64
  %off = arith.muli %wide, %c16 : i64
  %addr = arith.addi %x, %off : i64
  %mask = arith.cmpi slt, %pid, %n : i32
  %v = kitethread.load %addr, %mask align 16 : vector<4xf32>
  return
}
}

// -----

// A pointer carried through a loop keeps its argument; a store has no mask
// of its own, so the check becomes its mask.
// CHECK-LABEL: func.func @loop
// CHECK: scf.for
// CHECK: kitethread.assert %{{.*}}, "out-of-bounds store to 'argument 0' in kernel 'loop'"
// CHECK: kitethread.store %{{.*}}, %{{.*}}, %{{.*}} align 4 : f32
// CHECK-NOT: scf.while
module attributes {"kitethread.arg-types" = [i64],
                   "kitethread.pointer-args" = array<i32: 0>} {
func.func @loop() attributes {kite.kernel} {
  %y = kitethread.kernel_arg 0 : i64
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c4 = arith.constant 4 : i64
  %one = arith.constant 1.0 : f32
  %end = scf.for %i = %c0 to %c8 step %c1 iter_args(%p = %y) -> (i64) {
    kitethread.store %p, %one align 4 : f32
    %next = arith.addi %p, %c4 : i64
    scf.yield %next : i64
  }
  return
}
}

// -----

// A pointer loaded from memory (an array of pointers) derives from no
// argument: it is looked up in the table of live allocations by binary
// search, and the module says that the launch must pass the table.
// CHECK: module attributes {"kitethread.allocation-table", "kitethread.arg-types" = [i64, i64, i64, i64, i64]
// CHECK-LABEL: func.func @table
// CHECK: %[[TABLE:.*]] = kitethread.kernel_arg 3 : i64
// CHECK: %[[COUNT:.*]] = kitethread.kernel_arg 4 : i64
// CHECK: kitethread.assert %{{.*}}, "out-of-bounds load from 'ptrs' in kernel 'table'"
// CHECK: %[[P:.*]] = kitethread.load
// CHECK: scf.while ({{.*}}%[[COUNT]])
// CHECK: arith.cmpi ule, %{{.*}}, %[[P]]
// CHECK: kitethread.assert %{{.*}}, "out-of-bounds load from an address in no Kite allocation{{.*}}, %[[P]] : i64
// CHECK: kitethread.load %[[P]], %{{.*}} align 4 : f32
module attributes {"kitethread.arg-types" = [i64],
                   "kitethread.pointer-args" = array<i32: 0>} {
func.func @table() attributes {kite.kernel} {
  %ptrs = kitethread.kernel_arg 0 : i64 loc("ptrs")
  %p = kitethread.load %ptrs align 8 : i64
  %v = kitethread.load %p align 4 : f32
  return
}
}

// -----

// The sum of two pointers, or two arguments merged by a select, belongs to
// neither; a compare-and-swap (no mask) runs only where it is in bounds.
// CHECK-LABEL: func.func @mixed
// CHECK: scf.while
// CHECK: kitethread.assert %{{.*}}, "out-of-bounds store to an address in no Kite allocation
// CHECK: kitethread.assert %{{.*}}, "out-of-bounds atomic on 'b'
// CHECK: %[[R:.*]] = scf.if %{{.*}} -> (i32) {
// CHECK:   kitethread.atomic_cas
// CHECK: } else {
// CHECK:   scf.yield %c0_i32 : i32
module attributes {"kitethread.arg-types" = [i64, i64, i1],
                   "kitethread.pointer-args" = array<i32: 0, 1>} {
func.func @mixed() attributes {kite.kernel} {
  %a = kitethread.kernel_arg 0 : i64 loc("a")
  %b = kitethread.kernel_arg 1 : i64 loc("b")
  %c = kitethread.kernel_arg 2 : i1
  %either = arith.select %c, %a, %b : i64
  %one = arith.constant 1 : i32
  kitethread.store %either, %one align 4 : i32
  %old = kitethread.atomic_cas %b, %one, %one : i32
  return
}
}

