"""The tutorial notebooks run top to bottom on the default device (nbclient)."""
import glob
import os

import nbformat
import pytest
from nbclient import NotebookClient

TUTORIALS = os.path.join(os.path.dirname(__file__), "..", "..", "tutorials")
NOTEBOOKS = sorted(glob.glob(os.path.join(TUTORIALS, "*.ipynb")))


def test_there_are_tutorials():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=os.path.basename)
def test_tutorial_runs(path, monkeypatch):
    # The notebook's kernel imports this kite, wherever the tests found it.
    import kite
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(kite.__file__)))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [package_root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": TUTORIALS}})
    client.execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    errors = [o for o in outputs if o.output_type == "error"]
    assert not errors
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "max error vs numpy: 0.0" in text
    assert "kite.load" in text
