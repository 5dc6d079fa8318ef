"""vfmigrate, sqldiff and sqlite-utils side by side: ``python -m bench.schema_tools`` (from the repository root).

Prints the tables of docs/schema-tools.md. On each pair of tests/schema_pairs.py every tool gets a copy of the
start database and tries to reach the desired schema; one check (as in tests/test_diff.py, see check) judges all
three; where the corpus expects vfmigrate to refuse, failing with the database unchanged is right.
vfmigrate: ``diff --want FILE --from-database``, then ``up``. sqldiff: ``sqldiff --schema START DESIRED``, run by
plain sqlite3 with foreign keys on. sqlite-utils (Python API, foreign keys on): rename_table; add_column(name,
type, fk=, fk_col=, not_null_default=) for new columns; transform(rename=, drop=, types=, not_null=, defaults=,
column_order=, pk=, foreign_keys= (with ON DELETE), strict=) for other table changes; execute(desired SQL),
.drop(), DROP VIEW/TRIGGER/INDEX for the rest; create_index(columns, name, unique=); create_view(name, select).
Cannot express: adding CHECK, COLLATE or UNIQUE, generated columns, WITHOUT ROWID, adding AUTOINCREMENT, a new
NOT NULL column without default, types but INTEGER/TEXT/REAL/BLOB, partial or expression indexes, a changed
virtual table.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sqlite3
import subprocess
import sys
import tempfile
from contextlib import closing
from dataclasses import replace
from pathlib import Path

from vfmigrate_magic.engine.compare import differences, fold, normalize_sql, quote, same_schema, table_signature, tokens
from vfmigrate_magic.engine.plan import parse_hints
from vfmigrate_magic.engine.schema import load_schema, read_schema

ROOT = Path(__file__).resolve().parent.parent
TYPES = {"INTEGER", "TEXT", "REAL", "BLOB"}  # the column types sqlite-utils writes as they are
KINDS = ("right", "wrong", "cannot express", "error")
ATTRIBUTES = (("type", "type"), ("notnull", "NOT NULL"), ("default", "default"), ("pk", "primary key"))  # of a column
FLAGS = ("foreign_keys", "without_rowid", "strict", "autoincrement")  # of a table


class CannotExpress(Exception):
    """What the sqlite-utils API has no way to say, for one pair."""


def build(path: Path, sql: str) -> None:
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript(sql)


def schema_of(path: Path):
    with closing(sqlite3.connect(path)) as conn:
        return read_schema(conn)


def rows_of(path: Path, schema) -> dict[str, dict]:
    """{table: {key: {column: str(value)}}}, keyed by rowid (by primary key in WITHOUT ROWID tables)."""
    out = {}
    with closing(sqlite3.connect(path)) as conn:
        for t in schema.tables:
            cols = [c.name for c in t.columns if not c.generated]
            key = [quote(c.name) for c in sorted(t.columns, key=lambda c: c.pk) if c.pk] if t.without_rowid else ["rowid"]
            rows = conn.execute(f'SELECT {", ".join(key)}, {", ".join(map(quote, cols))} FROM {quote(t.name)}')
            out[fold(t.name)] = {tuple(map(str, r[:len(key)])): dict(zip(cols, map(str, r[len(key):]))) for r in rows}
    return out


def sequences(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as conn:
        found = conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'").fetchone()
        return {fold(n): s for n, s in conn.execute("SELECT name, seq FROM sqlite_sequence")} if found else {}


def describe(line: str, after, desired) -> str:
    """A line of ``differences(after, desired)`` in a few words."""
    label = "virtual table" if line.startswith("virtual table ") else line.split(" ", 1)[0]
    name = line.rpartition(": ")[0][len(label) + 1:]
    got, want = after.table(name), desired.table(name)  # tables only
    if not line.endswith("differs") or label != "table":
        return {"first": f"extra {label} {name}", "second": f"{label} {name} missing"}.get(line.split()[-2], f"{label} {name} differs")
    parts = [f"column {c.name} missing" for c in want.columns if got.column(c.name) is None]
    for c, have in [(c, got.column(c.name)) for c in want.columns if got.column(c.name)]:
        parts += [f"{what} of {c.name} {'changed' if getattr(have, attr) else 'lost'}" for attr, what in ATTRIBUTES
                  if getattr(have, attr) != getattr(c, attr)]
    parts += [f"{o} differs" for o in FLAGS if getattr(got, o) != getattr(want, o)]
    return f"{name}: " + (", ".join(parts) or "table text differs")


def check(db: Path, pair: dict, start_db: Path) -> str:
    """'' when ``db`` is right, else what is wrong. Right: same_schema(db, desired); every start row kept
    under the same rowid (same key in WITHOUT ROWID tables, by position where a table switches) with the
    same values in the columns kept (rename hints followed); sqlite_sequence kept; views answer; triggers
    fire (UPDATE, DELETE, re-INSERT, rolled back); integrity_check and foreign_key_check pass."""
    start, after, desired, hints = schema_of(start_db), schema_of(db), load_schema(pair["desired"]), parse_hints(pair["desired"])
    problems = [] if same_schema(after, desired) else [describe(line, after, desired) for line in differences(after, desired)]
    names, renamed = {fold(o): fold(n) for o, n in hints.tables}, {(fold(t), fold(o)): n for t, o, n in hints.columns}
    after_rows = rows_of(db, after)
    for table, rows in rows_of(start_db, start).items():
        if (other := after_rows.get(new := names.get(table, table))) is None:
            continue  # a dropped table (schema compared above)
        if start.table(table).without_rowid != (desired.table(new) or start.table(table)).without_rowid:
            rows, other = dict(enumerate(rows.values())), dict(enumerate(other.values()))
        if len(other) < len(rows):
            problems.append(f"rows lost in {table} ({len(rows)} -> {len(other)})")
        elif rows.keys() != other.keys():
            problems.append(f"rowids changed in {table} ({', '.join(k[0] for k in rows)} -> {', '.join(k[0] for k in other)})")
        else:
            column = lambda col: renamed.get((new, fold(col)), renamed.get((table, fold(col)), col))  # noqa: E731
            problems += [f"values changed in {table}.{col}" for col in sorted({
                col for key, row in rows.items() for col, value in row.items() if other[key].get(column(col), value) != value})]
    seq_after = sequences(db)
    problems += [f"sqlite_sequence of {t} {s} -> {seq_after.get(names.get(t, t))}" for t, s in sequences(start_db).items()
                 if after.table(names.get(t, t)) and seq_after.get(names.get(t, t)) != s]
    with closing(sqlite3.connect(db, isolation_level=None)) as conn:
        runs = [(f"view {v.name}", [f"SELECT * FROM {quote(v.name)}"]) for v in after.views]
        for t in {fold(tr.table): after.table(tr.table) for tr in after.triggers}.values():  # fire them all, then undo
            cols, name, first = ", ".join(quote(c.name) for c in t.columns if not c.generated), quote(t.name), quote(t.columns[0].name)
            fire = [f"CREATE TEMP TABLE fire AS SELECT {cols} FROM {name}", f"UPDATE {name} SET {first} = {first}",
                    f"DELETE FROM {name}", f"INSERT INTO {name} ({cols}) SELECT * FROM fire"]
            runs.append((f"trigger on {t.name}", fire))
        for what, sqls in runs:
            try:
                conn.executescript("BEGIN; " + "; ".join(sqls) + "; ROLLBACK;")
            except sqlite3.Error as exc:
                problems.append(f"{what} fails: {exc}")
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
        problems += ["integrity_check fails"] * (conn.execute("PRAGMA integrity_check").fetchone() != ("ok",))
        problems += ["foreign_key_check fails"] * bool(conn.execute("PRAGMA foreign_key_check").fetchall())
    problems = list(dict.fromkeys(problems))
    return "; ".join(problems[:3]) + (f"; {len(problems) - 3} more" if len(problems) > 3 else "")


def run_vfmigrate(pair: dict, db: Path, work: Path) -> str:
    """'' on success, else what failed (so for each tool)."""
    (work / "want.sql").write_text(pair["desired"], encoding="utf-8")
    (work / "migrations").mkdir()
    base = [sys.executable, "-m", "vfmigrate_magic", "--database", str(db), "--migrations", str(work / "migrations")]
    for args in (["diff", "--want", str(work / "want.sql"), "--from-database"], ["up"]):
        done = subprocess.run(base + args, cwd=work, capture_output=True, text=True, timeout=120)
        if done.returncode:
            return f"{args[0]} exit {done.returncode}: " + (done.stderr.strip() or done.stdout.strip()).splitlines()[0]
    return ""


def run_sqldiff(pair: dict, db: Path, work: Path) -> str:
    build(work / "desired.db", pair["desired"])
    done = subprocess.run(["sqldiff", "--schema", str(db), str(work / "desired.db")], capture_output=True, text=True)
    if done.returncode:
        return f"sqldiff exit {done.returncode}: {done.stderr.strip()}"
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA foreign_keys = ON")
        try:
            conn.executescript(done.stdout)
        except sqlite3.Error as exc:
            return f"sqlite3: {exc}"
    return "" if done.stdout.strip() else "NOTHING"


def change_table(udb, cur, des, desired, renames: dict) -> None:
    """Turn table ``cur`` (renamed already) into ``des`` with add_column and transform."""
    from sqlite_utils.db import ForeignKey
    sql_value = lambda sql: None if sql is None else sqlite3.connect(":memory:").execute(f"SELECT {sql}").fetchone()[0]  # noqa: E731
    fk_keys = lambda fks: {replace(f, id=0) for f in fks}  # noqa: E731 (what a foreign key says)
    old = {fold(renames.get(fold(c.name), c.name)): c for c in cur.columns}  # by the desired name
    new_cols = [c for c in des.columns if fold(c.name) not in old]
    count = lambda t, word: sum(kind == "word" and fold(text) == word for kind, text, _ in tokens(t.sql))  # noqa: E731
    added = [w.upper() for w in ("check", "collate", "unique") if count(des, w) > count(cur, w)]
    for bad, why in ((des.without_rowid or cur.without_rowid, "WITHOUT ROWID"), (added, "adding " + "/".join(added)),
                     (any(c.generated for c in des.columns + cur.columns), "generated column"),
                     (des.autoincrement and not cur.autoincrement, "adding AUTOINCREMENT"),
                     (any(c.notnull and c.default is None for c in new_cols), "NOT NULL column without default")):
        if bad:
            raise CannotExpress(why)
    # transform takes the names the columns have when it runs, and is given what differs from then
    name = {fold(c.name): old[fold(c.name)].name if fold(c.name) in old else c.name for c in des.columns}
    was = {fold(c.name): old.get(fold(c.name)) or c.__class__(c.name, c.type, c.notnull, c.default if c.notnull else None, 0)
           for c in des.columns}
    fks = {fold(f.columns[0]): f for f in des.foreign_keys  # add_column(fk=) writes a REFERENCES without actions
           if fold(f.columns[0]) in {fold(c.name) for c in new_cols} and f.on_delete == f.on_update == "NO ACTION"}
    pk = [name[fold(c.name)] for c in sorted(des.columns, key=lambda c: c.pk) if c.pk]
    kwargs = {k: v for k, v in dict(
        rename={o.name: renames[fold(o.name)] for o in cur.columns if fold(o.name) in renames},
        drop={c.name for k, c in old.items() if des.column(k) is None},
        types={name[fold(c.name)]: c.type.upper() for c in des.columns if was[fold(c.name)].type.upper() != c.type.upper()},
        not_null={name[fold(c.name)]: c.notnull for c in des.columns if was[fold(c.name)].notnull != c.notnull},
        defaults={name[fold(c.name)]: sql_value(c.default) for c in des.columns if was[fold(c.name)].default != c.default},
    ).items() if v}
    if [fold(c.name) for c in des.columns] != [fold(c.name) for c in cur.columns] + [fold(c.name) for c in new_cols]:
        kwargs["column_order"] = list(name.values())
    if pk != [c.name for c in sorted(cur.columns, key=lambda c: c.pk) if c.pk]:
        kwargs["pk"] = (pk[0] if len(pk) == 1 else tuple(pk)) if pk else None
    if fk_keys(des.foreign_keys) != fk_keys(cur.foreign_keys) | fk_keys(fks.values()):
        key_of = lambda t: next(c.name for c in desired.table(t).columns if c.pk == 1)  # noqa: E731
        kwargs["foreign_keys"] = [ForeignKey(des.name, f.columns[0], f.parent, f.parent_columns[0] or key_of(f.parent),
                                             on_delete=f.on_delete, on_update=f.on_update) for f in des.foreign_keys]
    if des.strict != cur.strict:
        kwargs["strict"] = des.strict
    if bad := [c.type or "(none)" for c in (des.columns if kwargs else new_cols) if c.type.upper() not in TYPES]:
        raise CannotExpress(f"column type {', '.join(bad)} (sqlite-utils writes INTEGER/TEXT/REAL/BLOB)")
    for c in new_cols:
        f = fks.get(fold(c.name))
        udb[des.name].add_column(c.name, c.type.upper(), fk=f and f.parent, fk_col=f and f.parent_columns[0],
                                 not_null_default=sql_value(c.default) if c.notnull else None)
    if kwargs:
        udb[des.name].transform(**kwargs)


def run_sqlite_utils(pair: dict, db: Path, work: Path) -> str:
    import sqlite_utils
    from sqlite_utils.db import AlterError, DescIndex, TransformError
    desired, hints = load_schema(pair["desired"]), parse_hints(pair["desired"])
    same = lambda obj, objects: normalize_sql(obj.sql) in {normalize_sql(o.sql) for o in objects}  # noqa: E731
    indexes = lambda schema: [i for t in schema.tables for i in t.indexes if i.sql is not None]  # noqa: E731
    udb = sqlite_utils.Database(conn := sqlite3.connect(db))
    conn.execute("PRAGMA foreign_keys = ON")
    try:
        for old, new in hints.tables:
            udb.rename_table(old, new)
        current = read_schema(conn)
        cur_v, des_v = ({fold(v.name): v for v in s.virtual_tables} for s in (current, desired))
        if any(not same(cur_v[k], [des_v[k]]) for k in cur_v.keys() & des_v.keys()):
            raise CannotExpress("changing a virtual table")
        if any(not same(i, indexes(current)) and (i.partial or any(c.name is None for c in i.columns)) for i in indexes(desired)):
            raise CannotExpress("partial or expression index")
        sqls = [f"DROP VIEW {quote(v.name)}" for v in current.views if not same(v, desired.views)]
        sqls += [f"DROP TRIGGER {quote(t.name)}" for t in current.triggers if not same(t, desired.triggers)]
        sqls += [f"DROP INDEX {quote(i.name)}" for i in indexes(current) if not same(i, indexes(desired))]
        sqls += [t.sql for t in desired.tables if current.table(t.name) is None] + [v.sql for k, v in des_v.items() if k not in cur_v]
        for sql in sqls:
            udb.execute(sql)
        for des in desired.tables:
            if (cur := current.table(des.name)) is not None and table_signature(cur) != table_signature(des):
                change_table(udb, cur, des, desired, {fold(o): n for t, o, n in hints.columns if fold(t) == fold(des.name)})
        gone = [t.name for t in current.tables if not desired.table(t.name)] + [v.name for k, v in cur_v.items() if k not in des_v]
        for name in gone:
            udb[name].drop()
        live = read_schema(conn)  # then what transform left to do: indexes, views, triggers
        for index in [i for i in indexes(desired) if not same(i, indexes(live))]:
            udb[index.table].create_index([DescIndex(c.name) if c.desc else c.name for c in index.columns],
                                          index_name=index.name, unique=index.unique)
        for view in [v for v in desired.views if not same(v, live.views)]:
            at = next(off for kind, text, off in tokens(view.sql) if kind == "word" and fold(text) == "as")
            udb.create_view(view.name, view.sql[at + 2:].strip().rstrip(";").strip())
        for trigger in [t for t in desired.triggers if not same(t, live.triggers)]:
            udb.execute(trigger.sql)
        conn.commit()
    except (sqlite3.Error, ValueError, TransformError, AlterError) as exc:
        return f"{type(exc).__name__}: {exc}".split(". ")[0]
    finally:
        conn.close()
    return ""


TOOLS = {"vfmigrate": run_vfmigrate, "sqldiff": run_sqldiff, "sqlite-utils": run_sqlite_utils}


def outcome(pair: dict, tool: str, work: Path) -> tuple[str, str]:
    """(one of KINDS, reason) for ``tool`` on ``pair``, in the new folder ``work``."""
    work.mkdir()
    start_db, db = work / "start.db", work / "app.db"
    build(start_db, pair["start"])
    build(db, pair["start"])
    try:
        failed = TOOLS[tool](pair, db, work)
    except (CannotExpress, ImportError, FileNotFoundError) as exc:  # or sqlite-utils, sqldiff not installed
        return ("cannot express" if isinstance(exc, CannotExpress) else "error"), str(exc)
    note, failed = ("; sqldiff printed nothing", "") if failed == "NOTHING" else ("", failed)
    listing = lambda path: set(sqlite3.connect(path).execute("SELECT name, sql FROM sqlite_schema"))  # noqa: E731 (shadow tables too)
    changed = sorted({name for name, _ in listing(db) ^ listing(start_db)})
    if pair["expect"] == "refused":
        kept = not changed and rows_of(db, schema_of(db)) == rows_of(start_db, schema_of(start_db))
        if failed:
            return ("right", f"refused: {failed}") if kept else ("wrong", f"failed, database changed: {failed}")
        if kept:
            return "wrong", "no error, did nothing" + note
        return "wrong", f"no error; changed {', '.join(changed)}; " + check(db, pair, start_db)
    if failed:
        return ("cannot express" if tool == "vfmigrate" and failed.startswith("diff exit 5") else "error"), failed
    reason = check(db, pair, start_db)
    return ("wrong", reason + note) if reason else ("right", "")


def main() -> None:
    spec = importlib.util.spec_from_file_location("schema_pairs", ROOT / "tests" / "schema_pairs.py")
    spec.loader.exec_module(module := importlib.util.module_from_spec(spec))
    pairs = module.PAIRS
    with tempfile.TemporaryDirectory() as tmp:
        results = {(p["id"], t): outcome(p, t, Path(tmp) / f"{i}-{t}") for i, p in enumerate(pairs) for t in TOOLS}
    print(f"SQLite {sqlite3.sqlite_version} (Python's sqlite3); vfmigrate {importlib.metadata.version('vfmigrate_magic')}; "
          f"sqlite-utils {importlib.metadata.version('sqlite-utils')}\n")
    print(f"| tool (out of {len(pairs)} pairs) | " + " | ".join(KINDS) + " |\n|---|---|---|---|---|")
    for tool in TOOLS:
        print(f"| {tool} | " + " | ".join(str(sum(results[p["id"], tool][0] == k for p in pairs)) for k in KINDS) + " |")
    print("\n| pair | " + " | ".join(TOOLS) + " |\n|---|" + "---|" * len(TOOLS))
    for pair in pairs:
        cells = [kind + (f": {why}" if why and kind != "right" else "") for kind, why in (results[pair["id"], t] for t in TOOLS)]
        print(f"| {pair['id']} | " + " | ".join(c.replace("|", "/") for c in cells) + " |")


if __name__ == "__main__":
    main()
