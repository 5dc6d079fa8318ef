-- Migration: 001_create_graph_nodes
-- Description: Create graph_nodes table with lookup indexes and updated_at maintenance trigger
-- Author: VisionFlow Team
-- Date: 2025-10-28

-- === UP MIGRATION ===
CREATE TABLE graph_nodes (
    id INTEGER PRIMARY KEY,
    node_key TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL,
    node_type TEXT NOT NULL DEFAULT 'concept',
    x REAL NOT NULL DEFAULT 0.0,
    y REAL NOT NULL DEFAULT 0.0,
    z REAL NOT NULL DEFAULT 0.0,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX idx_graph_nodes_label ON graph_nodes(label);
CREATE INDEX idx_graph_nodes_node_type ON graph_nodes(node_type);

CREATE TRIGGER trg_graph_nodes_updated_at
AFTER UPDATE OF node_key, label, node_type ON graph_nodes
FOR EACH ROW
BEGIN
    UPDATE graph_nodes SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;

-- === DOWN MIGRATION ===
DROP TRIGGER trg_graph_nodes_updated_at;
DROP INDEX idx_graph_nodes_node_type;
DROP INDEX idx_graph_nodes_label;
DROP TABLE graph_nodes;
