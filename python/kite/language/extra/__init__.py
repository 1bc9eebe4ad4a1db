"""``kite.language.extra``: as ``triton.language.extra``, the home of
``libdevice`` (``from kite.language.extra import libdevice``)."""
from . import libdevice  # noqa: F401
from . import cuda  # noqa: F401  (kl.extra.cuda.gdc_wait, as tl.extra.cuda)
