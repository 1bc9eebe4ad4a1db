"""``from triton.tools.tensor_descriptor import TensorDescriptor`` as ported
code writes it: the same class as ``kite.TensorDescriptor``."""
from ..tensor_descriptor import TensorDescriptor  # noqa: F401

__all__ = ["TensorDescriptor"]
