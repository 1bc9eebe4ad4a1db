"""The errors of kl.quantize, kl.dequantize, kl.pack_int4 and
kl.unpack_int4: their message, at the user's line."""
import numpy as np
import pytest

import kite
import kite.language as kl

from conftest import line_of, run


@kite.jit
def load_block(ptr, R: kl.constexpr, C: kl.constexpr):
    return kl.load(ptr + kl.arange(0, R)[:, None] * C + kl.arange(0, C)[None, :])

@kite.kernel
def quantize_error_kernel(x_ptr, s_ptr, out_ptr, CASE: kl.constexpr):
    x = load_block(x_ptr, 8, 16)
    if CASE == "indivisible":
        q = kl.quantize(x, load_block(s_ptr, 8, 32))  # <- indivisible
    elif CASE == "rank":
        q = kl.quantize(x, kl.load(s_ptr + kl.arange(0, 8)))  # <- rank
    elif CASE == "fp8_zero_point":
        q = kl.quantize(x, 0.5, 3, dtype=kl.float8e4nv)  # <- fp8_zero_point
    elif CASE == "zero_point_shape":
        zero = load_block(s_ptr, 1, 16).to(kl.int32)
        q = kl.quantize(x, load_block(s_ptr, 8, 1), zero)  # <- zero_point_shape
    elif CASE == "ints":
        q = kl.quantize(x.to(kl.int32), 0.5)  # <- ints
    elif CASE == "dtype":
        q = kl.quantize(x, 0.5, dtype=kl.float16)  # <- dtype
    elif CASE == "e8m0":
        q = kl.quantize(x, 0.5, dtype=kl.float8e8m0)  # <- e8m0
    elif CASE == "int_scale":
        q = kl.quantize(x, load_block(s_ptr, 8, 1).to(kl.int32))  # <- int_scale
    elif CASE == "f64_scale":
        q = kl.quantize(x, load_block(s_ptr, 8, 1).to(kl.float64))  # <- f64_scale
    elif CASE == "float_zero_point":
        q = kl.quantize(x, 0.5, 0.5, dtype=kl.uint8)  # <- float_zero_point
    elif CASE == "dequantize_fp8_zero_point":
        q = kl.dequantize(x.to(kl.float8e4nv), 0.5, 1)  # <- dequantize_fp8_zero_point
    elif CASE == "dequantize_indivisible":
        q = kl.dequantize(x.to(kl.int8), load_block(s_ptr, 16, 16))  # <- dequantize_indivisible
    elif CASE == "pack_odd":
        q = kl.pack_int4(load_block(x_ptr, 8, 1).to(kl.int8))  # <- pack_odd
    elif CASE == "pack_int32":
        q = kl.pack_int4(x.to(kl.int32), axis=0)  # <- pack_int32
    elif CASE == "pack_axis":
        q = kl.pack_int4(x.to(kl.int8), axis=2)  # <- pack_axis
    else:
        q = kl.unpack_int4(x.to(kl.int16))  # <- unpack_int16
    kl.store(out_ptr + kl.arange(0, 8)[:, None] * 16 + kl.arange(0, 16)[None, :], q.to(kl.float32))


@pytest.mark.parametrize("case,message", [
    ("indivisible", r"kl.quantize: the scale's dimension 1 \(32\) does not divide the data's "
     r"\(16\): shape \[8, 32\] for data of shape \[8, 16\]"),
    ("rank", r"kl.quantize: the scale must be a scalar or have the data's rank \(2\), "
     r"got a block of shape \[8\]"),
    ("fp8_zero_point", r"kl.quantize to fp8e4m3 takes no zero point"),
    ("zero_point_shape", r"the zero point must have the scale's shape \[8, 1\], "
     r"got a block of shape \[1, 16\]"),
    ("ints", r"kl.quantize needs a block of floats, got a block of shape \[8, 16\] of int32"),
    ("dtype", r"kl.quantize: dtype must be kl.int8, .* or an fp8 type, got fp16"),
    ("e8m0", r"kl.quantize: dtype must be .* got fp8e8m0"),
    ("int_scale", r"the scale must hold float32, float16 or bfloat16, got int32"),
    ("f64_scale", r"the scale must hold float32, float16 or bfloat16, got fp64"),
    ("float_zero_point", r"the zero point must hold integers, got fp32"),
    ("dequantize_fp8_zero_point", r"kl.dequantize of fp8e4m3 takes no zero point"),
    ("dequantize_indivisible",
     r"kl.dequantize: the scale's dimension 0 \(16\) does not divide the data's \(8\)"),
    ("pack_odd", r"kl.pack_int4: dimension 1 \(1\) must be even"),
    ("pack_int32",
     r"kl.pack_int4 needs a block of int8 or uint8, got a block of shape \[8, 16\] of int32"),
    ("pack_axis", r"kl.pack_int4: axis 2 is out of range for a block of shape \[8, 16\]"),
    ("unpack_int16", r"kl.unpack_int4 needs a block of int8 or uint8, got .* of int16"),
])
def test_errors_name_the_users_line(case, message):
    x, s = np.zeros((8, 16), np.float32), np.ones(256, np.float32)
    with pytest.raises(kite.CompilationError, match=message) as info:
        run(quantize_error_kernel, (1,), x, s, np.zeros((8, 16), np.float32), CASE=case)
    assert info.value.lineno == line_of(quantize_error_kernel, f"# <- {case}")
