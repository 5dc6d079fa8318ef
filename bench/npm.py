"""dbmate from the npm package ``dbmate``, installed by the bench into a cache folder.

The package's ``node_modules/.bin/dbmate`` is a Node wrapper that adds about 75 ms a call;
the bench calls the Go binary the package ships for this platform instead.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

DBMATE_VERSION = "2.36.0"  # the version PEERS.md measured; change both together


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "vfmigrate_magic-bench"


def _platform_dir() -> str:
    system = {"linux": "linux", "darwin": "darwin", "win32": "win32"}.get(sys.platform, sys.platform)
    machine = platform.machine().lower()
    arch = {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64",
            "i386": "ia32", "i686": "ia32"}.get(machine, "arm" if machine.startswith("arm") else machine)
    return f"{system}-{arch}"


def find_binary(prefix: Path) -> Path | None:
    scoped = prefix / "node_modules" / "@dbmate"
    exe = "dbmate.exe" if sys.platform == "win32" else "dbmate"
    candidate = scoped / _platform_dir() / "bin" / exe
    if candidate.is_file():
        return candidate
    found = sorted(scoped.glob(f"*/bin/{exe}")) if scoped.is_dir() else []
    return found[0] if found else None


def install_dbmate(cache: Path) -> tuple[Path | None, str]:
    """Install ``dbmate@DBMATE_VERSION`` under ``cache/npm`` unless it is there already.

    Returns (binary, version) or (None, why it is skipped).
    """
    prefix = cache / "npm"
    binary = find_binary(prefix)
    if binary is not None:
        version = _version(binary)
        if version == DBMATE_VERSION:
            return binary, version
    npm = shutil.which("npm")
    if npm is None:
        return None, "npm is not installed (install Node.js and npm to compare with dbmate)"
    prefix.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([npm, "install", "--prefix", str(prefix), "--no-save", "--no-audit", "--no-fund",
                           "--loglevel=error", f"dbmate@{DBMATE_VERSION}"], capture_output=True, text=True)
    binary = find_binary(prefix)
    if done.returncode != 0 or binary is None:
        last = (done.stderr.strip().splitlines() or ["no binary for this platform"])[-1]
        return None, f"npm install dbmate@{DBMATE_VERSION} failed: {last}"
    return binary, _version(binary)


def _version(binary: Path) -> str:
    try:
        out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ""
    return out.strip().rsplit(" ", 1)[-1]
