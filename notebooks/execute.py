"""Run the example notebooks and save them with their new outputs (for nbval to compare).

    python notebooks/execute.py                    # every notebook in this folder
    python notebooks/execute.py quickstart.ipynb   # just these

Run it after a change that alters what a notebook shows (the magics' output, the bundled
migrations), then look at the diff before committing. Cells tagged ``raises-exception`` may
fail; any other failing cell stops the run.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> int:
    paths = [HERE / name for name in names] if names else sorted(HERE.glob("*.ipynb"))
    for path in paths:
        notebook = nbformat.read(path, as_version=4)
        started = time.perf_counter()
        # The notebook's folder as the working folder, as nbval and Jupyter run it.
        NotebookClient(notebook, timeout=300, kernel_name="python3",
                       resources={"metadata": {"path": str(HERE)}}).execute()
        nbformat.write(notebook, path)
        print(f"{path.name}: {len(notebook.cells)} cells in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
