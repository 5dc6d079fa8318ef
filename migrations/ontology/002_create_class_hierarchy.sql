-- Migration: 002_create_class_hierarchy
-- Description: Create class_hierarchy (direct subClassOf edges) with cascading foreign keys to ontology_classes
-- Author: VisionFlow Team
-- Date: 2025-10-29

-- === UP MIGRATION ===
CREATE TABLE class_hierarchy (
    subclass_id INTEGER NOT NULL REFERENCES ontology_classes(id) ON DELETE CASCADE,
    superclass_id INTEGER NOT NULL REFERENCES ontology_classes(id) ON DELETE CASCADE,
    is_asserted INTEGER NOT NULL DEFAULT 1 CHECK (is_asserted IN (0, 1)),
    PRIMARY KEY (subclass_id, superclass_id),
    CHECK (subclass_id <> superclass_id)
) WITHOUT ROWID;

CREATE INDEX idx_class_hierarchy_superclass_id ON class_hierarchy(superclass_id);

INSERT INTO class_hierarchy (subclass_id, superclass_id, is_asserted) VALUES (2, 1, 1);

-- === DOWN MIGRATION ===
DROP INDEX idx_class_hierarchy_superclass_id;
DROP TABLE class_hierarchy;
