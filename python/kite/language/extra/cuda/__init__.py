"""``kite.language.extra.cuda.libdevice``: the same functions as
``kite.language.extra.libdevice``, under the import path Triton kernels use
(``from triton.language.extra.cuda import libdevice``). They are portable:
they compile for Vulkan too."""
from .. import libdevice  # noqa: F401
