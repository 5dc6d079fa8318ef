"""The schema model: reading a database, loading SQL text, replaying migration files, and the
renderers (text, SQL, Mermaid, JSON, rows)."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from vfmigrate_magic.engine import commands
from vfmigrate_magic.engine.compare import differences, normalize_sql, same_schema
from vfmigrate_magic.engine.config import Target
from vfmigrate_magic.engine.errors import BadMigrationFile
from vfmigrate_magic.engine.files import discover
from vfmigrate_magic.engine.schema import (Column, ForeignKey, IndexColumn, column_rows, load_schema, read_schema,
                                           render_mermaid, render_sql, render_text, replay, to_json)

RICH = """
CREATE TABLE orders (
    id INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    region TEXT, code TEXT,
    total REAL DEFAULT 0.0,
    net REAL GENERATED ALWAYS AS (total * 0.8) VIRTUAL,
    gross REAL AS (total * 1.2) STORED,
    FOREIGN KEY (region, code) REFERENCES regions(name, code) ON UPDATE CASCADE
);
CREATE TABLE customers (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT UNIQUE COLLATE NOCASE, "full name" VARCHAR(80));
CREATE TABLE regions (name TEXT, code TEXT, PRIMARY KEY (name, code)) WITHOUT ROWID;
CREATE TABLE readings (id INTEGER PRIMARY KEY, value REAL NOT NULL, note ANY) STRICT;
CREATE TABLE plain (a, b DOUBLE PRECISION);
CREATE INDEX orders_total ON orders (total DESC) WHERE total > 0;
CREATE UNIQUE INDEX customers_lower ON customers (lower(email));
CREATE VIEW big AS SELECT id, total FROM orders WHERE total > 100;
CREATE VIEW bigger AS SELECT id FROM big WHERE total > 1000;
CREATE TRIGGER orders_check BEFORE INSERT ON orders BEGIN SELECT RAISE(ABORT, 'no') WHERE new.total < 0; END;
CREATE VIRTUAL TABLE search USING fts5(body);
INSERT INTO customers (email) VALUES ('a@x');
ANALYZE;
"""


@pytest.fixture
def rich():
    return load_schema(RICH)


def test_tables_columns_and_flags_come_from_sqlite(rich):
    assert [t.name for t in rich.tables] == ["orders", "customers", "regions", "readings", "plain"]
    orders = rich.table("ORDERS")
    assert orders.columns[0] == Column("id", "INTEGER", False, None, 1, "")
    assert orders.column("total").default == "0.0"
    assert (orders.column("net").generated, orders.column("gross").generated) == ("virtual", "stored")
    assert orders.rowid_alias == "id"
    customers, regions, readings = rich.table("customers"), rich.table("regions"), rich.table("readings")
    assert customers.autoincrement and not orders.autoincrement
    assert regions.without_rowid and regions.rowid_alias is None
    assert readings.strict and not orders.strict
    assert customers.column("full name").type == "VARCHAR(80)"
    assert customers.sql.startswith('CREATE TABLE customers (id INTEGER PRIMARY KEY AUTOINCREMENT')


def test_foreign_keys_are_grouped_by_clause(rich):
    fks = rich.table("orders").foreign_keys
    assert fks == (
        ForeignKey(1, "customers", ("customer_id",), ("id",), "NO ACTION", "CASCADE", "NONE"),
        ForeignKey(0, "regions", ("region", "code"), ("name", "code"), "CASCADE", "NO ACTION", "NONE"),
    )


def test_indexes_automatic_and_explicit(rich):
    by_name = {i.name: i for t in rich.tables for i in t.indexes}
    total = by_name["orders_total"]
    assert (total.origin, total.unique, total.partial) == ("c", False, True)
    assert total.columns == (IndexColumn("total", True, "BINARY"),)
    assert total.sql == "CREATE INDEX orders_total ON orders (total DESC) WHERE total > 0"
    lower = by_name["customers_lower"]
    assert lower.unique and lower.columns == (IndexColumn(None, False, "BINARY"),)
    auto = by_name["sqlite_autoindex_customers_1"]
    assert (auto.origin, auto.sql, auto.columns) == ("u", None, (IndexColumn("email", False, "NOCASE"),))
    assert by_name["sqlite_autoindex_regions_1"].origin == "pk"


def test_views_triggers_virtual_tables_and_no_internal_tables(rich):
    assert [v.name for v in rich.views] == ["big", "bigger"]
    assert [(t.name, t.table) for t in rich.triggers] == [("orders_check", "orders")]
    assert [v.name for v in rich.virtual_tables] == ["search"]
    names = {t.name for t in rich.tables}
    assert not names & {"sqlite_sequence", "sqlite_stat1", "search_data", "search_idx", "search_config"}


def test_read_schema_of_a_migrated_database_leaves_out_the_tracking_table(tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "001_users.sql").write_text("-- === UP MIGRATION ===\nCREATE TABLE users (id INTEGER PRIMARY KEY);\n"
                                          "-- === DOWN MIGRATION ===\nDROP TABLE users;\n")
    commands.up(Target(tmp_path / "app.db", folder))
    conn = sqlite3.connect(tmp_path / "app.db")
    conn.execute("BEGIN")
    schema = read_schema(conn)  # inside a transaction too
    conn.rollback()
    conn.close()
    assert [t.name for t in schema.tables] == ["users"]
    assert same_schema(schema, replay(discover(folder)))


def test_load_schema_names_the_line_of_a_rejected_statement():
    with pytest.raises(BadMigrationFile) as caught:
        load_schema("CREATE TABLE a (x);\n\nCREATE TABLE a (y);\n", file="desired.sql")
    assert str(caught.value).startswith("desired.sql, line 3: statement 2 is rejected by SQLite (table a already exists)")
    assert "\n" not in str(caught.value)


def test_replay_at_a_version(tmp_path):
    folder = tmp_path / "migrations"
    folder.mkdir()
    steps = ["CREATE TABLE a (x);", "ALTER TABLE a ADD COLUMN y TEXT;\nINSERT INTO a VALUES (1, 'one');",
             "CREATE TABLE b (id INTEGER PRIMARY KEY);\nCREATE INDEX a_y ON a (y);"]
    for n, up in enumerate(steps, 1):
        (folder / f"00{n}_step.sql").write_text(f"-- === UP MIGRATION ===\n{up}\n-- === DOWN MIGRATION ===\nSELECT 1;\n")
    migrations = discover(folder)
    assert [t.name for t in replay(migrations, at=1).tables] == ["a"]
    assert [c.name for c in replay(migrations, at=2).table("a").columns] == ["x", "y"]
    head = replay(migrations)
    assert [t.name for t in head.tables] == ["a", "b"] and head == replay(migrations, at=3)
    assert replay(migrations, at=0) == load_schema("")
    (folder / "004_bad.sql").write_text("-- === UP MIGRATION ===\nSELECT 1;\nDROP TABLE nope;\n"
                                        "-- === DOWN MIGRATION ===\nSELECT 1;\n")
    with pytest.raises(BadMigrationFile, match=r"^004_bad.sql, line 3: statement 2 fails"):
        replay(discover(folder))


def test_render_sql_replays_into_the_same_schema_parents_first(rich):
    text = render_sql(rich)
    assert text.index("CREATE TABLE customers") < text.index("CREATE TABLE orders")
    assert text.index("CREATE TABLE regions") < text.index("CREATE TABLE orders")
    again = load_schema(text)
    assert same_schema(again, rich) and differences(again, rich) == []
    assert render_sql(again) == text


def test_render_sql_of_a_renamed_table_compares_equal_to_its_plain_text():
    renamed = load_schema("CREATE TABLE t_old (a); CREATE VIEW v AS SELECT a FROM t_old; ALTER TABLE t_old RENAME TO t;")
    assert renamed.tables[0].sql == 'CREATE TABLE "t" (a)'
    assert same_schema(renamed, load_schema("CREATE TABLE t (a); CREATE VIEW v AS SELECT a FROM t;"))
    assert not same_schema(renamed, load_schema("CREATE TABLE t (b); CREATE VIEW v AS SELECT a FROM t;"))


def test_normalize_ignores_spacing_comments_case_and_quotes_but_not_strings():
    assert normalize_sql('CREATE TABLE "t"(a  INT, -- note\n "b" text DEFAULT \'X\')') == \
        normalize_sql("create table t (A int, b TEXT default 'X');")
    assert normalize_sql("CREATE TABLE t (a DEFAULT 'X')") != normalize_sql("CREATE TABLE t (a DEFAULT 'x')")
    assert normalize_sql('CREATE TABLE t ("a b" INT)') != normalize_sql("CREATE TABLE t (a_b INT)")


def test_differences_name_each_object():
    a = load_schema("CREATE TABLE t (a); CREATE INDEX i ON t (a); CREATE VIEW v AS SELECT 1;")
    b = load_schema("CREATE TABLE t (a, b); CREATE VIEW v AS SELECT 1; CREATE VIEW w AS SELECT 2;")
    assert differences(a, b) == ["table t: differs", "index i: only in the first schema",
                                 "view w: only in the second schema"]


def test_mermaid_has_every_table_column_and_a_relationship_per_foreign_key(rich):
    text = render_mermaid(rich)
    assert text.startswith("erDiagram\n")
    for table in rich.tables:
        assert re.search(rf"^    {table.name} {{$", text, re.M)
    assert "        INTEGER customer_id FK\n" in text
    assert "        INTEGER id PK\n" in text
    assert "        VARCHAR_80 full_name\n" in text  # parentheses and spaces rewritten
    assert "        ANY a\n" in text and "        DOUBLE_PRECISION b\n" in text
    assert "        TEXT name PK, FK" not in text and "        TEXT region FK\n" in text
    relations = [line.strip() for line in text.splitlines() if "||--o{" in line]
    assert relations == ['customers ||--o{ orders : "customer_id"', 'regions ||--o{ orders : "region,code"']
    assert len(relations) == sum(len(t.foreign_keys) for t in rich.tables)


def test_to_json_round_trips(rich):
    data = to_json(rich)
    assert json.loads(json.dumps(data)) == data
    assert data["tables"][0]["name"] == "orders" and data["virtual_tables"][0]["name"] == "search"


def test_column_rows_for_a_dataframe(rich):
    rows = column_rows(rich)
    assert len(rows) == sum(len(t.columns) for t in rich.tables)
    assert {"table": "orders", "column": "customer_id", "type": "INTEGER", "notnull": True, "default": None,
            "pk": 0, "references": "customers(id)"} in rows
    assert set(rows[0]) == {"table", "column", "type", "notnull", "default", "pk", "references"}


def test_render_text_has_one_block_per_table(rich):
    text = render_text(rich)
    blocks = text.split("\n\n")
    assert blocks[0].splitlines()[0] == "table orders"
    assert "table customers  (AUTOINCREMENT)" in text and "table regions  (WITHOUT ROWID)" in text
    assert "  foreign key (region, code) -> regions(name, code) ON UPDATE CASCADE" in text
    assert "  index orders_total (total DESC) partial" in text and "  trigger orders_check" in text
    assert "view bigger" in text and "virtual table search" in text
