-- Migration: 006_create_graph_layouts
-- Description: Create named graph layouts with per-node positions and seed the default layout from current node coordinates
-- Author: VisionFlow Team
-- Date: 2025-11-10

-- === UP MIGRATION ===
CREATE TABLE graph_layouts (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    algorithm TEXT NOT NULL DEFAULT 'force_directed' CHECK (algorithm IN ('force_directed', 'hierarchical', 'radial', 'manual')),
    is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE UNIQUE INDEX idx_graph_layouts_single_default ON graph_layouts(is_default) WHERE is_default = 1;

CREATE TABLE node_positions (
    layout_id INTEGER NOT NULL REFERENCES graph_layouts(id) ON DELETE CASCADE,
    node_id INTEGER NOT NULL REFERENCES graph_nodes(id) ON DELETE CASCADE,
    x REAL NOT NULL DEFAULT 0.0,
    y REAL NOT NULL DEFAULT 0.0,
    z REAL NOT NULL DEFAULT 0.0,
    pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    PRIMARY KEY (layout_id, node_id)
) WITHOUT ROWID;

CREATE INDEX idx_node_positions_node_id ON node_positions(node_id);

INSERT INTO graph_layouts (id, name, algorithm, is_default, created_at)
VALUES (1, 'default', 'force_directed', 1, '2025-11-10T00:00:00.000Z');

INSERT INTO node_positions (layout_id, node_id, x, y, z, pinned)
SELECT 1, id, x, y, z, 0 FROM graph_nodes;

-- === DOWN MIGRATION ===
DROP INDEX idx_node_positions_node_id;
DROP TABLE node_positions;
DROP INDEX idx_graph_layouts_single_default;
DROP TABLE graph_layouts;
