"""Long work: progress while migrations run, and an interrupt that rolls the running one back."""

from __future__ import annotations

import _thread
import signal
import threading
from pathlib import Path

import pytest
from IPython.core.error import UsageError

from nbhelpers import objects, versions, write_migration
from vfmigrate_magic.engine import config
from vfmigrate_magic.notebook import actions
from vfmigrate_magic.notebook.progress import RunProgress

# Long enough to be interrupted half a second in, short enough not to hang the suite if not.
SLOW = """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 30000000)
INSERT INTO ticks SELECT i FROM n;"""


def test_a_kernel_interrupt_inside_a_long_statement_rolls_that_migration_back(ip, app):
    write_migration(Path("migrations"), "003_slow.sql", "CREATE TABLE ticks (i INTEGER);\n" + SLOW,
                    "DROP TABLE ticks;")
    # What the kernel's stop button does: SIGINT, i.e. KeyboardInterrupt in the main thread.
    # (Python's own SIGINT handler, as in a kernel: a suite started in the background
    # inherits SIGINT ignored, and interrupt_main() then does nothing.)
    saved = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(UsageError) as raised:
            ip.run_cell("%migrate up --database app.db")
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, saved)
    assert str(raised.value) == ("interrupted: rolled back 003_slow.sql at statement 2 (line 8); "
                                 "earlier migrations in this run stay: 1, 2; app.db is at version 2")
    assert versions(Path("app.db")) == [1, 2]
    assert "ticks" not in objects(Path("app.db"))
    history = ip.run_line_magic("migrate", "history --database app.db")
    # An interrupt is logged as such, apart from a failure and from a Stop.
    assert history[["version", "status"]].values.tolist()[-1] == [3, "interrupted"]


def test_the_bar_counts_migrations_and_turns_green(app):
    target = config.resolve(database="app.db").target
    progress, box = RunProgress.widgets(actions.planned(target, "up"))
    assert box.children == (progress.bar, progress.label)
    assert (progress.bar.value, progress.bar.max, progress.label.value) == (0, 2, "0 of 2")
    seen = []
    progress.bar.observe(lambda change: seen.append(change["new"]), names="value")
    report = actions.up(target, config.resolve(database="app.db"), progress=progress)
    progress.finish("done", report.summary().splitlines()[0])
    assert seen == [1, 2]
    assert (progress.bar.bar_style, progress.label.value) == ("success", "Version 0 -&gt; 2")  # (HTML)


@pytest.mark.parametrize("outcome, style", [("done", "success"), ("dry run", "info"), ("stopped", "warning"),
                                            ("failed", "danger")])
def test_each_end_has_its_own_colour(outcome, style):
    progress, _ = RunProgress.widgets(4)
    progress.bar.value = 1
    progress.finish(outcome)
    assert (progress.bar.bar_style, progress.bar.value) == (style, 4)  # full: the colour shows


def test_planned_counts_what_up_and_down_would_run(app):
    target = config.resolve(database="app.db").target
    assert actions.planned(target, "up") == 2
    assert actions.planned(target, "up", to=1) == 1
    actions.up(target, config.resolve(database="app.db"))
    assert actions.planned(target, "down") == 1
    assert actions.planned(target, "down", steps=5) == 2
    assert actions.planned(target, "down", to=0) == 2
    assert actions.planned(target, "down", all=True) == 2


def test_the_running_migration_its_statement_and_time_show_in_the_label():
    times = iter([0.0, 0.0, 0.1, 1.3, 1.4, 1.4, 2.0, 2.0])

    class Label:
        value = ""

    class Migration:
        label = "003_backfill"

        def statements(self, direction):
            return ("a", "b", "c")

    class Statement:
        index = 2

    progress = RunProgress(3, label=Label(), clock=lambda: next(times))
    progress.on_start(Migration(), "up")
    assert progress.label.value == "up 003_backfill (1 of 3)"
    assert progress.handler() == 0 and progress.label.value == "up 003_backfill (1 of 3)"  # not yet 0.25 s
    assert progress.handler() == 0 and progress.label.value == "003_backfill: running for 1.3 s"
    progress.on_statement(Migration(), Statement(), "up")  # not the first: shown at the next 0.25 s
    assert progress.handler() == 0 and progress.label.value == "003_backfill: running for 1.3 s"
    assert progress.handler() == 0 and progress.label.value == "003_backfill: statement 2 of 3, running for 2.0 s"
    progress.on_wait(1.5)
    assert progress.label.value == ("003_backfill: waiting for the write lock (1.5 s): another writer holds it")
    progress.cancel()
    assert progress.stop.is_set() and progress.hooks()["stop"] is progress.stop  # the engine watches it


def test_in_a_kernel_up_displays_a_progress_bar(ip, app, monkeypatch, capsys):
    monkeypatch.setattr(ip, "kernel", object(), raising=False)
    ip.run_line_magic("migrate", "up --database app.db")
    out = capsys.readouterr().out
    assert out.startswith("HBox(children=(IntProgress(value=0, description='migrations', max=2), "
                          "HTML(value='0 of 2')))\n")
    assert "✓ 2 of 2 migrations\n" in out  # the bar, replaced when the run ends
    ip.run_line_magic("config", "MigrateMagics.progress = False")
    ip.run_line_magic("migrate", "down --database app.db")
    assert "IntProgress" not in capsys.readouterr().out
