"""``%migrate erd`` in a real JupyterLab, in headless Chromium: the Mermaid bundle is drawn as a
diagram (an SVG with every table), not shown as text; ``%migrate schema`` is a table beside it."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import pytest

from labtools import missing_requirement, open_and_run_all

if (why := missing_requirement()) is not None:
    pytest.skip(f"browser tests: {why}", allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402  (after the skip: it may not be installed)

pytestmark = pytest.mark.e2e

WAIT = 60_000  # ms
NOTEBOOK = "schema.ipynb"


def make_workspace(workspace: Path) -> None:
    """A migrations folder (users, posts with a foreign key, tags) and a notebook that shows it."""
    folder = workspace / "migrations"
    folder.mkdir()
    (folder / "001_blog.sql").write_text(
        "-- Migration: blog\n\n-- === UP MIGRATION ===\n"
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);\n"
        "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), body TEXT);\n"
        "CREATE TABLE tags (post_id INTEGER REFERENCES posts(id), tag TEXT, PRIMARY KEY (post_id, tag)) WITHOUT ROWID;\n"
        "\n-- === DOWN MIGRATION ===\nDROP TABLE tags;\nDROP TABLE posts;\nDROP TABLE users;\n", encoding="utf-8")
    cells = ["%load_ext vfmigrate_magic\n%config MigrateMagics.database = 'app.db'",
             "%migrate erd --at 1", "%migrate schema --at 1"]
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": c}
                          for c in cells],
                "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
                "nbformat": 4, "nbformat_minor": 5}
    (workspace / NOTEBOOK).write_text(json.dumps(notebook), encoding="utf-8")


@pytest.fixture(scope="module")
def page(lab, browser) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    open_and_run_all(page, lab, NOTEBOOK, WAIT * 2)
    yield page
    context.close()


def test_erd_is_drawn_as_a_diagram_with_every_table(page, lab, screenshots):
    # JupyterLab draws Mermaid (from text/vnd.mermaid, or the fenced block of text/markdown) as
    # an SVG, inline or as an <img> with the SVG in its data URL, inside .jp-RenderedMermaid.
    drawn = page.locator(".jp-OutputArea-output .jp-RenderedMermaid")
    try:
        expect(drawn.locator("svg, img").first).to_be_visible(timeout=WAIT)
    except AssertionError:
        page.screenshot(path=str(screenshots / "erd-missing.png"), full_page=True)
        outputs = page.locator(".jp-Cell").nth(1).locator(".jp-OutputArea").inner_html()
        pytest.fail(f"no diagram drawn; screenshot in {screenshots}; the cell's output:\n{outputs[:3000]}")
    image = drawn.locator("img")
    svg = unquote(image.first.get_attribute("src")) if image.count() else drawn.inner_html()
    assert svg.startswith("data:image/svg+xml") or "<svg" in svg
    for table in ("users", "posts", "tags"):
        assert f">{table}<" in svg, table  # each table's name is a label of the drawing
    assert "erDiagram" not in page.locator(".jp-Cell").nth(1).locator(".jp-OutputArea").inner_text()
    drawn.first.screenshot(path=str(screenshots / "erd.png"))
    frame = page.locator(".jp-OutputArea-output table.dataframe")
    expect(frame).to_contain_text("users(id)")
    assert frame.locator("tbody tr").count() == 8  # 3 + 3 + 2 columns
    assert not (lab.workspace / "app.db").exists()  # --at needs no database
