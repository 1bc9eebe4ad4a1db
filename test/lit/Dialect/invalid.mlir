// Every verifier of the kite dialect, with its message.
// RUN: kite-opt %s --split-input-file --verify-diagnostics

func.func @program_id_axis() {
  // expected-error @+1 {{'kite.program_id' op axis must be 0, 1 or 2, got 3}}
  %0 = kite.program_id 3 : i32
  return
}

// -----

func.func @num_programs_axis() {
  // expected-error @+1 {{'kite.num_programs' op axis must be 0, 1 or 2, got -1}}
  %0 = "kite.num_programs"() <{axis = -1 : i32}> : () -> i32
  return
}

// -----

func.func @make_range_length() {
  // expected-error @+1 {{'kite.make_range' op result has 64 elements but the range [0, 128) has 128}}
  %0 = kite.make_range 0 to 128 : tensor<64xi32>
  return
}

// -----

func.func @make_range_power_of_two() {
  // expected-error @+1 {{'kite.make_range' op range length 96 is not a power of two}}
  %0 = kite.make_range 0 to 96 : tensor<96xi32>
  return
}

// -----

func.func @make_range_negative_start() {
  // expected-error @+1 {{'kite.make_range' op start must be non-negative, got -4}}
  %0 = kite.make_range -4 to 4 : tensor<8xi32>
  return
}

// -----

func.func @make_range_rank() {
  // expected-error @+1 {{'kite.make_range' op result must be 1-D, got 'tensor<2x4xi32>'}}
  %0 = kite.make_range 0 to 8 : tensor<2x4xi32>
  return
}

// -----

func.func @splat_element(%x: f32) {
  // expected-error @+1 {{'kite.splat' op result element type 'f16' differs from the splatted type 'f32'}}
  %0 = kite.splat %x : f32 -> tensor<16xf16>
  return
}

// -----

func.func @broadcast_dim(%x: tensor<2x8xf32>) {
  // expected-error @+1 {{'kite.broadcast' op cannot broadcast dimension 0 of size 2 to 4 (2x8 to 4x8)}}
  %0 = kite.broadcast %x : tensor<2x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @broadcast_rank(%x: tensor<8xf32>) {
  // expected-error @+1 {{'kite.broadcast' op source rank 1 differs from result rank 2 (use kite.expand_dims to add dimensions)}}
  %0 = kite.broadcast %x : tensor<8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @broadcast_element(%x: tensor<1x8xf32>) {
  // expected-error @+1 {{'kite.broadcast' op result element type 'i32' differs from the source element type 'f32'}}
  %0 = kite.broadcast %x : tensor<1x8xf32> -> tensor<4x8xi32>
  return
}

// -----

func.func @expand_dims_axis(%x: tensor<8xf32>) {
  // expected-error @+1 {{'kite.expand_dims' op axis 2 is out of range [0, 1]}}
  %0 = kite.expand_dims %x axis = 2 : tensor<8xf32> -> tensor<8x1xf32>
  return
}

// -----

func.func @expand_dims_shape(%x: tensor<8xf32>) {
  // expected-error @+1 {{'kite.expand_dims' op result shape 8x1 is not 8 with a 1 inserted at axis 0}}
  %0 = kite.expand_dims %x axis = 0 : tensor<8xf32> -> tensor<8x1xf32>
  return
}

// -----

func.func @reshape_count(%x: tensor<8x8xf32>) {
  // expected-error @+1 {{'kite.reshape' op cannot reshape 8x8 (64 elements) to 32 (32 elements)}}
  %0 = kite.reshape %x : tensor<8x8xf32> -> tensor<32xf32>
  return
}

// -----

func.func @trans_not_permutation(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'kite.trans' op order [1, 1] is not a permutation of [0, 2)}}
  %0 = kite.trans %x order = [1, 1] : tensor<4x8xf32> -> tensor<8x4xf32>
  return
}

// -----

func.func @trans_order_size(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'kite.trans' op order has 3 entries for a source of rank 2}}
  %0 = kite.trans %x order = [1, 0, 2] : tensor<4x8xf32> -> tensor<8x4xf32>
  return
}

// -----

func.func @trans_result(%x: tensor<4x8xf32>) {
  // expected-error @+1 {{'kite.trans' op result shape 4x8 is not 4x8 permuted by [1, 0]}}
  %0 = kite.trans %x order = [1, 0] : tensor<4x8xf32> -> tensor<4x8xf32>
  return
}

// -----

func.func @join_result_shape(%a: tensor<4x8xf32>) {
  // expected-error @+1 {{'kite.join' op result shape 4x16 is not the operand shape 4x8 with a last dimension 2}}
  %0 = kite.join %a, %a : tensor<4x8xf32> -> tensor<4x16xf32>
  return
}

// -----

func.func @join_scalar_result(%x: f32) {
  // expected-error @+1 {{'kite.join' op result shape 1x2 is not the operand shape scalar with a last dimension 2}}
  %0 = kite.join %x, %x : f32 -> tensor<1x2xf32>
  return
}

// -----

func.func @join_element_type(%a: tensor<8xf32>) {
  // expected-error @+1 {{'kite.join' op result element type 'f16' differs from the source element type 'f32'}}
  %0 = kite.join %a, %a : tensor<8xf32> -> tensor<8x2xf16>
  return
}

// -----

func.func @join_operand_types(%a: tensor<8xf32>, %b: tensor<8xf16>) {
  // expected-error @+1 {{'kite.join' op failed to verify that all of {lhs, rhs} have same type}}
  %0 = "kite.join"(%a, %b) : (tensor<8xf32>, tensor<8xf16>) -> tensor<8x2xf32>
  return
}

// -----

func.func @split_last_dim(%a: tensor<8x4xf32>) {
  // expected-error @+1 {{'kite.split' op source shape 8x4 does not end in a dimension 2}}
  %0:2 = kite.split %a : tensor<8x4xf32> -> tensor<8xf32>
  return
}

// -----

func.func @split_result_shape(%a: tensor<8x4x2xf32>) {
  // expected-error @+1 {{'kite.split' op result shape 8x4x1 is not the source shape 8x4x2 without its last dimension}}
  %0:2 = kite.split %a : tensor<8x4x2xf32> -> tensor<8x4x1xf32>
  return
}

// -----

func.func @split_to_rank0(%a: tensor<2xf32>) {
  // expected-error @+1 {{'kite.split' op result shape rank-0 is not the source shape 2 without its last dimension}}
  %0:2 = kite.split %a : tensor<2xf32> -> tensor<f32>
  return
}

// -----

func.func @split_element_type(%a: tensor<8x2xi32>) {
  // expected-error @+1 {{'kite.split' op result element type 'i64' differs from the source element type 'i32'}}
  %0:2 = kite.split %a : tensor<8x2xi32> -> tensor<8xi64>
  return
}

// -----

func.func @gather_rank(%s: tensor<4x8xf32>, %i: tensor<8xi32>) {
  // expected-error @+1 {{'kite.gather' op source shape 4x8 and index shape 8 differ in rank}}
  %0 = kite.gather %s[%i] axis = 0 : tensor<4x8xf32>, tensor<8xi32> -> tensor<8xf32>
  return
}

// -----

func.func @gather_axis(%s: tensor<4x8xf32>, %i: tensor<4x8xi32>) {
  // expected-error @+1 {{'kite.gather' op axis 2 is out of range for rank 2}}
  %0 = kite.gather %s[%i] axis = 2 : tensor<4x8xf32>, tensor<4x8xi32> -> tensor<4x8xf32>
  return
}

// -----

func.func @gather_negative_axis(%s: tensor<8xf32>, %i: tensor<8xi32>) {
  // expected-error @+1 {{'kite.gather' op axis -1 is out of range for rank 1}}
  %0 = kite.gather %s[%i] axis = -1 : tensor<8xf32>, tensor<8xi32> -> tensor<8xf32>
  return
}

// -----

func.func @gather_other_dim(%s: tensor<4x8xf32>, %i: tensor<2x16xi32>) {
  // expected-error @+1 {{'kite.gather' op index shape 2x16 differs from the source shape 4x8 in dimension 0, which is not the axis}}
  %0 = kite.gather %s[%i] axis = 1 : tensor<4x8xf32>, tensor<2x16xi32> -> tensor<2x16xf32>
  return
}

// -----

func.func @gather_float_index(%s: tensor<8xf32>, %i: tensor<8xf32>) {
  // expected-error @+1 {{'kite.gather' op index must be a block of integers, got 'f32'}}
  %0 = kite.gather %s[%i] axis = 0 : tensor<8xf32>, tensor<8xf32> -> tensor<8xf32>
  return
}

// -----

func.func @gather_bool_index(%s: tensor<8xf32>, %i: tensor<8xi1>) {
  // expected-error @+1 {{'kite.gather' op index must be a block of integers, got 'i1'}}
  %0 = kite.gather %s[%i] axis = 0 : tensor<8xf32>, tensor<8xi1> -> tensor<8xf32>
  return
}

// -----

func.func @gather_result_shape(%s: tensor<4x8xf32>, %i: tensor<4x2xi32>) {
  // expected-error @+1 {{'kite.gather' op result shape 4x8 is not the index shape 4x2}}
  %0 = kite.gather %s[%i] axis = 1 : tensor<4x8xf32>, tensor<4x2xi32> -> tensor<4x8xf32>
  return
}

// -----

func.func @gather_element_type(%s: tensor<8xf32>, %i: tensor<8xi32>) {
  // expected-error @+1 {{'kite.gather' op result element type 'f16' differs from the source element type 'f32'}}
  %0 = kite.gather %s[%i] axis = 0 : tensor<8xf32>, tensor<8xi32> -> tensor<8xf16>
  return
}

// -----

func.func @addptr_shape(%p: tensor<64x!kite.ptr<f32>>, %o: tensor<32xi32>) {
  // expected-error @+1 {{'kite.addptr' op shapes of ptr (64) and offset (32) differ}}
  %0 = kite.addptr %p, %o : tensor<64x!kite.ptr<f32>>, tensor<32xi32>
  return
}

// -----

func.func @addptr_scalar_offset(%p: tensor<64x!kite.ptr<f32>>, %o: i32) {
  // expected-error @+1 {{'kite.addptr' op shapes of ptr (64) and offset (scalar) differ}}
  %0 = kite.addptr %p, %o : tensor<64x!kite.ptr<f32>>, i32
  return
}

// -----

func.func @load_mask_shape(%p: tensor<64x!kite.ptr<f32>>, %m: tensor<32xi1>) {
  // expected-error @+1 {{'kite.load' op shapes of ptr (64) and mask (32) differ}}
  %0 = "kite.load"(%p, %m) <{operandSegmentSizes = array<i32: 1, 1, 0, 0, 0>}> : (tensor<64x!kite.ptr<f32>>, tensor<32xi1>) -> tensor<64xf32>
  return
}

// -----

func.func @load_other_without_mask(%p: tensor<64x!kite.ptr<f32>>, %x: tensor<64xf32>) {
  // expected-error @+1 {{'kite.load' op 'other' requires a mask}}
  %0 = "kite.load"(%p, %x) <{operandSegmentSizes = array<i32: 1, 0, 1, 0, 0>}> : (tensor<64x!kite.ptr<f32>>, tensor<64xf32>) -> tensor<64xf32>
  return
}

// -----

func.func @load_result_element(%p: tensor<64x!kite.ptr<f32>>) {
  // expected-error @+1 {{'kite.load' op result element type 'f16' differs from the pointee type 'f32'}}
  %0 = "kite.load"(%p) <{operandSegmentSizes = array<i32: 1, 0, 0, 0, 0>}> : (tensor<64x!kite.ptr<f32>>) -> tensor<64xf16>
  return
}

// -----

func.func @load_result_shape(%p: tensor<64x!kite.ptr<f32>>) {
  // expected-error @+1 {{'kite.load' op shapes of ptr (64) and result (scalar) differ}}
  %0 = "kite.load"(%p) <{operandSegmentSizes = array<i32: 1, 0, 0, 0, 0>}> : (tensor<64x!kite.ptr<f32>>) -> f32
  return
}

// -----

func.func @load_other_type(%p: tensor<64x!kite.ptr<f32>>, %m: tensor<64xi1>, %x: tensor<64xi32>) {
  // expected-error @+1 {{'kite.load' op 'other' has type 'tensor<64xi32>' but the loaded values have type 'tensor<64xf32>'}}
  %0 = "kite.load"(%p, %m, %x) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<64x!kite.ptr<f32>>, tensor<64xi1>, tensor<64xi32>) -> tensor<64xf32>
  return
}

// -----

func.func @load_not_a_pointer(%x: tensor<64xf32>) {
  // expected-error @+1 {{expected a !kite.ptr or a tensor of them, got 'tensor<64xf32>'}}
  %0 = kite.load %x : tensor<64xf32>
  return
}

// -----

func.func @store_value(%p: tensor<64x!kite.ptr<f32>>, %x: tensor<64xi32>) {
  // expected-error @+1 {{'kite.store' op value element type 'i32' differs from the pointee type 'f32'}}
  "kite.store"(%p, %x) <{operandSegmentSizes = array<i32: 1, 1, 0, 0, 0>}> : (tensor<64x!kite.ptr<f32>>, tensor<64xi32>) -> ()
  return
}

// -----

func.func @store_mask_shape(%p: tensor<64x!kite.ptr<f32>>, %x: tensor<64xf32>, %m: i1) {
  // expected-error @+1 {{'kite.store' op shapes of ptr (64) and mask (scalar) differ}}
  "kite.store"(%p, %x, %m) <{operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<64x!kite.ptr<f32>>, tensor<64xf32>, i1) -> ()
  return
}

// -----

func.func @store_without_ptr(%x: tensor<64xf32>, %m: tensor<64xi1>) {
  // expected-error @+1 {{'kite.store' op needs a ptr operand}}
  "kite.store"(%x, %m) <{operandSegmentSizes = array<i32: 0, 1, 1, 0, 0>}> : (tensor<64xf32>, tensor<64xi1>) -> ()
  return
}

// -----

func.func @atomic_fadd_on_ints(%p: !kite.ptr<i32>, %x: i32) {
  // expected-error @+1 {{'kite.atomic_rmw' op 'fadd' needs float values, got 'i32'}}
  %0 = kite.atomic_rmw fadd, %p, %x : !kite.ptr<i32>
  return
}

// -----

func.func @atomic_max_on_floats(%p: !kite.ptr<f32>, %x: f32) {
  // expected-error @+1 {{'kite.atomic_rmw' op 'max' needs integer values, got 'f32'}}
  %0 = kite.atomic_rmw max, %p, %x : !kite.ptr<f32>
  return
}

// -----

func.func @atomic_result_type(%p: !kite.ptr<f32>, %x: f32) {
  // expected-error @+1 {{'kite.atomic_rmw' op result type 'f16' differs from the type of val 'f32'}}
  %0 = "kite.atomic_rmw"(%p, %x) <{operandSegmentSizes = array<i32: 1, 1, 0>, rmw_op = 1 : i32}> : (!kite.ptr<f32>, f32) -> f16
  return
}

// -----

func.func @atomic_unknown_op(%p: !kite.ptr<f32>, %x: f32) {
  // expected-error @+1 {{unknown atomic_rmw operation 'mul'}}
  %0 = kite.atomic_rmw mul, %p, %x : !kite.ptr<f32>
  return
}

// -----

func.func @atomic_unknown_ordering(%p: !kite.ptr<f32>, %x: f32) {
  // expected-error @+1 {{expected an ordering (relaxed, acquire, release, acq_rel) or a scope (gpu, cta, sys), got 'seq_cst'}}
  %0 = kite.atomic_rmw xchg seq_cst, %p, %x : !kite.ptr<f32>
  return
}

// -----

func.func @atomic_scope_after_ordering(%p: !kite.ptr<i32>, %x: i32) {
  // expected-error @+1 {{expected a scope (gpu, cta, sys), got 'device'}}
  %0 = kite.atomic_cas relaxed device, %p, %x, %x : !kite.ptr<i32>
  return
}

// -----

func.func @atomic_rmw_op_value(%p: !kite.ptr<f32>, %x: f32) {
  // expected-error @+1 {{Invalid attribute `rmw_op` in property conversion: 12 : i32}}
  %0 = "kite.atomic_rmw"(%p, %x) <{operandSegmentSizes = array<i32: 1, 1, 0>, rmw_op = 12 : i32}> : (!kite.ptr<f32>, f32) -> f32
  return
}

// -----

func.func @atomic_cas_cmp(%p: !kite.ptr<i32>, %c: i64, %x: i32) {
  // expected-error @+1 {{'kite.atomic_cas' op cmp element type 'i64' differs from the pointee type 'i32'}}
  %0 = "kite.atomic_cas"(%p, %c, %x) : (!kite.ptr<i32>, i64, i32) -> i32
  return
}

// -----

func.func @fp_to_fp_shape(%x: tensor<16xf32>) {
  // expected-error @+1 {{'kite.fp_to_fp' op shapes of source (16) and result (8) differ}}
  %0 = kite.fp_to_fp %x : tensor<16xf32> -> tensor<8xf8E5M2>
  return
}

// -----

func.func @fp4_to_fp_codes(%x: tensor<16xi16>) {
  // expected-error @+1 {{'kite.fp4_to_fp' op decodes codes held in i8, not 'tensor<16xi16>'}}
  %0 = kite.fp4_to_fp %x : tensor<16xi16> -> tensor<16xf32>
  return
}

// -----

func.func @fp4_to_fp_result(%x: tensor<16xi8>) {
  // expected-error @+1 {{'kite.fp4_to_fp' op decodes to f32, f16 or bf16, not 'f64'}}
  %0 = kite.fp4_to_fp %x : tensor<16xi8> -> tensor<16xf64>
  return
}

// -----

func.func @fp4_to_fp_shape(%x: tensor<16xi8>) {
  // expected-error @+1 {{'kite.fp4_to_fp' op all non-scalar operands/results must have the same shape and base type}}
  %0 = kite.fp4_to_fp %x : tensor<16xi8> -> tensor<8xf32>
  return
}

// -----

func.func @fp_to_fp_rtz_to_fnuz(%x: tensor<16xf32>) {
  // expected-error @+1 {{'kite.fp_to_fp' op cannot round toward zero to 'f8E4M3FNUZ' (only to nearest-even)}}
  %0 = kite.fp_to_fp %x rounding = rtz : tensor<16xf32> -> tensor<16xf8E4M3FNUZ>
  return
}

// -----

func.func @fp_to_fp_rtz_to_scale(%x: tensor<16xbf16>) {
  // expected-error @+1 {{'kite.fp_to_fp' op cannot round toward zero to 'f8E8M0FNU' (only to nearest-even)}}
  %0 = kite.fp_to_fp %x rounding = rtz : tensor<16xbf16> -> tensor<16xf8E8M0FNU>
  return
}

// -----

func.func @fp_to_fp_rtz_widening(%x: tensor<16xf8E5M2FNUZ>) {
  // expected-error @+1 {{'kite.fp_to_fp' op rounds toward zero, but 'f8E5M2FNUZ' -> 'f32' does not narrow}}
  %0 = kite.fp_to_fp %x rounding = rtz : tensor<16xf8E5M2FNUZ> -> tensor<16xf32>
  return
}

// -----

func.func @ptr_to_int_shape(%p: tensor<16x!kite.ptr<f32>>) {
  // expected-error @+1 {{'kite.ptr_to_int' op shapes of source (16) and result (scalar) differ}}
  %0 = kite.ptr_to_int %p : tensor<16x!kite.ptr<f32>> -> i64
  return
}

// -----

func.func @int_to_ptr_width(%x: i32) {
  // expected-error @+1 {{'kite.int_to_ptr' op operand #0 must be}}
  %0 = kite.int_to_ptr %x : i32 -> !kite.ptr<f32>
  return
}

// -----

func.func @bitcast_width(%x: tensor<16xf32>) {
  // expected-error @+1 {{'kite.bitcast' op bit widths differ: 'f32' is 32 bits, 'i16' is 16 bits}}
  %0 = kite.bitcast %x : tensor<16xf32> -> tensor<16xi16>
  return
}

// -----

func.func @bitcast_ptr_to_int(%p: !kite.ptr<f32>) {
  // expected-error @+1 {{'kite.bitcast' op cannot bitcast '!kite.ptr<f32>' to 'i64'; use kite.ptr_to_int or kite.int_to_ptr}}
  %0 = kite.bitcast %p : !kite.ptr<f32> -> i64
  return
}

// -----

func.func @dot_inner(%a: tensor<16x32xf16>, %b: tensor<16x16xf16>, %c: tensor<16x16xf32>) {
  // expected-error @+1 {{'kite.dot' op inner dimensions differ: a is 16x32, b is 16x16}}
  %0 = kite.dot %a, %b, %c : tensor<16x32xf16> * tensor<16x16xf16> -> tensor<16x16xf32>
  return
}

// -----

func.func @dot_accumulator_shape(%a: tensor<16x32xf16>, %b: tensor<32x16xf16>, %c: tensor<16x32xf32>) {
  // expected-error @+1 {{'kite.dot' op accumulator c is 16x32 but a * b is 16x16}}
  %0 = kite.dot %a, %b, %c : tensor<16x32xf16> * tensor<32x16xf16> -> tensor<16x32xf32>
  return
}

// -----

func.func @dot_rank(%a: tensor<16xf16>, %b: tensor<16x16xf16>, %c: tensor<16x16xf32>) {
  // expected-error @+1 {{'kite.dot' op a must be 2-D, got 'tensor<16xf16>'}}
  %0 = kite.dot %a, %b, %c : tensor<16xf16> * tensor<16x16xf16> -> tensor<16x16xf32>
  return
}

// -----

func.func @dot_mixed_inputs(%a: tensor<16x16xf16>, %b: tensor<16x16xbf16>, %c: tensor<16x16xf32>) {
  // expected-error @+1 {{'kite.dot' op element types of a ('f16') and b ('bf16') differ}}
  %0 = kite.dot %a, %b, %c : tensor<16x16xf16> * tensor<16x16xbf16> -> tensor<16x16xf32>
  return
}

// -----

func.func @dot_input_type(%a: tensor<16x16xf64>, %c: tensor<16x16xf32>) {
  // expected-error @+1 {{'kite.dot' op unsupported input element type 'f64' (expected f32, f16, bf16, i8, f8E4M3FN, f8E5M2, f8E4M3FNUZ or f8E5M2FNUZ)}}
  %0 = kite.dot %a, %a, %c : tensor<16x16xf64> * tensor<16x16xf64> -> tensor<16x16xf32>
  return
}

// -----

func.func @dot_of_scales(%a: tensor<16x16xf8E8M0FNU>, %c: tensor<16x16xf32>) {
  // expected-error @+1 {{'kite.dot' op unsupported input element type 'f8E8M0FNU'}}
  %0 = kite.dot %a, %a, %c : tensor<16x16xf8E8M0FNU> * tensor<16x16xf8E8M0FNU> -> tensor<16x16xf32>
  return
}

// -----

func.func @dot_accumulator_type(%a: tensor<16x16xbf16>, %c: tensor<16x16xbf16>) {
  // expected-error @+1 {{'kite.dot' op accumulator element type 'bf16' is not allowed for 'bf16' inputs (expected f32)}}
  %0 = kite.dot %a, %a, %c : tensor<16x16xbf16> * tensor<16x16xbf16> -> tensor<16x16xbf16>
  return
}

// -----

func.func @dot_int_accumulator(%a: tensor<16x16xi8>, %c: tensor<16x16xf32>) {
  // expected-error @+1 {{'kite.dot' op accumulator element type 'f32' is not allowed for 'i8' inputs (expected i32)}}
  %0 = kite.dot %a, %a, %c : tensor<16x16xi8> * tensor<16x16xi8> -> tensor<16x16xf32>
  return
}

// -----

func.func @reduce_result(%x: tensor<8x16xf32>) {
  // expected-error @+1 {{'kite.reduce' op result #0 has type 'tensor<16xf32>', expected 'tensor<8xf32>'}}
  %0 = kite.reduce(%x) axis = 1 : (tensor<8x16xf32>) -> tensor<16xf32> {
  ^bb0(%a: f32, %b: f32):
    kite.reduce.return %a : f32
  }
  return
}

// -----

func.func @reduce_axis(%x: tensor<16xf32>) {
  // expected-error @+1 {{'kite.reduce' op axis 1 is out of range for 16 sources}}
  %0 = kite.reduce(%x) axis = 1 : (tensor<16xf32>) -> f32 {
  ^bb0(%a: f32, %b: f32):
    kite.reduce.return %a : f32
  }
  return
}

// -----

func.func @reduce_source_shapes(%x: tensor<16xf32>, %y: tensor<8xi32>) {
  // expected-error @+1 {{'kite.reduce' op sources must have one shape: source #0 is 16, source #1 is 8}}
  %0:2 = kite.reduce(%x, %y) axis = 0 : (tensor<16xf32>, tensor<8xi32>) -> (f32, i32) {
  ^bb0(%a: f32, %i: i32, %b: f32, %j: i32):
    kite.reduce.return %a, %i : f32, i32
  }
  return
}

// -----

func.func @reduce_result_count(%x: tensor<16xf32>) {
  // expected-error @+1 {{'kite.reduce' op has 2 results for 1 sources}}
  %0:2 = kite.reduce(%x) axis = 0 : (tensor<16xf32>) -> (f32, f32) {
  ^bb0(%a: f32, %b: f32):
    kite.reduce.return %a : f32
  }
  return
}

// -----

func.func @reduce_region_arity(%x: tensor<16xf32>) {
  // expected-error @+1 {{'kite.reduce' op combine region must take 2 scalar arguments (1 accumulated, 1 new), got 1}}
  %0 = kite.reduce(%x) axis = 0 : (tensor<16xf32>) -> f32 {
  ^bb0(%a: f32):
    kite.reduce.return %a : f32
  }
  return
}

// -----

func.func @reduce_region_argument_type(%x: tensor<16xf32>) {
  // expected-error @+1 {{'kite.reduce' op combine region argument #1 has type 'f16', expected 'f32'}}
  %0 = kite.reduce(%x) axis = 0 : (tensor<16xf32>) -> f32 {
  ^bb0(%a: f32, %b: f16):
    kite.reduce.return %a : f32
  }
  return
}

// -----

func.func @reduce_return_count(%x: tensor<16xf32>) {
  %0 = kite.reduce(%x) axis = 0 : (tensor<16xf32>) -> f32 {
  ^bb0(%a: f32, %b: f32):
    // expected-error @+1 {{'kite.reduce.return' op returns 2 values, expected 1}}
    kite.reduce.return %a, %b : f32, f32
  }
  return
}

// -----

func.func @reduce_return_type(%x: tensor<16xf32>) {
  %0 = kite.reduce(%x) axis = 0 : (tensor<16xf32>) -> f32 {
  ^bb0(%a: f32, %b: f32):
    %i = arith.fptosi %a : f32 to i32
    // expected-error @+1 {{'kite.reduce.return' op value #0 has type 'i32', expected 'f32'}}
    kite.reduce.return %i : i32
  }
  return
}

// -----

func.func @reduce_wrong_terminator(%x: tensor<16xf32>) {
  %0 = kite.reduce(%x) axis = 0 : (tensor<16xf32>) -> f32 {
  ^bb0(%a: f32, %b: f32):
    // expected-error @+1 {{'kite.scan.return' op expects parent op 'kite.scan'}}
    kite.scan.return %a : f32
  }
  return
}

// -----

func.func @scan_result(%x: tensor<16xf32>) {
  // expected-error @+1 {{'kite.scan' op result #0 has type 'f32', expected 'tensor<16xf32>'}}
  %0 = kite.scan(%x) axis = 0 : (tensor<16xf32>) -> f32 {
  ^bb0(%a: f32, %b: f32):
    kite.scan.return %a : f32
  }
  return
}

// -----

// expected-error @+1 {{!kite.ptr cannot point to 'tensor<4xf32>': the pointee must be an integer, a float or a !kite.ptr}}
func.func @pointer_to_tensor(%p: !kite.ptr<tensor<4xf32>>) {
  return
}

// -----

// expected-error @+1 {{'kite.divisibility' of argument 0 must be a positive i32, got 16 : i64}}
func.func @divisibility_type(%p: !kite.ptr<f32> {kite.divisibility = 16 : i64}) {
  return
}

// -----

// expected-error @+1 {{'kite.kernel' is only valid on a function}}
module attributes {kite.kernel} {
}

// -----

func.func @quantize_shape(%x: tensor<8x32xf32>, %s: f32) {
  // expected-error @+1 {{'kite.quantize' op shapes of source (8x32) and result (8x16) differ}}
  %q = kite.quantize %x, %s {max = 127 : i64, min = -128 : i64} : tensor<8x32xf32>, f32 -> tensor<8x16xi8>
  return
}

// -----

func.func @quantize_scale_rank(%x: tensor<8x32xf32>, %s: tensor<8xf32>) {
  // expected-error @+1 {{'kite.quantize' op scale 'tensor<8xf32>' must be a scalar or have the rank of 'tensor<8x32xf32>'}}
  %q = kite.quantize %x, %s {max = 127 : i64, min = -128 : i64} : tensor<8x32xf32>, tensor<8xf32> -> tensor<8x32xi8>
  return
}

// -----

func.func @quantize_scale_divides(%x: tensor<8x32xf32>, %s: tensor<8x3xf32>) {
  // expected-error @+1 {{'kite.quantize' op scale dimension 1 (3) does not divide the source's (32)}}
  %q = kite.quantize %x, %s {max = 127 : i64, min = -128 : i64} : tensor<8x32xf32>, tensor<8x3xf32> -> tensor<8x32xi8>
  return
}

// -----

func.func @quantize_zero_point_i32(%x: tensor<8x32xf32>, %s: tensor<8x1xf32>, %z: tensor<8x1xi8>) {
  // expected-error @+1 {{'kite.quantize' op zero point must hold i32, got 'tensor<8x1xi8>'}}
  %q = kite.quantize %x, %s, %z {max = 255 : i64, min = 0 : i64} : tensor<8x32xf32>, tensor<8x1xf32>, tensor<8x1xi8> -> tensor<8x32xi8>
  return
}

// -----

func.func @quantize_zero_point_shape(%x: tensor<8x32xf32>, %s: tensor<8x1xf32>, %z: tensor<1x32xi32>) {
  // expected-error @+1 {{'kite.quantize' op zero point 'tensor<1x32xi32>' must have the scale's shape ('tensor<8x1xf32>')}}
  %q = kite.quantize %x, %s, %z {max = 255 : i64, min = 0 : i64} : tensor<8x32xf32>, tensor<8x1xf32>, tensor<1x32xi32> -> tensor<8x32xi8>
  return
}

// -----

func.func @quantize_zero_point_scalar(%x: tensor<8x32xf32>, %s: f32, %z: tensor<1x1xi32>) {
  // expected-error @+1 {{'kite.quantize' op zero point 'tensor<1x1xi32>' must have the scale's shape ('f32')}}
  %q = kite.quantize %x, %s, %z {max = 255 : i64, min = 0 : i64} : tensor<8x32xf32>, f32, tensor<1x1xi32> -> tensor<8x32xi8>
  return
}

// -----

func.func @quantize_to_f16(%x: tensor<8x32xf32>, %s: f32) {
  // expected-error @+1 {{'kite.quantize' op quantizes to integers or 8-bit floats, not 'f16'}}
  %q = kite.quantize %x, %s : tensor<8x32xf32>, f32 -> tensor<8x32xf16>
  return
}

// -----

func.func @quantize_fp8_zero_point(%x: tensor<8x32xf32>, %s: f32, %z: i32) {
  // expected-error @+1 {{'kite.quantize' op to 'f8E4M3FN' takes no zero point, min or max}}
  %q = kite.quantize %x, %s, %z : tensor<8x32xf32>, f32, i32 -> tensor<8x32xf8E4M3FN>
  return
}

// -----

func.func @quantize_fp8_range(%x: tensor<8x32xf32>, %s: f32) {
  // expected-error @+1 {{'kite.quantize' op to 'f8E5M2' takes no zero point, min or max}}
  %q = kite.quantize %x, %s {max = 127 : i64, min = -128 : i64} : tensor<8x32xf32>, f32 -> tensor<8x32xf8E5M2>
  return
}

// -----

func.func @quantize_to_i32(%x: tensor<8x32xf32>, %s: f32) {
  // expected-error @+1 {{'kite.quantize' op quantizes to integers of 2 to 16 bits, not 'i32'}}
  %q = kite.quantize %x, %s {max = 127 : i64, min = -128 : i64} : tensor<8x32xf32>, f32 -> tensor<8x32xi32>
  return
}

// -----

func.func @quantize_needs_range(%x: tensor<8x32xf32>, %s: f32) {
  // expected-error @+1 {{'kite.quantize' op to 'i8' needs min and max}}
  %q = kite.quantize %x, %s {max = 127 : i64} : tensor<8x32xf32>, f32 -> tensor<8x32xi8>
  return
}

// -----

func.func @quantize_range_fits(%x: tensor<8x32xf32>, %s: f32) {
  // expected-error @+1 {{'kite.quantize' op range [-1, 255] does not fit 'i8'}}
  %q = kite.quantize %x, %s {max = 255 : i64, min = -1 : i64} : tensor<8x32xf32>, f32 -> tensor<8x32xi8>
  return
}

// -----

func.func @quantize_range_order(%x: tensor<8x32xf32>, %s: f32) {
  // expected-error @+1 {{'kite.quantize' op range [7, -8] does not fit 'i8'}}
  %q = kite.quantize %x, %s {max = -8 : i64, min = 7 : i64} : tensor<8x32xf32>, f32 -> tensor<8x32xi8>
  return
}

// -----

func.func @dequantize_shape(%q: tensor<8x32xi8>, %s: f32) {
  // expected-error @+1 {{'kite.dequantize' op shapes of source (8x32) and result (32x8) differ}}
  %d = kite.dequantize %q, %s : tensor<8x32xi8>, f32 -> tensor<32x8xf32>
  return
}

// -----

func.func @dequantize_scale_divides(%q: tensor<8x32xi8>, %s: tensor<16x1xf32>) {
  // expected-error @+1 {{'kite.dequantize' op scale dimension 0 (16) does not divide the source's (8)}}
  %d = kite.dequantize %q, %s : tensor<8x32xi8>, tensor<16x1xf32> -> tensor<8x32xf32>
  return
}

// -----

func.func @dequantize_result_type(%q: tensor<8x32xi8>, %s: f16) {
  // expected-error @+1 {{'kite.dequantize' op result 'tensor<8x32xf32>' must have the scale's element type}}
  %d = kite.dequantize %q, %s : tensor<8x32xi8>, f16 -> tensor<8x32xf32>
  return
}

// -----

func.func @dequantize_fp8_zero_point(%q: tensor<8x32xf8E4M3FN>, %s: f32, %z: i32) {
  // expected-error @+1 {{'kite.dequantize' op of 'f8E4M3FN' takes no zero point and is not unsigned}}
  %d = kite.dequantize %q, %s, %z : tensor<8x32xf8E4M3FN>, f32, i32 -> tensor<8x32xf32>
  return
}

// -----

func.func @dequantize_fp8_unsigned(%q: tensor<8x32xf8E5M2>, %s: f32) {
  // expected-error @+1 {{'kite.dequantize' op of 'f8E5M2' takes no zero point and is not unsigned}}
  %d = kite.dequantize %q, %s {is_unsigned} : tensor<8x32xf8E5M2>, f32 -> tensor<8x32xf32>
  return
}

// -----

func.func @dequantize_i64(%q: tensor<8x32xi64>, %s: f32) {
  // expected-error @+1 {{'kite.dequantize' op dequantizes integers up to 32 bits or floats, not 'i64'}}
  %d = kite.dequantize %q, %s : tensor<8x32xi64>, f32 -> tensor<8x32xf32>
  return
}
