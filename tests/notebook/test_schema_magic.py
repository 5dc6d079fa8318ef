"""The schema in a real IPython shell: ``%migrate schema`` as a DataFrame, ``%migrate erd`` as
Mermaid, and ``%%schema``: the plan shown, the migration written and updated like ``%%migration``."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from IPython.core.error import UsageError

from nbhelpers import versions, write_migration

WANT = """\
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL COLLATE NOCASE, name TEXT);
CREATE UNIQUE INDEX idx_users_email ON users(email);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), body TEXT);
"""


@pytest.fixture
def nb(ip, app):
    ip.run_line_magic("config", "MigrateMagics.database = 'app.db'")
    return ip


def test_schema_is_a_frame_of_columns_and_at_needs_no_database(nb):
    df = nb.run_line_magic("migrate", "schema --at 1")
    assert list(df.columns) == ["table", "column", "type", "notnull", "default", "pk", "references"]
    assert df[["table", "column", "type", "notnull", "pk"]].values.tolist() == [
        ["users", "id", "INTEGER", False, 1], ["users", "email", "TEXT", True, 0]]
    assert not Path("app.db").exists()
    with pytest.raises(UsageError, match="does not exist yet"):
        nb.run_line_magic("migrate", "schema")
    nb.run_line_magic("migrate", "up")
    assert len(nb.run_line_magic("migrate", "schema")) == 2


def test_erd_is_mermaid_with_a_markdown_fallback(nb):
    diagram = nb.run_line_magic("migrate", "erd --at 2")
    bundle = diagram._repr_mimebundle_()
    assert bundle["text/vnd.mermaid"].startswith("erDiagram\n") and "users {" in bundle["text/vnd.mermaid"]
    assert bundle["text/markdown"] == f"```mermaid\n{bundle['text/vnd.mermaid']}\n```"
    formatted, _ = nb.display_formatter.format(diagram)
    assert "text/vnd.mermaid" in formatted  # what a kernel sends to the front end


def test_schema_cell_shows_the_plan_writes_the_migration_and_updates_it(nb, capsys):
    plan = nb.run_cell_magic("schema", "tighten_users", WANT)
    out = capsys.readouterr().out
    assert out.startswith(f"Created {Path('migrations/003_tighten_users.sql')}")
    assert {"table users": "rebuild", "table posts": "create"}.items() <= dict(zip(plan.object, plan.method)).items()
    text = Path("migrations/003_tighten_users.sql").read_text()
    assert "-- === DOWN MIGRATION ===" in text and "COLLATE NOCASE" in text
    # Run again with one more column: the same pending file is rewritten, from the same start.
    plan = nb.run_cell_magic("schema", "tighten_users", WANT.replace("body TEXT", "body TEXT, title TEXT"))
    assert capsys.readouterr().out.startswith(f"Updated {Path('migrations/003_tighten_users.sql')} (not applied yet)")
    assert sorted(p.name for p in Path("migrations").iterdir())[-1] == "003_tighten_users.sql"
    assert "title TEXT" in Path("migrations/003_tighten_users.sql").read_text()
    assert "table posts" in set(plan.object)


def test_schema_cell_applies_keeping_every_row(nb, capsys):
    nb.run_line_magic("migrate", "up")
    nb.run_cell_magic("schema", "tighten_users --apply", WANT)
    assert versions(Path("app.db")) == [1, 2, 3]
    with closing(sqlite3.connect("app.db")) as conn:
        assert [r[0] for r in conn.execute("SELECT email FROM users ORDER BY id")] == [
            "a@example.com", "b@example.com", "c@example.com"]
        assert "COLLATE NOCASE" in conn.execute("SELECT sql FROM sqlite_schema WHERE name = 'users'").fetchone()[0]
    capsys.readouterr()
    plan = nb.run_cell_magic("schema", "tighten_users", WANT)
    assert capsys.readouterr().out.startswith("No difference") and plan.empty


def test_schema_cell_errors_are_one_line_and_write_nothing(nb):
    before = sorted(p.name for p in Path("migrations").iterdir())
    with pytest.raises(UsageError, match=r"line 2.*rejected by SQLite"):
        nb.run_cell_magic("schema", "broken", "CREATE TABLE users (id INTEGER PRIMARY KEY);\nCREATE TABEL x (y);")
    write_migration(Path("migrations"), "003_notes.sql", "CREATE VIRTUAL TABLE notes USING fts5(body);",
                    "DROP TABLE notes;")
    before = sorted(p.name for p in Path("migrations").iterdir())
    with pytest.raises(UsageError, match="virtual table notes") as raised:
        nb.run_cell_magic("schema", "fts", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n"
                          "CREATE UNIQUE INDEX idx_users_email ON users(email);\n"
                          "CREATE VIRTUAL TABLE notes USING fts5(body, title);")
    assert "\n" not in str(raised.value)
    assert sorted(p.name for p in Path("migrations").iterdir()) == before


def test_lint_and_verify_are_frames(nb, capsys):
    nb.run_line_magic("migrate", "up")
    write_migration(Path("migrations"), "003_drop_users.sql", "DROP TABLE users;", "SELECT 1;")
    df = nb.run_line_magic("migrate", "lint")
    assert df[["file", "kind", "object", "rows"]].values.tolist() == [["003_drop_users.sql", "drop-table", "users", 3]]
    df = nb.run_line_magic("migrate", "verify")
    assert df[["version", "ok"]].values.tolist() == [[3, False]]
    assert "DOWN leaves the schema different" in df.problems[0] or "users" in df.problems[0]
    assert versions(Path("app.db")) == [1, 2]
