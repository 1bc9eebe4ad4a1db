// print becomes vprintf with the promoted values in a local buffer; assert a
// branch to __assertfail with the op's file and line.
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-nvvm | FileCheck %s

// CHECK-DAG: llvm.func @vprintf(!llvm.ptr, !llvm.ptr) -> i32
// CHECK-DAG: llvm.mlir.global internal constant @__kite_str_{{.*}}("pid (%u, %u, %u) thread %u: p 100%% = %d %lld %f %d\0A\00")
// CHECK-LABEL: llvm.func @print(
// CHECK: llvm.fpext %{{.*}} : f16 to f64
// CHECK: %[[BUF:.*]] = llvm.alloca %{{.*}} x !llvm.struct<(i32, i32, i32, i32, i32, i64, f64, i32)>
// CHECK: llvm.call @vprintf(%{{.*}}, %[[BUF]])
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @print() attributes {kite.kernel} {
    %x = kitethread.kernel_arg 0 : i64
    %h = kitethread.kernel_arg 1 : f16
    %p = kitethread.program_id x : i32
    %b = arith.constant true
    kitethread.print "p 100% = " %p, %x, %h, %b : i32, i64, f16, i1
    return
  }
}

// -----

// CHECK-DAG: llvm.func @__assertfail(!llvm.ptr, !llvm.ptr, i32, !llvm.ptr, i64)
// CHECK-DAG: @__kite_str_{{.*}}("x must be positive\00")
// CHECK-DAG: @__kite_str_{{.*}}("kernel.py\00")
// CHECK-LABEL: llvm.func @check(
// CHECK: llvm.cond_br %{{.*}}, ^[[AFTER:.*]], ^[[FAIL:.*]]
// CHECK: ^[[FAIL]]:
// CHECK: %[[LINE:.*]] = llvm.mlir.constant(7 : i32) : i32
// CHECK: llvm.call @__assertfail(%{{.*}}, %{{.*}}, %[[LINE]], %{{.*}}, %{{.*}})
// CHECK: llvm.br ^[[AFTER]]
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @check() attributes {kite.kernel} {
    %p = kitethread.program_id x : i32
    %z = arith.constant 0 : i32
    %c = arith.cmpi sgt, %p, %z : i32
    kitethread.assert %c, "x must be positive" loc("kernel.py":7:5)
    return
  }
}

// -----

// CUDA's printf takes 32 arguments at most: 30 values are two lines, 28
// values and 2, each with the header.
// CHECK-DAG: @__kite_str_{{.*}}("pid (%u, %u, %u) thread %u: many %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d\0A\00")
// CHECK-DAG: @__kite_str_{{.*}}("pid (%u, %u, %u) thread %u: many %d %d\0A\00")
// CHECK-LABEL: llvm.func @many(
// CHECK: llvm.alloca %{{.*}} x !llvm.struct<(i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32)>
// CHECK: llvm.call @vprintf
// CHECK: llvm.alloca %{{.*}} x !llvm.struct<(i32, i32, i32, i32, i32, i32)>
// CHECK: llvm.call @vprintf
// CHECK-NOT: llvm.call @vprintf
// CHECK: llvm.return
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @many() attributes {kite.kernel} {
    %p = kitethread.program_id x : i32
    kitethread.print "many " %p, %p, %p, %p, %p, %p, %p, %p, %p, %p, %p, %p, %p, %p, %p, %p, %p, %p, %p, %p, %p, %p, %p, %p, %p, %p, %p, %p, %p, %p : i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32
    return
  }
}

// -----

// Unsigned integers print as %u, hex ones (and the bits of floats) as 0x%x.
// CHECK-DAG: @__kite_str_{{.*}}("pid (%u, %u, %u) thread %u: k %u %llu %u\0A\00")
// CHECK-DAG: @__kite_str_{{.*}}("pid (%u, %u, %u) thread %u: h 0x%x 0x%x 0x%llx\0A\00")
// CHECK-LABEL: llvm.func @kinds(
// CHECK: llvm.zext %{{.*}} : i8 to i32
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @kinds() attributes {kite.kernel} {
    %u = kitethread.kernel_arg 0 : i32
    %l = kitethread.kernel_arg 1 : i64
    %b = kitethread.kernel_arg 2 : i8
    %f = kitethread.kernel_arg 3 : f32
    %d = kitethread.kernel_arg 4 : f64
    kitethread.print "k " {isUnsigned = array<i1: true, true, true>} %u, %l, %b : i32, i64, i8
    kitethread.print "h " {hex = true} %u, %f, %d : i32, f32, f64
    return
  }
}
