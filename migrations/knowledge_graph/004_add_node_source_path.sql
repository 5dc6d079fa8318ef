-- Migration: 004_add_node_source_path
-- Description: Promote the source_path node metadata entry to a graph_nodes.source_path column (data move)
-- Author: VisionFlow Team
-- Date: 2025-11-04

-- === UP MIGRATION ===
ALTER TABLE graph_nodes ADD COLUMN source_path TEXT;

UPDATE graph_nodes
SET source_path = (
    SELECT m.value
    FROM node_metadata m
    WHERE m.node_id = graph_nodes.id
      AND m.key = 'source_path'
)
WHERE id IN (SELECT node_id FROM node_metadata WHERE key = 'source_path');

DELETE FROM node_metadata WHERE key = 'source_path';

CREATE INDEX idx_graph_nodes_source_path ON graph_nodes(source_path) WHERE source_path IS NOT NULL;

-- === DOWN MIGRATION ===
-- Move the column values back into node_metadata before dropping the column.
INSERT OR REPLACE INTO node_metadata (node_id, key, value)
SELECT id, 'source_path', source_path
FROM graph_nodes
WHERE source_path IS NOT NULL;

DROP INDEX idx_graph_nodes_source_path;
ALTER TABLE graph_nodes DROP COLUMN source_path;
