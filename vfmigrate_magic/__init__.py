"""vfmigrate_magic: SQLite migrations from Jupyter notebooks, a terminal and Python.

In a notebook: ``%load_ext vfmigrate_magic``, then ``%migrate status``. From a terminal:
``vfmigrate status``. From Python: :class:`MigrationRunner` and :class:`RollbackManager`.
"""

__version__ = "0.1.0"

# The engine's public names, imported on first use (PEP 562): `vfmigrate --help` needs none.
_ENGINE_NAMES = (
    "BadMigrationFile", "ChecksumMismatch", "ExecutionMode", "MigrationError", "MigrationFailed",
    "MigrationResult", "MigrationRunner", "MigrationState", "RollbackManager", "RunReport",
    "StatusReport", "VersionTracker",
)

__all__ = [*_ENGINE_NAMES, "MigrationPanel", "load_ipython_extension", "unload_ipython_extension"]


def __getattr__(name: str):
    if name in _ENGINE_NAMES:
        from . import engine

        return getattr(engine, name)
    if name == "MigrationPanel":  # needs ipywidgets
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
