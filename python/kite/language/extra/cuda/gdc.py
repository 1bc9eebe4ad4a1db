"""Grid dependency control, as ``triton.language.extra.cuda``: with
programmatic dependent launch (``launch_pdl=True`` on sm_90 and later) a
kernel may start while the one launched before it still runs.
``gdc_wait()`` waits until that grid has finished and its writes are
visible; ``gdc_launch_dependents()`` lets the next kernel start early. Where
launches run one after another (older GPUs, Vulkan, the interpreter) both
do nothing."""
from ...core import active_builder, builtin


@builtin
def gdc_wait():
    """Waits for the grids this launch depends on (PTX ``griddepcontrol.wait``
    on sm_90+); call it before reading what the previous kernel wrote."""
    active_builder().gdc_wait()


@builtin
def gdc_launch_dependents():
    """Lets the dependent grid start (PTX ``griddepcontrol.launch_dependents``
    on sm_90+); its ``gdc_wait`` still waits for this grid to finish."""
    active_builder().gdc_launch_dependents()
