// Masked loads: one inline PTX statement each, `other` (or zero) moved into
// the destination registers and the load predicated on the mask; no branch.
// RUN: kite-opt %s --split-input-file --convert-kitethread-to-nvvm | FileCheck %s

// A 16-byte vector, constant `other`: immediates, one ld.global.v4.b32.
// CHECK-LABEL: llvm.func @vector_constant_other
// CHECK-NOT: llvm.cond_br
// CHECK: %[[R:.*]] = llvm.inline_asm has_side_effects asm_dialect = att "mov.b32 $0, 0x3f800000;\0Amov.b32 $1, 0x3f800000;\0Amov.b32 $2, 0x3f800000;\0Amov.b32 $3, 0x3f800000;\0A@$4 ld.global.v4.b32 {$0, $1, $2, $3}, [$5 + 0];\0A", "=r,=r,=r,=r,b,l" %{{.*}}, %arg0 : (i1, i64) -> !llvm.struct<(i32, i32, i32, i32)>
// CHECK-COUNT-4: llvm.extractvalue %[[R]]
// CHECK: llvm.bitcast %{{.*}} : vector<4xi32> to vector<4xf32>
// CHECK-NOT: llvm.cond_br
// CHECK: llvm.return
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @vector_constant_other() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %n = kitethread.kernel_arg 1 : i32
    %pid = kitethread.program_id x : i32
    %m = arith.cmpi slt, %pid, %n : i32
    %ones = arith.constant dense<1.0> : vector<4xf32>
    %v = kitethread.load %a, %m other %ones align 16 : vector<4xf32>
    kitethread.store %a, %v align 16 : vector<4xf32>
    return
  }
}

// -----

// f16 without `other`: zero in a 16-bit register.
// CHECK-LABEL: llvm.func @half_zero
// CHECK: %[[H:.*]] = llvm.inline_asm has_side_effects asm_dialect = att "mov.b16 $0, 0x0;\0A@$1 ld.global.b16 $0, [$2 + 0];\0A", "=h,b,l" %{{.*}}, %arg0 : (i1, i64) -> i16
// CHECK: llvm.bitcast %[[H]] : i16 to f16
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @half_zero() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %n = kitethread.kernel_arg 1 : i32
    %pid = kitethread.program_id x : i32
    %m = arith.cmpi slt, %pid, %n : i32
    %v = kitethread.load %a, %m align 2 : f16
    kitethread.store %a, %v align 2 : f16
    return
  }
}

// -----

// A byte (i8, fp8 bits, booleans) with `other` in a register: loaded into a
// 16-bit register, `other` widened into it and the result narrowed.
// CHECK-LABEL: llvm.func @byte_register_other
// CHECK: %[[W:.*]] = llvm.zext %{{.*}} : i8 to i16
// CHECK: %[[B:.*]] = llvm.inline_asm has_side_effects asm_dialect = att "mov.b16 $0, $3;\0A@$1 ld.global.b8 $0, [$2 + 0];\0A", "=h,b,l,h" %{{.*}}, %arg0, %[[W]] : (i1, i64, i16) -> i16
// CHECK: llvm.trunc %[[B]] : i16 to i8
module attributes {"kitethread.num-threads" = 32 : i32,
                   "kitethread.arg-types" = [i64, i32, i8]} {
  func.func @byte_register_other() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %n = kitethread.kernel_arg 1 : i32
    %o = kitethread.kernel_arg 2 : i8
    %pid = kitethread.program_id x : i32
    %m = arith.cmpi slt, %pid, %n : i32
    %v = kitethread.load %a, %m other %o align 1 : i8
    kitethread.store %a, %v align 1 : i8
    return
  }
}

// -----

// Per-element `other`, constant in some words and not in others: f16 pairs
// share a 32-bit word; a word with a register half is a register.
// CHECK-LABEL: llvm.func @per_element_other
// CHECK: llvm.bitcast %{{.*}} : vector<8xf16> to vector<4xi32>
// CHECK: llvm.inline_asm has_side_effects asm_dialect = att "mov.b32 $0, 0x3c000000;\0Amov.b32 $1, $6;\0Amov.b32 $2, 0xbc00c000;\0Amov.b32 $3, 0x0;\0A@$4 ld.global.v4.b32 {$0, $1, $2, $3}, [$5 + 0];\0A", "=r,=r,=r,=r,b,l,r"
// CHECK-SAME: -> !llvm.struct<(i32, i32, i32, i32)>
// CHECK: llvm.bitcast %{{.*}} : vector<4xi32> to vector<8xf16>
module attributes {"kitethread.num-threads" = 32 : i32,
                   "kitethread.arg-types" = [i64, i32, f16]} {
  func.func @per_element_other() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %n = kitethread.kernel_arg 1 : i32
    %x = kitethread.kernel_arg 2 : f16
    %pid = kitethread.program_id x : i32
    %m = arith.cmpi slt, %pid, %n : i32
    %zero = arith.constant 0.0 : f16
    %one = arith.constant 1.0 : f16
    %two = arith.constant -2.0 : f16
    %mone = arith.constant -1.0 : f16
    %o = vector.from_elements %zero, %one, %x, %zero, %two, %mone, %zero, %zero : vector<8xf16>
    %v = kitethread.load %a, %m other %o align 16 : vector<8xf16>
    kitethread.store %a, %v align 16 : vector<8xf16>
    return
  }
}

// -----

// A vector aligned less than its size: one load per aligned piece (PTX
// faults on a vector access not aligned to the whole vector).
// CHECK-LABEL: llvm.func @underaligned
// CHECK: "mov.b32 $0, 0x0;\0Amov.b32 $1, 0x0;\0Amov.b32 $2, 0x0;\0Amov.b32 $3, 0x0;\0A@$4 ld.global.v2.b32 {$0, $1}, [$5 + 0];\0A@$4 ld.global.v2.b32 {$2, $3}, [$5 + 8];\0A"
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @underaligned() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %n = kitethread.kernel_arg 1 : i32
    %pid = kitethread.program_id x : i32
    %m = arith.cmpi slt, %pid, %n : i32
    %v = kitethread.load %a, %m align 8 : vector<4xf32>
    kitethread.store %a, %v align 8 : vector<4xf32>
    return
  }
}

// -----

// CHECK-LABEL: llvm.func @underaligned_words
// CHECK: "mov.b16 $0, 0x0;\0Amov.b16 $1, 0x0;\0A@$2 ld.global.b16 $0, [$3 + 0];\0A@$2 ld.global.b16 $1, [$3 + 2];\0A", "=h,=h,b,l"
// CHECK: llvm.bitcast %{{.*}} : vector<2xi16> to f32
module attributes {"kitethread.num-threads" = 32 : i32} {
  func.func @underaligned_words() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %n = kitethread.kernel_arg 1 : i32
    %pid = kitethread.program_id x : i32
    %m = arith.cmpi slt, %pid, %n : i32
    %v = kitethread.load %a, %m align 2 : f32
    kitethread.store %a, %v align 4 : f32
    return
  }
}

// -----

// f64 and i64: two 32-bit words, one ld.global.v2.b32.
// CHECK-LABEL: llvm.func @double_other
// CHECK: llvm.bitcast %{{.*}} : f64 to vector<2xi32>
// CHECK: "mov.b32 $0, $4;\0Amov.b32 $1, $5;\0A@$2 ld.global.v2.b32 {$0, $1}, [$3 + 0];\0A", "=r,=r,b,l,r,r"
// CHECK: llvm.bitcast %{{.*}} : vector<2xi32> to f64
module attributes {"kitethread.num-threads" = 32 : i32,
                   "kitethread.arg-types" = [i64, i32, f64]} {
  func.func @double_other() attributes {kite.kernel} {
    %a = kitethread.kernel_arg 0 : i64
    %n = kitethread.kernel_arg 1 : i32
    %o = kitethread.kernel_arg 2 : f64
    %pid = kitethread.program_id x : i32
    %m = arith.cmpi slt, %pid, %n : i32
    %v = kitethread.load %a, %m other %o align 8 : f64
    kitethread.store %a, %v align 8 : f64
    return
  }
}
