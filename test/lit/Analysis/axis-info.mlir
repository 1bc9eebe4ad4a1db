// The axis-info analysis: contiguity, divisibility, constancy of each value.
// RUN: kite-opt %s --split-input-file --kite-test-axis-info 2>&1 | FileCheck %s

// CHECK-LABEL: remark: axis info of @vector_add
func.func @vector_add(%x: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %n: i32 {kite.divisibility = 16 : i32}) attributes {kite.kernel} {
  // CHECK: remark: contiguity = [1], divisibility = [1], constancy = [1]
  %pid = kite.program_id x : i32
  // CHECK: remark: contiguity = [1], divisibility = [1024], constancy = [1], constant = 1024
  %c1024 = arith.constant 1024 : i32
  // CHECK: remark: contiguity = [1], divisibility = [1024], constancy = [1]
  %start = arith.muli %pid, %c1024 : i32
  // CHECK: remark: contiguity = [1024], divisibility = [1073741824], constancy = [1]
  %r = kite.make_range 0 to 1024 : tensor<1024xi32>
  // CHECK: remark: contiguity = [1], divisibility = [1024], constancy = [1024]
  %s = kite.splat %start : i32 -> tensor<1024xi32>
  // CHECK: remark: contiguity = [1024], divisibility = [1024], constancy = [1]
  %off = arith.addi %s, %r : tensor<1024xi32>
  // CHECK: remark: contiguity = [1], divisibility = [16], constancy = [1024]
  %ns = kite.splat %n : i32 -> tensor<1024xi32>
  // A mask against a bound divisible by 16 is constant over runs of 16.
  // CHECK: remark: contiguity = [1], divisibility = [1], constancy = [16]
  %mask = arith.cmpi slt, %off, %ns : tensor<1024xi32>
  // CHECK: remark: contiguity = [1], divisibility = [16], constancy = [1024]
  %xs = kite.splat %x : !kite.ptr<f32> -> tensor<1024x!kite.ptr<f32>>
  // Addresses in bytes: offsets of f32 times 4.
  // CHECK: remark: contiguity = [1024], divisibility = [16], constancy = [1]
  %p = kite.addptr %xs, %off : tensor<1024x!kite.ptr<f32>>, tensor<1024xi32>
  %v = kite.load %p, %mask : tensor<1024x!kite.ptr<f32>>
  return
}

// -----

// CHECK-LABEL: remark: axis info of @transpose_offsets
func.func @transpose_offsets(%x: !kite.ptr<f16> {kite.divisibility = 16 : i32}, %stride: i32 {kite.divisibility = 16 : i32}) {
  // CHECK: remark: contiguity = [32]
  %rm = kite.make_range 0 to 32 : tensor<32xi32>
  // CHECK: remark: contiguity = [64]
  %rn = kite.make_range 0 to 64 : tensor<64xi32>
  // CHECK: remark: contiguity = [32, 1], divisibility = [1073741824, 1], constancy = [1, 1]
  %m = kite.expand_dims %rm axis = 1 : tensor<32xi32> -> tensor<32x1xi32>
  // CHECK: remark: contiguity = [1, 64], divisibility = [1, 1073741824], constancy = [1, 1]
  %n = kite.expand_dims %rn axis = 0 : tensor<64xi32> -> tensor<1x64xi32>
  // CHECK: remark: contiguity = [1, 1], divisibility = [16, 16], constancy = [32, 1]
  %ss = kite.splat %stride : i32 -> tensor<32x1xi32>
  // CHECK: remark: contiguity = [1, 1], divisibility = [16, 16], constancy = [1, 1]
  %ms = arith.muli %m, %ss : tensor<32x1xi32>
  // CHECK: remark: contiguity = [1, 1], divisibility = [16, 16], constancy = [1, 64]
  %mb = kite.broadcast %ms : tensor<32x1xi32> -> tensor<32x64xi32>
  // CHECK: remark: contiguity = [1, 64], divisibility = [1, 1073741824], constancy = [32, 1]
  %nb = kite.broadcast %n : tensor<1x64xi32> -> tensor<32x64xi32>
  // CHECK: remark: contiguity = [1, 64], divisibility = [1, 16], constancy = [1, 1]
  %off = arith.addi %mb, %nb : tensor<32x64xi32>
  %xs = kite.splat %x : !kite.ptr<f16> -> tensor<32x64x!kite.ptr<f16>>
  // Along dim 0 an element is only known to be f16-aligned (any column).
  // CHECK: remark: contiguity = [1, 64], divisibility = [2, 16], constancy = [1, 1]
  %p = kite.addptr %xs, %off : tensor<32x64x!kite.ptr<f16>>, tensor<32x64xi32>
  // CHECK: remark: contiguity = [64, 1], divisibility = [1073741824, 1], constancy = [1, 32]
  %t = kite.trans %nb order = [1, 0] : tensor<32x64xi32> -> tensor<64x32xi32>
  return
}

// -----

// multiple_of / max_contiguous hints from the frontend override the rules.
// CHECK-LABEL: remark: axis info of @hints
func.func @hints(%x: tensor<128xi32>) {
  // CHECK: remark: contiguity = [128], divisibility = [8], constancy = [1]
  %0 = arith.addi %x, %x {kite.contiguity = array<i32: 128>, kite.divisibility = array<i32: 8>} : tensor<128xi32>
  return
}

// -----

// CHECK-LABEL: remark: axis info of @div_rem
func.func @div_rem() {
  %r = kite.make_range 0 to 128 : tensor<128xi32>
  %c8 = arith.constant dense<8> : tensor<128xi32>
  // CHECK: remark: contiguity = [1], divisibility = [134217728], constancy = [8]
  %q = arith.divsi %r, %c8 : tensor<128xi32>
  // CHECK: remark: contiguity = [8], divisibility = [8], constancy = [1]
  %m = arith.remsi %r, %c8 : tensor<128xi32>
  // CHECK: remark: contiguity = [1], divisibility = [1], constancy = [1]
  %mm = arith.muli %r, %r : tensor<128xi32>
  // CHECK: remark: contiguity = [1], divisibility = [1], constancy = [1]
  %d = arith.addi %r, %r : tensor<128xi32>
  return
}

// -----

// A pointer advanced by a multiple of 32 elements each iteration keeps its
// runs and alignment; one advanced by 3 loses the alignment.
// CHECK-LABEL: remark: axis info of @loop
func.func @loop(%x: !kite.ptr<f32> {kite.divisibility = 16 : i32}, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = kite.make_range 0 to 64 : tensor<64xi32>
  %xs = kite.splat %x : !kite.ptr<f32> -> tensor<64x!kite.ptr<f32>>
  // CHECK: remark: contiguity = [64], divisibility = [16], constancy = [1]
  %p = kite.addptr %xs, %r : tensor<64x!kite.ptr<f32>>, tensor<64xi32>
  %step = arith.constant dense<32> : tensor<64xi32>
  %three = arith.constant dense<3> : tensor<64xi32>
  // CHECK: remark: #0 contiguity = [64], divisibility = [16], constancy = [1]
  // CHECK: remark: #1 contiguity = [64], divisibility = [4], constancy = [1]
  %a:2 = scf.for %i = %c0 to %n step %c1 iter_args(%q = %p, %u = %p) -> (tensor<64x!kite.ptr<f32>>, tensor<64x!kite.ptr<f32>>) {
    %q2 = kite.addptr %q, %step : tensor<64x!kite.ptr<f32>>, tensor<64xi32>
    %u2 = kite.addptr %u, %three : tensor<64x!kite.ptr<f32>>, tensor<64xi32>
    scf.yield %q2, %u2 : tensor<64x!kite.ptr<f32>>, tensor<64x!kite.ptr<f32>>
  }
  return
}

// -----

// A run aligned to 16 compares alike against a bound divisible by 16 with
// < and >= (the result flips at a run's start), not with <= and > (it flips
// one past the bound, inside a run); mirrored with the run on the right.
// CHECK-LABEL: remark: axis info of @compare_predicates
func.func @compare_predicates() attributes {kite.kernel} {
  // CHECK: remark: contiguity = [64]
  %r = kite.make_range 0 to 64 : tensor<64xi32>
  // CHECK: remark: contiguity = [1], divisibility = [16], constancy = [64], constant = 16
  %c = arith.constant dense<16> : tensor<64xi32>
  // CHECK: remark: contiguity = [1], divisibility = [1], constancy = [16]
  %lt = arith.cmpi slt, %r, %c : tensor<64xi32>
  // CHECK: remark: contiguity = [1], divisibility = [1], constancy = [16]
  %ge = arith.cmpi sge, %r, %c : tensor<64xi32>
  // CHECK: remark: contiguity = [1], divisibility = [1], constancy = [1]
  %le = arith.cmpi sle, %r, %c : tensor<64xi32>
  // CHECK: remark: contiguity = [1], divisibility = [1], constancy = [1]
  %gt = arith.cmpi sgt, %r, %c : tensor<64xi32>
  // CHECK: remark: contiguity = [1], divisibility = [1], constancy = [16]
  %c_gt = arith.cmpi ugt, %c, %r : tensor<64xi32>
  // CHECK: remark: contiguity = [1], divisibility = [1], constancy = [1]
  %c_lt = arith.cmpi ult, %c, %r : tensor<64xi32>
  return
}

// -----

// x % n, n a runtime value divisible by 16 (Triton's `(pid * BLOCK +
// arange(0, BLOCK)) % N`): runs of 16 stay runs, starting at multiples of 16.
// CHECK-LABEL: remark: axis info of @rem_by_a_divisible_value
func.func @rem_by_a_divisible_value(%n: i32 {kite.divisibility = 16 : i32}) attributes {kite.kernel} {
  // CHECK: remark: contiguity = [1], divisibility = [1], constancy = [1]
  %pid = kite.program_id x : i32
  // CHECK: remark: contiguity = [1], divisibility = [128], constancy = [1], constant = 128
  %c128 = arith.constant 128 : i32
  // CHECK: remark: contiguity = [1], divisibility = [128], constancy = [1]
  %start = arith.muli %pid, %c128 : i32
  // CHECK: remark: contiguity = [128], divisibility = [1073741824], constancy = [1]
  %r = kite.make_range 0 to 128 : tensor<128xi32>
  // CHECK: remark: contiguity = [1], divisibility = [128], constancy = [128]
  %s = kite.splat %start : i32 -> tensor<128xi32>
  // CHECK: remark: contiguity = [128], divisibility = [128], constancy = [1]
  %off = arith.addi %s, %r : tensor<128xi32>
  // CHECK: remark: contiguity = [1], divisibility = [16], constancy = [128]
  %ns = kite.splat %n : i32 -> tensor<128xi32>
  // CHECK: remark: contiguity = [16], divisibility = [16], constancy = [1]
  %wrapped = arith.remsi %off, %ns : tensor<128xi32>
  // A divisor that is not constant along the runs: nothing.
  // CHECK: remark: contiguity = [1], divisibility = [1], constancy = [1]
  %odd = arith.remsi %off, %off : tensor<128xi32>
  return
}

// -----

// Signed % and // truncate toward zero: a run of dividends that may be
// negative keeps only element-wise facts ([-32, -25] % 8 is 0, -7, ..., -1;
// [-32, -25] // 8 is -4, -3, ..., -3); unsigned % keeps its runs (2^32 is a
// multiple of 8). A dividend known non-negative (make_range, program_id, a
// kl.assume(x >= 0) of a scalar, what is computed from those) keeps them.
// CHECK-LABEL: remark: axis info of @signed_runs
func.func @signed_runs(%n: i32 {kite.divisibility = 16 : i32}, %s: i32) attributes {kite.kernel} {
  // CHECK: remark: contiguity = [128], divisibility = [1073741824], constancy = [1], non-negative
  %r = kite.make_range 0 to 128 : tensor<128xi32>
  %c32 = arith.constant dense<32> : tensor<128xi32>
  %c8 = arith.constant dense<8> : tensor<128xi32>
  // CHECK: remark: contiguity = [128], divisibility = [32], constancy = [1]{{$}}
  %x = arith.subi %r, %c32 : tensor<128xi32>
  // CHECK: remark: contiguity = [1], divisibility = [1], constancy = [1]{{$}}
  %m8 = arith.remsi %x, %c8 : tensor<128xi32>
  %ns = kite.splat %n : i32 -> tensor<128xi32>
  // CHECK: remark: contiguity = [1], divisibility = [1], constancy = [1]{{$}}
  %mn = arith.remsi %x, %ns : tensor<128xi32>
  // CHECK: remark: contiguity = [1], divisibility = [1], constancy = [1]{{$}}
  %q = arith.divsi %x, %c8 : tensor<128xi32>
  // CHECK: remark: contiguity = [8], divisibility = [8], constancy = [1], non-negative
  %u = arith.remui %x, %c8 : tensor<128xi32>
  %zero = arith.constant 0 : i32
  %ok = arith.cmpi sge, %s, %zero : i32
  kite.assume %ok
  %c128 = arith.constant 128 : i32
  // CHECK: remark: contiguity = [1], divisibility = [128], constancy = [1], non-negative
  %start = arith.muli %s, %c128 : i32
  %ss = kite.splat %start : i32 -> tensor<128xi32>
  // CHECK: remark: contiguity = [128], divisibility = [128], constancy = [1], non-negative
  %y = arith.addi %ss, %r : tensor<128xi32>
  // CHECK: remark: contiguity = [16], divisibility = [16], constancy = [1], non-negative
  %my = arith.remsi %y, %ns : tensor<128xi32>
  // CHECK: remark: contiguity = [1], divisibility = [16], constancy = [8], non-negative
  %qy = arith.divsi %y, %c8 : tensor<128xi32>
  return
}
