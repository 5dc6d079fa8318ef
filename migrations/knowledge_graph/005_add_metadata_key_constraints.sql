-- Migration: 005_add_metadata_key_constraints
-- Description: Rebuild node_metadata and edge_metadata to enforce non-empty, trimmed, bounded-length keys
-- Author: VisionFlow Team
-- Date: 2025-11-06

-- === UP MIGRATION ===
CREATE TABLE new_node_metadata (
    node_id INTEGER NOT NULL REFERENCES graph_nodes(id) ON DELETE CASCADE,
    key TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 128 AND key = trim(key)),
    value TEXT NOT NULL,
    PRIMARY KEY (node_id, key)
) WITHOUT ROWID;

INSERT INTO new_node_metadata (node_id, key, value)
SELECT node_id, key, value FROM node_metadata;

DROP TABLE node_metadata;

ALTER TABLE new_node_metadata RENAME TO node_metadata;

CREATE INDEX idx_node_metadata_key ON node_metadata(key, value);

CREATE TABLE new_edge_metadata (
    edge_id INTEGER NOT NULL REFERENCES graph_edges(id) ON DELETE CASCADE,
    key TEXT NOT NULL CHECK (length(key) BETWEEN 1 AND 128 AND key = trim(key)),
    value TEXT NOT NULL,
    PRIMARY KEY (edge_id, key)
) WITHOUT ROWID;

INSERT INTO new_edge_metadata (edge_id, key, value)
SELECT edge_id, key, value FROM edge_metadata;

DROP TABLE edge_metadata;

ALTER TABLE new_edge_metadata RENAME TO edge_metadata;

CREATE INDEX idx_edge_metadata_key ON edge_metadata(key, value);

-- === DOWN MIGRATION ===
-- Copy rows aside and recreate both tables with the exact CREATE TABLE text of 003
-- so that sqlite_master is byte-identical to the pre-005 state.
CREATE TABLE node_metadata_down_005 (
    node_id INTEGER,
    key TEXT,
    value TEXT
);

INSERT INTO node_metadata_down_005 (node_id, key, value)
SELECT node_id, key, value FROM node_metadata;

DROP TABLE node_metadata;

CREATE TABLE node_metadata (
    node_id INTEGER NOT NULL REFERENCES graph_nodes(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (node_id, key)
) WITHOUT ROWID;

INSERT INTO node_metadata (node_id, key, value)
SELECT node_id, key, value FROM node_metadata_down_005;

DROP TABLE node_metadata_down_005;

CREATE INDEX idx_node_metadata_key ON node_metadata(key, value);

CREATE TABLE edge_metadata_down_005 (
    edge_id INTEGER,
    key TEXT,
    value TEXT
);

INSERT INTO edge_metadata_down_005 (edge_id, key, value)
SELECT edge_id, key, value FROM edge_metadata;

DROP TABLE edge_metadata;

CREATE TABLE edge_metadata (
    edge_id INTEGER NOT NULL REFERENCES graph_edges(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (edge_id, key)
) WITHOUT ROWID;

INSERT INTO edge_metadata (edge_id, key, value)
SELECT edge_id, key, value FROM edge_metadata_down_005;

DROP TABLE edge_metadata_down_005;

CREATE INDEX idx_edge_metadata_key ON edge_metadata(key, value);
