"""vfmigrate_magic: SQLite migrations from Jupyter notebooks, a terminal and Python.

In a notebook: ``%load_ext vfmigrate_magic``, then ``%migrate status``. From a terminal:
``vfmigrate status``. From Python: :class:`MigrationRunner` and :class:`RollbackManager`.
"""

__version__ = "0.1.0"

from .engine import (
    BadMigrationFile,
    ChecksumMismatch,
    ExecutionMode,
    MigrationError,
    MigrationFailed,
    MigrationResult,
    MigrationRunner,
    MigrationState,
    RollbackManager,
    RunReport,
    StatusReport,
    VersionTracker,
)

__all__ = [
    "BadMigrationFile", "ChecksumMismatch", "ExecutionMode", "MigrationError", "MigrationFailed",
    "MigrationPanel", "MigrationResult", "MigrationRunner", "MigrationState", "RollbackManager", "RunReport",
    "StatusReport", "VersionTracker", "load_ipython_extension", "unload_ipython_extension",
]


def __getattr__(name: str):
    if name == "MigrationPanel":  # needs ipywidgets: imported only when asked for
        from .notebook.panel import MigrationPanel

        return MigrationPanel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_ipython_extension(ipython):  # pragma: no cover - exercised through IPython
    """``%load_ext vfmigrate_magic``: register ``%migrate`` and ``%%migration``."""
    from .notebook.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython):  # pragma: no cover - exercised through IPython
    """``%unload_ext vfmigrate_magic``: remove the magics again."""
    from .notebook.magics import unload_ipython_extension as unload

    unload(ipython)
