-- Migration: 006_add_axiom_type_constraints
-- Description: Rebuild ontology_axioms to add CHECK constraints on axiom_type and is_inferred and a composite lookup index
-- Author: VisionFlow Team
-- Date: 2025-11-12

-- === UP MIGRATION ===
CREATE TABLE new_ontology_axioms (
    id INTEGER PRIMARY KEY,
    axiom_type TEXT NOT NULL CHECK (axiom_type IN ('SubClassOf', 'EquivalentClasses', 'DisjointClasses', 'ObjectSomeValuesFrom', 'ObjectAllValuesFrom', 'ObjectPropertyDomain', 'ObjectPropertyRange', 'DataPropertyDomain', 'DataPropertyRange', 'ClassAssertion')),
    subject_class_id INTEGER NOT NULL REFERENCES ontology_classes(id) ON DELETE CASCADE,
    property_id INTEGER REFERENCES ontology_properties(id) ON DELETE CASCADE,
    object_class_id INTEGER REFERENCES ontology_classes(id) ON DELETE CASCADE,
    expression TEXT,
    is_inferred INTEGER NOT NULL DEFAULT 0 CHECK (is_inferred IN (0, 1)),
    source TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

INSERT INTO new_ontology_axioms (id, axiom_type, subject_class_id, property_id, object_class_id, expression, is_inferred, source, created_at)
SELECT id, axiom_type, subject_class_id, property_id, object_class_id, expression, is_inferred, source, created_at
FROM ontology_axioms;

DROP TABLE ontology_axioms;

ALTER TABLE new_ontology_axioms RENAME TO ontology_axioms;

CREATE INDEX idx_ontology_axioms_subject ON ontology_axioms(subject_class_id);
CREATE INDEX idx_ontology_axioms_object ON ontology_axioms(object_class_id);
CREATE INDEX idx_ontology_axioms_type_subject ON ontology_axioms(axiom_type, subject_class_id);

-- === DOWN MIGRATION ===
-- Copy rows aside and recreate ontology_axioms with the exact CREATE TABLE text of 004
-- so that sqlite_master is byte-identical to the pre-006 state.
CREATE TABLE ontology_axioms_down_006 (
    id INTEGER,
    axiom_type TEXT,
    subject_class_id INTEGER,
    property_id INTEGER,
    object_class_id INTEGER,
    expression TEXT,
    is_inferred INTEGER,
    source TEXT,
    created_at TEXT
);

INSERT INTO ontology_axioms_down_006 (id, axiom_type, subject_class_id, property_id, object_class_id, expression, is_inferred, source, created_at)
SELECT id, axiom_type, subject_class_id, property_id, object_class_id, expression, is_inferred, source, created_at
FROM ontology_axioms;

DROP TABLE ontology_axioms;

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

INSERT INTO ontology_axioms (id, axiom_type, subject_class_id, property_id, object_class_id, expression, is_inferred, source, created_at)
SELECT id, axiom_type, subject_class_id, property_id, object_class_id, expression, is_inferred, source, created_at
FROM ontology_axioms_down_006;

DROP TABLE ontology_axioms_down_006;

CREATE INDEX idx_ontology_axioms_subject ON ontology_axioms(subject_class_id);
CREATE INDEX idx_ontology_axioms_object ON ontology_axioms(object_class_id);
CREATE INDEX idx_ontology_axioms_type ON ontology_axioms(axiom_type);
