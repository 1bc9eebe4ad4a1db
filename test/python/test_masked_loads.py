"""Masked loads of every element type, against numpy: where the mask is off
the result is `other` (zero when absent, a scalar, or a block of per-element
values), and no memory is read there. The mask boundary falls inside a
vector (each element loaded alone) or between vectors (whole vectors loaded
or not), so both forms of the access run; on NVIDIA each is a predicated
`ld.global` (docs/nvptx-emitter.md, "Memory"). Runs on KITE_TEST_DEVICE."""
import numpy as np
import pytest

import kite
import kite.language as kl
from conftest import DEVICE, run

BLOCK = 1024


@kite.kernel
def masked_load(x_ptr, out_ptr, n, OTHER: kl.constexpr, SCALAR: kl.constexpr,
                BLOCK: kl.constexpr):
    offs = kl.arange(0, BLOCK)
    mask = offs < n
    if OTHER == "none":
        x = kl.load(x_ptr + offs, mask=mask)
    elif OTHER == "scalar":
        x = kl.load(x_ptr + offs, mask=mask, other=SCALAR)
    else:  # -1, 0, 1, -1, ... as the element type
        x = kl.load(x_ptr + offs, mask=mask, other=(offs % 3 - 1).to(x_ptr.dtype.element_ty))
    kl.store(out_ptr + offs, x)


# (name, kite dtype, numpy dtype of the values, scalar `other`)
TYPES = [
    ("bool", kl.int1, np.bool_, True),
    ("int8", kl.int8, np.int8, 3),
    ("uint8", kl.uint8, np.uint8, 3),
    ("int16", kl.int16, np.int16, 3),
    ("float16", kl.float16, np.float16, 2.5),
    ("bfloat16", kl.bfloat16, np.float32, 2.5),
    ("float8e4m3", kl.float8e4m3, np.float32, 2.5),
    ("float8e5m2", kl.float8e5m2, np.float32, 2.5),
    ("float8e4b8", kl.float8e4b8, np.float32, 2.5),
    ("float8e5b16", kl.float8e5b16, np.float32, 2.5),
    ("int32", kl.int32, np.int32, 3),
    ("float32", kl.float32, np.float32, 2.5),
    ("int64", kl.int64, np.int64, 3),
    ("float64", kl.float64, np.float64, 2.5),
]


def values(dtype):
    """Values every type holds exactly (small integers, halves)."""
    rng = np.random.default_rng(7)
    if dtype == np.bool_:
        return rng.random(BLOCK) < 0.5
    x = rng.integers(-8, 8, BLOCK)
    return (x / 2 if np.dtype(dtype).kind == "f" else x).astype(dtype)


@pytest.mark.parametrize("n", [1013, 1008, 0], ids=["inside-a-vector", "between-vectors", "none"])
@pytest.mark.parametrize("other", ["none", "scalar", "block"])
@pytest.mark.parametrize("name,ktype,ntype,scalar", TYPES, ids=[t[0] for t in TYPES])
def test_masked_load_yields_other_where_the_mask_is_off(name, ktype, ntype, scalar, other, n):
    x = values(ntype)
    if ntype == np.float32 and ktype != kl.float32:  # stored as bf16 or fp8
        args = [kite.from_numpy(x, dtype=ktype, device=DEVICE),
                kite.zeros(BLOCK, ktype, device=DEVICE)]
    else:
        args = [x, np.zeros(BLOCK, ntype)]
    out = run(masked_load, (1,), *args, n, OTHER=other, SCALAR=scalar, BLOCK=BLOCK)[1]
    offs = np.arange(BLOCK)
    fill = {"none": np.zeros(BLOCK), "scalar": np.full(BLOCK, scalar),
            "block": offs % 3 - 1}[other].astype(ntype)
    expected = np.where(offs < n, x, fill)
    np.testing.assert_array_equal(out, expected)
