"""MigrationPanel: a database picker, the status table and buttons, as ipywidgets.

``%migrate panel`` or ``MigrationPanel()`` (same settings as the magics). Its parts are
attributes, so a test or a notebook can drive it: ``panel.up.click()``, ``panel.picker.value =
"ontology"``, ``panel.table.value`` (HTML), ``panel.frame`` (the status DataFrame),
``[o["text"] for o in panel.log.outputs]``, ``panel.progress.value``.
"""

from __future__ import annotations

import threading

import ipywidgets as w

from ..engine import commands
from ..engine.config import Settings, Target
from ..engine.errors import DatabaseLocked, MigrationError
from ..engine.results import RunReport
from . import actions, frames, reports
from .progress import RunProgress

# How long Refresh waits for the database while an action of this panel is writing to it.
BUSY_READ_TIMEOUT = 0.2

ACTIONS = {
    # button: (direction, dry run, what the log calls it)
    "up": ("up", False, "Up"),
    "down": ("down", False, "Down"),
    "dry_run": ("up", True, "Dry run"),
}


class MigrationPanel:
    """Up, Down, Dry run and Refresh for one database at a time, through the same engine calls
    as ``%migrate``. After each action the status table is read again.

    Arguments are those of ``%migrate`` (``database``, ``migrations``, ``db``, ...), or a
    resolved ``settings``; with several configured databases the picker offers each.
    Actions run in a worker thread (``threaded=True``, the default), so the kernel stays free:
    Refresh is answered while a migration runs, and a Stop button aborts the running statement
    and rolls its migration back. ``threaded=False`` runs them in the kernel's own thread
    (clicks from code then return when the action is done; the kernel's stop button stops it).

    Widgets: ``picker`` (Dropdown), ``up``, ``down``, ``dry_run``, ``refresh``, ``stop``
    (Buttons), ``progress`` (IntProgress), ``message`` (Label), ``table`` (HTML), ``log``
    (Output, lines added with ``append_stdout``/``append_stderr``); ``widget`` holds them all.
    """

    def __init__(self, database=None, migrations=None, db=None, *, busy_timeout=None, backup=None,
                 settings: Settings | None = None, threaded: bool = True) -> None:
        if settings is None:
            settings = actions.resolve(database=database, migrations=migrations, db=db,
                                       busy_timeout=busy_timeout, backup=backup)
        self.settings = settings
        self.threaded = threaded
        self.targets = {frames.database_label(t): t for t in settings.targets}
        self.frame = None  # the status DataFrame shown in the table
        self.report: RunReport | None = None  # what the last Up, Down or Dry run did
        self._run: RunProgress | None = None
        self._thread: threading.Thread | None = None

        labels = list(self.targets)
        self.picker = w.Dropdown(options=labels, value=labels[0], description="database",
                                 disabled=len(labels) == 1)
        self.up = w.Button(description="Up", button_style="success", icon="arrow-up",
                           tooltip="apply every pending migration")
        self.down = w.Button(description="Down", button_style="warning", icon="arrow-down",
                             tooltip="roll back the last applied migration (after a backup, if configured)")
        self.dry_run = w.Button(description="Dry run", button_style="info", icon="flask",
                                tooltip="run the pending migrations in a transaction and roll back")
        self.refresh = w.Button(description="Refresh", icon="refresh", tooltip="read the status again")
        self.stop = w.Button(description="Stop", button_style="danger", icon="stop", disabled=True,
                             tooltip="abort the running statement; its migration is rolled back")
        self.progress = w.IntProgress(min=0, max=1, value=0, description="progress")
        self.message = w.Label(value="")
        self.table = w.HTML(value="")
        self.log = w.Output(layout={"max_height": "260px", "overflow": "auto", "border": "1px solid #ddd"})

        buttons = [self.picker, self.up, self.down, self.dry_run, self.refresh] + ([self.stop] if threaded else [])
        self.widget = w.VBox([w.HBox(buttons), w.HBox([self.progress, self.message]), self.table, self.log])
        # CSS classes, so a page (or a browser test) can find the parts: vfmigrate-panel, -table, ...
        for name, part in (("panel", self.widget), ("table", self.table), ("log", self.log),
                           ("message", self.message), ("progress", self.progress), ("picker", self.picker)):
            part.add_class(f"vfmigrate-{name}")

        for name in ACTIONS:
            getattr(self, name).on_click(lambda _button, name=name: self.act(name))
        self.refresh.on_click(lambda _button: self.refresh_table())
        self.stop.on_click(lambda _button: self.cancel())
        self.picker.observe(lambda _change: self.refresh_table(), names="value")
        self.refresh_table()

    # -- what the buttons do ------------------------------------------------------------------------

    @property
    def target(self) -> Target:
        """The database the picker shows."""
        return self.targets[self.picker.value]

    def refresh_table(self) -> None:
        """Read the status of the picked database into ``frame``, ``table`` and ``message``.

        While an action runs (threaded), the answer also goes to the log: what is running and
        for how long, with the table as far as it can be read without waiting for the writer.
        """
        if self.busy:
            self._refresh_while_busy()
        else:
            self._read_status(self.settings.busy_timeout)

    def _refresh_while_busy(self) -> None:
        run = self._run
        running = f"{run.running} running for {run.elapsed:.1f} s" if run is not None and run.running else "running"
        try:
            version = self._read_status(BUSY_READ_TIMEOUT, quiet=True)
        except DatabaseLocked:
            self._log(f"Refresh: {self.picker.value}: {running}; the table is read again when it finishes")
            return
        if version is not None:  # (an error was logged instead)
            self._log(f"Refresh: {self.picker.value}: version {version}; {running}")

    def _read_status(self, busy_timeout: float, *, quiet: bool = False) -> int | None:
        """Show the picked database's status and return its current version (None after an
        error, which is logged). ``quiet``: leave ``message`` alone, and let DatabaseLocked out."""
        try:
            status = commands.status(self.target, busy_timeout=busy_timeout)
        except MigrationError as exc:
            if quiet and isinstance(exc, DatabaseLocked):
                raise
            return self._status_failed(exc)
        self.frame = frames.status_frame(status)
        self.table.value = reports.status_table(self.frame).to_html()
        if not quiet:
            counts = ", ".join(f"{n} {state}" for state, n in self.frame["state"].value_counts(sort=False).items())
            self.message.value = f"{self.picker.value}: version {status.current_version}" + (
                f"; {counts}" if counts else "")
        return status.current_version

    def _status_failed(self, exc: MigrationError) -> None:
        self.frame = None
        self.table.value = ""
        self.message.value = "status failed"
        self._log(f"error: {exc}", error=True)

    def act(self, name: str) -> None:
        """Run the action of button ``name`` ("up", "down" or "dry_run")."""
        if self.busy:
            return
        self._set_busy(True)
        if self.threaded:
            self._thread = threading.Thread(target=self._work, args=(name,), daemon=True,
                                            name=f"vfmigrate-panel-{name}")
            self._thread.start()
        else:
            self._work(name)

    def cancel(self) -> None:
        """Stop the running action: its running statement is aborted and that migration rolled back."""
        if self._run is not None:
            self._run.cancel()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a threaded action to finish."""
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def busy(self) -> bool:
        return self.up.disabled and self.down.disabled

    # -- inside -----------------------------------------------------------------------------------

    def _work(self, name: str) -> None:
        direction, dry_run, title = ACTIONS[name]
        target = self.target
        run = None
        try:
            run = RunProgress(actions.planned(target, direction), bar=self.progress, label=self.message,
                              echo=lambda line: self._log(f"  {line}"))
            self._run = run
            self._log(f"{title}: {self.picker.value}")
            call = actions.up if direction == "up" else actions.down
            self.report = call(target, self.settings, dry_run=dry_run, progress=run)
            for line in self.report.summary().splitlines():
                self._log(f"  {line}")
            for warning in self.report.warnings:
                self._log(f"  warning: {warning}")
            run.finish(self.report.integrity == "ok", self.report.summary().splitlines()[0])
        except MigrationError as exc:
            self._log(f"  error: {exc}", error=True)
            if run is not None:
                run.finish(False, "failed")
        except Exception as exc:  # not the engine's: still show it in the log rather than lose it
            self._log(f"  error: {type(exc).__name__}: {exc}", error=True)
            if run is not None:
                run.finish(False, "failed")
        finally:
            self._run = None
            message = self.message.value
            self._read_status(self.settings.busy_timeout)
            self.message.value = f"{message} | {self.message.value}" if message else self.message.value
            self._set_busy(False)

    def _set_busy(self, busy: bool) -> None:
        for button in (self.up, self.down, self.dry_run):  # Refresh stays: it is answered during a run
            button.disabled = busy
        self.picker.disabled = busy or len(self.targets) == 1
        self.stop.disabled = not busy

    def _log(self, line: str, *, error: bool = False) -> None:
        # append_* (not "with self.log:") so lines land in the widget from any thread, and in tests.
        (self.log.append_stderr if error else self.log.append_stdout)(line + "\n")

    # -- display ------------------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs):
        """The live widget, with a snapshot beside it: a saved notebook, GitHub's viewer and
        nbconvert's HTML, which cannot run the widget, show the status table and last line."""
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = self.snapshot_html()
        return bundle

    def snapshot_html(self) -> str:
        """The panel as plain HTML: the database and its message, then the status table."""
        import html

        head = html.escape(self.message.value or self.picker.value)  # the message names the database
        return f"<p><b>Migration panel</b> ({head}; run the cell for the buttons)</p>\n{self.table.value}"

    def __repr__(self) -> str:
        return f"MigrationPanel(databases={list(self.targets)!r}, showing={self.picker.value!r})"
