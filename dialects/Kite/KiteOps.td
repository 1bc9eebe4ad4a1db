#ifndef KITE_OPS_TD
#define KITE_OPS_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "dialects/Kite/KiteDialect.td"
include "dialects/Kite/KiteTypes.td"
include "dialects/Kite/KiteEnums.td"

class Kite_Op<string mnemonic, list<Trait> traits = []>
    : Op<Kite_Dialect, mnemonic, traits>;

// An op with one operand and one result whose types are both spelled out.
class Kite_UnaryOp<string mnemonic, Type srcType, Type resultType,
                   list<Trait> traits = []>
    : Kite_Op<mnemonic, !listconcat([Pure], traits)> {
  let arguments = (ins srcType:$src);
  let results = (outs resultType:$result);
  let assemblyFormat = "$src attr-dict `:` type($src) `->` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// The program grid
//===----------------------------------------------------------------------===//

class Kite_GridOp<string mnemonic> : Kite_Op<mnemonic, [Pure]> {
  let arguments = (ins I32Attr:$axis);
  let results = (outs I32:$result);
  // `kite.program_id x : i32`; axes 0, 1, 2 print as x, y, z.
  let assemblyFormat = "custom<GridAxis>($axis) attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Kite_ProgramIdOp : Kite_GridOp<"program_id"> {
  let summary = "index of this program along a grid axis";
}
def Kite_NumProgramsOp : Kite_GridOp<"num_programs"> {
  let summary = "number of programs along a grid axis";
}

//===----------------------------------------------------------------------===//
// Block construction and shape manipulation
//===----------------------------------------------------------------------===//

def Kite_MakeRangeOp : Kite_Op<"make_range", [Pure]> {
  let summary = "the 1-D block [start, end)";
  let arguments = (ins I32Attr:$start, I32Attr:$end);
  let results = (outs Kite_TensorOf<[I32]>:$result);
  let assemblyFormat = "$start `to` $end attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Kite_SplatOp : Kite_UnaryOp<"splat", Kite_Element, Kite_Tensor> {
  let summary = "a block with every element equal to a scalar";
  let hasFolder = 1;
}

def Kite_BroadcastOp : Kite_UnaryOp<"broadcast", Kite_Tensor, Kite_Tensor> {
  let summary = "stretch dimensions of size 1";
  let hasFolder = 1;
}

def Kite_ExpandDimsOp : Kite_Op<"expand_dims", [Pure]> {
  let summary = "insert a dimension of size 1";
  let arguments = (ins Kite_Tensor:$src, I32Attr:$axis);
  let results = (outs Kite_Tensor:$result);
  let assemblyFormat = [{
    $src `axis` `=` $axis attr-dict `:` type($src) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Kite_ReshapeOp : Kite_UnaryOp<"reshape", Kite_Tensor, Kite_Tensor> {
  let summary = "reinterpret a block with another shape (row-major order)";
  let hasFolder = 1;
}

def Kite_TransOp : Kite_Op<"trans", [Pure]> {
  let summary = "permute the dimensions of a block";
  let arguments = (ins Kite_Tensor:$src, DenseI32ArrayAttr:$order);
  let results = (outs Kite_Tensor:$result);
  let assemblyFormat = [{
    $src `order` `=` $order attr-dict `:` type($src) `->` type($result)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

// join/split pair two blocks along a new minor dimension of size 2 (int4
// unpacking, RoPE, complex numbers). At the kitegpu level that dimension is
// held inside each thread, so both are register moves.
def Kite_JoinOp : Kite_Op<"join", [Pure, AllTypesMatch<["lhs", "rhs"]>]> {
  let summary = "pair two blocks along a new, minor dimension of size 2";
  let description = [{
    `result[..., 0] = lhs`, `result[..., 1] = rhs`; the operands have one
    type. Two scalars give a `tensor<2xT>`.
  }];
  let arguments = (ins Kite_Value:$lhs, Kite_Value:$rhs);
  let results = (outs Kite_Tensor:$result);
  let assemblyFormat = [{
    $lhs `,` $rhs attr-dict `:` type($lhs) `->` type($result)
  }];
  let hasVerifier = 1;  let hasFolder = 1;
}

def Kite_SplitOp : Kite_Op<"split", [Pure, AllTypesMatch<["lhs", "rhs"]>]> {
  let summary = "the two halves of a block whose last dimension is 2";
  let description = [{
    `lhs = src[..., 0]`, `rhs = src[..., 1]`; a `tensor<2xT>` gives two
    scalars. The inverse of `kite.join`.
  }];
  let arguments = (ins Kite_Tensor:$src);
  let results = (outs Kite_Value:$lhs, Kite_Value:$rhs);
  let assemblyFormat = "$src attr-dict `:` type($src) `->` type($lhs)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

// Triton's tl.gather. Out-of-range indices are defined (unlike Triton's):
// the index is taken modulo the axis size, a power of two, so the lowering
// spends one `and` on it and -1 is the last element, as in numpy.
def Kite_GatherOp : Kite_Op<"gather", [Pure]> {
  let summary = "gather the elements of a block along an axis by index";
  let description = [{
    `result[..., i, ...] = src[..., index[..., i, ...] mod N, ...]` along
    `axis` (N = the size of `src` along it; floored modulo, so a negative
    index counts from the end). `index` is a block of signed integers of
    `src`'s rank whose other dimensions are `src`'s; the result has `index`'s
    shape and `src`'s element type.
  }];
  let arguments = (ins Kite_Tensor:$src, Kite_Tensor:$index, I32Attr:$axis);
  let results = (outs Kite_Tensor:$result);
  let assemblyFormat = [{
    $src `[` $index `]` `axis` `=` $axis attr-dict `:` type($src) `,`
    type($index) `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Pointers and memory
//===----------------------------------------------------------------------===//

def Kite_AddPtrOp : Kite_Op<"addptr",
    [Pure, AllTypesMatch<["ptr", "result"]>]> {
  let summary = "advance pointers by a number of elements";
  let arguments = (ins Kite_PtrLike:$ptr, Kite_IntLike:$offset);
  let results = (outs Kite_PtrLike:$result);
  let assemblyFormat = [{
    $ptr `,` $offset attr-dict `:` type($ptr) `,` type($offset)
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

// Memory ops print only the pointer type: `kite.load %p, %mask, %other :
// tensor<128x!kite.ptr<f32>>`; the other types follow from it.
def Kite_LoadOp : Kite_Op<"load", [AttrSizedOperandSegments,
    DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "read through pointers, masked lanes yield `other`";
  let description = [{
    With `tensor_map(%map, %c0, ..., %cN)`, the same read is also described
    as a box of a tensor map (a host `kite.TensorDescriptor`'s): `%map` is
    the device address of the map, the coordinates (i32, outermost first)
    those of the box's first element, the box the result's shape. The
    pointers and the mask stay the meaning of the op (the mask is the box's
    bounds check, `other` its padding); a backend may read the box through
    the map instead (Hopper's TMA: SoftwarePipelinePass.cpp). A rewrite
    that changes the mask or `other` drops the map.
  }];
  let arguments = (ins Kite_PtrLike:$ptr, Optional<Kite_BoolLike>:$mask,
                   Optional<Kite_Value>:$other, Optional<I64>:$tensor_map,
                   Variadic<I32>:$box, UnitAttr:$is_volatile);
  let results = (outs Kite_Value:$result);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let hasCanonicalizeMethod = 1;
}

def Kite_StoreOp : Kite_Op<"store", [AttrSizedOperandSegments,
    MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "write through pointers where the mask is true";
  // `ptr` is required (the verifier insists); it is declared Optional only
  // because ODS allows AttrSizedOperandSegments with two or more optional
  // operands, and the generic-form contract carries `operandSegmentSizes =
  // array<i32: 1, 1, m, t, r>` on stores (`array<i32: 1, 1, m>` on
  // atomics) as on loads.
  //
  // With `tensor_map(%map, %c0, ..., %cN)` the store is also described as a
  // box of a host descriptor's tensor map, as kite.load's (the mask is the
  // box's bounds check); Hopper may write it with TMA (TmaStorePass.cpp).
  let arguments = (ins Optional<Kite_PtrLike>:$ptr, Kite_Value:$value,
                   Optional<Kite_BoolLike>:$mask, Optional<I64>:$tensor_map,
                   Variadic<I32>:$box);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let hasCanonicalizeMethod = 1;
}

def Kite_AtomicRMWOp : Kite_Op<"atomic_rmw", [AttrSizedOperandSegments,
    MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "atomic read-modify-write, returns the old values";
  // `ptr` is Optional in ODS only; see kite.store.
  let arguments = (ins Kite_RMWOpAttr:$rmw_op, Optional<Kite_PtrLike>:$ptr,
                   Kite_Value:$val, Optional<Kite_BoolLike>:$mask,
                   Kite_DefaultSemantic:$sem, Kite_DefaultScope:$scope);
  let results = (outs Kite_Value:$result);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
  let hasCanonicalizeMethod = 1;
}

def Kite_AtomicCASOp : Kite_Op<"atomic_cas",
    [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "atomic compare-and-swap, returns the old values";
  let arguments = (ins Kite_PtrLike:$ptr, Kite_Value:$cmp, Kite_Value:$val,
                   Kite_DefaultSemantic:$sem, Kite_DefaultScope:$scope);
  let results = (outs Kite_Value:$result);
  let hasCustomAssemblyFormat = 1;
  let hasVerifier = 1;
}

// Every thread of the program waits here; memory accesses before it are
// visible to all of them after it (global and shared memory).
def Kite_DebugBarrierOp : Kite_Op<"debug_barrier",
                                  [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "synchronise the threads of a program";
  let assemblyFormat = "attr-dict";
}

// Programmatic dependent launch (NVIDIA sm_90 and later): a kernel launched
// with launch_pdl may start while the one before it still runs. gdc_wait
// waits until the grids it depends on have finished and their memory is
// visible; gdc_launch_dependents lets the next grid start. Targets without
// it run launches one after another: both are then nothing to do. Memory
// effects keep them in place relative to loads and stores.
def Kite_GdcWaitOp : Kite_Op<"gdc_wait", [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "wait for the grids this launch depends on";
  let assemblyFormat = "attr-dict";
}
def Kite_GdcLaunchDependentsOp : Kite_Op<"gdc_launch_dependents",
                                         [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "let the grid launched after this one start";
  let assemblyFormat = "attr-dict";
}

//===----------------------------------------------------------------------===//
// Conversions
//===----------------------------------------------------------------------===//

def Kite_FpToFpOp : Kite_Op<"fp_to_fp", [Pure]> {
  let summary = "float conversion with an explicit rounding (fp8)";
  let arguments = (ins Kite_FloatLike:$src,
                   OptionalAttr<Kite_RoundingModeAttr>:$rounding);
  let results = (outs Kite_FloatLike:$result);
  let assemblyFormat = [{
    $src (`rounding` `=` $rounding^)? attr-dict `:` type($src) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Kite_Fp4ToFpOp : Kite_Op<"fp4_to_fp", [Pure, Elementwise,
                                            SameOperandsAndResultShape]> {
  let summary = "decode fp4 (e2m1) codes held in bytes";
  let description = [{
    Each i8 element holds two e2m1 codes (sign, 2 exponent bits with bias
    1, 1 mantissa bit): this decodes the low nibble, or the high one with
    `high`, exactly, to f32, f16 or bf16. A byte tensor packed along an axis
    unpacks as the join of the two decodes (`kl.dot_scaled`'s "e2m1"
    operands). Code 0b1000 is -0; e2m1 has no infinity or NaN.
  }];
  let arguments = (ins Kite_IntLike:$codes, UnitAttr:$high);
  let results = (outs Kite_FloatLike:$result);
  let assemblyFormat = [{
    $codes (`high` $high^)? attr-dict `:` type($codes) `->` type($result)
  }];
  let hasVerifier = 1;
}

def Kite_PtrToIntOp : Kite_UnaryOp<"ptr_to_int", Kite_PtrLike, Kite_I64Like> {
  let summary = "the address of pointers as i64";
}
def Kite_IntToPtrOp : Kite_UnaryOp<"int_to_ptr", Kite_I64Like, Kite_PtrLike> {
  let summary = "pointers from i64 addresses";
}
def Kite_BitcastOp : Kite_UnaryOp<"bitcast", Kite_Value, Kite_Value> {
  let summary = "reinterpret bits: int <-> float, or ptr <-> ptr";
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// Quantization
//===----------------------------------------------------------------------===//

// Scales (and zero points) are "block scaled": a scalar, or a tensor of the
// source's rank whose every dimension divides the source's. Element
// (i, j, ...) uses scale[i / (M / S0), j / (N / S1), ...], which covers per
// tensor ([1, 1]), per row ([M, 1]), per column ([1, N]) and per group of G
// along K ([M, K / G]).

def Kite_QuantizeOp : Kite_Op<"quantize", [Pure]> {
  let summary = "x / scale + zero_point, rounded and saturated to a narrow type";
  let description = [{
    Computed in f32. To an integer type of 2 to 16 bits (whose values f32
    holds exactly): rounded to nearest-even, the zero
    point (i32) added, saturated to [`min`, `max`] (which also say the
    integers' signedness: [0, 255] is uint8, [-8, 7] is int4 held in i8), a
    NaN becomes the zero point. To an fp8 type: saturated to the format's
    largest finite value, NaN stays NaN, rounded to nearest-even; no zero
    point.
  }];
  let arguments = (ins Kite_TensorOf<[AnyFloat]>:$src, Kite_FloatLike:$scale,
                   Optional<Kite_IntLike>:$zero_point,
                   OptionalAttr<I64Attr>:$min, OptionalAttr<I64Attr>:$max);
  let results = (outs Kite_Tensor:$result);
  let assemblyFormat = [{
    $src `,` $scale (`,` $zero_point^)? attr-dict `:` type($src) `,`
    type($scale) (`,` type($zero_point)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

def Kite_DequantizeOp : Kite_Op<"dequantize", [Pure]> {
  let summary = "(q - zero_point) * scale, in the scale's float type";
  let description = [{
    Computed in f32 and rounded to the scale's type (once for data of up to
    8 bits, whose products with a 16-bit scale f32 holds exactly). `q` holds
    integers (read as unsigned with `is_unsigned`) or floats (fp8); the zero
    point is i32 and only for integers.
  }];
  let arguments = (ins Kite_Tensor:$src, Kite_FloatLike:$scale,
                   Optional<Kite_IntLike>:$zero_point, UnitAttr:$is_unsigned);
  let results = (outs Kite_TensorOf<[AnyFloat]>:$result);
  let assemblyFormat = [{
    $src `,` $scale (`,` $zero_point^)? attr-dict `:` type($src) `,`
    type($scale) (`,` type($zero_point)^)? `->` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Matrix product, reductions, scans
//===----------------------------------------------------------------------===//

def Kite_DotOp : Kite_Op<"dot", [Pure, AllTypesMatch<["c", "result"]>]> {
  let summary = "block matrix product with accumulator: a * b + c";
  let description = [{
    `input_precision` says how f32 operands may be multiplied on targets
    with tensor cores: "tf32" (rounded to 10 mantissa bits), "tf32x3" or
    "ieee" (exact products; also what every other target computes, and
    what "tf32x3" computes today). Other operand types ignore it.
  }];
  let arguments = (ins Kite_Tensor:$a, Kite_Tensor:$b, Kite_Tensor:$c,
                   DefaultValuedStrAttr<StrAttr, "ieee">:$input_precision);
  let results = (outs Kite_Tensor:$result);
  let assemblyFormat = [{
    $a `,` $b `,` $c attr-dict `:` type($a) `*` type($b) `->` type($result)
  }];
  let hasVerifier = 1;
}

// The combine region is a scalar function of 2n block arguments (n
// accumulated values, then n new ones); it may use values defined above it.
class Kite_CombineOp<string mnemonic> : Kite_Op<mnemonic,
    [RecursiveMemoryEffects, RecursivelySpeculatable, SingleBlock]> {
  let results = (outs Variadic<Kite_Value>:$results);
  let regions = (region SizedRegion<1>:$combine);
  let hasVerifier = 1;
  let hasRegionVerifier = 1;
}

class Kite_CombineReturnOp<string mnemonic, string parent>
    : Kite_Op<mnemonic, [Pure, Terminator, HasParent<parent>]> {
  let arguments = (ins Variadic<Kite_Element>:$values);
  let assemblyFormat = "$values attr-dict `:` type($values)";
}

def Kite_ReduceOp : Kite_CombineOp<"reduce"> {
  let summary = "reduce blocks along an axis with a combine region";
  let arguments = (ins Variadic<Kite_Tensor>:$srcs, I32Attr:$axis);
  let assemblyFormat = [{
    `(` $srcs `)` `axis` `=` $axis attr-dict `:`
    functional-type($srcs, $results) $combine
  }];
}
def Kite_ReduceReturnOp : Kite_CombineReturnOp<"reduce.return", "ReduceOp"> {
  let summary = "the combined values of a kite.reduce step";
}

def Kite_ScanOp : Kite_CombineOp<"scan"> {
  let summary = "inclusive scan of blocks along an axis";
  let arguments = (ins Variadic<Kite_Tensor>:$srcs, I32Attr:$axis,
                   DefaultValuedAttr<BoolAttr, "false">:$reverse);
  let assemblyFormat = [{
    `(` $srcs `)` `axis` `=` $axis `` custom<ReverseFlag>($reverse) attr-dict `:`
    functional-type($srcs, $results) $combine
  }];
}
def Kite_ScanReturnOp : Kite_CombineReturnOp<"scan.return", "ScanOp"> {
  let summary = "the combined values of a kite.scan step";
}

//===----------------------------------------------------------------------===//
// Debugging
//===----------------------------------------------------------------------===//

def Kite_PrintOp : Kite_Op<"print", [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "print values from every program (device printf)";
  let description = [{
    `isUnsigned` (one flag per argument, absent: none) marks unsigned
    integers, which print as such; `hex` prints integers (and the bits of
    floats) in hexadecimal.
  }];
  let arguments = (ins StrAttr:$prefix,
                   DefaultValuedAttr<BoolAttr, "false">:$hex,
                   OptionalAttr<DenseBoolArrayAttr>:$isUnsigned,
                   Variadic<Kite_Value>:$args);
  let assemblyFormat = [{
    $prefix `` custom<HexFlag>($hex) attr-dict ($args^ `:` type($args))?
  }];
}

// kl.assume(cond) on a scalar: a fact the program promises (false at run
// time is undefined behaviour). AxisInfo reads `x >= c` and `x > c` with
// c >= 0 (or the mirror images) as "x is non-negative"; the thread lowering
// drops the op. It declares no memory effects interface, so that nothing
// erases it as dead before the analysis reads it.
def Kite_AssumeOp : Kite_Op<"assume"> {
  let summary = "a condition the program promises holds";
  let arguments = (ins I1:$cond);
  let assemblyFormat = "$cond attr-dict";
}

def Kite_AssertOp : Kite_Op<"assert", [MemoryEffects<[MemRead, MemWrite]>]> {
  let summary = "abort the kernel with a message where cond is false";
  let arguments = (ins Kite_BoolLike:$cond, StrAttr:$message);
  let assemblyFormat = "$cond `,` $message attr-dict `:` type($cond)";
}

#endif // KITE_OPS_TD
