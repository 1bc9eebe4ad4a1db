"""Where Triton keeps host-side helpers (``triton.tools``): the names ported
code imports from there."""
from . import tensor_descriptor  # noqa: F401
