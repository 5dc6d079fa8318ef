"""``%%migration NAME``: the cell becomes a migration file, the same file on every re-run."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from IPython.core.error import UsageError

from nbhelpers import objects, versions

CELL = """\
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
INSERT INTO notes (body) VALUES ('first'), ('second');
-- === DOWN MIGRATION ===
DROP TABLE notes;
"""


@pytest.fixture
def nb(ip):
    ip.run_line_magic("config", "MigrateMagics.database = 'app.db'")
    return ip


def sql_files() -> list[str]:
    return sorted(p.name for p in Path("migrations").glob("*.sql"))


def test_the_cell_is_written_as_the_next_migration_with_its_header(nb, capsys, monkeypatch):
    monkeypatch.setenv("VFMIGRATE_AUTHOR", "ada")
    assert nb.run_cell_magic("migration", "create_notes", CELL) is None
    assert capsys.readouterr().out == f"Created {Path('migrations/001_create_notes.sql')}\n"
    assert Path("migrations/001_create_notes.sql").read_text() == (
        "-- Migration: 001_create_notes\n"
        "-- Description: Create notes\n"
        "-- Author: ada\n"
        f"-- Date: {date.today().isoformat()}\n"
        "\n"
        "-- === UP MIGRATION ===\n"
        "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);\n"
        "INSERT INTO notes (body) VALUES ('first'), ('second');\n"
        "\n"
        "-- === DOWN MIGRATION ===\n"
        "DROP TABLE notes;\n"
    )
    assert not Path("app.db").exists()  # writing a file touches no database


def test_running_the_same_cell_again_updates_that_file_instead_of_a_new_version(nb, capsys):
    nb.run_cell_magic("migration", "create_notes", CELL)
    nb.run_cell_magic("migration", "create_notes", CELL.replace("body TEXT NOT NULL", "body TEXT NOT NULL, tag TEXT"))
    nb.run_cell_magic("migration", "create_notes", CELL.replace("body TEXT NOT NULL", "body TEXT NOT NULL, tag TEXT"))
    assert sql_files() == ["001_create_notes.sql"]
    assert "tag TEXT" in Path("migrations/001_create_notes.sql").read_text()
    path = Path("migrations/001_create_notes.sql")
    assert capsys.readouterr().out.splitlines() == [
        f"Created {path}", f"Updated {path} (not applied yet)", f"Unchanged {path} (not applied yet)"]


def test_a_new_name_gets_the_next_version(nb):
    nb.run_cell_magic("migration", "create_notes", CELL)
    nb.run_cell_magic("migration", "index_notes", "CREATE INDEX idx_notes_body ON notes(body);")
    assert sql_files() == ["001_create_notes.sql", "002_index_notes.sql"]


def test_apply_writes_then_applies_and_returns_what_ran(nb, capsys):
    df = nb.run_cell_magic("migration", "create_notes --apply", CELL)
    assert df[["version", "name", "mode", "rows_changed"]].values.tolist() == [[1, "create_notes", "apply", 2]]
    assert versions(Path("app.db")) == [1]
    assert capsys.readouterr().out == (f"Created {Path('migrations/001_create_notes.sql')}\n"
                                       "Version 0 -> 1\nforeign_key_check: ok\n")


def test_once_applied_a_changed_cell_is_refused_and_the_file_kept(nb):
    nb.run_cell_magic("migration", "create_notes --apply", CELL)
    before = Path("migrations/001_create_notes.sql").read_text()
    with pytest.raises(UsageError) as raised:
        nb.run_cell("%%migration create_notes\n" + CELL.replace("NOT NULL", ""))
    assert str(raised.value) == (
        "001_create_notes.sql is already applied and this SQL differs from what was applied; put the change "
        "in a new migration (a new name), or roll this one back first (down) and run again. Nothing was written.")
    assert Path("migrations/001_create_notes.sql").read_text() == before
    assert sql_files() == ["001_create_notes.sql"]


def test_once_applied_the_same_cell_is_a_no_op(nb, capsys):
    nb.run_cell_magic("migration", "create_notes --apply", CELL)
    capsys.readouterr()
    df = nb.run_cell_magic("migration", "create_notes --apply", CELL)
    assert len(df) == 0
    assert capsys.readouterr().out == (f"Unchanged {Path('migrations/001_create_notes.sql')} (applied)\n"
                                       "Already up to date (version 1)\n")


def test_after_a_rollback_the_cell_may_change_the_file_again(nb):
    nb.run_cell_magic("migration", "create_notes --apply", CELL)
    nb.run_line_magic("migrate", "down")
    nb.run_cell_magic("migration", "create_notes --apply", CELL.replace("'second'", "'second'), ('third'"))
    assert sql_files() == ["001_create_notes.sql"]
    conn = sqlite3.connect("app.db")
    assert conn.execute("SELECT count(*) FROM notes").fetchone() == (3,)
    conn.close()


def test_dry_run_shows_rows_per_statement_and_leaves_the_database_unchanged(nb, capsys, monkeypatch):
    import IPython.display
    import pandas as pd

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.extend(objs))
    nb.run_cell_magic("migration", "create_notes --apply", CELL)
    before = Path("app.db").read_bytes()
    capsys.readouterr()
    df = nb.run_cell_magic("migration", "tidy_notes --dry-run", """\
UPDATE notes SET body = upper(body);
DELETE FROM notes WHERE body = 'SECOND';
CREATE INDEX idx_notes_body ON notes(body);
-- === DOWN MIGRATION ===
DROP INDEX idx_notes_body;
""")
    assert list(df.columns) == ["version", "name", "statement", "line", "sql", "rows_changed"]
    assert df[["statement", "line", "rows_changed"]].values.tolist() == [[1, 7, 2], [2, 8, 1], [3, 9, 0]]
    assert df["sql"].tolist()[1] == "DELETE FROM notes WHERE body = 'SECOND';"
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Created {Path('migrations/002_tidy_notes.sql')}"
    assert out[1].startswith("Dry run (up) 002_tidy_notes in ")
    assert out[1].endswith(": 3 statements, 3 rows changed; creates index idx_notes_body (rolled back)")
    assert out[2] == "Dry run: the database was not changed (still at version 1)"
    assert out[3] == "Rows at risk (1 finding, counted on the real data and rolled back):"
    (risk,) = [o for o in shown if isinstance(o, pd.DataFrame)]  # the rows at risk, as a frame
    assert risk.to_dict("records") == [{"version": 2, "file": "002_tidy_notes.sql", "direction": "up", "statement": 2,
                                        "line": 8, "kind": "delete", "object": "notes", "rows": 1}]
    assert Path("app.db").read_bytes() == before
    assert versions(Path("app.db")) == [1]


def test_incomplete_sql_is_refused_naming_the_cell_line_and_nothing_is_written(nb):
    with pytest.raises(UsageError) as raised:
        nb.run_cell("%%migration broken\nCREATE TABLE a (x INTEGER);\nINSERT INTO a VALUES ('unclosed);\n")
    assert str(raised.value) == (
        "%%migration broken, cell line 2: incomplete SQL statement starting here (an unclosed quote, "
        "parenthesis, comment or trigger body?); complete it; nothing was written")
    assert not Path("migrations").exists()


def test_transaction_control_in_the_cell_is_refused(nb):
    with pytest.raises(UsageError) as raised:
        nb.run_cell_magic("migration", "half", "CREATE TABLE a (x);\nCOMMIT;\nCREATE TABLE b (y);")
    assert str(raised.value).startswith("%%migration half, cell line 2: COMMIT inside a migration could commit "
                                        "or roll back part of it;")
    assert str(raised.value).endswith("; nothing was written")
    assert not Path("migrations").exists()


def test_a_failing_statement_under_apply_names_file_statement_and_line(nb):
    with pytest.raises(UsageError) as raised:
        nb.run_cell("%%migration bad_column --apply\nCREATE TABLE a (x INTEGER);\nUPDATE a SET y = 1;\n")
    assert str(raised.value) == ("001_bad_column.sql, statement 2 (line 8): no such column: y; "
                                 "nothing from 001_bad_column.sql was applied")
    assert "a" not in objects(Path("app.db"))


def test_the_body_is_never_expanded_but_the_line_is(nb):
    nb.user_ns["name"] = "add_templates"
    nb.user_ns["body"] = "EXPANDED"
    nb.run_cell('%%migration {name}\nCREATE TABLE t (v TEXT);\n'
                "INSERT INTO t VALUES ('$body {body} $1 :name {\"json\": 1}');\n")
    text = Path("migrations/001_add_templates.sql").read_text()
    assert "INSERT INTO t VALUES ('$body {body} $1 :name {\"json\": 1}');" in text


def test_an_empty_cell_is_refused_by_ipython(nb):
    with pytest.raises(UsageError, match="%%migration is a cell magic, but the cell body is empty"):
        nb.run_cell("%%migration nothing\n")
    assert not Path("migrations").exists()


def test_a_cell_without_down_warns_that_it_cannot_be_rolled_back(nb, capsys):
    nb.run_cell_magic("migration", "one_way", "CREATE TABLE a (x);")
    assert capsys.readouterr().out.splitlines()[1] == "warning: DOWN migration SQL is empty"
    with pytest.raises(UsageError, match="cannot be rolled back: its DOWN migration SQL is empty"):
        nb.run_line_magic("migrate", "up")
        nb.run_line_magic("migrate", "down")


def test_a_bad_name_is_refused(nb):
    with pytest.raises(UsageError) as raised:
        nb.run_cell_magic("migration", "../escape", CELL)
    assert str(raised.value) == ("bad migration name '../escape': use letters, digits and underscores, starting "
                                 "with a letter (e.g. add_user_roles); no paths, dots or quotes")
    assert not Path("migrations").exists()


def test_apply_and_dry_run_together_are_a_usage_error(nb):
    with pytest.raises(UsageError) as raised:
        nb.run_cell_magic("migration", "x --apply --dry-run", CELL)
    assert str(raised.value) == "%%migration: argument --dry-run: not allowed with argument --apply"


def test_statements_run_together_by_a_missing_semicolon_are_refused_before_writing(nb):
    with pytest.raises(UsageError) as raised:
        nb.run_cell("%%migration run_on\nCREATE TABLE a (x INTEGER)\nINSERT INTO a VALUES (1);\n"
                    "-- === DOWN MIGRATION ===\nDROP TABLE a;\n")
    assert str(raised.value) == ('%%migration run_on, cell line 1: statement 1 is not valid SQL (near "INSERT": '
                                 "syntax error; a missing ';'?); fix it; nothing was written")
    assert not Path("migrations").exists()


def test_unknown_tables_are_no_syntax_error(nb):
    nb.run_cell_magic("migration", "later", "UPDATE not_yet_created SET x = 1;\n-- === DOWN MIGRATION ===\n"
                      "DELETE FROM also_unknown WHERE y = 2;")
    assert sql_files() == ["001_later.sql"]
