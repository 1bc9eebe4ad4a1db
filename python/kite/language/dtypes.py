"""Element types, pointer types and block types of the kite language."""
from __future__ import annotations

import numpy as np


class dtype:
    """A scalar element type such as ``kl.float32``."""

    def __init__(self, name: str, kind: str, bits: int, mlir: str, np_dtype=None):
        self.name = name          # Triton's short name: fp32, int32, uint8, ...
        self.kind = kind          # "int", "uint", "float", "bool", "ptr"
        self.bits = bits
        self.mlir = mlir
        self.np_dtype = np.dtype(np_dtype) if np_dtype is not None else None

    # Predicates named as in triton.language.
    def is_floating(self) -> bool:
        return self.kind == "float"

    def is_int(self) -> bool:
        return self.kind in ("int", "uint", "bool")

    def is_int_signed(self) -> bool:
        return self.kind == "int"

    def is_int_unsigned(self) -> bool:
        return self.kind == "uint"

    def is_bool(self) -> bool:
        return self.kind == "bool"

    def is_ptr(self) -> bool:
        return False

    def is_fp8(self) -> bool:
        return self.kind == "float" and self.bits == 8

    # One float type each, by its MLIR name (Triton's float8e4b15 has no
    # MLIR type and no Kite counterpart: nothing is one).
    def is_fp8e4nv(self) -> bool:
        return self.mlir == "f8E4M3FN"

    def is_fp8e5(self) -> bool:
        return self.mlir == "f8E5M2"

    def is_fp8e4b8(self) -> bool:
        return self.mlir == "f8E4M3FNUZ"

    def is_fp8e5b16(self) -> bool:
        return self.mlir == "f8E5M2FNUZ"

    def is_fp8e4b15(self) -> bool:
        return False

    def is_fp16(self) -> bool:
        return self.mlir == "f16"

    def is_bf16(self) -> bool:
        return self.mlir == "bf16"

    def is_fp32(self) -> bool:
        return self.mlir == "f32"

    def is_fp64(self) -> bool:
        return self.mlir == "f64"

    @property
    def scalar(self) -> "dtype":
        return self

    @property
    def primitive_bitwidth(self) -> int:
        return self.bits

    def __repr__(self) -> str:
        return self.name

    def __eq__(self, other) -> bool:
        return isinstance(other, dtype) and self.mlir == other.mlir and self.kind == other.kind

    def __hash__(self) -> int:
        return hash((self.mlir, self.kind))

    # Unsigned ints are signless in MLIR, so the text alone does not tell them apart.


class pointer_type(dtype):
    """``!kite.ptr<T>``: a global pointer to elements of ``element_ty``."""

    def __init__(self, element_ty: dtype):
        super().__init__(f"pointer<{element_ty.name}>", "ptr", 64,
                         f"!kite.ptr<{element_ty.mlir}>", np.int64)
        self.element_ty = element_ty

    def is_ptr(self) -> bool:
        return True

    def __eq__(self, other) -> bool:
        return isinstance(other, pointer_type) and self.element_ty == other.element_ty

    def __hash__(self) -> int:
        return hash(("ptr", self.element_ty))


# The most elements one block may have, on every target (Triton's limit,
# TRITON_MAX_TENSOR_NUMEL); docs/language.md. Each target also limits the
# elements one thread holds once layouts are assigned (docs/lowering.md).
MAX_BLOCK_NUMEL = 2 ** 20


def check_block_numel(shape, what: str) -> None:
    """A CompilationError at the user's line when a block of ``shape``, made
    by ``what``, has more than MAX_BLOCK_NUMEL elements."""
    numel = 1
    for s in shape:
        numel *= int(s)
    if numel > MAX_BLOCK_NUMEL:
        from ..frontend.location import error
        raise error(f"{what} makes a block of shape {list(shape)} with {numel} elements; "
                    f"a block holds at most {MAX_BLOCK_NUMEL} (2**20) elements: use smaller "
                    "blocks and loop over them, or more programs")


class block_type:
    """A block: a statically shaped tensor whose sizes are powers of two."""

    def __init__(self, element_ty: dtype, shape):
        self.element_ty = element_ty
        self.shape = tuple(int(s) for s in shape)
        check_block_numel(self.shape, "this operation")

    @property
    def scalar(self) -> dtype:
        return self.element_ty

    @property
    def mlir(self) -> str:
        dims = "x".join(str(s) for s in self.shape)
        return f"tensor<{dims}x{self.element_ty.mlir}>"

    @property
    def numel(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    def __eq__(self, other) -> bool:
        return (isinstance(other, block_type) and self.shape == other.shape
                and self.element_ty == other.element_ty)

    def __hash__(self) -> int:
        return hash((self.element_ty, self.shape))

    def __repr__(self) -> str:
        return f"<{list(self.shape)}, {self.element_ty}>"


int1 = dtype("int1", "bool", 1, "i1", np.bool_)
int8 = dtype("int8", "int", 8, "i8", np.int8)
int16 = dtype("int16", "int", 16, "i16", np.int16)
int32 = dtype("int32", "int", 32, "i32", np.int32)
int64 = dtype("int64", "int", 64, "i64", np.int64)
uint8 = dtype("uint8", "uint", 8, "i8", np.uint8)
uint16 = dtype("uint16", "uint", 16, "i16", np.uint16)
uint32 = dtype("uint32", "uint", 32, "i32", np.uint32)
uint64 = dtype("uint64", "uint", 64, "i64", np.uint64)
float16 = dtype("fp16", "float", 16, "f16", np.float16)
# numpy has no bfloat16 or fp8: the interpreter computes them in float32 and
# rounds on every store and cast (see interpreter/numerics.py).
bfloat16 = dtype("bf16", "float", 16, "bf16", np.float32)
float32 = dtype("fp32", "float", 32, "f32", np.float32)
float64 = dtype("fp64", "float", 64, "f64", np.float64)
float8e4m3 = dtype("fp8e4m3", "float", 8, "f8E4M3FN", np.float32)
float8e5m2 = dtype("fp8e5m2", "float", 8, "f8E5M2", np.float32)
# The "fnuz" formats (AMD's, ml_dtypes' float8_e4m3fnuz and float8_e5m2fnuz):
# biases 8 and 16, no infinity, no -0, and one NaN, the code 0x80.
float8e4b8 = dtype("fp8e4b8", "float", 8, "f8E4M3FNUZ", np.float32)
float8e5b16 = dtype("fp8e5b16", "float", 8, "f8E5M2FNUZ", np.float32)
# The OCP MX scale format (ml_dtypes' float8_e8m0fnu; Triton has no dtype for
# it): unsigned powers of two 2^-127 .. 2^127, no zero, NaN 0xFF.
float8e8m0 = dtype("fp8e8m0", "float", 8, "f8E8M0FNU", np.float32)

bool_ = int1
float8e4nv = float8e4m3
float8e5 = float8e5m2  # Triton's other name for it

ALL_DTYPES = [int1, int8, int16, int32, int64, uint8, uint16, uint32, uint64,
              float16, bfloat16, float32, float64, float8e4m3, float8e5m2, float8e4b8,
              float8e5b16, float8e8m0]

_FROM_NUMPY = {np.dtype(np.bool_): int1, np.dtype(np.int8): int8,
               np.dtype(np.int16): int16, np.dtype(np.int32): int32,
               np.dtype(np.int64): int64, np.dtype(np.uint8): uint8,
               np.dtype(np.uint16): uint16, np.dtype(np.uint32): uint32,
               np.dtype(np.uint64): uint64, np.dtype(np.float16): float16,
               np.dtype(np.float32): float32, np.dtype(np.float64): float64}


def int_of_width(bits: int, signed: bool = True) -> dtype:
    """The integer type of ``bits`` (8, 16, 32, 64) bits: what a value's bits
    are reinterpreted as (bitcasts, bit tricks)."""
    return {8: (int8, uint8), 16: (int16, uint16), 32: (int32, uint32),
            64: (int64, uint64)}[bits][0 if signed else 1]


def from_numpy_dtype(np_dtype) -> dtype:
    """The kite dtype of a numpy dtype; ValueError for those kite lacks."""
    try:
        return _FROM_NUMPY[np.dtype(np_dtype)]
    except KeyError:
        raise ValueError(f"numpy dtype {np.dtype(np_dtype)} has no kite equivalent") from None


def to_block(elem: dtype, shape) -> "dtype | block_type":
    """The type of a value with ``elem`` elements and ``shape`` ([] = scalar)."""
    return block_type(elem, shape) if len(shape) else elem
