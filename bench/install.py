"""What the bench times, installed as a user gets it: a virtual environment of its own with
vfmigrate_magic installed from this checkout as a regular (non-editable) package, the Python
peers and (for the panel's workload) the packages of its ``notebook`` extra beside it, and
dbmate's binary from its npm package."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .stats import BenchError

REPO = Path(__file__).resolve().parent.parent
PEERS = ("yoyo-migrations>=9", "alembic>=1.13", "sqlalchemy>=2")
DBMATE_VERSION = "2.36.0"
WINDOWS = os.name == "nt"


def default_cache() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "vfmigrate_magic-bench"


@dataclass(frozen=True)
class Venv:
    folder: Path

    def script(self, name: str) -> str:
        return str(self.folder / ("Scripts" if WINDOWS else "bin") / (name + (".exe" if WINDOWS else "")))

    @property
    def python(self) -> str:
        return self.script("python")

    def versions(self, env: dict[str, str]) -> dict[str, str]:
        """Python's, SQLite's and the packages' versions as this environment sees them. Raises
        BenchError when it imports vfmigrate_magic from the checkout, not from its own install."""
        code = ("import importlib.metadata as m, importlib.util as u, json, sqlite3, sys\n"
                "def v(p):\n    try: return m.version(p)\n    except m.PackageNotFoundError: return None\n"
                "print(json.dumps({'python': sys.version.split()[0], 'sqlite': sqlite3.sqlite_version, "
                "'from': u.find_spec('vfmigrate_magic').origin, "
                "**{p: v(p) for p in ('vfmigrate_magic', 'yoyo-migrations', 'alembic', 'sqlalchemy', 'pandas', "
                "'ipywidgets')}}))")
        found = json.loads(subprocess.run([self.python, "-c", code], cwd=tempfile.gettempdir(), env=env, check=True,
                                          capture_output=True, text=True).stdout)
        if Path(found["from"]).resolve().is_relative_to(REPO):
            raise BenchError(f"the bench's environment imports vfmigrate_magic from the checkout ({found['from']})")
        return found


def _pip(venv: Venv, env: dict[str, str], *args: str) -> None:
    done = subprocess.run([venv.python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args],
                          env=env, capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no message)"])[-1]
        raise BenchError(f"pip install {' '.join(args)} failed: {last}")


def notebook_extra() -> list[str]:
    """The requirements of the project's ``notebook`` extra (pandas, ipywidgets, ...), as
    pyproject.toml lists them."""
    with open(REPO / "pyproject.toml", "rb") as file:
        return tomllib.load(file)["project"]["optional-dependencies"]["notebook"]


def make_venv(cache: Path, peers: bool, env: dict[str, str], say,
              notebook: bool = False) -> tuple[Venv, dict[str, str]]:
    """The bench's environment under ``cache`` (made once, reused), with this checkout installed
    afresh and, when ``peers``, the Python peers; when ``notebook``, its notebook extra's packages.
    Returns it and why what could not be installed is missing: {"peers" or "notebook": why}."""
    venv = Venv(cache / f"venv-py{sys.version_info[0]}{sys.version_info[1]}")
    if not Path(venv.python).exists():
        say(f"creating the bench's virtual environment in {venv.folder}")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv.folder)], check=True)
    with tempfile.TemporaryDirectory(prefix="vfmigrate-src-") as tmp:
        # A copy of the checkout: setuptools builds in the source folder and keeps its build/lib,
        # where a module deleted from the checkout would linger into the wheel.
        source = Path(tmp) / "src"
        shutil.copytree(REPO, source, ignore=shutil.ignore_patterns(
            ".git", "__pycache__", "build", "*.egg-info", ".venv", "node_modules", "data", "results"))
        _pip(venv, env, "--force-reinstall", "--no-deps", str(source))
    missing = {}
    # The checkout went in without its dependencies (--force-reinstall would reinstall them on
    # every run); these go in once, again when their list changes.
    for what, requirements in (("peers", PEERS if peers else ()), ("notebook", notebook_extra() if notebook else ())):
        marker, wanted = venv.folder / f"bench-{what}.txt", "\n".join(requirements)
        if requirements and not (marker.exists() and marker.read_text(encoding="utf-8") == wanted):
            try:
                _pip(venv, env, *requirements)
                marker.write_text(wanted, encoding="utf-8")
            except BenchError as exc:
                missing[what] = str(exc)
    return venv, missing


def _dbmate_binary(prefix: Path) -> Path | None:
    # npm installs the one @dbmate/<platform> package that fits this machine; its Go binary is
    # called directly (the package's node_modules/.bin/dbmate is a Node wrapper: 75 ms a call).
    return next(iter(sorted(prefix.glob("node_modules/@dbmate/*/bin/dbmate*"))), None)


def install_dbmate(cache: Path) -> tuple[Path | None, str]:
    """``dbmate@DBMATE_VERSION`` under ``cache/npm`` (installed once): (binary, version), or
    (None, why it is skipped)."""
    prefix = cache / "npm"
    binary = _dbmate_binary(prefix)
    if binary is None or _version(binary) != DBMATE_VERSION:
        npm = shutil.which("npm")
        if npm is None:
            return None, "npm is not installed (install Node.js and npm to compare with dbmate)"
        prefix.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([npm, "install", "--prefix", str(prefix), "--no-save", "--no-audit", "--no-fund",
                               "--loglevel=error", f"dbmate@{DBMATE_VERSION}"], capture_output=True, text=True)
        binary = _dbmate_binary(prefix)
        if done.returncode != 0 or binary is None:
            last = (done.stderr.strip().splitlines() or ["no binary for this platform"])[-1]
            return None, f"npm install dbmate@{DBMATE_VERSION} failed: {last}"
    return binary, _version(binary)


def _version(binary: Path) -> str:
    out = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=30).stdout
    return out.strip().rsplit(" ", 1)[-1]  # "dbmate version 2.36.0"
