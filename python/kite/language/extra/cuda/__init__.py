"""``kite.language.extra.cuda``: ``gdc_wait`` and ``gdc_launch_dependents``
(gdc.py), and ``libdevice``: the same functions as
``kite.language.extra.libdevice``, under the import path Triton kernels use
(``from triton.language.extra.cuda import libdevice``). They are portable:
they compile for Vulkan too."""
from .. import libdevice  # noqa: F401
from .gdc import gdc_launch_dependents, gdc_wait  # noqa: F401
