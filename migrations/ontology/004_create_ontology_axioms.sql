-- Migration: 004_create_ontology_axioms
-- Description: Create ontology_axioms for asserted and inferred class/property axioms
-- Author: VisionFlow Team
-- Date: 2025-11-03

-- === UP MIGRATION ===
CREATE TABLE ontology_axioms (
    id INTEGER PRIMARY KEY,
    axiom_type TEXT NOT NULL,
    subject_class_id INTEGER NOT NULL REFERENCES ontology_classes(id) ON DELETE CASCADE,
    property_id INTEGER REFERENCES ontology_properties(id) ON DELETE CASCADE,
    object_class_id INTEGER REFERENCES ontology_classes(id) ON DELETE CASCADE,
    expression TEXT,
    is_inferred INTEGER NOT NULL DEFAULT 0,
    source TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX idx_ontology_axioms_subject ON ontology_axioms(subject_class_id);
CREATE INDEX idx_ontology_axioms_object ON ontology_axioms(object_class_id);
CREATE INDEX idx_ontology_axioms_type ON ontology_axioms(axiom_type);

-- === DOWN MIGRATION ===
DROP INDEX idx_ontology_axioms_type;
DROP INDEX idx_ontology_axioms_object;
DROP INDEX idx_ontology_axioms_subject;
DROP TABLE ontology_axioms;
