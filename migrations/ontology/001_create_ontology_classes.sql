-- Migration: 001_create_ontology_classes
-- Description: Create ontology_classes table with updated_at trigger and seed the OWL top and bottom classes
-- Author: VisionFlow Team
-- Date: 2025-10-29

-- === UP MIGRATION ===
CREATE TABLE ontology_classes (
    id INTEGER PRIMARY KEY,
    iri TEXT NOT NULL UNIQUE,
    label TEXT,
    comment TEXT,
    is_deprecated INTEGER NOT NULL DEFAULT 0 CHECK (is_deprecated IN (0, 1)),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX idx_ontology_classes_label ON ontology_classes(label);

CREATE TRIGGER trg_ontology_classes_updated_at
AFTER UPDATE OF iri, label, comment, is_deprecated ON ontology_classes
FOR EACH ROW
BEGIN
    UPDATE ontology_classes SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = NEW.id;
END;

INSERT INTO ontology_classes (id, iri, label, comment, created_at, updated_at) VALUES
    (1, 'http://www.w3.org/2002/07/owl#Thing', 'owl:Thing', 'The class of all individuals (top concept)', '2025-10-29T00:00:00.000Z', '2025-10-29T00:00:00.000Z'),
    (2, 'http://www.w3.org/2002/07/owl#Nothing', 'owl:Nothing', 'The empty class (bottom concept)', '2025-10-29T00:00:00.000Z', '2025-10-29T00:00:00.000Z');

-- === DOWN MIGRATION ===
DROP TRIGGER trg_ontology_classes_updated_at;
DROP INDEX idx_ontology_classes_label;
DROP TABLE ontology_classes;
