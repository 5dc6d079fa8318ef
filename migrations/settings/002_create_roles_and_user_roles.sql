-- Migration: 002_create_roles_and_user_roles
-- Description: Create roles and user_roles join table, seed default system roles
-- Author: VisionFlow Team
-- Date: 2025-10-27

-- === UP MIGRATION ===
CREATE TABLE roles (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT,
    is_system INTEGER NOT NULL DEFAULT 0 CHECK (is_system IN (0, 1)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role_id INTEGER NOT NULL REFERENCES roles(id) ON DELETE CASCADE,
    granted_by INTEGER REFERENCES users(id) ON DELETE SET NULL,
    granted_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    PRIMARY KEY (user_id, role_id)
) WITHOUT ROWID;

CREATE INDEX idx_user_roles_role_id ON user_roles(role_id);

INSERT INTO roles (id, name, description, is_system, created_at) VALUES
    (1, 'admin', 'Full access to all VisionFlow features, users and settings', 1, '2025-10-27T00:00:00.000Z'),
    (2, 'editor', 'Can create and modify knowledge graphs and ontologies', 1, '2025-10-27T00:00:00.000Z'),
    (3, 'viewer', 'Read-only access to knowledge graphs and ontologies', 1, '2025-10-27T00:00:00.000Z');

-- === DOWN MIGRATION ===
DROP INDEX idx_user_roles_role_id;
DROP TABLE user_roles;
DROP TABLE roles;
