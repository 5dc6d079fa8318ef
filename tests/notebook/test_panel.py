"""MigrationPanel without a kernel: ``button.click()`` runs the handlers, then the database and
the widgets are checked."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from nbhelpers import objects, versions, write_migration
from vfmigrate_magic.notebook.panel import MigrationPanel


@pytest.fixture
def panel(app) -> MigrationPanel:
    """A panel whose clicks return when the action is done (the threaded default is tested below)."""
    return MigrationPanel(database="app.db", threaded=False)


def log_lines(panel: MigrationPanel) -> list[str]:
    return "".join(o["text"] for o in panel.log.outputs).splitlines()


def test_the_table_shows_each_migration_with_its_state_marked(panel):
    assert panel.frame["state"].tolist() == ["pending", "pending"]
    assert panel.table.value.count("· pending") == 2
    assert "background-color: #fff8e1" in panel.table.value
    assert panel.message.value == "app.db: version 0; 2 pending"
    assert [b.description for b in (panel.up, panel.down, panel.dry_run, panel.refresh)] == [
        "Up", "Down", "Dry run", "Refresh"]
    assert panel.picker.options == ("app.db",) and panel.picker.disabled
    assert repr(panel) == "MigrationPanel(databases=['app.db'], showing='app.db')"


def test_up_applies_fills_the_bar_logs_each_step_and_refreshes_the_table(panel):
    panel.up.click()
    assert versions(Path("app.db")) == [1, 2]
    assert (panel.progress.value, panel.progress.max, panel.progress.bar_style) == (2, 2, "success")
    lines = log_lines(panel)
    assert lines[0] == "Up: app.db"
    assert lines[1].startswith("  Applied 001_create_users in ") and lines[1].endswith(", 3 rows changed")
    assert lines[2].startswith("  Applied 002_add_email_index in ")
    assert lines[3:] == ["  Version 0 -> 2", "  foreign_key_check: ok"]
    assert panel.table.value.count("✓ applied") == 2
    assert panel.message.value.endswith("app.db: version 2; 2 applied")
    assert panel.report.version_after == 2
    assert not any(b.disabled for b in (panel.up, panel.down, panel.dry_run, panel.refresh))


def test_buttons_are_disabled_while_an_action_runs(panel):
    seen = []
    panel.down.observe(lambda change: seen.append(change["new"]), names="disabled")
    panel.up.click()
    assert seen == [True, False]


def test_dry_run_leaves_the_database_file_unchanged(panel):
    panel.up.click()  # creates app.db
    panel.down.click()
    before = Path("app.db").read_bytes()
    panel.dry_run.click()
    assert Path("app.db").read_bytes() == before
    lines = log_lines(panel)
    assert "Dry run: app.db" in lines
    assert lines[-1] == "  Dry run: the database was not changed (still at version 1)"
    assert lines[-2].startswith("  Dry run (up) 002_add_email_index in ")
    assert panel.frame["state"].tolist() == ["applied", "pending"]


def test_down_rolls_back_one_migration_after_a_backup(panel):
    panel.up.click()
    panel.down.click()
    assert versions(Path("app.db")) == [1]
    assert len(list(Path(".").glob("app.db.*.v2.bak"))) == 1
    assert panel.frame["state"].tolist() == ["applied", "pending"]
    assert any(line.startswith("  Backup written to app.db.") for line in log_lines(panel))


def test_an_error_is_logged_the_bar_turns_red_and_the_buttons_come_back(panel):
    write_migration(Path("migrations"), "003_broken.sql", "UPDATE users SET nope = 1;")
    panel.refresh.click()
    panel.up.click()
    assert versions(Path("app.db")) == [1, 2]
    errors = [o["text"] for o in panel.log.outputs if o["name"] == "stderr"]
    assert errors == ["  error: 003_broken.sql, statement 1 (line 7): no such column: nope; nothing from "
                      "003_broken.sql was applied; earlier migrations in this run stay: 1, 2\n"]
    assert panel.progress.bar_style == "danger"
    assert panel.frame["state"].tolist() == ["applied", "applied", "pending"]
    assert not panel.up.disabled


def test_refresh_reads_files_added_meanwhile(panel):
    write_migration(Path("migrations"), "003_more.sql", "CREATE TABLE more (x);", "DROP TABLE more;")
    assert len(panel.frame) == 2
    panel.refresh.click()
    assert panel.frame["name"].tolist()[-1] == "more"


def test_the_picker_switches_between_configured_databases(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.vfmigrate.databases.settings]\npath = "settings.db"\nmigrations = "m/settings"\n\n'
        '[tool.vfmigrate.databases.graph]\npath = "graph.db"\nmigrations = "m/graph"\n', encoding="utf-8")
    write_migration(tmp_path / "m/settings", "001_a.sql", "CREATE TABLE a (x);", "DROP TABLE a;")
    write_migration(tmp_path / "m/graph", "001_b.sql", "CREATE TABLE b (x);", "DROP TABLE b;")
    write_migration(tmp_path / "m/graph", "002_c.sql", "CREATE TABLE c (x);", "DROP TABLE c;")
    panel = MigrationPanel(threaded=False)
    assert panel.picker.options == ("settings", "graph") and not panel.picker.disabled
    assert panel.frame["name"].tolist() == ["a"]
    panel.picker.value = "graph"
    assert panel.frame["name"].tolist() == ["b", "c"]
    panel.up.click()
    assert versions(tmp_path / "graph.db") == [1, 2]
    assert not (tmp_path / "settings.db").exists()


def test_the_magic_opens_the_panel(ip, app):
    panel = ip.run_line_magic("migrate", "panel --database app.db")
    assert isinstance(panel, MigrationPanel)
    assert panel.threaded and panel.stop in panel.widget.children[0].children
    bundle = panel._repr_mimebundle_()
    assert bundle["text/plain"] == "MigrationPanel(databases=['app.db'], showing='app.db')"
    assert "application/vnd.jupyter.widget-view+json" in bundle
    # A snapshot for whatever cannot run the widget (a reopened file, GitHub, nbconvert).
    snapshot = bundle["text/html"]
    assert snapshot.startswith("<p><b>Migration panel</b> (app.db: version 0")
    assert "create_users" in snapshot and "add_email_index" in snapshot and "<table" in snapshot


SLOW = """WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000000)
INSERT INTO ticks SELECT i FROM n;"""


def start_slow_migration(panel: MigrationPanel) -> None:
    """Click Up with 003_slow pending and wait until it runs."""
    write_migration(Path("migrations"), "003_slow.sql", "CREATE TABLE ticks (i INTEGER);\n" + SLOW,
                    "DROP TABLE ticks;")
    panel.refresh.click()
    panel.up.click()
    deadline = time.monotonic() + 30
    while panel._run is None or panel._run.running != "003_slow":
        assert time.monotonic() < deadline, "the slow migration never started"
        time.sleep(0.01)


def test_stop_aborts_a_long_migration_in_a_worker_thread_and_rolls_it_back(app):
    panel = MigrationPanel(database="app.db", threaded=True)
    assert panel.stop in panel.widget.children[0].children
    start_slow_migration(panel)
    assert panel.up.disabled and not panel.stop.disabled
    time.sleep(0.2)
    panel.stop.click()
    panel.wait(30)
    assert versions(Path("app.db")) == [1, 2]
    assert "ticks" not in objects(Path("app.db"))
    errors = [o["text"] for o in panel.log.outputs if o["name"] == "stderr"]
    assert errors == ["  error: stopped: 003_slow.sql was rolled back at statement 2 (line 8); "
                      "earlier migrations in this run stay: 1, 2; app.db is at version 2\n"]
    assert panel.frame["state"].tolist() == ["applied", "applied", "pending"]
    assert not panel.up.disabled and panel.stop.disabled


def test_refresh_is_answered_while_a_migration_runs_in_the_worker_thread(app):
    panel = MigrationPanel(database="app.db")  # threaded by default
    start_slow_migration(panel)
    assert panel.up.disabled and panel.down.disabled and panel.dry_run.disabled
    assert not panel.refresh.disabled and not panel.stop.disabled
    time.sleep(0.3)
    panel.refresh.click()  # returns at once, while 003_slow is still running
    assert panel.up.disabled
    answer = log_lines(panel)[-1]
    assert answer.startswith("Refresh: app.db: "), answer
    assert "003_slow running for " in answer
    panel.stop.click()
    panel.wait(30)
    assert not panel.up.disabled
    assert panel.frame["state"].tolist() == ["applied", "applied", "pending"]
