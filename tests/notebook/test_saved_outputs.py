"""What a saved notebook keeps of a run: executed in a real kernel (nbclient), the progress bar
of ``%migrate up`` is replaced by one plain line when the run ends, so the saved file holds
no widget that would read ``HBox(children=...`` or "model not found" once reopened."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

from nbhelpers import write_migration


def run_cells(folder: Path, *sources: str) -> list[list[dict]]:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    NotebookClient(notebook, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(folder)}}).execute()
    return [cell.outputs for cell in notebook.cells]


def test_a_finished_run_leaves_a_line_not_a_widget(tmp_path):
    write_migration(tmp_path / "migrations", "001_users.sql", "CREATE TABLE users (id INTEGER PRIMARY KEY);",
                    "DROP TABLE users;")
    write_migration(tmp_path / "migrations", "002_fails.sql", "INSERT INTO nowhere VALUES (1);", "SELECT 1;")
    _, dry, up = run_cells(tmp_path, "%load_ext vfmigrate_magic\n%config MigrateMagics.database = 'app.db'",
                           "%migrate up --dry-run --to 1;", "%migrate up;")
    for outputs in (dry, up):
        assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    shown = [o["data"]["text/plain"] for o in dry + up if o.get("output_type") == "display_data"]
    assert shown == ["✓ 1 of 1 migration (dry run: nothing changed)", "✗ failed after 1 of 2 migrations"]
