"""MigrationPanel without a kernel: ``button.click()`` runs the handlers, then the database and
the widgets are checked."""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path

import pytest

from nbhelpers import objects, versions, write_migration
from vfmigrate_magic.engine import commands, config
from vfmigrate_magic.notebook.panel import LATEST, MigrationPanel


@pytest.fixture
def panel(app) -> MigrationPanel:
    """A panel whose clicks return when the action is done (the threaded default is tested below)."""
    return MigrationPanel(database="app.db", threaded=False)


def log_lines(panel: MigrationPanel) -> list[str]:
    return "".join(o["text"] for o in panel.log.outputs).splitlines()


def result(panel: MigrationPanel) -> str:
    """The result line as text."""
    return re.sub(r"<[^>]+>", "", panel.result.value).replace("&gt;", ">")


def history_statuses() -> list[tuple[int, str]]:
    events = commands.history(config.resolve(database="app.db").target)
    return [(e.version, e.status) for e in events]


def test_the_table_shows_each_migration_with_its_state_marked(panel):
    assert panel.frame["state"].tolist() == ["pending", "pending"]
    assert panel.table.value.count("· pending") == 2
    assert "background-color" not in panel.table.value  # the state is a bar at the edge, text keeps the theme's colours
    assert panel.table.value.count("border-left: 4px solid var(--jp-warn-color1") == 2
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
    assert result(panel).startswith("✓ Up: 2 migrations applied in ") and "version 0 → 2, 3 rows changed" in result(panel)
    # Nothing is pending any more: Up and Dry run say so; Down names what it would roll back.
    assert (panel.up.disabled, panel.up.tooltip) == (True, "Up: nothing pending")
    assert panel.dry_run.disabled and not panel.refresh.disabled
    assert (panel.down.disabled, panel.down.tooltip) == (False, "Down: roll back 002_add_email_index (backup first)")


def test_buttons_are_disabled_while_an_action_runs(panel):
    seen = []
    panel.to.observe(lambda change: seen.append(("to", change["new"])), names="disabled")
    panel.stop.observe(lambda change: seen.append(("stop", change["new"])), names="disabled")
    panel.up.click()
    assert seen == [("to", True), ("stop", False), ("to", False), ("stop", True)]


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
    # A dry run ends in its own colour and words, not as an Up.
    assert panel.progress.bar_style == "info"
    assert result(panel).startswith("✓ dry run: nothing changed (still at version 1); 1 migration rehearsed")


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
    # The result line, above the log, says it whole and in red.
    assert "var(--jp-error-color1" in panel.result.value
    assert result(panel) == ("✗ Up failed: 003_broken.sql, statement 1 (line 7): no such column: nope; nothing from "
                             "003_broken.sql was applied; earlier migrations in this run stay: 1, 2")
    assert history_statuses()[-1] == (3, "failed")
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


def test_on_a_fleet_pattern_the_picker_lists_each_file_and_up_migrates_the_picked_one(tmp_path):
    write_migration(tmp_path / "migrations", "001_a.sql", "CREATE TABLE a (x);", "DROP TABLE a;")
    (tmp_path / "tenants").mkdir()
    for name in ("east", "west", "north"):
        sqlite3.connect(tmp_path / "tenants" / f"{name}.db").close()
    panel = MigrationPanel(database="tenants/*.db", threaded=False)
    assert panel.picker.options == ("tenants/east.db", "tenants/north.db", "tenants/west.db")
    panel.picker.value = "tenants/west.db"
    panel.up.click()
    assert versions(tmp_path / "tenants" / "west.db") == [1]
    assert [objects(tmp_path / "tenants" / f"{n}.db") for n in ("east", "north")] == [set(), set()]


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
    said = "stopped: rolled back 003_slow.sql at statement 2 (line 8); earlier migrations in this run stay: 1, 2; " \
           "app.db is at version 2"
    assert log_lines(panel)[-1] == f"  {said}"
    assert not [o for o in panel.log.outputs if o["name"] == "stderr"]  # a stop is no error
    assert result(panel) == f"■ {said}"
    assert panel.progress.bar_style == "warning"
    assert history_statuses()[-1] == (3, "stopped")
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
    assert "003_slow: statement 2 of 2, running for " in answer
    panel.stop.click()
    panel.wait(30)
    assert not panel.up.disabled
    assert panel.frame["state"].tolist() == ["applied", "applied", "pending"]


def test_down_is_disabled_at_version_0_and_on_an_irreversible_migration(app):
    write_migration(Path("migrations"), "003_no_way_back.sql", "CREATE TABLE kept (x);")  # no DOWN
    panel = MigrationPanel(database="app.db", threaded=False)
    assert (panel.down.disabled, panel.down.tooltip) == (True, "Down: nothing to roll back (version 0)")
    assert (panel.up.disabled, panel.up.tooltip) == (
        False, "Up: apply 3 migrations (001_create_users … 003_no_way_back)")
    panel.up.click()
    assert versions(Path("app.db")) == [1, 2, 3]
    assert panel.down.disabled
    assert panel.down.tooltip == "Down: 003_no_way_back has no DOWN section (irreversible); restore a backup instead"


def test_a_changed_file_disables_up_and_dry_run_with_the_reason(panel):
    panel.up.click()
    path = Path("migrations/001_create_users.sql")
    path.write_text(path.read_text(encoding="utf-8") + "\n-- edited\nSELECT 1;\n", encoding="utf-8")
    write_migration(Path("migrations"), "003_more.sql", "CREATE TABLE more (x);", "DROP TABLE more;")
    panel.refresh.click()
    for button in (panel.up, panel.dry_run):
        assert button.disabled
        assert "refused: 001_create_users changed after it was applied" in button.tooltip


def test_to_picks_a_target_version_for_up_and_down(panel):
    write_migration(Path("migrations"), "003_more.sql", "CREATE TABLE more (x);", "DROP TABLE more;")
    panel.refresh.click()
    assert [label for label, _ in panel.to.options] == ["latest", "version 0", "version 1", "version 2", "version 3"]
    assert panel.to.label == "latest" and panel.target_version is None
    panel.to.value = 2
    assert panel.up.tooltip == "Up: apply 2 migrations (001_create_users … 002_add_email_index) up to version 2"
    panel.up.click()
    assert versions(Path("app.db")) == [1, 2]
    assert panel.up.disabled and panel.up.tooltip == "Up: nothing pending up to version 2"
    panel.to.value = 0
    assert panel.down.tooltip == "Down: roll back 2 migrations to version 0 (backup first)"
    panel.down.click()  # 001's DOWN drops users and its 3 rows: asked first
    assert versions(Path("app.db")) == [1, 2]
    panel.confirm_yes.click()
    assert versions(Path("app.db")) == []


def test_a_down_that_drops_rows_asks_first_and_cancel_changes_nothing(panel):
    panel.to.value = 1
    panel.up.click()
    before = Path("app.db").read_bytes()
    panel.to.value = LATEST
    panel.down.click()  # 001's DOWN is DROP TABLE users, holding 3 rows
    assert panel.confirm.layout.display == "flex"
    assert "drop-table users: 3 rows" in panel.confirm_text.value
    assert result(panel).startswith("? Down removes data: drop-table users: 3 rows. A backup is written first.")
    assert versions(Path("app.db")) == [1]
    assert Path("app.db").read_bytes() == before
    panel.confirm_no.click()
    assert panel.confirm.layout.display == "none"
    assert result(panel) == "✓ Down cancelled: nothing was changed"
    assert versions(Path("app.db")) == [1]
    panel.down.click()
    panel.confirm_yes.click()
    assert versions(Path("app.db")) == []
    assert result(panel).startswith("✓ Down: 1 migration rolled back in ")


def test_a_down_that_drops_no_rows_runs_at_once(panel):
    panel.up.click()
    panel.down.click()  # 002's DOWN drops an index: no rows
    assert versions(Path("app.db")) == [1]
    assert panel.confirm.layout.display == "none"


def test_the_table_shows_what_needs_attention_and_pages_the_applied(tmp_path):
    for v in range(1, 46):
        write_migration(tmp_path / "migrations", f"{v:03d}_step_{v}.sql", f"CREATE TABLE t{v} (x);", f"DROP TABLE t{v};")
    panel = MigrationPanel(database="app.db", threaded=False)
    panel.to.value = 43
    panel.up.click()
    versions_shown = [int(v) for v in re.findall(r'data-version="(\d+)"', panel.table.value)]
    assert versions_shown == list(range(24, 46))  # the newest 20 applied, then the 2 pending
    assert "20 of 43 applied migrations shown (page 1 of 3, newest first)" in panel.table.value
    assert panel.pager.layout.display == "flex" and panel.newer.disabled and not panel.older.disabled
    panel.older.click()
    assert [int(v) for v in re.findall(r'data-version="(\d+)"', panel.table.value)] == list(range(4, 24)) + [44, 45]
    panel.older.click()
    assert [int(v) for v in re.findall(r'data-version="(\d+)"', panel.table.value)] == [1, 2, 3, 44, 45]
    assert panel.older.disabled
    # Each name opens onto its SQL.
    assert "<summary" in panel.table.value and "-- UP\nCREATE TABLE t44 (x);\n\n-- DOWN\nDROP TABLE t44;" in panel.table.value


def test_a_long_statement_shows_which_statement_runs_and_for_how_long(app):
    panel = MigrationPanel(database="app.db", threaded=True)
    start_slow_migration(panel)
    deadline = time.monotonic() + 10
    while "statement 2 of 2, running for" not in panel.message.value:
        assert time.monotonic() < deadline, panel.message.value
        time.sleep(0.05)
    assert panel.message.value.startswith("003_slow: statement 2 of 2, running for ")
    panel.stop.click()
    panel.wait(30)


def test_a_lock_wait_is_shown_and_stop_cuts_it_short(app):
    write_migration(Path("migrations"), "003_more.sql", "CREATE TABLE more (x);", "DROP TABLE more;")
    panel = MigrationPanel(database="app.db", busy_timeout=30, threaded=True)
    panel.to.value = 2
    panel.up.click()
    panel.wait(30)
    panel.to.value = LATEST
    other = sqlite3.connect("app.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        panel.up.click()
        deadline = time.monotonic() + 10
        while "waiting for the write lock" not in panel.message.value:
            assert time.monotonic() < deadline, panel.message.value
            time.sleep(0.05)
        stopped_at = time.monotonic()
        panel.stop.click()
        panel.wait(30)
        assert time.monotonic() - stopped_at < 2  # not the 30 s busy timeout
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert versions(Path("app.db")) == [1, 2]
    assert result(panel) == ("■ stopped: 003_more.sql was not run (stopped while waiting for the write lock); "
                             "app.db is at version 2")
    assert history_statuses()[-1] == (3, "stopped")


def test_a_locked_database_is_said_with_the_panels_own_advice(app):
    panel = MigrationPanel(database="app.db", busy_timeout=0.2, threaded=False)
    other = sqlite3.connect("app.db", isolation_level=None)
    other.execute("CREATE TABLE held (x)")
    other.execute("BEGIN EXCLUSIVE")  # no reader, no writer
    try:
        panel.dry_run.click()
    finally:
        other.execute("ROLLBACK")
        other.close()
    text = result(panel)
    assert text.startswith("✗ Dry run failed: app.db is locked by another process (waited 0.2 s)"), text
    assert "MigrationPanel(busy_timeout=SECONDS)" in text and "--busy-timeout" not in text
