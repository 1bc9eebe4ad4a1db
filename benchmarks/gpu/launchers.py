"""How each benchmark kernel is launched: grid, block sizes and warp counts.

One function per kernel takes ``k``, the module that holds the kernels
(``gpu.load_kernels("kite")`` or ``("triton")``), and the buffers (torch tensors on
a GPU, ``kite.Tensor`` in the smoke test), so Kite and Triton get the very
same launch. Buffers are contiguous and row-major; sizes are passed as
integers, never read from the buffers, so the functions work for any array
type.

The kernels treat the last dimension as unit-stride instead of taking its
stride: a Triton kernel given a stride of 1 specialises on it (the
contiguity then lets loads vectorise), and passing it would measure that
specialisation rather than the code generation."""
from __future__ import annotations

from typing import NamedTuple


def next_power_of_2(n: int) -> int:
    return 1 << (n - 1).bit_length()


def cdiv(a: int, b: int) -> int:
    return (a + b - 1) // b


# ------------------------------------------------------------------ vector add

ADD_BLOCK, ADD_WARPS = 1024, 4


def vector_add(k, x, y, out, n: int):
    k.add_kernel[(cdiv(n, ADD_BLOCK),)](x, y, out, n, BLOCK=ADD_BLOCK, num_warps=ADD_WARPS)


# ------------------------------------------------------------------ softmax

def softmax_config(n_cols: int) -> dict:
    """The row is one block; wide rows get more warps (at 16384 columns, 512
    threads hold 32 elements each)."""
    block = next_power_of_2(n_cols)
    warps = 16 if block >= 4096 else 8 if block >= 2048 else 4
    return dict(BLOCK=block, num_warps=warps)


def softmax(k, out, x, n_rows: int, n_cols: int):
    k.softmax_kernel[(n_rows,)](out, x, n_cols, n_cols, **softmax_config(n_cols))


# ------------------------------------------------------------------ layernorm

LAYERNORM_EPS = 1e-5


def layernorm_config(n_cols: int) -> dict:
    """The row is one block, with one warp per 256 columns, 1 to 8."""
    block = next_power_of_2(n_cols)
    return dict(BLOCK=block, num_warps=min(max(block // 256, 1), 8))


def layernorm(k, x, y, w, b, mean, rstd, n_rows: int, n_cols: int, eps: float = LAYERNORM_EPS):
    k.layernorm_kernel[(n_rows,)](x, y, w, b, mean, rstd, n_cols, n_cols, eps,
                                  **layernorm_config(n_cols))


# ------------------------------------------------------------------ matmul

class MatmulConfig(NamedTuple):
    BLOCK_M: int
    BLOCK_N: int
    BLOCK_K: int
    GROUP_M: int
    num_warps: int
    num_stages: int

    def meta(self) -> dict:
        return self._asdict()


# Fixed per shape, the same for Kite and Triton (no autotuning): 128x128
# tiles of 8 warps for the large products, 64x64 of 4 warps for 1024^3 so
# that its 256 programs fill an H100's 132 SMs. num_stages is Triton's
# software pipelining depth; Kite takes the option too.
MATMUL_LARGE = MatmulConfig(128, 128, 32, 8, 8, 3)
MATMUL_SMALL = MatmulConfig(64, 64, 32, 8, 4, 3)


def matmul_config(M: int, N: int, K: int) -> MatmulConfig:
    return MATMUL_SMALL if M * N <= 1024 * 1024 else MATMUL_LARGE


def matmul(k, a, b, c, M: int, N: int, K: int, config: MatmulConfig | None = None):
    config = config or matmul_config(M, N, K)
    grid = (cdiv(M, config.BLOCK_M) * cdiv(N, config.BLOCK_N),)
    k.matmul_kernel[grid](a, b, c, M, N, K, K, N, N, **config.meta())


# ------------------------------------------------------------------ launch overhead

TINY_N = 128
# None is 1, which Triton would compile in as a constant.
TINY_SCALARS = (3, 5, 7, 9, 11, 13, 15)


def tiny3(k, x, out):
    k.tiny3_kernel[(1,)](x, out, TINY_N)


def tiny16(k, ins, out):
    """``ins``: seven input buffers of TINY_N float32."""
    k.tiny16_kernel[(1,)](*ins, out, TINY_N, *TINY_SCALARS)
