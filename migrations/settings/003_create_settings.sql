-- Migration: 003_create_settings
-- Description: Create scoped key/value settings table with updated_at trigger and default settings
-- Author: VisionFlow Team
-- Date: 2025-10-28

-- === UP MIGRATION ===
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

CREATE INDEX idx_settings_key ON settings(key);

CREATE TRIGGER trg_settings_updated_at
AFTER UPDATE OF value, value_type, description ON settings
FOR EACH ROW
BEGIN
    UPDATE settings SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;

INSERT INTO settings (id, scope, scope_id, key, value, value_type, description, created_at, updated_at) VALUES
    (1, 'global', NULL, 'app.name', 'VisionFlow', 'string', 'Application display name', '2025-10-28T00:00:00.000Z', '2025-10-28T00:00:00.000Z'),
    (2, 'global', NULL, 'app.default_theme', 'dark', 'string', 'Default UI theme for new users', '2025-10-28T00:00:00.000Z', '2025-10-28T00:00:00.000Z'),
    (3, 'global', NULL, 'graph.max_nodes', '100000', 'integer', 'Maximum number of nodes rendered in a graph view', '2025-10-28T00:00:00.000Z', '2025-10-28T00:00:00.000Z'),
    (4, 'global', NULL, 'graph.physics.enabled', 'true', 'boolean', 'Enable the force-directed physics simulation', '2025-10-28T00:00:00.000Z', '2025-10-28T00:00:00.000Z'),
    (5, 'global', NULL, 'ontology.reasoner', 'whelk', 'string', 'Reasoner used for ontology inference', '2025-10-28T00:00:00.000Z', '2025-10-28T00:00:00.000Z'),
    (6, 'global', NULL, 'auth.session_ttl_seconds', '86400', 'integer', 'Lifetime of a login session in seconds', '2025-10-28T00:00:00.000Z', '2025-10-28T00:00:00.000Z'),
    (7, 'global', NULL, 'auth.allow_registration', 'false', 'boolean', 'Allow self-service user registration', '2025-10-28T00:00:00.000Z', '2025-10-28T00:00:00.000Z');

-- === DOWN MIGRATION ===
DROP TRIGGER trg_settings_updated_at;
DROP INDEX idx_settings_key;
DROP TABLE settings;
