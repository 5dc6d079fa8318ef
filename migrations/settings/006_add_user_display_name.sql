-- Migration: 006_add_user_display_name
-- Description: Add users.display_name and backfill it from the user-scoped profile.display_name setting or the username
-- Author: VisionFlow Team
-- Date: 2025-11-05

-- === UP MIGRATION ===
ALTER TABLE users ADD COLUMN display_name TEXT;

UPDATE users
SET display_name = COALESCE(
    (SELECT s.value
     FROM settings s
     WHERE s.scope = 'user'
       AND s.scope_id = users.id
       AND s.key = 'profile.display_name'
       AND s.value IS NOT NULL
       AND s.value <> ''),
    username
)
WHERE display_name IS NULL;

CREATE INDEX idx_users_display_name ON users(display_name);

-- === DOWN MIGRATION ===
DROP INDEX idx_users_display_name;
ALTER TABLE users DROP COLUMN display_name;
