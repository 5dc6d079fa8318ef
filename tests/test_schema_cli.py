"""`vfmigrate schema` and `vfmigrate diff` from the command line, on real files: the formats,
--at, the generated migration applied and rolled back by `up`/`down`, and bad input refused
with its exit code and nothing written."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from datetime import date

from helpers import file_digest

from vfmigrate_magic import cli
from vfmigrate_magic.engine.compare import same_schema
from vfmigrate_magic.engine.schema import load_schema, read_schema

USERS = "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT, name TEXT);"
POSTS = ("CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id) ON DELETE CASCADE, "
         "body TEXT);")
# Wanted: email NOT NULL with a default and case-insensitive (a rebuild of the parent), a new column.
WANT = """
CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL DEFAULT '' COLLATE NOCASE, name TEXT);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id) ON DELETE CASCADE, body TEXT,
                    title TEXT);
CREATE INDEX idx_posts_user ON posts(user_id);
"""


def project(migrations_dir, run):
    migrations_dir.add("001_users.sql", USERS, "DROP TABLE users;")
    migrations_dir.add("002_posts.sql", POSTS, "DROP TABLE posts;")
    assert run("up")[0] == 0


def rows(db, sql):
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


def test_schema_text_sql_mermaid_and_json_describe_the_database(migrations_dir, run, db_path):
    project(migrations_dir, run)
    code, out, _ = run("schema")
    assert code == 0 and "table users" in out and "table posts" in out and "schema_migrations" not in out
    code, sql, _ = run("schema", "--format", "sql")
    with closing(sqlite3.connect(":memory:")) as replayed, closing(sqlite3.connect(db_path)) as live:
        replayed.executescript(sql)  # replays into an empty database, parents first
        assert same_schema(read_schema(replayed), read_schema(live))
    code, mermaid, _ = run("schema", "--format", "mermaid")
    assert mermaid.startswith("erDiagram") and "users ||--o{ posts" in mermaid
    assert "INTEGER user_id FK" in mermaid
    code, text, _ = run("schema", "--format", "json")
    doc = json.loads(text)
    assert [t["name"] for t in doc["tables"]] == ["users", "posts"]


def test_schema_at_a_version_needs_no_database(migrations_dir, run, db_path):
    migrations_dir.add("001_users.sql", USERS, "DROP TABLE users;")
    migrations_dir.add("002_posts.sql", POSTS, "DROP TABLE posts;")
    code, out, _ = run("schema", "--at", "1")
    assert code == 0 and "table users" in out and "posts" not in out
    assert not db_path.exists()
    code, _, err = run("schema", "--at", "3")
    assert code == 2 and "--at 3" in err and "newest is version 2" in err
    code, _, err = run("schema")  # without --at the database is read, and there is none
    assert code == 6 and "does not exist yet" in err and not db_path.exists()


def test_diff_writes_the_next_migration_and_up_then_down_keep_every_row(migrations_dir, run, db_path, tmp_path):
    project(migrations_dir, run)
    with closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute("INSERT INTO users (email, name) VALUES ('A@x', 'a'), ('b@x', 'b'), (NULL, 'c')")
        conn.execute("DELETE FROM users WHERE name = 'b'")  # the AUTOINCREMENT counter stays at 3
        conn.execute("INSERT INTO posts (user_id, body) VALUES (1, 'hello'), (3, 'bye')")
    (tmp_path / "want.sql").write_text(WANT)
    # The NULL email would break the new NOT NULL: fill it first, as a user would.
    with closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute("UPDATE users SET email = '' WHERE email IS NULL")
    code, out, _ = run("diff", "--want", "want.sql", "--name", "tighten users")
    assert code == 0 and out.startswith("Created migrations/003_tighten_users.sql\n")
    assert "table users" in out and "(rebuild)" in out and "add column title (alter)" in out
    before = rows(db_path, "SELECT rowid, * FROM users"), rows(db_path, "SELECT rowid, * FROM posts")
    assert run("up")[0] == 0
    with closing(sqlite3.connect(db_path)) as conn:
        assert same_schema(read_schema(conn), load_schema(WANT))
    assert rows(db_path, "SELECT rowid, * FROM users") == before[0]  # every row, same rowids
    assert rows(db_path, "SELECT id, user_id, body FROM posts") == [r[1:] for r in before[1]]  # no cascade
    assert rows(db_path, "SELECT seq FROM sqlite_sequence WHERE name = 'users'") == [(3,)]
    assert run("diff", "--want", "want.sql")[1].startswith("No difference")
    assert run("down")[0] == 0
    assert rows(db_path, "SELECT rowid, * FROM users") == before[0]
    assert rows(db_path, "SELECT rowid, * FROM posts") == before[1]


def test_diff_print_writes_nothing_and_no_difference_says_so(migrations_dir, run, tmp_path):
    project(migrations_dir, run)
    (tmp_path / "want.sql").write_text(WANT)
    files = sorted(p.name for p in migrations_dir.path.iterdir())
    code, out, _ = run("diff", "--want", "want.sql", "--print")
    assert code == 0 and out.startswith("-- Migration: 003_schema_change\n")
    assert "-- === UP MIGRATION ===" in out and "-- === DOWN MIGRATION ===" in out
    assert sorted(p.name for p in migrations_dir.path.iterdir()) == files
    (tmp_path / "same.sql").write_text(USERS + "\n" + POSTS.replace("body TEXT", "body   text"))
    code, out, _ = run("diff", "--want", "same.sql")
    assert code == 0 and out.startswith("No difference") and "nothing written" in out
    assert sorted(p.name for p in migrations_dir.path.iterdir()) == files


def test_diff_from_an_empty_folder_writes_the_first_migration(tmp_path, run, db_path):
    (tmp_path / "want.sql").write_text(WANT)
    code, out, _ = run("--migrations", "new", "diff", "--want", "want.sql", target=False)
    assert code == 0 and "new/001_schema_change.sql" in out and not db_path.exists()


def test_bad_input_is_refused_with_its_exit_code_and_nothing_written(migrations_dir, run, db_path, tmp_path):
    project(migrations_dir, run)
    files = sorted(p.name for p in migrations_dir.path.iterdir())
    digest = file_digest(db_path)
    code, _, err = run("diff", "--want", "missing.sql")
    assert code == 2 and "--want missing.sql" in err and "cannot read" in err
    (tmp_path / "bad.sql").write_text("CREATE TABLE users (id INTEGER PRIMARY KEY);\nCREATE TABEL oops (x);\n")
    code, _, err = run("diff", "--want", "bad.sql")
    assert code == 5 and "bad.sql" in err and "line 2" in err
    (tmp_path / "fts.sql").write_text(USERS + POSTS + "CREATE VIRTUAL TABLE notes USING fts5(body);")
    migrations_dir.add("003_fts.sql", "CREATE VIRTUAL TABLE notes USING fts5(title);", "DROP TABLE notes;")
    files = sorted(p.name for p in migrations_dir.path.iterdir())
    code, _, err = run("diff", "--want", "fts.sql")
    assert code == 5 and "virtual table notes" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in migrations_dir.path.iterdir()) == files
    assert file_digest(db_path) == digest


def test_diff_from_the_database_starts_from_what_is_there(migrations_dir, run, db_path, tmp_path):
    project(migrations_dir, run)
    with closing(sqlite3.connect(db_path)) as conn:
        conn.execute("CREATE TABLE scratch (x)")  # made by hand, not by a migration
    (tmp_path / "want.sql").write_text(USERS + POSTS)
    code, out, _ = run("diff", "--want", "want.sql", "--from-database", "--print")
    assert code == 0 and 'DROP TABLE "scratch";' in out
    assert run("diff", "--want", "want.sql")[1].startswith("No difference")


def test_a_rebuild_that_fails_half_way_leaves_the_callers_connection_as_it_was(migrations_dir, db_path):
    from vfmigrate_magic import MigrationFailed, MigrationRunner

    migrations_dir.add("001_users.sql", USERS, "DROP TABLE users;")
    migrations_dir.add("002_rebuild.sql", """
        PRAGMA legacy_alter_table = ON;
        ALTER TABLE users RENAME TO _old_users;
        CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL, name TEXT);
        INSERT INTO users SELECT * FROM _old_users;
        DROP TABLE _old_users;
        PRAGMA legacy_alter_table = OFF;
    """, "SELECT 1;")
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA foreign_keys = ON")
    MigrationRunner(migrations_dir.path).migrate_up(conn, to=1)
    conn.execute("INSERT INTO users (email) VALUES (NULL)")  # the NOT NULL copy will fail
    conn.commit()
    try:
        MigrationRunner(migrations_dir.path).migrate_up(conn)
    except MigrationFailed as exc:
        assert "statement 4" in str(exc)
    else:
        raise AssertionError("the rebuild should have failed")
    assert conn.execute("PRAGMA legacy_alter_table").fetchone() == (0,)
    assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert conn.execute("SELECT count(*) FROM users").fetchone() == (1,)
    conn.close()


def test_diff_print_shows_the_file_it_would_write_with_todays_date(tmp_path, capsys):
    (tmp_path / "want.sql").write_text("CREATE TABLE notes (id INTEGER PRIMARY KEY);\n")
    code = cli.main(["--migrations", str(tmp_path / "migrations"), "diff", "--want", str(tmp_path / "want.sql"),
                     "--print"])
    out = capsys.readouterr().out
    assert code == 0 and f"-- Date: {date.today().isoformat()}\n" in out
    assert not (tmp_path / "migrations").exists()  # --print writes nothing
