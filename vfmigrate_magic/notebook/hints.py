"""The notebook's words for the advice in the engine's error messages.

The engine keeps one message per error, worded for the command line, its canonical front end
(``vfmigrate create NAME``, ``--busy-timeout SECONDS``). Most of that advice is right in a
notebook as it stands, because ``%migrate`` takes the command line's words and options
(``%migrate down --steps 2 --no-backup``, ``--db NAME``, ``--at VERSION``) and the environment
variables (``DATABASE_PATH``) stay valid. What differs is a short list of phrases:
:data:`PHRASES` gives each one's notebook wording and, where ``MigrationPanel`` has an argument
of its own for it, the panel's. :func:`for_notebook` applies it; the magics call it when they
turn an engine error into a ``UsageError``, and the panel for the lines it logs.

Why rewrite phrases rather than rebuild each message from the error's fields: a rebuilt
message is a second copy of the engine's sentence, free to drift from it; a phrase swaps only
the advice and leaves the rest of the one message alone. The fields are used where they say
which part of a message is advice: of a ``BadMigrationFile`` only its ``hint`` is reworded
(never the file name or the reason, which may quote the user's SQL), and a ``MigrationFailed``
is left as it is (SQLite's words about the user's statement: no advice in it). Each phrase is
checked against an error the real engine raises (``tests/notebook/test_hints.py``), so an
engine message reworded without this table fails a test instead of reaching a notebook in
command-line words.
"""

from __future__ import annotations

from ..engine.errors import BadMigrationFile, MigrationFailed

# (command line, notebook, MigrationPanel -- None: as in the notebook). The phrases carry their
# quotes or brackets, so they match advice and nothing else.
PHRASES: tuple[tuple[str, str, str | None], ...] = (
    ("--busy-timeout SECONDS", "%config MigrateMagics.busy_timeout = SECONDS", "MigrationPanel(busy_timeout=SECONDS)"),
    ("(--no-backup)", "(--no-backup)", "(MigrationPanel(backup=False))"),
    ("vfmigrate create NAME", "%%migration NAME", None),
    ("'vfmigrate up'", "'%migrate up'", None),
    ("'vfmigrate status'", "'%migrate status'", None),
    ("'vfmigrate backups'", "'%migrate backups'", None),
)


def for_notebook(error: BaseException | str, *, panel: bool = False) -> str:
    """The one-line message of ``error`` (an engine error, or its message) with the command
    line's advice in the notebook's words; ``panel``: in ``MigrationPanel``'s words where the
    panel has its own argument (``MigrationPanel(busy_timeout=SECONDS)``). Everything that is
    not advice is kept as the engine wrote it."""
    if isinstance(error, str):
        return _reworded(error, panel)
    text = str(error)
    if isinstance(error, MigrationFailed):
        return text
    if isinstance(error, BadMigrationFile):
        if error.hint and text.endswith(error.hint):
            return text[:len(text) - len(error.hint)] + _reworded(error.hint, panel)
        return text
    return _reworded(text, panel)


def _reworded(text: str, panel: bool) -> str:
    for cli, notebook, in_panel in PHRASES:
        text = text.replace(cli, in_panel if panel and in_panel is not None else notebook)
    return text
