"""``kite.language.extra``: as ``triton.language.extra``, the home of
``libdevice`` (``from kite.language.extra import libdevice``)."""
from . import libdevice  # noqa: F401
