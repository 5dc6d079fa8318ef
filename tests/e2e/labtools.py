"""What the browser tests need from this machine: Chromium, Playwright and JupyterLab."""

from __future__ import annotations

import importlib.util
import os
import shutil

# Debian's package installs a wrapper script; the binary behind it skips the wrapper's shell checks.
CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")


def chromium_path() -> str | None:
    """Where Chromium is: $VFMIGRATE_CHROMIUM, Debian's package, or chromium on PATH."""
    for candidate in (os.environ.get("VFMIGRATE_CHROMIUM"), *CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


def missing_requirement() -> str | None:
    """Why the browser tests cannot run here (None when they can)."""
    for module, package in (("playwright", "playwright"), ("jupyterlab", "jupyterlab")):
        if importlib.util.find_spec(module) is None:
            return f"{package} is not installed (pip install -e '.[test]')"
    if chromium_path() is None:
        return "no Chromium found (apt-get install chromium, or set VFMIGRATE_CHROMIUM)"
    return None


def open_and_run_all(page, lab, name: str, timeout_ms: int) -> None:
    """Open notebook ``name`` in JupyterLab, wait for its kernel, and run every cell."""
    page.goto(lab.notebook_url(name))
    page.wait_for_function(
        "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;"
        " return !!k && k.status === 'idle' && w.context.isReady && w.sessionContext.isReady"
        " && document.querySelectorAll('.jp-NotebookPanel .jp-Cell').length > 0; }",
        timeout=timeout_ms)
    lab.find_kernels()
    page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
