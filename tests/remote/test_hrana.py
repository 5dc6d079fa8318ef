"""The Hrana client and the migration batch against a real ``tursodb --sync-server``
(``turso_server`` in conftest.py; skipped when tursodb is not installed)."""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path

import pytest

from vfmigrate_magic.engine.errors import ConfigError, MigrationFailed
from vfmigrate_magic.engine.files import Migration
from vfmigrate_magic.engine.hrana import HranaClient, ServerError, Step, endpoint, not_, ok
from vfmigrate_magic.engine.remote_batch import MigrationBatch, MigrationOutcome

from .conftest import free_port, skip_without_tursodb

skip_without_tursodb()

TOKEN = "s3cret-Token-0123456789"


class migration:
    """Migration ``version`` with ``sql`` as its UP (or DOWN) section, as a batch of its own;
    ``run`` returns its one outcome."""

    def __init__(self, version: int, sql: str, *, direction: str = "up", dry_run: bool = False) -> None:
        up, down = (sql, "") if direction == "up" else ("", sql)
        self.version = version
        self.migration = Migration(version, "remote", Path(f"{version:03d}_remote.sql"), up, down)
        self.batch = MigrationBatch([self.migration], direction=direction, dry_run=dry_run)

    def run(self, client: HranaClient) -> MigrationOutcome:
        [outcome] = self.batch.run(client)
        return outcome


def names(client: HranaClient) -> list[str]:
    return [row[0] for row in client.execute("SELECT name FROM sqlite_schema ORDER BY name").rows]


@pytest.fixture
def client(turso_server):
    with HranaClient(turso_server.url, auth_token=TOKEN, timeout=10) as hrana:
        yield hrana


def test_values_round_trip(client):
    values = (0, -1, 2**63 - 1, -2**63, 1.5, -0.25, 1e300, "", "héllo ✓ 'quoted'", b"", b"\x00\x01\xff",
              b"ab", None, True)
    result = client.execute("SELECT " + ", ".join("?" * len(values)), values)
    assert result.rows == (values[:-1] + (1,),)
    assert [type(v) for v in result.rows[0]] == [type(v) if v is not True else int for v in values]
    assert result.columns == ("?",) * len(values)


def test_values_round_trip_through_a_table(client):
    client.execute("CREATE TABLE t (i INTEGER, f REAL, s TEXT, b BLOB, n)")
    client.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", (42, 2.5, "text", b"\x00blob\xfe", None))
    result = client.execute("SELECT i, f, s, b, n, typeof(i), typeof(f), typeof(s), typeof(b), typeof(n) FROM t")
    assert result.rows == ((42, 2.5, "text", b"\x00blob\xfe", None, "integer", "real", "text", "blob", "null"),)
    assert client.execute("SELECT count(*), total_changes() FROM t").rows == ((1, 1),)


def test_batch_steps_run_by_their_conditions(client):
    result = client.batch([Step("SELECT 1"), Step("SELECT nope"), Step("SELECT 3", condition=ok(1)),
                           Step("SELECT 4", condition=not_(ok(1))), Step("SELECT 5", condition=ok(0))])
    assert [r.rows if r else None for r in result.results] == [((1,),), None, None, ((4,),), ((5,),)]
    assert [e.message if e else None for e in result.errors] == [None, "Parse error: no such column: nope",
                                                                 None, None, None]


def test_migration_batch_applies_statements_and_tracking_row_together(client):
    first = migration(1, """
        CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
        INSERT INTO items (name) VALUES ('a'), ('b');
        UPDATE items SET name = upper(name) WHERE name = 'a';
    """)
    outcome = first.run(client)
    assert outcome.skipped is False
    assert outcome.rows_changed == (0, 2, 1)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", outcome.applied_at)
    assert isinstance(outcome.execution_time_ms, int) and 0 <= outcome.execution_time_ms < 10_000
    assert client.execute("SELECT name FROM items ORDER BY id").rows == (("A",), ("b",))
    assert client.execute("SELECT version, name, applied_at, checksum, execution_time_ms FROM schema_migrations"
                          ).rows == ((1, "remote", outcome.applied_at, first.migration.checksum,
                                      outcome.execution_time_ms),)
    assert client.batch([Step("SELECT 1", condition={"type": "is_autocommit"})]).results[0] is not None


def test_failing_statement_in_the_middle_leaves_nothing(client):
    with pytest.raises(MigrationFailed) as failed:
        migration(1, "CREATE TABLE items (id INTEGER PRIMARY KEY);\nINSERT INTO items VALUES (1);\n"
                     "INSERT INTO missing VALUES (1);\nCREATE TABLE later (x);").run(client)
    assert str(failed.value) == ("001_remote.sql, statement 3 (line 3): Parse error: no such table: missing; "
                                 "nothing from 001_remote.sql was applied")
    assert (failed.value.statement, failed.value.line, failed.value.sql) == (3, 3, "INSERT INTO missing VALUES (1);")
    assert names(client) == []  # neither items nor schema_migrations
    # The transaction was closed: the next migration runs (tursodb shares one connection).
    assert migration(1, "CREATE TABLE items (id INTEGER PRIMARY KEY);").run(client).skipped is False
    assert names(client) == ["items", "schema_migrations"]


def test_constraint_failure_keeps_no_row_of_the_statement_or_before_it(client):
    client.execute("CREATE TABLE u (a UNIQUE)")
    with pytest.raises(MigrationFailed, match=r"statement 2 \(line 2\): Runtime error: UNIQUE constraint failed"):
        migration(1, "INSERT INTO u VALUES (1);\nINSERT INTO u VALUES (2), (1);").run(client)
    assert client.execute("SELECT count(*) FROM u").rows == ((0,),)
    assert names(client) == ["sqlite_autoindex_u_1", "u"]


def test_dry_run_reports_rows_per_statement_and_leaves_nothing(client):
    client.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT)")
    client.execute("INSERT INTO items (name) VALUES ('a'), ('b'), ('c')")
    outcome = migration(1, """
        UPDATE items SET name = upper(name);
        DELETE FROM items WHERE name = 'B';
        CREATE INDEX items_name ON items (name);
        INSERT INTO items (name) SELECT name || '2' FROM items;
    """, dry_run=True).run(client)
    assert outcome.skipped is False
    assert outcome.rows_changed == (3, 1, 0, 2)
    assert client.execute("SELECT name FROM items ORDER BY id").rows == (("a",), ("b",), ("c",))
    assert names(client) == ["items"]  # no index, no schema_migrations


def test_dry_run_of_a_failing_migration_leaves_nothing(client):
    with pytest.raises(MigrationFailed, match="statement 2 .line 1.: Parse error: No such table: nope"):
        migration(1, "CREATE TABLE a (x); DROP TABLE nope;", dry_run=True).run(client)
    assert names(client) == []


def test_an_applied_migration_is_skipped(client):
    assert migration(1, "CREATE TABLE a (x);").run(client).skipped is False
    assert migration(1, "CREATE TABLE a (x);").run(client) == MigrationOutcome(skipped=True)
    assert migration(1, "CREATE TABLE a (x);", dry_run=True).run(client) == MigrationOutcome(skipped=True)
    assert client.execute("SELECT version FROM schema_migrations").rows == ((1,),)


def test_concurrent_runners_apply_each_migration_once(turso_server):
    """Four runners, each with its own client, send the same ten migrations at once; every
    statement inserts a row, so a migration applied twice would show."""
    batches = [migration(1, "CREATE TABLE runs (version INTEGER);")]
    batches += [migration(v, f"INSERT INTO runs VALUES ({v});") for v in range(2, 11)]
    start = threading.Barrier(4)
    applied: list[int] = []
    problems: list[BaseException] = []

    def runner() -> None:
        try:
            with HranaClient(turso_server.url, timeout=30) as mine:
                start.wait()
                for batch in batches:
                    if not batch.run(mine).skipped:
                        applied.append(batch.version)
        except BaseException as exc:  # reported below, in the test's thread
            problems.append(exc)

    threads = [threading.Thread(target=runner) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert problems == []
    assert sorted(applied) == list(range(1, 11))
    with HranaClient(turso_server.url) as check:
        assert check.execute("SELECT version FROM runs ORDER BY version").rows == tuple((v,) for v in range(2, 11))
        tracked = check.execute("SELECT count(*), min(version), max(version) FROM schema_migrations")
        assert tracked.rows == ((10, 1, 10),)


def test_down_batch_reverses_and_removes_the_row(client):
    migration(1, "CREATE TABLE a (x);").run(client)
    migration(2, "CREATE TABLE b (x); INSERT INTO b VALUES (1), (2);").run(client)
    outcome = migration(2, "DELETE FROM b; DROP TABLE b;", direction="down").run(client)
    assert (outcome.skipped, outcome.rows_changed) == (False, (2, 0))
    assert names(client) == ["a", "schema_migrations"]
    assert client.execute("SELECT version FROM schema_migrations").rows == ((1,),)
    assert migration(2, "DROP TABLE b;", direction="down").run(client) == MigrationOutcome(skipped=True)
    assert client.execute("SELECT version FROM schema_migrations").rows == ((1,),)


def test_failing_down_keeps_the_migration_applied(client):
    migration(1, "CREATE TABLE a (x);").run(client)
    with pytest.raises(MigrationFailed) as failed:
        migration(1, "DROP TABLE a;\nDROP TABLE nope;", direction="down").run(client)
    assert str(failed.value) == ("001_remote.sql (DOWN), statement 2 (line 2): Parse error: No such table: nope; "
                                 "the rollback of 001_remote.sql was undone, it stays applied")
    assert names(client) == ["a", "schema_migrations"]
    assert client.execute("SELECT version FROM schema_migrations").rows == ((1,),)


def test_a_transaction_left_open_by_another_client_is_named(turso_server, client):
    with HranaClient(turso_server.url) as other:
        other.batch([Step("BEGIN IMMEDIATE")])  # and never COMMIT: tursodb keeps it open for everyone
        with pytest.raises(ServerError) as refused:
            migration(1, "CREATE TABLE a (x);").run(client)
        assert str(refused.value) == (
            f"{turso_server.url}: 001_remote.sql: BEGIN IMMEDIATE failed (Transaction error: cannot start a "
            "transaction within a transaction: a transaction another client left open on the server's connection "
            "(tursodb shares one)); nothing was changed")
        other.execute("ROLLBACK")
    assert names(client) == []


def test_failing_execute_is_one_line_with_the_server_words(client, turso_server):
    with pytest.raises(ServerError) as failed:
        client.execute("SELECT * FROM nope")
    assert str(failed.value) == f"{turso_server.url}: Parse error: no such table: nope (in SELECT * FROM nope)"
    assert failed.value.code == "PREPARE_ERROR"


def test_tursodb_refuses_a_close_request_with_http_500(client, turso_server):
    with pytest.raises(ServerError) as refused:
        client.pipeline([{"type": "close"}])
    assert str(refused.value).startswith(
        f"{turso_server.url}: the server answered HTTP 500 (Internal Server Error: Failed to parse pipeline "
        "request: unknown variant `close`, expected `execute` or `batch`")
    assert client.execute("SELECT 1").rows == ((1,),)  # the client goes on


def test_wrong_path_is_a_404_in_one_line(turso_server):
    with pytest.raises(ServerError) as missing:
        HranaClient(turso_server.url + "/nope", auth_token=TOKEN).execute("SELECT 1")
    assert str(missing.value) == (f"{turso_server.url}/nope: no Hrana endpoint at {turso_server.url}/nope/v2/pipeline "
                                  "(HTTP 404); check that the URL points at a libSQL or Turso server")


def test_tursodb_accepts_any_token(turso_server):
    for token in (None, "wrong"):
        assert HranaClient(turso_server.url, auth_token=token).execute("SELECT 1").rows == ((1,),)


def test_no_server_is_one_line_without_the_token(caplog):
    url = f"http://127.0.0.1:{free_port()}"
    hrana = HranaClient(url, auth_token=TOKEN, timeout=5)
    caplog.set_level(logging.DEBUG, logger="vfmigrate_magic")
    with pytest.raises(ServerError) as failed:
        hrana.execute("SELECT 1")
    assert str(failed.value) == (f"{url}: cannot reach the server ([Errno 111] Connection refused); check the URL "
                                 "and that the server runs")
    assert TOKEN not in repr(hrana) and TOKEN not in caplog.text and f"{url}/v2/pipeline" in caplog.text
    assert repr(hrana) == f"HranaClient({url!r}, auth_token='<hidden>', timeout=5)"


def test_refused_token_is_one_line_without_the_token(refusing_server):
    with pytest.raises(ServerError) as refused:
        HranaClient(refusing_server, auth_token=TOKEN).execute("SELECT 1")
    assert str(refused.value) == (f"{refusing_server}: the server refused the auth token (HTTP 401); pass a valid "
                                  "one with --auth-token or VFMIGRATE_AUTH_TOKEN")
    with pytest.raises(ServerError, match=r"the server wants an auth token \(HTTP 401\)"):
        HranaClient(refusing_server).execute("SELECT 1")


@pytest.mark.parametrize("url, expected", [
    ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
    ("https://db.example.com/", "https://db.example.com"),
    ("libsql://db-org.turso.io", "https://db-org.turso.io"),
    ("LIBSQL://db-org.turso.io:443", "https://db-org.turso.io:443"),
])
def test_endpoint_reads_libsql_as_https(url, expected):
    assert endpoint(url) == expected


@pytest.mark.parametrize("url, message", [
    ("ftp://host", "ftp://host: not a server URL; use http://HOST:PORT, https://HOST or libsql://HOST"),
    ("data/app.db", "data/app.db: not a server URL; use http://HOST:PORT, https://HOST or libsql://HOST"),
    ("http://host:port", "http://host:port: not a server URL (Port could not be cast to integer value as 'port'); "
                         "use http://HOST:PORT, https://HOST or libsql://HOST"),
    (f"libsql://db.turso.io?authToken={TOKEN}", "libsql://db.turso.io: the URL carries credentials or a query; give "
                                                "the server's URL alone and the token with --auth-token or "
                                                "VFMIGRATE_AUTH_TOKEN"),
    (f"https://user:{TOKEN}@db.turso.io", "https://db.turso.io: the URL carries credentials or a query; give "
                                          "the server's URL alone and the token with --auth-token or "
                                          "VFMIGRATE_AUTH_TOKEN"),
    (f"https://user:{TOKEN}@db.turso.io:x/db?authToken={TOKEN}",
     "https://db.turso.io:x/db: not a server URL (Port could not be cast to integer value as 'x'); use "
     "http://HOST:PORT, https://HOST or libsql://HOST"),
])
def test_unusable_url_is_refused_in_one_line(url, message):
    with pytest.raises(ConfigError) as refused:
        HranaClient(url, auth_token=TOKEN)
    assert str(refused.value) == message
