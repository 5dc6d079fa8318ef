"""MigrationPanel: a database picker, the status table and buttons, as ipywidgets.

``%migrate panel`` or ``MigrationPanel()`` (same settings as the magics). Its parts are
attributes, so a test or a notebook can drive it: ``panel.up.click()``, ``panel.picker.value =
"ontology"``, ``panel.to.value = 2``, ``panel.table.value`` (HTML), ``panel.result.value`` (the
last action's outcome), ``panel.frame`` (the status DataFrame),
``[o["text"] for o in panel.log.outputs]``, ``panel.progress.value``.
"""

from __future__ import annotations

import html
import threading

import ipywidgets as w

from ..engine import commands
from ..engine.config import Settings, Target
from ..engine.errors import DatabaseLocked, MigrationError, RefusedByState
from ..engine.results import RunReport, StatusReport, plural
from . import actions, frames, hints, status_html, theme
from .panel_words import button_states, outcome
from .progress import RunProgress

# How long Refresh waits for the database while an action of this panel is writing to it.
BUSY_READ_TIMEOUT = 0.2

ACTIONS = {
    # button: (direction, dry run, what the log calls it)
    "up": ("up", False, "Up"),
    "down": ("down", False, "Down"),
    "dry_run": ("up", True, "Dry run"),
}
# The few rules ipywidgets' layout cannot say, for the parts inside the widgets: the log's output
# area must not shrink inside its box (the box scrolls, starting at its end: the newest line).
STYLE = "<style>.vfmigrate-log > .jp-OutputArea { flex-shrink: 0; overflow: visible; }</style>"
# What a Down asks to confirm first: the rows its DOWN statements would remove (counted by a
# dry run of the same rollback on the real data).
DROPS_DATA = ("drop-table", "drop-column", "delete", "rebuild-loss", "cascade")
LATEST = -1  # the 'to' value of "latest" (a Dropdown's None means "nothing picked")
RESULT_MARKS = {"done": "✓", "dry run": "✓", "stopped": "■", "failed": "✗", "confirm": "?"}


class MigrationPanel:
    """Up, Down, Dry run and Refresh for one database at a time, through the same engine calls
    as ``%migrate``. After each action the status table is read again, and a result line
    above the log says what the action did (red when it failed).

    Arguments are those of ``%migrate`` (``database``, ``migrations``, ``db``, ...), or a
    resolved ``settings``; with several configured databases the picker offers each.
    Actions run in a worker thread (``threaded=True``, the default), so the kernel stays free:
    Refresh is answered while a migration runs, and a Stop button cuts the running statement
    (or a wait for the lock) short and rolls its migration back. ``threaded=False`` runs them
    in the kernel's own thread (clicks from code then return when the action is done; the
    kernel's stop button stops it).

    Buttons are enabled from the status: Up and Dry run when something is pending and no
    changed or out-of-order file guarantees a refusal; Down when the migration(s) to roll back
    have a DOWN section and their files; each button's tooltip says what it will do, or why
    not. ``to`` picks a target: Up applies up to that version, Down rolls back to it (default:
    everything pending; one step). A Down whose DOWN would remove rows asks first.

    Widgets: ``picker`` and ``to`` (Dropdowns), ``up``, ``down``, ``dry_run``, ``refresh``,
    ``stop``, ``confirm_yes``, ``confirm_no``, ``older``, ``newer`` (Buttons), ``progress``
    (IntProgress), ``message``, ``result`` and ``table`` (HTML), ``log`` (Output, newest line
    kept in view); ``widget`` holds them all.
    """

    def __init__(self, database=None, migrations=None, db=None, *, busy_timeout=None, backup=None,
                 settings: Settings | None = None, threaded: bool = True) -> None:
        if settings is None:
            settings = actions.resolve(database=database, migrations=migrations, db=db,
                                       busy_timeout=busy_timeout, backup=backup)
        self.settings = settings
        self.threaded = threaded
        self.targets = {t.label: t for t in settings.targets}
        self.status: StatusReport | None = None  # as last read
        self.report: RunReport | None = None  # what the last Up, Down or Dry run did
        self.page = 0  # of the applied migrations in the table, 0: the newest
        self._frame = None
        self._run: RunProgress | None = None
        self._thread: threading.Thread | None = None
        self._busy = False

        labels = list(self.targets)
        self.picker = w.Dropdown(options=labels, value=labels[0], description="database",
                                 disabled=len(labels) == 1, layout={"width": "240px"})
        self.to = w.Dropdown(options=[("latest", LATEST)], value=LATEST, description="to",
                             layout={"width": "170px"},
                             tooltip="Up applies up to this version, Down rolls back to it "
                                                 "(latest: everything pending; one step)")
        self.to.style.description_width = "24px"
        # Plain buttons (no success/danger colours: white on JupyterLab's green or red is below
        # 4.5:1 in the dark theme); each says what it will do in its tooltip.
        self.up = w.Button(description="Up", icon="arrow-up")
        self.down = w.Button(description="Down", icon="arrow-down")
        self.dry_run = w.Button(description="Dry run", icon="flask")
        self.refresh = w.Button(description="Refresh", icon="refresh", tooltip="Refresh: read the status again")
        self.stop = w.Button(description="Stop", icon="stop", disabled=True, tooltip="Stop: nothing is running")
        self.confirm_yes = w.Button(description="Roll back anyway", icon="check")
        self.confirm_no = w.Button(description="Cancel", icon="times")
        self.older = w.Button(description="older", icon="chevron-left", tooltip="older applied migrations")
        self.newer = w.Button(description="newer", icon="chevron-right", tooltip="newer applied migrations")
        for button in (self.up, self.down, self.dry_run, self.refresh, self.stop, self.confirm_yes,
                       self.confirm_no, self.older, self.newer):
            button.layout.width = "auto"
        self.progress = w.IntProgress(min=0, max=1, value=0, description="progress", layout={"width": "260px"})
        self.message = w.HTML(value="", layout={"flex": "1 1 300px"})
        self.result = w.HTML(value="")
        self.confirm_text = w.HTML(value="", layout={"flex": "1 1 300px"})
        self.confirm = w.HBox([self.confirm_text, self.confirm_yes, self.confirm_no],
                              layout={"display": "none", "flex_flow": "row wrap", "align_items": "center"})
        self.pager = w.HBox([self.older, self.newer], layout={"display": "none"})
        self.table = w.HTML(value="", layout={"max_width": "100%"})
        # column-reverse: a scrolled box that starts, and stays, at its end, so the newest line is in view.
        self.log = w.Output(layout={"max_height": "220px", "overflow": "auto", "display": "flex",
                                    "flex_flow": "column-reverse", "border": f"1px solid {theme.BORDER}"})

        buttons = [self.picker, self.to, self.up, self.down, self.dry_run, self.refresh] + ([self.stop] if threaded else [])
        row = {"flex_flow": "row wrap", "align_items": "center", "width": "100%"}
        self.widget = w.VBox([w.HBox(buttons, layout=row), w.HBox([self.progress, self.message], layout=row),
                              self.result, self.confirm, self.table, self.pager, self.log, w.HTML(STYLE)],
                             layout={"width": "100%", "max_width": "100%"})
        # CSS classes, so a page (or a browser test) can find the parts: vfmigrate-panel, -table, ...
        for name, part in (("panel", self.widget), ("table", self.table), ("log", self.log), ("result", self.result),
                           ("message", self.message), ("progress", self.progress), ("picker", self.picker),
                           ("to", self.to), ("confirm", self.confirm)):
            part.add_class(f"vfmigrate-{name}")

        for name in ACTIONS:
            getattr(self, name).on_click(lambda _button, name=name: self.act(name))
        self.refresh.on_click(lambda _button: self.refresh_table())
        self.stop.on_click(lambda _button: self.cancel())
        self.confirm_yes.on_click(lambda _button: self.act("down", confirmed=True))
        self.confirm_no.on_click(lambda _button: self._cancel_confirm())
        self.older.on_click(lambda _button: self._turn(+1))
        self.newer.on_click(lambda _button: self._turn(-1))
        self.picker.observe(lambda _change: self._picked(), names="value")
        self.to.observe(lambda _change: self._update_buttons(), names="value")
        self.refresh_table()

    # -- what the buttons do ------------------------------------------------------------------------

    @property
    def target(self) -> Target:
        """The database the picker shows."""
        return self.targets[self.picker.value]

    @property
    def frame(self):
        """The status of the picked database as a DataFrame (None after a failed read)."""
        if self._frame is None and self.status is not None:
            self._frame = frames.status_frame(self.status)
        return self._frame

    @property
    def target_version(self) -> int | None:
        """The version ``to`` picks; None for "latest" (Up: everything pending; Down: one step)."""
        return None if self.to.value == LATEST else self.to.value

    @property
    def busy(self) -> bool:
        """An Up, Down or Dry run is running."""
        return self._busy

    def refresh_table(self) -> None:
        """Read the status of the picked database into ``table``, ``message`` and the buttons.

        While an action runs (threaded), the answer also goes to the log: what is running and
        for how long, with the table as far as it can be read without waiting for the writer.
        """
        if self.busy:
            self._refresh_while_busy()
        else:
            self._read_status(self.settings.busy_timeout)

    def act(self, name: str, *, confirmed: bool = False) -> None:
        """Run the action of button ``name`` ("up", "down" or "dry_run"). A Down whose DOWN
        removes rows stops at a question unless ``confirmed``."""
        if self.busy:
            return
        self._hide_confirm()
        self._set_busy(True)
        if self.threaded:
            self._thread = threading.Thread(target=self._work, args=(name, confirmed), daemon=True,
                                            name=f"vfmigrate-panel-{name}")
            self._thread.start()
        else:
            self._work(name, confirmed)

    def cancel(self) -> None:
        """Stop the running action: its running statement (or its wait for the lock) is cut
        short and that migration rolled back."""
        if self._run is not None:
            self._run.cancel()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a threaded action to finish."""
        if self._thread is not None:
            self._thread.join(timeout)

    # -- reading the status --------------------------------------------------------------------------

    def _picked(self) -> None:
        self.page = 0
        self._hide_confirm()
        self.result.value = ""
        self.refresh_table()

    def _turn(self, pages: int) -> None:
        self.page += pages
        if self.status is not None:
            self.show(self.status)

    def _refresh_while_busy(self) -> None:
        run = self._run
        running = (run.describe() or "running") if run is not None else "running"
        try:
            version = self._read_status(BUSY_READ_TIMEOUT, quiet=True)
        except DatabaseLocked:
            self._log(f"Refresh: {self.picker.value}: {running}; the table is read again when it finishes")
            return
        if version is not None:  # (an error was logged instead)
            self._log(f"Refresh: {self.picker.value}: version {version}; {running}")

    def _read_status(self, busy_timeout: float, *, quiet: bool = False, keep_result: bool = False) -> int | None:
        """Show the picked database's status and return its current version (None after an
        error, which is logged). ``quiet``: leave ``message`` alone, and let DatabaseLocked out;
        ``keep_result``: an error leaves the result line to the action that just ended."""
        try:
            status = commands.status(self.target, busy_timeout=busy_timeout)
        except MigrationError as exc:
            if quiet and isinstance(exc, DatabaseLocked):
                raise
            self._status_failed(exc, keep_result)
            return None
        self.show(status, quiet=quiet)
        return status.current_version

    def show(self, status: StatusReport, *, quiet: bool = False) -> None:
        """Put ``status`` on the page: the table (one page of it), the message, the targets and
        the buttons. Built from the report itself, not a DataFrame: 10,000 migrations cost
        what a page of them costs."""
        self.status, self._frame = status, None
        table = status_html.status_table(status, page=self.page)
        self.page = table.page
        self.table.value = table.html
        self.pager.layout.display = "flex" if table.pages > 1 else "none"
        self.older.disabled = table.page >= table.pages - 1
        self.newer.disabled = table.page == 0
        if not quiet:
            counts = {}
            for e in status.entries:
                counts[e.state.value] = counts.get(e.state.value, 0) + 1
            said = ", ".join(f"{n} {state}" for state, n in counts.items())
            self._say(f"{self.picker.value}: version {status.current_version}" + (f"; {said}" if said else ""))
        self._update_targets(status)
        self._update_buttons()

    def _update_targets(self, status: StatusReport) -> None:
        options = [("latest", LATEST), ("version 0", 0)] + [(f"version {e.version}", e.version) for e in status.entries]
        if options != list(self.to.options):
            keep = self.to.value if any(v == self.to.value for _, v in options) else LATEST
            self.to.options = options
            self.to.value = keep

    def _status_failed(self, exc: MigrationError, keep_result: bool = False) -> None:
        self.status, self._frame = None, None
        self.table.value = ""
        said = hints.for_notebook(exc, panel=True)
        self._say("status failed")
        if not keep_result:
            self._result("failed", said)
        self._log(f"error: {said}", error=True)
        self._update_buttons()

    # -- the buttons ---------------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        """Enable each button from the status, with a tooltip saying what it will do or why not."""
        states = button_states(self.status, self.target_version, backup=self.settings.backup)
        for name, (enabled, tip) in states.items():
            button = getattr(self, name)
            button.disabled = self.busy or not enabled
            button.tooltip = tip
        self.picker.disabled = self.busy or len(self.targets) == 1
        self.to.disabled = self.busy
        self.stop.disabled = not self.busy
        self.stop.tooltip = ("Stop: cut the running statement (or the wait for the lock) short; its migration "
                             "is rolled back") if self.busy else "Stop: nothing is running"

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self._update_buttons()

    # -- running an action ---------------------------------------------------------------------------

    def _work(self, name: str, confirmed: bool = False) -> None:
        direction, dry_run, title = ACTIONS[name]
        target = self.target
        to = self.target_version
        options = {"to": to} if direction == "up" or to is not None else {}
        run = None
        try:
            if direction == "down" and not dry_run and not confirmed and self._needs_confirm(target, options):
                return
            # The status the panel shows sizes the bar: the run reads and checks it again anyway.
            total = actions.planned(target, direction, busy_timeout=self.settings.busy_timeout, report=self.status,
                                    **options)
            run = RunProgress(total, bar=self.progress, label=self.message,
                              echo=lambda line: self._log(f"  {line}"))
            self._run = run
            self._log(f"{title}: {self.picker.value}" + (f" (to version {to})" if to is not None else ""))
            call = actions.up if direction == "up" else actions.down
            self.report = call(target, self.settings, dry_run=dry_run, progress=run, **options)
            for line in self.report.summary().splitlines():
                self._log(f"  {line}")
            for warning in self.report.warnings:
                self._log(f"  warning: {warning}")
            ended = "dry run" if dry_run else "done"
            ok = self.report.integrity == "ok" and not self.report.foreign_key_violations
            run.finish(ended if ok else "failed")
            said = outcome(self.report)  # a dry run's says so itself: "dry run: nothing changed ..."
            self._result(ended if ok else "failed", said if dry_run and self.report.ran else f"{title}: {said}")
        except actions.RunInterrupted as exc:
            self._ended(run, "stopped" if exc.stopped else "failed", str(exc), str(exc))
        except MigrationError as exc:
            said = hints.for_notebook(exc, panel=True)  # the panel's own advice, not the command line's
            self._ended(run, "failed", said, f"{title} {'refused' if isinstance(exc, RefusedByState) else 'failed'}: {said}")
        except Exception as exc:  # not the engine's: still show it rather than lose it
            error = f"{type(exc).__name__}: {exc}"
            self._ended(run, "failed", error, f"{title} failed: {error}")
        finally:
            self._run = None
            self._set_busy(False)
            self._read_status(self.settings.busy_timeout, keep_result=True)

    def _ended(self, run: RunProgress | None, how: str, logged: str, result: str) -> None:
        """A run that did not end well: ``logged`` in the log (stderr when it failed; a stop is
        no error), ``result`` on the result line, the bar coloured by ``how``."""
        self._log(f"  {'error: ' if how == 'failed' else ''}{logged}", error=how == "failed")
        if run is not None:
            run.finish(how)
        self._result(how, result)

    def _needs_confirm(self, target: Target, options: dict) -> bool:
        """Rehearse the Down (a dry run: rolled back) and count the rows it would remove; if
        there are any, ask before running it. Returns True when a question is now showing."""
        self._say(f"{self.picker.value}: counting the rows this Down would remove …")
        rehearsal = actions.down(target, self.settings, dry_run=True, **options)
        losses = [f for f in rehearsal.findings if f.kind in DROPS_DATA and f.rows]
        if not losses:
            return False
        shown = "; ".join(f"{f.kind} {f.object}: {plural(f.rows, 'row')}" for f in losses[:4])
        more = f"; and {len(losses) - 4} more" if len(losses) > 4 else ""
        backup = " A backup is written first." if self.settings.backup else " No backup is written (backup is off)."
        question = f"Down removes data: {shown}{more}.{backup} Roll back anyway?"
        self.confirm_text.value = f"<b>{html.escape(question)}</b>"
        self.confirm.layout.display = "flex"
        self._result("confirm", question)
        self._log(f"Down: {self.picker.value}: asks first: {shown}{more}")
        return True

    def _hide_confirm(self) -> None:
        self.confirm.layout.display = "none"
        self.confirm_text.value = ""

    def _cancel_confirm(self) -> None:
        self._hide_confirm()
        self._result("done", "Down cancelled: nothing was changed")
        self._log("Down: cancelled; nothing was changed")

    # -- output --------------------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.message.value = html.escape(text)

    def _result(self, how: str, text: str) -> None:
        """The result line above the log: the last action's outcome, red when it failed."""
        colour = theme.ERROR_TEXT if how == "failed" else "inherit"
        self.result.value = (f'<div class="vfmigrate-result-{how.replace(" ", "-")}" style="color: {colour}; '
                             f'padding: 2px 0; white-space: normal">{RESULT_MARKS[how]} {html.escape(text)}</div>')

    def _log(self, line: str, *, error: bool = False) -> None:
        # append_* (not "with self.log:") so lines land in the widget from any thread, and in tests.
        (self.log.append_stderr if error else self.log.append_stdout)(line + "\n")

    # -- display ------------------------------------------------------------------------------------

    def _repr_mimebundle_(self, **kwargs):
        """The live widget, with a snapshot beside it: a saved notebook, GitHub's viewer and
        nbconvert's HTML, which cannot run the widget, show the status table and last result."""
        bundle = self.widget._repr_mimebundle_(**kwargs)
        bundle["text/plain"] = repr(self)
        bundle["text/html"] = self.snapshot_html()
        return bundle

    def snapshot_html(self) -> str:
        """The panel as plain HTML: the database and its message, the last result, the table."""
        head = self.message.value or html.escape(self.picker.value)  # the message names the database
        return (f"<p><b>Migration panel</b> ({head}; run the cell for the buttons)</p>\n"
                f"{self.result.value}\n{self.table.value}")

    def __repr__(self) -> str:
        return f"MigrationPanel(databases={list(self.targets)!r}, showing={self.picker.value!r})"
