"""``import kite.language as kl``: the ops a kernel is written with, named as
in ``triton.language`` so that kernels port by changing the import."""
from . import extra, math, random  # noqa: F401
from .block_pointer import advance, make_block_ptr  # noqa: F401
from .core import constexpr, tensor  # noqa: F401
from .dtypes import (bfloat16, block_type, bool_, dtype, float8e4b8, float8e4m3,  # noqa: F401
                     float8e4nv, float8e5, float8e5b16, float8e5m2, float8e8m0, float16, float32,
                     float64, int1, int8, int16, int32, int64, pointer_type, uint8, uint16,
                     uint32, uint64)
from .dot_scaled import dot_scaled  # noqa: F401
from .gather import gather  # noqa: F401
from .quantization import dequantize, pack_int4, quantize, unpack_int4  # noqa: F401
from .join_split import cat, interleave, join, split  # noqa: F401
from .memory import (atomic_add, atomic_and, atomic_cas, atomic_max, atomic_min,  # noqa: F401
                     atomic_or, atomic_xchg, atomic_xor, load, store)
from .reduction import (argmax, argmin, associative_scan, cumprod, cumsum, dot, max,  # noqa: F401
                        flip, histogram, min, reduce, reduce_or, softmax, sum, xor_sum)
from .standard import (PropagateNan, abs, add, arange, assume, broadcast,  # noqa: F401
                       broadcast_to, cast, cdiv, ceil, clamp, condition, cos, debug_barrier,
                       device_assert, device_print, erf, exp, exp2, expand_dims, floor, fma,
                       full, full_like, log, log2, max_constancy, max_contiguous, maximum,
                       minimum, mul, multiple_of, num_programs, permute, program_id, range,
                       ravel, reshape, rsqrt, sigmoid, sin, sqrt, static_assert, static_print,
                       static_range, sub, swizzle2d, trans, view, where, zeros, zeros_like)
from .math import div_rn, fdiv, sqrt_rn, umulhi  # noqa: F401
from .random import (pair_uniform_to_normal, philox, philox_impl, rand, rand4x,  # noqa: F401
                     randint, randint4x, randn, randn4x, uint_to_uniform_float)
from .sorting import bitonic_merge, sort, topk  # noqa: F401
from .tensor_descriptor import (load_tensor_descriptor, make_tensor_descriptor,  # noqa: F401
                                store_tensor_descriptor, tensor_descriptor)
