"""RiskMeter: the rows each statement puts at risk, counted through the real engine's dry run
on real SQLite files; every expected number is computed on its own with plain sqlite3."""

from __future__ import annotations

import sqlite3

import pytest
from helpers import file_digest

from vfmigrate_magic.engine.errors import ForeignKeyViolations, MigrationFailed
from vfmigrate_magic.engine.lint import RiskMeter
from vfmigrate_magic.engine.results import ExecutionMode
from vfmigrate_magic.engine.rollback import RollbackManager
from vfmigrate_magic.engine.runner import MigrationRunner

SEED = """
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, nickname TEXT);
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users(id) ON DELETE CASCADE, body TEXT);
CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT);
CREATE TABLE empty (id INTEGER PRIMARY KEY);
INSERT INTO users (id, email, nickname) VALUES
    (1, 'a@x', 'al'), (2, 'b@x', NULL), (3, 'A@X', 'cy'), (4, NULL, NULL), (5, 'b@x', 'ed'), (6, 'f@x', 'fi');
INSERT INTO posts (user_id, body) VALUES (1, 'p'), (1, 'q'), (2, 'r'), (3, 's'), (5, 't'), (6, 'u'), (6, 'v');
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
INSERT INTO audit (what) SELECT 'event ' || i FROM n;
"""


@pytest.fixture
def db(db_path):
    conn = sqlite3.connect(db_path)
    conn.executescript(SEED)
    conn.close()
    return db_path


def scalar(db_path, sql):
    """One number read with plain sqlite3, independently of the engine."""
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def dry_up(migrations_dir, db_path, *, raises=None):
    """Run the pending migrations as a dry run with a RiskMeter; returns its findings."""
    meter = RiskMeter()
    conn = sqlite3.connect(db_path)
    try:
        runner = MigrationRunner(migrations_dir, ExecutionMode.DRY_RUN, watch=meter)
        if raises is None:
            runner.migrate_up(conn)
        else:
            with pytest.raises(raises):
                runner.migrate_up(conn)
    finally:
        conn.close()
    return meter.findings


def summary(findings):
    return [(f.kind, f.object, f.rows) for f in findings]


def test_drop_table_counts_its_rows_and_names_file_statement_and_line(migrations_dir, db):
    path = migrations_dir.add("001_drop.sql", "CREATE TABLE kept (id INTEGER);\nDROP TABLE audit;")
    expected = scalar(db, "SELECT count(*) FROM audit")
    [finding] = dry_up(migrations_dir, db)
    line = path.read_text().splitlines().index("DROP TABLE audit;") + 1
    assert (finding.version, finding.file, finding.direction) == (1, "001_drop.sql", "up")
    assert (finding.statement, finding.line, finding.kind, finding.object, finding.rows) == \
        (2, line, "drop-table", "audit", expected)
    assert str(finding) == f"001_drop.sql, statement 2 (line {line}): drop-table audit: {expected} rows"


def test_no_finding_for_an_empty_table_or_one_the_migration_made(migrations_dir, db):
    migrations_dir.add("001_drops.sql", """
        DROP TABLE empty;
        CREATE TABLE scratch AS SELECT * FROM audit;
        DELETE FROM scratch WHERE id < 10;
        DROP TABLE scratch;
        """)
    assert scalar(db, "SELECT count(*) FROM empty") == 0
    assert dry_up(migrations_dir, db) == []


def test_drop_column_counts_its_non_null_values(migrations_dir, db):
    migrations_dir.add("001_drop_nickname.sql", "ALTER TABLE users DROP COLUMN NickName;")
    expected = scalar(db, "SELECT count(nickname) FROM users")
    assert summary(dry_up(migrations_dir, db)) == [("drop-column", "users.nickname", expected)]


def test_delete_counts_the_rows_it_deletes(migrations_dir, db):
    migrations_dir.add("001_prune.sql", "DELETE FROM audit WHERE id % 3 = 0;\nDELETE FROM audit WHERE id > 1000;")
    expected = scalar(db, "SELECT count(*) FROM audit WHERE id % 3 = 0")
    [finding] = dry_up(migrations_dir, db)
    assert (finding.statement, finding.kind, finding.object, finding.rows) == (1, "delete", "audit", expected)


REBUILD_RENAME_AWAY = """
    ALTER TABLE audit RENAME TO audit_old;
    CREATE TABLE audit (id INTEGER PRIMARY KEY, what TEXT NOT NULL DEFAULT '', at TEXT);
    INSERT INTO audit (id, what) SELECT id, what FROM audit_old{where};
    DROP TABLE audit_old;
    """


def test_a_rebuild_that_keeps_every_row_reports_nothing(migrations_dir, db):
    migrations_dir.add("001_rebuild.sql", REBUILD_RENAME_AWAY.format(where=""))
    migrations_dir.add("002_rebuild_the_other_way.sql", """
        CREATE TABLE audit_new (id INTEGER PRIMARY KEY, what TEXT, at TEXT);
        INSERT INTO audit_new (id, what) SELECT id, what FROM audit;
        DELETE FROM audit;
        DROP TABLE audit;
        ALTER TABLE audit_new RENAME TO audit;
        """)
    assert dry_up(migrations_dir, db) == []


def test_a_rebuild_that_loses_rows_reports_exactly_how_many(migrations_dir, db):
    migrations_dir.add("001_rebuild.sql", REBUILD_RENAME_AWAY.format(where=" WHERE id <= 25"))
    expected = scalar(db, "SELECT count(*) FROM audit WHERE id > 25")
    [finding] = dry_up(migrations_dir, db)
    assert (finding.statement, finding.kind, finding.object, finding.rows) == (4, "rebuild-loss", "audit", expected)


def test_a_rebuild_without_a_column_reports_its_values(migrations_dir, db):
    migrations_dir.add("001_rebuild.sql", """
        CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT);
        INSERT INTO users_new SELECT id, email FROM users;
        DROP TABLE users;
        ALTER TABLE users_new RENAME TO users;
        """)
    expected = scalar(db, "SELECT count(nickname) FROM users")
    assert summary(dry_up(migrations_dir, db)) == [("drop-column", "users.nickname", expected)]


def test_deleting_parents_counts_the_children_that_would_cascade(migrations_dir, db):
    migrations_dir.add("001_drop_some_users.sql", "DELETE FROM users WHERE id IN (1, 6);")
    users = scalar(db, "SELECT count(*) FROM users WHERE id IN (1, 6)")
    children = scalar(db, "SELECT count(*) FROM posts WHERE user_id IN (1, 6)")
    # Foreign keys are off in the run: the orphans then fail the migration's foreign_key_check.
    findings = dry_up(migrations_dir, db, raises=ForeignKeyViolations)
    assert summary(findings) == [("delete", "users", users), ("cascade", "posts via users", children)]
    assert {f.statement for f in findings} == {1}


def test_no_cascade_when_the_migration_removes_the_children_or_rebuilds_the_parent(migrations_dir, db):
    migrations_dir.add("001_users_and_posts.sql", """
        DELETE FROM users WHERE id = 1;
        DELETE FROM posts WHERE user_id = 1;
        """)
    migrations_dir.add("002_rebuild_users.sql", """
        CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT, nickname TEXT);
        INSERT INTO users_new SELECT * FROM users;
        DROP TABLE users;
        ALTER TABLE users_new RENAME TO users;
        """)
    users = scalar(db, "SELECT count(*) FROM users WHERE id = 1")
    posts = scalar(db, "SELECT count(*) FROM posts WHERE user_id = 1")
    assert summary(dry_up(migrations_dir, db)) == [("delete", "users", users), ("delete", "posts", posts)]


def test_set_null_children_of_a_dropped_parent_count_too(migrations_dir, db):
    conn = sqlite3.connect(db)
    conn.executescript("""
        CREATE TABLE teams (id INTEGER PRIMARY KEY);
        CREATE TABLE members (id INTEGER PRIMARY KEY, team_id INTEGER REFERENCES teams(id) ON DELETE SET NULL);
        INSERT INTO teams VALUES (1), (2);
        INSERT INTO members (team_id) VALUES (1), (1), (2), (NULL);
        """)
    conn.close()
    migrations_dir.add("001_drop_teams.sql", "DROP TABLE teams;")
    teams = scalar(db, "SELECT count(*) FROM teams")
    members = scalar(db, "SELECT count(team_id) FROM members")
    findings = dry_up(migrations_dir, db, raises=ForeignKeyViolations)
    assert summary(findings) == [("drop-table", "teams", teams), ("cascade", "members via teams", members)]


def test_unique_index_over_duplicates_counts_the_rows_in_duplicate_groups(migrations_dir, db):
    path = migrations_dir.add("001_unique.sql", "CREATE UNIQUE INDEX ux_email ON users(email COLLATE NOCASE);")
    expected = scalar(db, "SELECT sum(n) FROM (SELECT count(*) AS n FROM users WHERE email IS NOT NULL "
                          "GROUP BY lower(email) HAVING count(*) > 1)")
    [finding] = dry_up(migrations_dir, db, raises=MigrationFailed)
    assert (finding.kind, finding.object, finding.rows) == ("constraint-fails", "users(email) UNIQUE", expected)
    assert finding.line == path.read_text().splitlines().index(
        "CREATE UNIQUE INDEX ux_email ON users(email COLLATE NOCASE);") + 1


def test_a_unique_index_that_holds_reports_nothing(migrations_dir, db):
    migrations_dir.add("001_unique.sql", "CREATE UNIQUE INDEX ux_what ON audit(what);")
    assert dry_up(migrations_dir, db) == []


def test_a_rebuild_copy_into_not_null_and_unique_columns_counts_the_rows_that_fail(migrations_dir, db):
    migrations_dir.add("001_strict_users.sql", """
        CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, nickname TEXT NOT NULL);
        INSERT INTO users_new SELECT id, email, nickname FROM users;
        DROP TABLE users;
        ALTER TABLE users_new RENAME TO users;
        """)
    null_emails = scalar(db, "SELECT count(*) FROM users WHERE email IS NULL")
    null_nicknames = scalar(db, "SELECT count(*) FROM users WHERE nickname IS NULL")
    duplicates = scalar(db, "SELECT sum(n) FROM (SELECT count(*) AS n FROM users WHERE email IS NOT NULL "
                            "GROUP BY email HAVING count(*) > 1)")
    findings = dry_up(migrations_dir, db, raises=MigrationFailed)
    assert {f.statement for f in findings} == {2}
    assert sorted(summary(findings)) == sorted([
        ("constraint-fails", "users_new.email NOT NULL", null_emails),
        ("constraint-fails", "users_new.nickname NOT NULL", null_nicknames),
        ("constraint-fails", "users_new(email) UNIQUE", duplicates),
    ])


def test_a_copy_that_filters_the_failing_rows_runs_and_reports_the_loss_instead(migrations_dir, db):
    migrations_dir.add("001_strict_users.sql", """
        CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT, nickname TEXT NOT NULL);
        INSERT INTO users_new SELECT id, email, nickname FROM users WHERE nickname IS NOT NULL;
        DROP TABLE users;
        ALTER TABLE users_new RENAME TO users;
        """)
    lost = scalar(db, "SELECT count(*) FROM users WHERE nickname IS NULL")
    orphaned = scalar(db, "SELECT count(*) FROM posts WHERE user_id IN (SELECT id FROM users WHERE nickname IS NULL)")
    findings = dry_up(migrations_dir, db, raises=ForeignKeyViolations)
    assert summary(findings) == [("rebuild-loss", "users", lost), ("cascade", "posts via users", orphaned)]


def test_rows_made_by_an_earlier_migration_of_the_run_are_at_risk_in_a_later_one(migrations_dir, db):
    migrations_dir.add("001_archive.sql", "CREATE TABLE archive AS SELECT * FROM audit WHERE id <= 12;")
    migrations_dir.add("002_renamed.sql", "ALTER TABLE archive RENAME TO attic;\nDELETE FROM attic WHERE id <= 5;")
    migrations_dir.add("003_drop.sql", "DROP TABLE attic;")
    deleted = scalar(db, "SELECT count(*) FROM audit WHERE id <= 5")
    kept = scalar(db, "SELECT count(*) FROM audit WHERE id BETWEEN 6 AND 12")
    findings = dry_up(migrations_dir, db)
    assert [(f.version, *s) for f, s in zip(findings, summary(findings))] == [
        (2, "delete", "attic", deleted), (3, "drop-table", "attic", kept)]


def test_down_sections_are_measured_too(migrations_dir, db):
    migrations_dir.add("001_notes.sql", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);",
                       "DROP TABLE notes;")
    migrations_dir.add("002_fill.sql", "INSERT INTO notes (body) SELECT what FROM audit;",
                       "DELETE FROM notes WHERE id > 30;")
    conn = sqlite3.connect(db)
    try:
        MigrationRunner(migrations_dir, ExecutionMode.APPLY).migrate_up(conn)
    finally:
        conn.close()
    deleted = scalar(db, "SELECT count(*) FROM notes WHERE id > 30")
    left = scalar(db, "SELECT count(*) FROM notes WHERE id <= 30")
    before = file_digest(db)
    meter = RiskMeter()
    conn = sqlite3.connect(db)
    try:
        RollbackManager(migrations_dir, ExecutionMode.DRY_RUN, backup=False, watch=meter).rollback(conn, all=True)
    finally:
        conn.close()
    assert [(f.file, f.direction, f.kind, f.object, f.rows) for f in meter.findings] == [
        ("002_fill.sql", "down", "delete", "notes", deleted),
        ("001_notes.sql", "down", "drop-table", "notes", left),
    ]
    assert file_digest(db) == before


def test_the_dry_run_leaves_the_database_file_byte_for_byte_unchanged(migrations_dir, db):
    migrations_dir.add("001_everything.sql", REBUILD_RENAME_AWAY.format(where=" WHERE id <= 25"))
    migrations_dir.add("002_more.sql", "ALTER TABLE users DROP COLUMN nickname;\nDELETE FROM posts WHERE id = 1;")
    before = file_digest(db)
    assert [f.kind for f in dry_up(migrations_dir, db)] == ["rebuild-loss", "drop-column", "delete"]
    assert file_digest(db) == before
    assert scalar(db, "SELECT count(*) FROM sqlite_master WHERE name = 'schema_migrations'") == 0


def fk_on_loss(db_path, sql) -> dict[str, int]:
    """What an application with foreign keys on loses: rows per table, on a scratch copy."""
    src = sqlite3.connect(db_path)
    copy = sqlite3.connect(":memory:")
    src.backup(copy)
    src.close()
    copy.execute("PRAGMA foreign_keys = ON")
    tables = [n for n, in copy.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]
    before = {t: copy.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    copy.execute(sql)
    lost = {t: before[t] - copy.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    copy.close()
    return {t: n for t, n in lost.items() if n}


def test_a_cascade_is_followed_level_by_level_as_the_application_would(migrations_dir, db):
    conn = sqlite3.connect(db)
    conn.executescript("""
        CREATE TABLE comments (id INTEGER PRIMARY KEY, post_id INTEGER REFERENCES posts(id) ON DELETE CASCADE,
                               reply_to INTEGER REFERENCES comments(id) ON DELETE CASCADE);
        INSERT INTO comments (post_id, reply_to) VALUES (1, NULL), (1, 1), (3, NULL), (6, 2), (7, NULL);
    """)  # comment 4 is on a post of user 6 but replies to comment 2 (on a post of user 1)
    conn.close()
    lost = fk_on_loss(db, "DELETE FROM users WHERE id = 1")
    migrations_dir.add("001_drop_al.sql", "DELETE FROM users WHERE id = 1;", "SELECT 1;")
    findings = dry_up(migrations_dir, db, raises=ForeignKeyViolations)
    assert [(f.kind, f.object, f.rows) for f in findings] == [
        ("delete", "users", lost["users"]), ("cascade", "posts via users", lost["posts"]),
        ("cascade", "comments via posts", 2), ("cascade", "comments via comments", 1)]
    assert lost["comments"] == 3  # 1 and 2 with their post; 4 with the comment it replies to


@pytest.mark.parametrize("up, what", [
    ("ALTER TABLE users ADD COLUMN age INTEGER NOT NULL;", "users.age NOT NULL"),
    ("ALTER TABLE users ADD COLUMN age INTEGER NOT NULL DEFAULT 0 CHECK (age > 0);", "users CHECK"),
    ("UPDATE users SET nickname = NULL WHERE id > 2;\nCREATE TABLE n (v TEXT NOT NULL);\n"
     "INSERT INTO n SELECT nickname FROM users;", "n.v NOT NULL"),
    ("CREATE TABLE c (v TEXT CHECK (length(v) > 1));\nINSERT INTO c SELECT nickname FROM users WHERE nickname IS NOT NULL;\n"
     "UPDATE c SET v = substr(v, 1, 1) WHERE v < 'd';", "c CHECK (length(v) > 1)"),
])
def test_a_constraint_the_data_breaks_is_counted_then_the_migration_fails(migrations_dir, db, up, what):
    migrations_dir.add("001_tighten.sql", up, "SELECT 1;")
    findings = dry_up(migrations_dir, db, raises=MigrationFailed)
    (finding,) = findings
    assert (finding.kind, finding.object, finding.statement) == ("constraint-fails", what, up.count(";"))
    expected = {
        "users.age NOT NULL": "SELECT count(*) FROM users",
        "users CHECK": "SELECT count(*) FROM users",
        "n.v NOT NULL": "SELECT count(*) FROM users WHERE id > 2 OR nickname IS NULL",
        "c CHECK (length(v) > 1)": "SELECT count(*) FROM users WHERE nickname IS NOT NULL AND nickname < 'd'",
    }[what]
    assert finding.rows == scalar(db, expected)
