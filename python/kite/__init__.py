"""Kite: a Triton-style tile-kernel language and JIT compiler."""
from . import language  # noqa: F401
from .errors import CompilationError, KernelRuntimeError  # noqa: F401
from .kernel_function import KernelFunction, KiteFunction, func, jit, kernel  # noqa: F401
from .language.core import constexpr  # noqa: F401
from .compiler import CompiledKernel  # noqa: F401
from .runtime import default_device, devices  # noqa: F401
from .tensor import Tensor, empty, from_numpy, zeros  # noqa: F401
from .tensor_descriptor import TensorDescriptor  # noqa: F401
from .autotuner import Config, autotune, heuristics  # noqa: F401
from . import testing  # noqa: F401
from . import tools  # noqa: F401
from . import sim  # noqa: F401
from . import quantization  # noqa: F401
from .runtime.allocator import set_allocator  # noqa: F401

__version__ = "0.1.0"


def next_power_of_2(n: int) -> int:
    """The smallest power of two >= n (1 for n <= 1), as triton.next_power_of_2."""
    return 1 if n <= 1 else 1 << (int(n) - 1).bit_length()


def cdiv(x: int, y: int) -> int:
    """Ceiling division on the host (for grids): ``cdiv(10, 4) == 3``."""
    return (x + y - 1) // y
