-- Migration: 005_create_inference_results
-- Description: Create inference_runs and inference_results, then move inferred axioms out of ontology_axioms into a legacy run (data move)
-- Author: VisionFlow Team
-- Date: 2025-11-07

-- === UP MIGRATION ===
CREATE TABLE inference_runs (
    id INTEGER PRIMARY KEY,
    reasoner TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'completed', 'failed')),
    started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    completed_at TEXT,
    error_message TEXT
);

CREATE INDEX idx_inference_runs_started_at ON inference_runs(started_at);

CREATE TABLE inference_results (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES inference_runs(id) ON DELETE CASCADE,
    axiom_type TEXT NOT NULL,
    subject_class_id INTEGER NOT NULL REFERENCES ontology_classes(id) ON DELETE CASCADE,
    property_id INTEGER REFERENCES ontology_properties(id) ON DELETE CASCADE,
    object_class_id INTEGER REFERENCES ontology_classes(id) ON DELETE CASCADE,
    expression TEXT,
    confidence REAL NOT NULL DEFAULT 1.0 CHECK (confidence >= 0.0 AND confidence <= 1.0),
    justification TEXT,
    legacy_axiom_id INTEGER UNIQUE,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE INDEX idx_inference_results_run_id ON inference_results(run_id);
CREATE INDEX idx_inference_results_subject ON inference_results(subject_class_id);

INSERT INTO inference_runs (id, reasoner, status, started_at, completed_at)
SELECT 1, 'legacy-import', 'completed', '2025-11-07T00:00:00.000Z', '2025-11-07T00:00:00.000Z'
WHERE EXISTS (SELECT 1 FROM ontology_axioms WHERE is_inferred <> 0);

INSERT INTO inference_results (run_id, axiom_type, subject_class_id, property_id, object_class_id, expression, confidence, justification, legacy_axiom_id, created_at)
SELECT 1, axiom_type, subject_class_id, property_id, object_class_id, expression, 1.0, source, id, created_at
FROM ontology_axioms
WHERE is_inferred <> 0
ORDER BY id;

DELETE FROM ontology_axioms WHERE is_inferred <> 0;

-- === DOWN MIGRATION ===
-- Results migrated from ontology_axioms go back under their original ids.
INSERT INTO ontology_axioms (id, axiom_type, subject_class_id, property_id, object_class_id, expression, is_inferred, source, created_at)
SELECT legacy_axiom_id, axiom_type, subject_class_id, property_id, object_class_id, expression, 1, justification, created_at
FROM inference_results
WHERE legacy_axiom_id IS NOT NULL
ORDER BY legacy_axiom_id;

-- Results produced by newer reasoner runs are kept as inferred axioms with fresh ids.
INSERT INTO ontology_axioms (axiom_type, subject_class_id, property_id, object_class_id, expression, is_inferred, source, created_at)
SELECT axiom_type, subject_class_id, property_id, object_class_id, expression, 1, justification, created_at
FROM inference_results
WHERE legacy_axiom_id IS NULL
ORDER BY id;

DROP INDEX idx_inference_results_subject;
DROP INDEX idx_inference_results_run_id;
DROP TABLE inference_results;
DROP INDEX idx_inference_runs_started_at;
DROP TABLE inference_runs;
