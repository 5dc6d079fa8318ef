-- Migration: 003_create_node_and_edge_metadata
-- Description: Create key/value metadata tables for graph nodes and graph edges
-- Author: VisionFlow Team
-- Date: 2025-10-30

-- === UP MIGRATION ===
CREATE TABLE node_metadata (
    node_id INTEGER NOT NULL REFERENCES graph_nodes(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (node_id, key)
) WITHOUT ROWID;

CREATE INDEX idx_node_metadata_key ON node_metadata(key, value);

CREATE TABLE edge_metadata (
    edge_id INTEGER NOT NULL REFERENCES graph_edges(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (edge_id, key)
) WITHOUT ROWID;

CREATE INDEX idx_edge_metadata_key ON edge_metadata(key, value);

-- === DOWN MIGRATION ===
DROP INDEX idx_edge_metadata_key;
DROP TABLE edge_metadata;
DROP INDEX idx_node_metadata_key;
DROP TABLE node_metadata;
