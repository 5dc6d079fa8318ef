"""The notebook layer: ``%migrate``/``%%migration`` (magics), ``MigrationPanel`` (panel),
DataFrames of the engine's results (frames), styled reports (reports) and matplotlib charts
(charts).

Needs the ``notebook`` extra (IPython, ipywidgets, pandas); each name is imported on first use.
"""

from importlib import import_module

_NAMES = {
    "MigrateMagics": "magics", "MigrationPanel": "panel", "status_frame": "frames", "run_frame": "frames",
    "statements_frame": "frames", "history_frame": "frames", "timing_bars": "reports", "status_table": "reports",
    "timing_chart": "charts", "version_timeline": "charts", "before_after_chart": "charts",
}

__all__ = sorted(_NAMES)


def __getattr__(name: str):
    if name in _NAMES:
        return getattr(import_module(f".{_NAMES[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
