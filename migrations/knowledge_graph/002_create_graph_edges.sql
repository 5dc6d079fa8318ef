-- Migration: 002_create_graph_edges
-- Description: Create graph_edges table with cascading foreign keys to graph_nodes and traversal indexes
-- Author: VisionFlow Team
-- Date: 2025-10-28

-- === UP MIGRATION ===
CREATE TABLE graph_edges (
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL REFERENCES graph_nodes(id) ON DELETE CASCADE,
    target_id INTEGER NOT NULL REFERENCES graph_nodes(id) ON DELETE CASCADE,
    edge_type TEXT NOT NULL DEFAULT 'related_to',
    weight REAL NOT NULL DEFAULT 1.0,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (source_id, target_id, edge_type)
);

CREATE INDEX idx_graph_edges_target_id ON graph_edges(target_id);
CREATE INDEX idx_graph_edges_edge_type ON graph_edges(edge_type);

-- === DOWN MIGRATION ===
DROP INDEX idx_graph_edges_edge_type;
DROP INDEX idx_graph_edges_target_id;
DROP TABLE graph_edges;
