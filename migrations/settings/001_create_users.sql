-- Migration: 001_create_users
-- Description: Create users table with authentication fields and updated_at maintenance trigger
-- Author: VisionFlow Team
-- Date: 2025-10-27

-- === UP MIGRATION ===
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    last_login_at TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX idx_users_created_at ON users(created_at);

CREATE TRIGGER trg_users_updated_at
AFTER UPDATE OF username, email, password_hash, is_active ON users
FOR EACH ROW
BEGIN
    UPDATE users SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;

-- === DOWN MIGRATION ===
DROP TRIGGER trg_users_updated_at;
DROP INDEX idx_users_created_at;
DROP TABLE users;
