-- Migration: 005_add_settings_scope_constraints
-- Description: Rebuild settings to add CHECK constraints on scope, key and value_type plus a unique global key index
-- Author: VisionFlow Team
-- Date: 2025-11-03

-- === UP MIGRATION ===
CREATE TABLE new_settings (
    id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL DEFAULT 'global' CHECK (scope IN ('global', 'user', 'role')),
    scope_id INTEGER,
    key TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 128),
    value TEXT,
    value_type TEXT NOT NULL DEFAULT 'string' CHECK (value_type IN ('string', 'integer', 'float', 'boolean', 'json')),
    description TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    CHECK ((scope = 'global') = (scope_id IS NULL)),
    UNIQUE (scope, scope_id, key)
);

INSERT INTO new_settings (id, scope, scope_id, key, value, value_type, description, created_at, updated_at)
SELECT id, scope, scope_id, key, value, value_type, description, created_at, updated_at
FROM settings;

DROP TABLE settings;

ALTER TABLE new_settings RENAME TO settings;

CREATE INDEX idx_settings_key ON settings(key);
CREATE UNIQUE INDEX idx_settings_global_key ON settings(key) WHERE scope = 'global';

CREATE TRIGGER trg_settings_updated_at
AFTER UPDATE OF value, value_type, description ON settings
FOR EACH ROW
BEGIN
    UPDATE settings SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;

-- === DOWN MIGRATION ===
-- Copy rows aside, then recreate settings with the exact CREATE TABLE text of 003
-- so that the schema stored in sqlite_master is byte-identical to the pre-005 state.
CREATE TABLE settings_down_005 (
    id INTEGER,
    scope TEXT,
    scope_id INTEGER,
    key TEXT,
    value TEXT,
    value_type TEXT,
    description TEXT,
    created_at TEXT,
    updated_at TEXT
);

INSERT INTO settings_down_005 (id, scope, scope_id, key, value, value_type, description, created_at, updated_at)
SELECT id, scope, scope_id, key, value, value_type, description, created_at, updated_at
FROM settings;

DROP TABLE settings;

CREATE TABLE settings (
    id INTEGER PRIMARY KEY,
    scope TEXT NOT NULL DEFAULT 'global',
    scope_id INTEGER,
    key TEXT NOT NULL,
    value TEXT,
    value_type TEXT NOT NULL DEFAULT 'string',
    description TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (scope, scope_id, key)
);

INSERT INTO settings (id, scope, scope_id, key, value, value_type, description, created_at, updated_at)
SELECT id, scope, scope_id, key, value, value_type, description, created_at, updated_at
FROM settings_down_005;

DROP TABLE settings_down_005;

CREATE INDEX idx_settings_key ON settings(key);

CREATE TRIGGER trg_settings_updated_at
AFTER UPDATE OF value, value_type, description ON settings
FOR EACH ROW
BEGIN
    UPDATE settings SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;
