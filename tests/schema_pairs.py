"""Schema pairs for the planner's tests (data only).

Each pair: ``id``; ``start`` (the schema a database starts with, and seed rows); ``desired``
(the schema to reach, with any rename hints); ``expect``: the method the plan must use
("alter", "rebuild", "create", "drop"), "none" for an empty plan, or "refused".
"""

PAIRS = [
    dict(id="add_column_alter", expect="alter", start="""
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
INSERT INTO users (email) VALUES ('a@x'), ('b@x');
""", desired="""
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);
"""),
    dict(id="add_not_null_column_with_default", expect="alter", start="""
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
INSERT INTO users (email) VALUES ('a@x'), ('b@x');
""", desired="""
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'active'
);
"""),
    dict(id="add_not_null_column_without_default", expect="refused", start="""
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);
INSERT INTO users (email) VALUES ('a@x');
""", desired="""
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, status TEXT NOT NULL);
"""),
    dict(id="add_column_in_the_middle", expect="rebuild", start="""
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
INSERT INTO users (email) VALUES ('a@x'), ('b@x');
""", desired="""
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email TEXT);
"""),
    dict(id="add_fk_column_alter", expect="alter", start="""
CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
INSERT INTO teams (name) VALUES ('red');
INSERT INTO users (email) VALUES ('a@x');
""", desired="""
CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT, team_id INTEGER REFERENCES teams(id));
"""),
    dict(id="drop_column_alter", expect="alter", start="""
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT, draft TEXT);
INSERT INTO notes (body, draft) VALUES ('one', 'x'), ('two', NULL);
""", desired="""
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
"""),
    dict(id="drop_indexed_column", expect="alter", start="""
CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT, label TEXT);
CREATE INDEX items_sku ON items (sku);
INSERT INTO items (sku, label) VALUES ('s1', 'one'), ('s2', 'two');
""", desired="""
CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT);
"""),
    dict(id="drop_unique_column", expect="rebuild", start="""
CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT UNIQUE, label TEXT);
INSERT INTO items (sku, label) VALUES ('s1', 'one'), ('s2', 'two');
""", desired="""
CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT);
"""),
    dict(id="drop_column_used_by_view", expect="alter", start="""
CREATE TABLE items (id INTEGER PRIMARY KEY, sku TEXT, label TEXT);
CREATE VIEW item_labels AS SELECT id, sku, label FROM items;
INSERT INTO items (sku, label) VALUES ('s1', 'one');
""", desired="""
CREATE TABLE items (id INTEGER PRIMARY KEY, label TEXT);
CREATE VIEW item_labels AS SELECT id, label FROM items;
"""),
    dict(id="change_column_type", expect="rebuild", start="""
CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, age TEXT);
INSERT INTO people (name, age) VALUES ('ann', '42'), ('bob', '7');
""", desired="""
CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, age INTEGER);
"""),
    dict(id="not_null_added", expect="rebuild", start="""
CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT);
INSERT INTO people (name) VALUES ('ann'), ('bob');
""", desired="""
CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
"""),
    dict(id="default_changed", expect="rebuild", start="""
CREATE TABLE tasks (id INTEGER PRIMARY KEY, state TEXT DEFAULT 'new');
INSERT INTO tasks (state) VALUES ('done'), ('new');
""", desired="""
CREATE TABLE tasks (id INTEGER PRIMARY KEY, state TEXT DEFAULT 'open');
"""),
    dict(id="check_added", expect="rebuild", start="""
CREATE TABLE products (id INTEGER PRIMARY KEY, price REAL);
INSERT INTO products (price) VALUES (1.5), (0);
""", desired="""
CREATE TABLE products (id INTEGER PRIMARY KEY, price REAL CHECK (price >= 0));
"""),
    dict(id="fk_added", expect="rebuild", start="""
CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE players (id INTEGER PRIMARY KEY, team_id INTEGER, name TEXT);
INSERT INTO teams (name) VALUES ('red'), ('blue');
INSERT INTO players (team_id, name) VALUES (1, 'ann'), (2, 'bob'), (NULL, 'cy');
""", desired="""
CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE players (id INTEGER PRIMARY KEY, team_id INTEGER REFERENCES teams(id) ON DELETE SET NULL, name TEXT);
"""),
    dict(id="parent_rebuild_with_cascade_children", expect="rebuild", start="""
CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors(id) ON DELETE CASCADE, title TEXT);
CREATE TABLE reviews (id INTEGER PRIMARY KEY, book_id INTEGER REFERENCES books(id) ON DELETE CASCADE, stars INTEGER);
INSERT INTO authors (name) VALUES ('ann'), ('bob');
INSERT INTO books (author_id, title) VALUES (1, 'a1'), (1, 'a2'), (2, 'b1');
INSERT INTO reviews (book_id, stars) VALUES (1, 5), (3, 4);
""", desired="""
CREATE TABLE authors (id INTEGER PRIMARY KEY, name TEXT NOT NULL COLLATE NOCASE);
CREATE TABLE books (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors(id) ON DELETE CASCADE, title TEXT NOT NULL);
CREATE TABLE reviews (id INTEGER PRIMARY KEY, book_id INTEGER REFERENCES books(id) ON DELETE CASCADE, stars INTEGER);
"""),
    dict(id="rebuild_with_triggers_and_views", expect="rebuild", start="""
CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL, updated TEXT);
CREATE TABLE audit (id INTEGER PRIMARY KEY, order_id INTEGER, what TEXT);
CREATE INDEX orders_total ON orders (total);
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 10;
CREATE TRIGGER orders_audit AFTER UPDATE ON orders BEGIN
    INSERT INTO audit (order_id, what) VALUES (new.id, 'update');
END;
CREATE TRIGGER audit_touch AFTER INSERT ON audit BEGIN
    UPDATE orders SET updated = 'now' WHERE id = new.order_id AND updated IS NULL;
END;
INSERT INTO orders (total) VALUES (5), (50), (500);
""", desired="""
CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL NOT NULL DEFAULT 0, updated TEXT);
CREATE TABLE audit (id INTEGER PRIMARY KEY, order_id INTEGER, what TEXT);
CREATE INDEX orders_total ON orders (total);
CREATE VIEW big_orders AS SELECT id, total FROM orders WHERE total > 10;
CREATE TRIGGER orders_audit AFTER UPDATE ON orders BEGIN
    INSERT INTO audit (order_id, what) VALUES (new.id, 'update');
END;
CREATE TRIGGER audit_touch AFTER INSERT ON audit BEGIN
    UPDATE orders SET updated = 'now' WHERE id = new.order_id AND updated IS NULL;
END;
"""),
    dict(id="rowid_table_keeps_rowids", expect="rebuild", start="""
CREATE TABLE log (msg TEXT, level TEXT);
INSERT INTO log (rowid, msg, level) VALUES (1, 'a', '1'), (2, 'b', '2'), (3, 'c', '3'), (10, 'd', '4'), (11, 'e', '5');
DELETE FROM log WHERE rowid = 2;
""", desired="""
CREATE TABLE log (msg TEXT NOT NULL, level INTEGER);
"""),
    dict(id="autoincrement_counter_survives", expect="rebuild", start="""
CREATE TABLE tickets (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT);
INSERT INTO tickets (title) VALUES ('a'), ('b'), ('c'), ('d'), ('e');
DELETE FROM tickets WHERE id > 3;
""", desired="""
CREATE TABLE tickets (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL DEFAULT '');
"""),
    dict(id="without_rowid_rebuild", expect="rebuild", start="""
CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
INSERT INTO kv VALUES ('a', '1'), ('b', '2');
""", desired="""
CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
"""),
    dict(id="to_without_rowid", expect="rebuild", start="""
CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT);
INSERT INTO kv VALUES ('a', '1'), ('b', '2'), ('c', '3');
""", desired="""
CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID;
"""),
    dict(id="strict_table_change", expect="rebuild", start="""
CREATE TABLE measures (id INTEGER PRIMARY KEY, value REAL, unit TEXT) STRICT;
INSERT INTO measures (value, unit) VALUES (1.5, 'kg'), (2.0, 'm');
""", desired="""
CREATE TABLE measures (id INTEGER PRIMARY KEY, value REAL NOT NULL, unit TEXT NOT NULL) STRICT;
"""),
    dict(id="to_strict", expect="rebuild", start="""
CREATE TABLE measures (id INTEGER PRIMARY KEY, value REAL, unit TEXT);
INSERT INTO measures (value, unit) VALUES (1.5, 'kg'), (2.25, 'm');
""", desired="""
CREATE TABLE measures (id INTEGER PRIMARY KEY, value REAL, unit TEXT) STRICT;
"""),
    dict(id="add_virtual_generated_column", expect="alter", start="""
CREATE TABLE boxes (id INTEGER PRIMARY KEY, w REAL, h REAL);
INSERT INTO boxes (w, h) VALUES (2, 3), (4, 5);
""", desired="""
CREATE TABLE boxes (id INTEGER PRIMARY KEY, w REAL, h REAL, area REAL GENERATED ALWAYS AS (w * h) VIRTUAL);
"""),
    dict(id="add_stored_generated_column", expect="rebuild", start="""
CREATE TABLE boxes (id INTEGER PRIMARY KEY, w REAL, h REAL);
INSERT INTO boxes (w, h) VALUES (2, 3), (4, 5);
""", desired="""
CREATE TABLE boxes (id INTEGER PRIMARY KEY, w REAL, h REAL, area REAL GENERATED ALWAYS AS (w * h) STORED);
"""),
    dict(id="generated_column_changed", expect="rebuild", start="""
CREATE TABLE boxes (id INTEGER PRIMARY KEY, w REAL, h REAL, area REAL AS (w * h) STORED, half REAL AS (w / 2));
INSERT INTO boxes (w, h) VALUES (2, 3), (4, 5);
""", desired="""
CREATE TABLE boxes (id INTEGER PRIMARY KEY, w REAL, h REAL, area REAL AS (w * h) STORED, half REAL AS (w / 4));
"""),
    dict(id="collate_change", expect="rebuild", start="""
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT UNIQUE);
INSERT INTO tags (name) VALUES ('Red'), ('blue');
""", desired="""
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT UNIQUE COLLATE NOCASE);
"""),
    dict(id="partial_index_changed", expect="rebuild", start="""
CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT, due TEXT);
CREATE INDEX jobs_due ON jobs (due) WHERE state = 'open';
INSERT INTO jobs (state, due) VALUES ('open', '2025-01-01'), ('done', '2025-02-01');
""", desired="""
CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT, due TEXT);
CREATE INDEX jobs_due ON jobs (due) WHERE state IN ('open', 'waiting');
"""),
    dict(id="unique_index_created", expect="create", start="""
CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT);
INSERT INTO accounts (email) VALUES ('a@x'), ('b@x');
""", desired="""
CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT);
CREATE UNIQUE INDEX accounts_email ON accounts (lower(email));
CREATE INDEX accounts_email_partial ON accounts (email) WHERE email IS NOT NULL;
"""),
    dict(id="rename_table_by_hint", expect="alter", start="""
CREATE TABLE customer (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customer(id), amount REAL);
CREATE VIEW customer_names AS SELECT name FROM customer;
INSERT INTO customer (name) VALUES ('ann'), ('bob');
INSERT INTO invoices (customer_id, amount) VALUES (1, 10), (2, 20);
""", desired="""
-- vfmigrate: rename table customer to customers
CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE invoices (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id), amount REAL);
CREATE VIEW customer_names AS SELECT name FROM customers;
"""),
    dict(id="rename_column_by_hint", expect="alter", start="""
CREATE TABLE users (id INTEGER PRIMARY KEY, mail TEXT);
CREATE INDEX users_mail ON users (mail);
INSERT INTO users (mail) VALUES ('a@x'), ('b@x');
""", desired="""
-- vfmigrate: rename column users.mail to email
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
CREATE INDEX users_mail ON users (email);
"""),
    dict(id="rename_column_and_change_type", expect="rebuild", start="""
CREATE TABLE users (id INTEGER PRIMARY KEY, yrs TEXT);
INSERT INTO users (yrs) VALUES ('1'), ('2');
""", desired="""
-- vfmigrate: rename column users.yrs to age
CREATE TABLE users (id INTEGER PRIMARY KEY, age INTEGER);
"""),
    dict(id="vanished_column_without_hint_is_a_drop", expect="alter", start="""
CREATE TABLE users (id INTEGER PRIMARY KEY, mail TEXT);
INSERT INTO users (mail) VALUES ('a@x');
""", desired="""
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);
"""),
    dict(id="create_table", expect="create", start="""
CREATE TABLE users (id INTEGER PRIMARY KEY);
INSERT INTO users DEFAULT VALUES;
""", desired="""
CREATE TABLE users (id INTEGER PRIMARY KEY);
CREATE TABLE sessions (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), token TEXT UNIQUE);
CREATE INDEX sessions_user ON sessions (user_id);
"""),
    dict(id="drop_table", expect="drop", start="""
CREATE TABLE users (id INTEGER PRIMARY KEY);
CREATE TABLE old_stuff (id INTEGER PRIMARY KEY, junk TEXT);
CREATE INDEX old_stuff_junk ON old_stuff (junk);
CREATE TRIGGER old_stuff_t AFTER INSERT ON old_stuff BEGIN SELECT 1; END;
INSERT INTO users DEFAULT VALUES;
INSERT INTO old_stuff (junk) VALUES ('x');
""", desired="""
CREATE TABLE users (id INTEGER PRIMARY KEY);
"""),
    dict(id="create_and_drop_index", expect="create", start="""
CREATE TABLE t (a INTEGER, b TEXT);
CREATE INDEX t_a ON t (a);
INSERT INTO t VALUES (1, 'x');
""", desired="""
CREATE TABLE t (a INTEGER, b TEXT);
CREATE INDEX t_b ON t (b DESC);
"""),
    dict(id="create_change_drop_views", expect="create", start="""
CREATE TABLE t (a INTEGER, b TEXT);
CREATE VIEW v_old AS SELECT a FROM t;
CREATE VIEW v_changed AS SELECT a FROM t;
CREATE VIEW v_on_v AS SELECT * FROM v_changed;
INSERT INTO t VALUES (1, 'x');
""", desired="""
CREATE TABLE t (a INTEGER, b TEXT);
CREATE VIEW v_changed AS SELECT a, b FROM t;
CREATE VIEW v_on_v AS SELECT * FROM v_changed;
CREATE VIEW v_new AS SELECT b FROM t;
"""),
    dict(id="create_change_drop_triggers", expect="create", start="""
CREATE TABLE t (a INTEGER, b TEXT);
CREATE TABLE log (what TEXT);
CREATE TRIGGER t_gone AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('gone'); END;
CREATE TRIGGER t_changed AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('v1'); END;
INSERT INTO t VALUES (1, 'x');
""", desired="""
CREATE TABLE t (a INTEGER, b TEXT);
CREATE TABLE log (what TEXT);
CREATE TRIGGER t_changed AFTER INSERT ON t BEGIN INSERT INTO log VALUES ('v2'); END;
CREATE TRIGGER t_new BEFORE DELETE ON t BEGIN INSERT INTO log VALUES ('delete'); END;
"""),
    dict(id="no_change_written_differently", expect="none", start="""
CREATE TABLE t (a INTEGER, b TEXT);
INSERT INTO t VALUES (1, 'x');
""", desired="""
-- the same table, other spacing, case and quoting
create table "t"(
    a INTEGER,   -- a comment
    "b" text
);
"""),
    dict(id="no_change_after_rename_quoted_text", expect="none", start="""
CREATE TABLE parent_old (id INTEGER PRIMARY KEY);
CREATE TABLE child (pid INTEGER REFERENCES parent_old(id));
ALTER TABLE parent_old RENAME TO parent;
INSERT INTO parent VALUES (1);
""", desired="""
CREATE TABLE parent (id INTEGER PRIMARY KEY);
CREATE TABLE child (pid INTEGER REFERENCES parent(id));
"""),
    dict(id="virtual_table_change_refused", expect="refused", start="""
CREATE VIRTUAL TABLE docs USING fts5(title, body);
INSERT INTO docs VALUES ('a', 'alpha');
""", desired="""
CREATE VIRTUAL TABLE docs USING fts5(title, body, tags);
"""),
    dict(id="virtual_table_create_and_drop", expect="create", start="""
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
CREATE VIRTUAL TABLE old_search USING fts5(body);
INSERT INTO notes (body) VALUES ('hello');
""", desired="""
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);
CREATE VIRTUAL TABLE notes_search USING fts5(body, content='notes', content_rowid='id');
"""),
    dict(id="self_referencing_rebuild", expect="rebuild", start="""
CREATE TABLE staff (id INTEGER PRIMARY KEY, boss_id INTEGER REFERENCES staff(id) ON DELETE CASCADE, name TEXT);
INSERT INTO staff (boss_id, name) VALUES (NULL, 'ceo'), (1, 'cto'), (2, 'dev');
""", desired="""
CREATE TABLE staff (id INTEGER PRIMARY KEY, boss_id INTEGER REFERENCES staff(id) ON DELETE CASCADE, name TEXT NOT NULL);
"""),
    dict(id="parent_and_child_both_rebuilt", expect="rebuild", start="""
CREATE TABLE a (id INTEGER PRIMARY KEY, x TEXT);
CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a(id) ON DELETE CASCADE, y TEXT);
INSERT INTO a (x) VALUES ('1'), ('2');
INSERT INTO b (a_id, y) VALUES (1, 'p'), (2, 'q'), (2, 'r');
""", desired="""
CREATE TABLE a (id INTEGER PRIMARY KEY, x INTEGER);
CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER NOT NULL REFERENCES a(id) ON DELETE CASCADE, y TEXT);
"""),
    dict(id="primary_key_change", expect="rebuild", start="""
CREATE TABLE pairs (a TEXT, b TEXT, note TEXT);
INSERT INTO pairs VALUES ('x', '1', 'n1'), ('y', '2', 'n2');
""", desired="""
CREATE TABLE pairs (a TEXT, b TEXT, note TEXT, PRIMARY KEY (a, b));
"""),
    dict(id="rename_table_and_create_one_with_the_old_name", expect="create", start="""
CREATE TABLE events (id INTEGER PRIMARY KEY, what TEXT);
INSERT INTO events (what) VALUES ('kept');
""", desired="""
-- vfmigrate: rename table events to events_archive
CREATE TABLE events_archive (id INTEGER PRIMARY KEY, what TEXT);
CREATE TABLE events (id INTEGER PRIMARY KEY, kind TEXT, at TEXT);
"""),
    dict(id="rename_column_used_in_trigger_and_view", expect="alter", start="""
CREATE TABLE t (a INTEGER, b TEXT);
CREATE TABLE log (m TEXT);
CREATE VIEW v AS SELECT b FROM t;
CREATE TRIGGER tt AFTER UPDATE OF b ON t BEGIN INSERT INTO log VALUES (new.b); END;
INSERT INTO t VALUES (1, 'x');
""", desired="""
-- vfmigrate: rename column t.b to c
CREATE TABLE t (a INTEGER, c TEXT);
CREATE TABLE log (m TEXT);
CREATE VIEW v AS SELECT c FROM t;
CREATE TRIGGER tt AFTER UPDATE OF c ON t BEGIN INSERT INTO log VALUES (new.c); END;
"""),
    dict(id="column_named_rowid_keeps_the_real_rowid", expect="rebuild", start="""
CREATE TABLE t (rowid TEXT, v TEXT);
INSERT INTO t (_rowid_, rowid, v) VALUES (5, 'r', 'a'), (9, 's', 'b');
""", desired="""
CREATE TABLE t (rowid TEXT, v TEXT NOT NULL);
"""),
    dict(id="hidden_rowid_becomes_integer_primary_key", expect="rebuild", start="""
CREATE TABLE t (v TEXT);
INSERT INTO t (rowid, v) VALUES (5, 'a'), (9, 'b');
""", desired="""
CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);
"""),
    dict(id="quoted_names_with_spaces_and_quotes", expect="rebuild", start="""
CREATE TABLE "my table" ("the id" INTEGER PRIMARY KEY, "va""l" TEXT);
CREATE TABLE kid (p REFERENCES "my table"("the id"));
INSERT INTO "my table" ("va""l") VALUES ('q');
INSERT INTO kid VALUES (1);
""", desired="""
CREATE TABLE "my table" ("the id" INTEGER PRIMARY KEY, "va""l" TEXT NOT NULL);
CREATE TABLE kid (p REFERENCES "my table"("the id"));
"""),
    dict(id="add_column_before_table_constraints", expect="alter", start="""
CREATE TABLE t (a INTEGER, b INTEGER, UNIQUE (a, b));
INSERT INTO t VALUES (1, 2);
""", desired="""
CREATE TABLE t (a INTEGER, b INTEGER, c TEXT, UNIQUE (a, b));
"""),
    dict(id="comments_in_the_desired_text", expect="alter", start="""
CREATE TABLE t (a INT);
INSERT INTO t VALUES (1);
""", desired="""
CREATE TABLE t (
    a INT, -- the first
    b TEXT DEFAULT 'x' -- added, with a comment
);
CREATE VIEW v AS SELECT a, b FROM t -- a trailing comment
;
"""),
]
