-- Migration: 003_create_ontology_properties
-- Description: Create ontology_properties with property domains and ranges, seed OWL top properties and RDFS annotations
-- Author: VisionFlow Team
-- Date: 2025-10-31

-- === UP MIGRATION ===
CREATE TABLE ontology_properties (
    id INTEGER PRIMARY KEY,
    iri TEXT NOT NULL UNIQUE,
    label TEXT,
    property_type TEXT NOT NULL CHECK (property_type IN ('object', 'data', 'annotation')),
    is_functional INTEGER NOT NULL DEFAULT 0 CHECK (is_functional IN (0, 1)),
    is_transitive INTEGER NOT NULL DEFAULT 0 CHECK (is_transitive IN (0, 1)),
    is_symmetric INTEGER NOT NULL DEFAULT 0 CHECK (is_symmetric IN (0, 1)),
    inverse_of INTEGER REFERENCES ontology_properties(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX idx_ontology_properties_type ON ontology_properties(property_type);

CREATE TABLE property_domains (
    property_id INTEGER NOT NULL REFERENCES ontology_properties(id) ON DELETE CASCADE,
    class_id INTEGER NOT NULL REFERENCES ontology_classes(id) ON DELETE CASCADE,
    PRIMARY KEY (property_id, class_id)
) WITHOUT ROWID;

CREATE INDEX idx_property_domains_class_id ON property_domains(class_id);

CREATE TABLE property_ranges (
    id INTEGER PRIMARY KEY,
    property_id INTEGER NOT NULL REFERENCES ontology_properties(id) ON DELETE CASCADE,
    range_class_id INTEGER REFERENCES ontology_classes(id) ON DELETE CASCADE,
    range_datatype TEXT,
    CHECK ((range_class_id IS NULL) <> (range_datatype IS NULL))
);

CREATE UNIQUE INDEX idx_property_ranges_class ON property_ranges(property_id, range_class_id) WHERE range_class_id IS NOT NULL;
CREATE UNIQUE INDEX idx_property_ranges_datatype ON property_ranges(property_id, range_datatype) WHERE range_datatype IS NOT NULL;
CREATE INDEX idx_property_ranges_range_class_id ON property_ranges(range_class_id);

INSERT INTO ontology_properties (id, iri, label, property_type, created_at) VALUES
    (1, 'http://www.w3.org/2002/07/owl#topObjectProperty', 'owl:topObjectProperty', 'object', '2025-10-31T00:00:00.000Z'),
    (2, 'http://www.w3.org/2002/07/owl#topDataProperty', 'owl:topDataProperty', 'data', '2025-10-31T00:00:00.000Z'),
    (3, 'http://www.w3.org/2000/01/rdf-schema#label', 'rdfs:label', 'annotation', '2025-10-31T00:00:00.000Z'),
    (4, 'http://www.w3.org/2000/01/rdf-schema#comment', 'rdfs:comment', 'annotation', '2025-10-31T00:00:00.000Z');

INSERT INTO property_domains (property_id, class_id) VALUES (1, 1), (2, 1);

INSERT INTO property_ranges (id, property_id, range_class_id, range_datatype) VALUES
    (1, 1, 1, NULL),
    (2, 2, NULL, 'http://www.w3.org/2000/01/rdf-schema#Literal');

-- === DOWN MIGRATION ===
DROP INDEX idx_property_ranges_range_class_id;
DROP INDEX idx_property_ranges_datatype;
DROP INDEX idx_property_ranges_class;
DROP TABLE property_ranges;
DROP INDEX idx_property_domains_class_id;
DROP TABLE property_domains;
DROP INDEX idx_ontology_properties_type;
DROP TABLE ontology_properties;
