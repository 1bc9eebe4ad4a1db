"""``kite.TensorDescriptor``: a tensor described on the host and passed to a
kernel, which loads and stores it in blocks (``desc.load([i, j])``), as
``triton.tools.tensor_descriptor.TensorDescriptor``.

A launch passes it as its base pointer, shape and strides (a stride of 1 is
a compile-time constant, so unit-stride blocks vectorise); the block shape
and padding are part of the kernel's specialisation. In the kernel it is a
``kl.tensor_descriptor``, exactly as if made with ``kl.make_tensor_descriptor``.

A descriptor that Hopper's tensor-copy engine (TMA) can read
(``tma_eligible``) is passed with one argument more: the device address of
a tensor map (CUtensorMap) that the launch makes for the boxes the compiled
kernel reads (``runtime/tensor_maps.py``), or 0 where it reads none."""
from __future__ import annotations

from typing import Sequence


class TensorDescriptor:
    def __init__(self, base, shape: Sequence[int], strides: Sequence[int],
                 block_shape: Sequence[int], padding: str = "zero"):
        shape, strides, block_shape = list(shape), list(strides), list(block_shape)
        if not len(shape) == len(strides) == len(block_shape) or not shape:
            raise ValueError(f"TensorDescriptor: shape {shape}, strides {strides} and "
                             f"block_shape {block_shape} need one entry per dimension")
        for b in block_shape:
            if not isinstance(b, int) or b <= 0 or b & (b - 1):
                raise ValueError(f"TensorDescriptor: block_shape {block_shape} must be "
                                 "powers of two")
        for v in shape + strides:
            if not isinstance(v, int) or isinstance(v, bool):
                raise ValueError(f"TensorDescriptor: shape and strides must be integers, "
                                 f"got {v!r}")
        if padding not in ("zero", "nan"):
            raise ValueError(f"TensorDescriptor: padding must be 'zero' or 'nan', got "
                             f"{padding!r}")
        self.base, self.shape, self.strides = base, shape, strides
        self.block_shape, self.padding = block_shape, padding

    @classmethod
    def from_tensor(cls, tensor, block_shape: Sequence[int], padding: str = "zero"):
        """A descriptor of the whole of ``tensor`` (a kite.Tensor, numpy array,
        or PyTorch/CuPy array), with its own strides."""
        return cls(tensor, list(tensor.shape), _strides_of(tensor), block_shape, padding)

    def __repr__(self):
        return (f"TensorDescriptor(shape={self.shape}, strides={self.strides}, "
                f"block_shape={self.block_shape}, padding={self.padding!r})")


def tma_eligible(desc: TensorDescriptor, element_bytes: int, base_aligned: bool) -> bool:
    """Whether a tensor map can describe ``desc`` (cuTensorMapEncodeTiled's
    rules, from what the launch key shows: a 16-byte aligned base, a last
    stride of 1, the others positive multiples of 16 elements below 2^31,
    dimensions below 2^31, zero padding, rank up to 5, and block dimensions
    up to 256)."""
    rank = len(desc.shape)
    if not base_aligned or desc.padding != "zero" or not 1 <= rank <= 5:
        return False
    if element_bytes not in (1, 2, 4, 8) or desc.strides[-1] != 1:
        return False
    if any(not 0 < s < 2 ** 31 or s % 16 for s in desc.strides[:-1]):
        return False
    return (all(0 < d < 2 ** 31 for d in desc.shape)
            and all(b <= 256 for b in desc.block_shape))


def _strides_of(tensor) -> list:
    """Element strides: torch's stride(), numpy's byte strides / itemsize, or
    contiguous row-major ones for a kite.Tensor."""
    stride = getattr(tensor, "stride", None)
    if callable(stride):
        return list(stride())
    strides = getattr(tensor, "strides", None)
    itemsize = getattr(getattr(tensor, "dtype", None), "itemsize", None)
    if strides is not None and itemsize:
        return [s // itemsize for s in strides]
    shape, out, step = list(tensor.shape), [], 1
    for size in reversed(shape):
        out.append(step)
        step *= size
    return out[::-1]
