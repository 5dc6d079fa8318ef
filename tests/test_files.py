"""Migration files: splitting, checksums, markers, names and discovery."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from vfmigrate_magic.engine.errors import BadMigrationFile, DuplicateVersion
from vfmigrate_magic.engine.files import DOWN_EMPTY_WARNING, discover, parse_text
from vfmigrate_magic.engine.statements import split_statements

from helpers import migration_text


def test_trigger_with_begin_end_stays_one_statement():
    sql = """CREATE TABLE t (a);
CREATE TRIGGER trg AFTER INSERT ON t BEGIN
    UPDATE t SET a = a + 1 WHERE rowid = new.rowid;
    INSERT INTO t VALUES (';');
END;
CREATE INDEX i ON t(a);"""
    stmts = split_statements(sql)
    assert [s.keyword for s in stmts] == ["CREATE", "CREATE", "CREATE"]
    assert stmts[1].sql.startswith("CREATE TRIGGER") and stmts[1].sql.endswith("END;")
    assert [s.line for s in stmts] == [1, 2, 6]


def test_several_statements_on_one_line_are_split_with_their_line():
    stmts = split_statements("-- comment\nCREATE TABLE a (x); CREATE TABLE b (y);\n\nSELECT 1;", first_line=10)
    assert [s.sql for s in stmts] == ["CREATE TABLE a (x);", "CREATE TABLE b (y);", "SELECT 1;"]
    assert [s.line for s in stmts] == [11, 11, 13]


def test_final_statement_without_semicolon_is_kept():
    stmts = split_statements("CREATE TABLE a (x);\nCREATE TABLE b (y)")
    assert len(stmts) == 2
    conn = sqlite3.connect(":memory:")
    for s in stmts:
        conn.execute(s.sql)
    assert {r[0] for r in conn.execute("SELECT name FROM sqlite_master")} == {"a", "b"}


@pytest.mark.parametrize("sql, line", [
    ("CREATE TABLE a (x);\nINSERT INTO a VALUES ('unclosed);", 2),
    ("SELECT 1;\n\nCREATE TRIGGER t AFTER INSERT ON a BEGIN\n  SELECT 1;", 3),
])
def test_incomplete_statement_is_refused_naming_file_and_line(sql, line):
    with pytest.raises(BadMigrationFile) as err:
        split_statements(sql, file="004_bad.sql")
    assert err.value.line == line
    assert str(err.value).startswith(f"004_bad.sql, line {line}: ")
    assert "nothing was run" in str(err.value)


def test_comments_only_section_has_no_statements():
    assert split_statements("-- nothing here\n/* still nothing */\n;\n") == ()


def test_checksum_ignores_crlf_and_bom_but_not_sql():
    text = migration_text("CREATE TABLE a (x);", "DROP TABLE a;")
    lf = parse_text(text, Path("001_a.sql"))
    crlf = parse_text("\ufeff" + text.replace("\n", "\r\n"), Path("001_a.sql"))
    changed = parse_text(text.replace("(x)", "(y)"), Path("001_a.sql"))
    assert lf.checksum == crlf.checksum
    assert len(lf.checksum) == 40 and int(lf.checksum, 16) >= 0  # SHA-1 hex
    assert changed.checksum != lf.checksum


def test_empty_down_warns_and_is_irreversible():
    m = parse_text(migration_text("CREATE TABLE a (x);", "-- no way back"), Path("001_a.sql"))
    assert not m.reversible
    assert DOWN_EMPTY_WARNING in m.warnings


def test_header_metadata_is_read():
    m = parse_text(migration_text("CREATE TABLE a (x);", "DROP TABLE a;", label="001_a"), Path("001_a.sql"))
    assert (m.version, m.name, m.description, m.author, m.date) == (1, "a", "test", "tests", "2025-10-27")


@pytest.mark.parametrize("text, message", [
    ("-- === UP MIGRATION ===\nCREATE TABLE a (x);\n",
     "001_a.sql: missing the '-- === DOWN MIGRATION ===' marker; both markers are required"),
    ("CREATE TABLE a (x);\n-- === DOWN MIGRATION ===\n",
     "001_a.sql: missing the '-- === UP MIGRATION ===' marker; both markers are required"),
    ("-- === DOWN MIGRATION ===\nDROP TABLE a;\n-- === UP MIGRATION ===\nCREATE TABLE a (x);\n",
     "001_a.sql, line 1: the DOWN MIGRATION marker comes before the UP marker; put the UP section first"),
    ("CREATE TABLE z (x);\n-- === UP MIGRATION ===\nCREATE TABLE a (x);\n-- === DOWN MIGRATION ===\n",
     "001_a.sql, line 1: SQL before the UP MIGRATION marker; move it below '-- === UP MIGRATION ==='"),
])
def test_missing_or_misplaced_markers_are_refused(text, message):
    with pytest.raises(BadMigrationFile) as err:
        parse_text(text, Path("001_a.sql"))
    assert str(err.value) == message


@pytest.mark.parametrize("stmt", ["COMMIT;", "ROLLBACK;", "BEGIN;", "END TRANSACTION;"])
def test_transaction_control_inside_a_migration_is_refused(stmt):
    text = migration_text(f"CREATE TABLE a (x);\n{stmt}\nCREATE TABLE b (y);", "DROP TABLE b;\nDROP TABLE a;")
    m = parse_text(text, Path("002_tx.sql"))
    with pytest.raises(BadMigrationFile) as err:
        m.validate()
    assert "could commit or roll back part of it" in str(err.value)
    assert str(err.value).startswith("002_tx.sql, line 8:")


def test_a_begin_commit_pair_around_the_section_runs_as_one_migration():
    text = migration_text("BEGIN TRANSACTION;\nCREATE TABLE a (x);\nCOMMIT;", "DROP TABLE a;")
    m = parse_text(text, Path("001_a.sql"))
    assert [s.keyword for s in m.up] == ["CREATE"]
    assert any("ignored" in w for w in m.warnings)


def test_vacuum_needs_the_no_transaction_directive():
    plain = parse_text(migration_text("VACUUM;", "SELECT 1;"), Path("003_v.sql"))
    with pytest.raises(BadMigrationFile, match="VACUUM cannot run inside a transaction"):
        plain.validate()
    opted = parse_text("-- vfmigrate: no-transaction\n" + migration_text("VACUUM;", "SELECT 1;"), Path("003_v.sql"))
    assert not opted.transactional and [s.keyword for s in opted.up] == ["VACUUM"]


def test_pragma_foreign_keys_inside_a_transaction_warns():
    m = parse_text(migration_text("PRAGMA foreign_keys = OFF;\nCREATE TABLE a (x);", "DROP TABLE a;"), Path("001_a.sql"))
    assert any("PRAGMA foreign_keys" in w for w in m.warnings)


def test_discover_orders_by_version_and_ignores_other_files(migrations_dir):
    migrations_dir.add("010_ten.sql", "CREATE TABLE ten (x);", "DROP TABLE ten;")
    migrations_dir.add("002_two.sql", "CREATE TABLE two (x);", "DROP TABLE two;")
    migrations_dir.write("README.md", "notes")
    (migrations_dir.path / "archive").mkdir()
    assert [(m.version, m.name) for m in discover(migrations_dir)] == [(2, "two"), (10, "ten")]


def test_discover_rejects_duplicate_versions(migrations_dir):
    migrations_dir.add("001_a.sql", "CREATE TABLE a (x);")
    migrations_dir.add("1_b.sql", "CREATE TABLE b (x);")
    with pytest.raises(DuplicateVersion) as err:
        discover(migrations_dir)
    assert str(err.value) == ("1_b.sql: has the same version 1 as 001_a.sql; give one of them a new number "
                              "(vfmigrate create NAME picks the next)")


@pytest.mark.parametrize("name", ["create_users.sql", "001-create-users.sql", "001_create users.sql", "v1_x.sql"])
def test_discover_rejects_badly_named_sql_files(migrations_dir, name):
    migrations_dir.write(name, migration_text("CREATE TABLE a (x);"))
    with pytest.raises(BadMigrationFile) as err:
        discover(migrations_dir)
    assert str(err.value).startswith(f"{name}: not a migration file name; name it NNN_snake_case_name.sql")


def test_discover_rejects_non_utf8_files_naming_them(migrations_dir):
    (migrations_dir.path / "001_latin1.sql").write_bytes(
        migration_text("INSERT INTO t VALUES ('caf\xe9');").encode("latin-1"))
    with pytest.raises(BadMigrationFile) as err:
        discover(migrations_dir)
    assert str(err.value) == "001_latin1.sql, line 7: is not UTF-8 text; save it as UTF-8"


def test_missing_migrations_folder_is_named(tmp_path):
    with pytest.raises(BadMigrationFile) as err:
        discover(tmp_path / "nowhere")
    assert str(err.value) == ("nowhere: the migrations folder does not exist; check --migrations / "
                              "MIGRATIONS_DIR, or start one with 'vfmigrate create NAME'")


def test_unreadable_entry_is_named(migrations_dir):
    (migrations_dir.path / "001_gone.sql").symlink_to(migrations_dir.path / "nothing-here")
    with pytest.raises(BadMigrationFile) as err:
        discover(migrations_dir)
    assert str(err.value).startswith("001_gone.sql: is not a readable file")


def test_link_to_a_file_outside_the_folder_is_refused(migrations_dir, tmp_path):
    outside = tmp_path / "elsewhere.sql"
    outside.write_text(migration_text("CREATE TABLE a (x);"))
    (migrations_dir.path / "001_outside.sql").symlink_to(outside)
    with pytest.raises(BadMigrationFile) as err:
        discover(migrations_dir)
    assert str(err.value).startswith("001_outside.sql: links to a file outside migrations;")


def test_odd_but_valid_files_are_read_with_their_reversibility(migrations_dir):
    from vfmigrate_magic.engine.files import checksum
    migrations_dir.add("001_plain.sql", "CREATE TABLE a (x);", "DROP TABLE a;")
    migrations_dir.add("002_no_down.sql", "CREATE TABLE b (x);", "-- nothing")
    migrations_dir.write("003_odd_markers.sql", "--   ====  up migration  ===\r\nCREATE TABLE c (x);\r\n"
                         "-- ==== Down Migration ====   \r\nDROP TABLE c;")
    (migrations_dir.path / "004_bom.sql").write_bytes(
        b"\xef\xbb\xbf" + migration_text("CREATE TABLE d (x);", "DROP TABLE d;").replace("\n", "\r\n").encode())
    migrations_dir.write("005_ends_at_marker.sql", "-- === UP MIGRATION ===\nSELECT 1;\n-- === DOWN MIGRATION ===")
    # Hashed as bytes: non-ASCII text, and whitespace str.strip() removes but bytes.strip() keeps.
    migrations_dir.add("006_accents.sql", "-- café\nCREATE TABLE e (x DEFAULT 'é');", "DROP TABLE e; -- fin")
    migrations_dir.add("007_unicode_space_ends.sql", "\u00a0CREATE TABLE f (x);\u3000", "DROP TABLE f;\u2003")
    migrations_dir.add("008_ascii_separators.sql", "\x1cCREATE TABLE g (x);\x1f", "\x1dDROP TABLE g;\x1e")
    migrations_dir.add("009_unicode_space_down.sql", "CREATE TABLE h (x);", "\u00a0\u3000")
    migrations_dir.add("010_comment_then_sql.sql", "CREATE TABLE i (x);", "/* first */ -- then\nDROP TABLE i;")
    migrations_dir.add("011_block_comment_down.sql", "CREATE TABLE j (x);", "/* not yet */")
    migrations_dir.write("012_cr_only.sql", migration_text("CREATE TABLE k (x);", "DROP TABLE k;").replace("\n", "\r"))
    # ASCII with LF endings but markers the quick search leaves to the regex.
    migrations_dir.write("013_odd_markers_lf.sql", "--=== up migration ===\nCREATE TABLE l (x);\n"
                         "  -- ==== DOWN MIGRATION ====\nDROP TABLE l;\n")
    found = discover(migrations_dir)
    assert [m.reversible for m in found] == [True, False, True, True, False, True, True, True, False, True, False, True, True]
    assert all(m.checksum == checksum(m.up_sql, m.down_sql) for m in found)


@pytest.mark.parametrize("second", ["-- === up migration ===", "  --=== DOWN MIGRATION ===", "-- === DOWN MIGRATION ==="])
def test_status_refuses_a_second_marker_in_any_spelling_as_up_does(migrations_dir, second):
    # The usual markers, and a second one further down: status reads files as up does.
    from vfmigrate_magic.engine.status import migration_status
    for text in (migration_text("CREATE TABLE a (x);", "DROP TABLE a;\n" + second + "\nSELECT 1;"),
                 migration_text("CREATE TABLE a (x DEFAULT 'é');", "DROP TABLE a;\n" + second)):
        migrations_dir.write("001_twice.sql", text)
        with pytest.raises(BadMigrationFile) as by_up:
            discover(migrations_dir)
        with pytest.raises(BadMigrationFile) as by_status:
            migration_status(None, migrations_dir.path)
        assert str(by_status.value) == str(by_up.value)
        assert "second " in str(by_up.value) and "MIGRATION marker" in str(by_up.value)


@pytest.mark.parametrize("size", [65_536 - 60, 65_536 * 2 + 7])
def test_files_longer_than_one_read_are_read_whole(migrations_dir, size):
    from vfmigrate_magic.engine.files import checksum
    up = "CREATE TABLE big (x);\n" + "-- padding\n" * (size // 11)
    path = migrations_dir.add("001_big.sql", up, "DROP TABLE big;")
    (m,) = discover(migrations_dir)
    assert m.up_sql.count("-- padding") == size // 11 and m.down_sql.strip() == "DROP TABLE big;"
    assert path.stat().st_size >= size
    assert m.checksum == checksum(m.up_sql, m.down_sql)


def test_statement_checks_read_the_sql_outside_its_comments():
    from vfmigrate_magic.engine.statements import Statement, is_only_comments
    stmt = Statement("/* VACUUM */ -- PRAGMA\n  pragma\n  /* x */ Foreign_Keys = ON;", 3, 1)
    assert stmt.keyword == "PRAGMA" and stmt.summary == "pragma Foreign_Keys = ON;"
    assert Statement("CREATE  TABLE a (\n  x -- the x\n);", 1, 1).summary == "CREATE TABLE a ( x );"
    assert Statement("-- only a comment", 1, 1).keyword == ""
    assert is_only_comments(" -- a\n/* b */ \n") and not is_only_comments("-- a\nSELECT 1")
    assert is_only_comments("/* unterminated") and not is_only_comments("SELECT 1 /* unterminated")
    m = parse_text(migration_text("/* FOREIGN_KEYS */ PRAGMA -- x\n foreign_keys = OFF;", "SELECT 1;"), Path("001_a.sql"))
    assert any("PRAGMA foreign_keys (line 7)" in w for w in m.warnings)
    vacuum = parse_text(migration_text("-- tidy up\n/* now */ VACUUM;", "SELECT 1;"), Path("002_v.sql"))
    with pytest.raises(BadMigrationFile, match="VACUUM cannot run inside a transaction"):
        vacuum.validate()
    assert not parse_text(migration_text("SELECT 1; -- VACUUM", "SELECT 1;"), Path("003_a.sql")).warnings


def test_header_fields_are_read_when_asked_for(tmp_path):
    text = ("-- Migration: 001_a\n-- Description: Adds a\n-- author:  Ann  \n\n"
            "-- === UP MIGRATION ===\nCREATE TABLE a (x);\n-- === DOWN MIGRATION ===\nDROP TABLE a;\n")
    path = tmp_path / "001_a.sql"
    path.write_text(text)
    (m,) = discover(tmp_path)
    assert (m.description, m.author, m.date) == ("Adds a", "Ann", "")
    assert m.path == path and m.filename == "001_a.sql" and m.label == "001_a"
