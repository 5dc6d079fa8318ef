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
