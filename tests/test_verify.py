"""verify: each DOWN must reverse its UP, proven on a copy in memory of the real database."""

from __future__ import annotations

import sqlite3

import pytest
from helpers import file_digest, tracked

from vfmigrate_magic.engine.files import discover
from vfmigrate_magic.engine.errors import ChecksumMismatch
from vfmigrate_magic.engine.history import log_path
from vfmigrate_magic.engine.runner import MigrationRunner
from vfmigrate_magic.engine.sqlite import connect
from vfmigrate_magic.engine.verify import IRREVERSIBLE, Verified, VerifyReport, verify

EMAILS = ["Ann@Example.com", "bob@example.com", "CAROL@example.com", "dave@example.com", "Eve@example.com"]


REBUILD_UP = """
    CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL CHECK (email LIKE '%@%'));
    INSERT INTO users_new (id, email) SELECT id, email FROM users;
    DROP TABLE users;
    ALTER TABLE users_new RENAME TO users;
    """
REBUILD_DOWN = """
    CREATE TABLE users_old (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
    INSERT INTO users_old (id, email) SELECT id, email FROM users;
    DROP TABLE users;
    ALTER TABLE users_old RENAME TO users;
    """


def apply(db_path, migrations_dir, to=None):
    """Apply migrations to the real file with the engine (its event log is written too)."""
    conn = connect(db_path, create=True)
    try:
        MigrationRunner(migrations_dir).migrate_up(conn, to=to)
    finally:
        conn.close()


def open_db(db_path):
    return connect(db_path)


@pytest.fixture
def users(migrations_dir, db_path):
    """A real database at version 1 with users (mixed-case emails) added outside migrations."""
    migrations_dir.add("001_users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);",
                       "DROP TABLE users;")
    apply(db_path, migrations_dir)
    with sqlite3.connect(db_path) as conn:
        conn.executemany("INSERT INTO users (email) VALUES (?)", [(e,) for e in EMAILS])
    conn.close()
    return migrations_dir


def check(db_path, migrations_dir, **kwargs) -> VerifyReport:
    conn = open_db(db_path)
    try:
        return verify(conn, migrations_dir, **kwargs)
    finally:
        conn.close()


def test_reversible_migrations_pass(users, db_path):
    users.add("002_rebuild_users.sql", REBUILD_UP, REBUILD_DOWN)
    users.add("003_roles.sql", "CREATE TABLE roles (id INTEGER PRIMARY KEY, name TEXT UNIQUE);",
              "DROP TABLE roles;")
    users.add("004_nickname.sql", "ALTER TABLE users ADD COLUMN nickname TEXT DEFAULT 'x';",
              "ALTER TABLE users DROP COLUMN nickname;")
    users.add("005_seed_roles.sql", "INSERT INTO roles (name) VALUES ('admin'), ('staff');",
              "DELETE FROM roles WHERE name IN ('admin', 'staff');")
    users.add("006_lower_index.sql", "CREATE INDEX idx_users_email ON users (lower(email));",
              "DROP INDEX idx_users_email;")
    report = check(db_path, users)
    assert [m.version for m in report.migrations] == [2, 3, 4, 5, 6]
    assert report.ok and all(m.ok and m.problems == () for m in report.migrations)
    assert str(report.migrations[1]) == "✓ 003_roles: DOWN reverses UP"
    assert str(report).splitlines()[-1] == "5 migrations verified: 5 reverse, 0 do not"
    assert not report.replayed_all


def test_rebuild_that_drops_an_index_with_its_table_is_caught(users, db_path):
    users.add("002_email_index.sql", "CREATE INDEX idx_users_email ON users (email);",
              "DROP INDEX idx_users_email;")
    users.add("003_rebuild_users.sql", REBUILD_UP, REBUILD_DOWN)  # re-creates no index
    first, second = check(db_path, users).migrations
    assert first.ok
    assert second.problems == ("DOWN leaves the schema different: index idx_users_email is missing",)


def test_lossy_down_is_caught_with_the_rows_that_differ(users, db_path):
    with sqlite3.connect(db_path) as conn:
        upper = conn.execute("SELECT count(*) FROM users WHERE email <> lower(email)").fetchone()[0]
    conn.close()
    assert upper == 3
    users.add("002_lowercase_emails.sql", "UPDATE users SET email = lower(email);", "SELECT 1;")
    report = check(db_path, users)
    (result,) = report.migrations
    assert not result.ok and not report.ok
    assert result.problems == (f"DOWN does not restore table users: {upper} rows differ",)
    assert str(result) == f"✗ 002_lowercase_emails: DOWN does not restore table users: {upper} rows differ"
    assert str(report).splitlines()[-1] == "1 migration verified: 0 reverse, 1 does not"


def test_pending_only_runs_on_the_real_data_and_all_replays_from_empty(users, db_path):
    # The same lossy migration: on the real rows it loses data; replayed from empty there are none.
    users.add("002_lowercase_emails.sql", "UPDATE users SET email = lower(email);", "SELECT 1;")
    users.add("003_roles.sql", "CREATE TABLE roles (id INTEGER PRIMARY KEY);", "DROP TABLE roles;")
    pending = check(db_path, users)
    assert [m.version for m in pending.migrations] == [2, 3]
    assert [m.ok for m in pending.migrations] == [False, True]
    everything = check(db_path, users, all=True)
    assert everything.replayed_all
    assert [m.version for m in everything.migrations] == [1, 2, 3]
    assert everything.ok
    assert str(everything).splitlines()[-1] == "3 migrations verified: 3 reverse, 0 do not"


def test_down_that_forgets_an_index_names_it(users, db_path):
    users.add("002_email_index.sql", "CREATE INDEX idx_users_email ON users (email);", "SELECT 1;")
    (result,) = check(db_path, users).migrations
    assert not result.ok
    assert result.problems == ("DOWN leaves the schema different: index idx_users_email is extra",)


def test_down_that_drops_a_table_the_up_did_not_create(users, db_path):
    users.add("002_notes.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);",
              "DROP TABLE notes;\nDROP TABLE users;")
    users.add("003_tags.sql", "CREATE TABLE tags (id INTEGER PRIMARY KEY);", "DROP TABLE tags;")
    report = check(db_path, users)
    first, second = report.migrations
    assert not first.ok
    assert first.problems == ("DOWN leaves the schema different: table users is missing",)
    # The copy went back to what the first UP left: users is there for the next one.
    assert second.ok


def test_second_up_that_differs_from_the_first(users, db_path):
    users.add("002_log.sql", "CREATE TABLE log (id INTEGER PRIMARY KEY, v);", "DROP TABLE log;")
    users.add("003_log_entry.sql", "INSERT INTO log (v) VALUES (random());",
              "DELETE FROM log WHERE id = (SELECT max(id) FROM log);")
    first, second = check(db_path, users).migrations
    assert first.ok
    assert second.problems == ("the second UP differs from the first: table log: 1 row differs",)


def test_autoincrement_counter_not_restored_is_reported(users, db_path):
    users.add("002_events.sql", "CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT);",
              "DROP TABLE events;")
    users.add("003_event.sql", "INSERT INTO events (what) VALUES ('hello');", "DELETE FROM events;")
    first, second = check(db_path, users).migrations
    assert first.ok  # the counter's row goes with the table
    assert second.problems == ("DOWN does not restore table sqlite_sequence: 1 row differs",)


def test_values_are_compared_with_their_type(migrations_dir):
    migrations_dir.add("001_t.sql", "CREATE TABLE t (v);\nINSERT INTO t VALUES (1), (2), ('3'), (x'34');",
                       "DROP TABLE t;")
    migrations_dir.add("002_real.sql", "UPDATE t SET v = CAST(v AS REAL) WHERE typeof(v) = 'integer';",
                       "UPDATE t SET v = CAST(v AS INTEGER) WHERE typeof(v) = 'real';")
    migrations_dir.add("003_integer_lossy.sql", "UPDATE t SET v = CAST(v AS INTEGER) WHERE typeof(v) = 'real';",
                       "SELECT 1;")
    migrations_dir.add("004_text_to_blob.sql", "UPDATE t SET v = CAST(v AS BLOB) WHERE typeof(v) = 'text';",
                       "SELECT 1;")
    report = verify(None, migrations_dir)
    assert [m.ok for m in report.migrations] == [True, True, False, False]
    assert report.migrations[2].problems == ("DOWN does not restore table t: 2 rows differ",)
    assert report.migrations[3].problems == ("DOWN does not restore table t: 1 row differs",)


def test_without_rowid_tables_are_keyed_by_primary_key_and_generated_columns_skipped(migrations_dir):
    migrations_dir.add("001_kv.sql", """
        CREATE TABLE kv (k TEXT, n INTEGER, v TEXT, total GENERATED ALWAYS AS (n * 2),
                         PRIMARY KEY (k, n)) WITHOUT ROWID;
        INSERT INTO kv (k, n, v) VALUES ('a', 1, 'x'), ('a', 2, 'y'), ('b', 1, 'z');
        """, "DROP TABLE kv;")
    migrations_dir.add("002_shuffle.sql", "DELETE FROM kv WHERE k = 'b';\nINSERT INTO kv VALUES ('c', 1, 'w');\n"
                       "UPDATE kv SET v = upper(v) WHERE k = 'a' AND n = 2;", "SELECT 1;")
    first, second = verify(None, migrations_dir).migrations
    assert first.ok
    # one row gone, one new, one changed -- counted as plain sqlite3 would see them:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE a (k, n, v)")
    conn.execute("CREATE TABLE b (k, n, v)")
    conn.executemany("INSERT INTO a VALUES (?, ?, ?)", [("a", 1, "x"), ("a", 2, "y"), ("b", 1, "z")])
    conn.executemany("INSERT INTO b VALUES (?, ?, ?)", [("a", 1, "x"), ("a", 2, "Y"), ("c", 1, "w")])
    expected = conn.execute("SELECT count(*) FROM (SELECT * FROM a EXCEPT SELECT * FROM b "
                            "UNION SELECT k, n, NULL FROM b WHERE (k, n) NOT IN (SELECT k, n FROM a))").fetchone()[0]
    conn.close()
    assert second.problems == (f"DOWN does not restore table kv: {expected} rows differ",)


def test_irreversible_is_reported_and_verification_goes_on(migrations_dir):
    migrations_dir.add("001_a.sql", "CREATE TABLE a (id INTEGER PRIMARY KEY);", "")
    migrations_dir.add("002_b.sql", "INSERT INTO a (id) VALUES (1);", "DELETE FROM a WHERE id = 1;")
    report = verify(None, migrations_dir)
    first, second = report.migrations
    (file, _) = discover(migrations_dir.path)
    assert first == Verified(1, "001_a.sql", False, (IRREVERSIBLE,), file.checksum)
    assert str(first) == "✗ 001_a: no DOWN section (irreversible)"
    assert second.ok  # ran on top of 001's UP
    assert str(report).splitlines()[-1] == "2 migrations verified: 1 reverses, 1 does not"


def test_failing_up_stops_verification_and_says_so(migrations_dir):
    migrations_dir.add("001_a.sql", "CREATE TABLE a (x);", "DROP TABLE a;")
    migrations_dir.add("002_bad.sql", "CREATE TABLE b (x);\nINSERT INTO missing VALUES (1);", "DROP TABLE b;")
    migrations_dir.add("003_c.sql", "CREATE TABLE c (x);", "DROP TABLE c;")
    migrations_dir.add("004_d.sql", "CREATE TABLE d (x);", "DROP TABLE d;")
    report = verify(None, migrations_dir)
    assert [m.version for m in report.migrations] == [1, 2]
    failed = report.migrations[1]
    assert failed.problems == ("UP fails: statement 2 (line 8): no such table: missing",)
    assert report.unverified == ("003_c", "004_d") and not report.ok
    lines = str(report).splitlines()
    assert lines[-2] == "2 later migrations not verified, because the UP of 002_bad fails: 003_c, 004_d"
    assert lines[-1] == "2 migrations verified: 1 reverses, 1 does not"


def test_failing_down_is_reported_and_the_next_migration_is_verified(migrations_dir):
    migrations_dir.add("001_a.sql", "CREATE TABLE a (x);\nINSERT INTO a VALUES (1);", "DROP TABLE nope;")
    migrations_dir.add("002_b.sql", "INSERT INTO a VALUES (2);", "DELETE FROM a WHERE x = 2;")
    first, second = verify(None, migrations_dir).migrations
    assert first.problems == ("DOWN fails: statement 1 (line 11): no such table: nope",)
    assert second.ok


def test_real_database_is_left_byte_for_byte_unchanged_and_nothing_is_logged(users, db_path):
    users.add("002_lowercase_emails.sql", "UPDATE users SET email = lower(email);", "SELECT 1;")
    users.add("003_roles.sql", "CREATE TABLE roles (id INTEGER PRIMARY KEY);", "DROP TABLE roles;")
    users.add("004_bad.sql", "INSERT INTO nowhere VALUES (1);", "SELECT 1;")
    history = log_path(db_path)
    before = (file_digest(db_path), history.read_bytes())
    files = sorted(p.name for p in db_path.parent.iterdir())
    for all_ in (False, True):
        report = check(db_path, users, all=all_)
        assert report.database == str(db_path)
        assert len(report.migrations) == (3 if not all_ else 4)
    assert (file_digest(db_path), history.read_bytes()) == before
    assert sorted(p.name for p in db_path.parent.iterdir()) == files  # no backup, no journal left
    assert [v for v, _ in tracked(db_path)] == [1]


def test_no_database_yet(migrations_dir, db_path):
    migrations_dir.add("001_a.sql", "CREATE TABLE a (x);", "DROP TABLE a;")
    report = verify(None, migrations_dir, database=str(db_path))
    assert report.replayed_all and report.ok and report.database == str(db_path)
    assert not db_path.exists() and not log_path(db_path).exists()
    assert verify(None, migrations_dir).database == ":memory:"


def test_nothing_pending(users, db_path):
    report = check(db_path, users)
    assert report.ok and report.migrations == ()
    assert str(report) == "No migrations pending on app.db to verify"


def test_a_changed_applied_file_is_refused_as_up_would(users, db_path):
    users.add("001_users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);", "DROP TABLE users;")
    users.add("002_roles.sql", "CREATE TABLE roles (id INTEGER PRIMARY KEY);", "DROP TABLE roles;")
    before = file_digest(db_path)
    with pytest.raises(ChecksumMismatch):
        check(db_path, users)
    assert file_digest(db_path) == before
