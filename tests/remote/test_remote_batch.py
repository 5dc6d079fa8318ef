"""Batches of several migrations (a dry run, ``--tx all``) and the down batch's guard, against
a real ``tursodb --sync-server``: what another runner did meanwhile is refused, never half-done."""

from __future__ import annotations

from pathlib import Path

import pytest

from vfmigrate_magic.engine.errors import RefusedByState
from vfmigrate_magic.engine.files import Migration
from vfmigrate_magic.engine.hrana import HranaClient
from vfmigrate_magic.engine.remote_batch import MigrationBatch

from .conftest import skip_without_tursodb

skip_without_tursodb()


def migration(version: int, up: str, down: str = "") -> Migration:
    return Migration(version, f"m{version}", Path(f"{version:03d}_m{version}.sql"), up, down)


@pytest.fixture
def client(turso_server):
    with HranaClient(turso_server.url, timeout=10) as hrana:
        yield hrana


def names(client: HranaClient) -> list[str]:
    return [row[0] for row in client.execute("SELECT name FROM sqlite_schema ORDER BY name").rows]


def versions(client: HranaClient) -> list[int]:
    return [row[0] for row in client.execute("SELECT version FROM schema_migrations ORDER BY version").rows]


def test_a_batch_of_several_applies_them_all_with_rows_per_statement(client):
    plan = [migration(1, "CREATE TABLE a (x);\nINSERT INTO a VALUES (1), (2);"),
            migration(2, "UPDATE a SET x = x + 1;")]
    outcomes = MigrationBatch(plan).run(client)
    assert [(o.skipped, o.rows_changed) for o in outcomes] == [(False, (0, 2)), (False, (2,))]
    assert versions(client) == [1, 2] and names(client) == ["a", "schema_migrations"]


def test_a_dry_run_of_several_says_what_each_creates_and_leaves_nothing(client):
    plan = [migration(1, "CREATE TABLE a (x);\nCREATE INDEX a_x ON a (x);"), migration(2, "DROP INDEX a_x;")]
    outcomes = MigrationBatch(plan, dry_run=True).run(client)
    assert [(o.created, o.dropped, o.altered) for o in outcomes] == [(("index a_x", "table a"), (), ()),
                                                                     ((), ("index a_x",), ())]
    assert names(client) == []


def test_a_batch_of_several_is_refused_whole_when_another_runner_applied_one(client):
    MigrationBatch([migration(2, "CREATE TABLE b (x);")]).run(client)  # the other runner, meanwhile
    with pytest.raises(RefusedByState) as refused:
        MigrationBatch([migration(1, "CREATE TABLE a (x);"), migration(2, "CREATE TABLE b (x);")]).run(client)
    assert str(refused.value) == ("002_m2.sql: another runner applied it meanwhile, so this batch of 2 migrations was "
                                  "undone; run 'vfmigrate status' and try again. Nothing was changed.")
    assert versions(client) == [2] and names(client) == ["b", "schema_migrations"]


def test_a_down_is_refused_when_a_newer_version_was_applied_meanwhile(client):
    one = migration(1, "CREATE TABLE a (x);", "DROP TABLE a;")
    two = migration(2, "CREATE TABLE b (x);", "DROP TABLE b;")
    MigrationBatch([one, two]).run(client)
    with pytest.raises(RefusedByState) as refused:
        MigrationBatch([one], direction="down").run(client)
    assert str(refused.value) == ("001_m1.sql: another runner applied a newer version meanwhile; run 'vfmigrate "
                                  "status' and try again. Nothing more was rolled back.")
    assert versions(client) == [1, 2]
    [outcome] = MigrationBatch([two], direction="down").run(client)  # newest first is fine
    assert outcome.skipped is False and versions(client) == [1]


def test_a_down_batch_of_several_runs_newest_first(client):
    plan = [migration(v, f"CREATE TABLE t{v} (x);", f"DROP TABLE t{v};") for v in (1, 2, 3)]
    MigrationBatch(plan).run(client)
    MigrationBatch(plan[:0:-1], direction="down").run(client)
    assert versions(client) == [1] and names(client) == ["schema_migrations", "t1"]
