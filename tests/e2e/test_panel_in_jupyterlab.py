"""The migration panel in a real JupyterLab, clicked in headless Chromium.

The example notebook ``notebooks/migration_panel.ipynb`` is opened and run whole; then the
tests below click the panel as a person would and check both the page and the SQLite files on
disk. They run in file order on one page: each starts from where the one before left off.
"""

from __future__ import annotations

import hashlib
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from labtools import missing_requirement, open_and_run_all

if (why := missing_requirement()) is not None:
    pytest.skip(f"browser tests: {why}", allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402  (after the skip: it may not be installed)

pytestmark = pytest.mark.e2e

# Rows the long migration counts: about five seconds here, time enough to click Refresh meanwhile.
LONG_ROWS = 8_000_000
WAIT = 60_000  # ms: how long a step may take before the test fails


def write(folder: Path, name: str, up: str, down: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(
        f"-- Migration: {name[4:-4].replace('_', ' ')}\n-- Author: e2e\n\n"
        f"-- === UP MIGRATION ===\n{up.strip()}\n\n-- === DOWN MIGRATION ===\n{down.strip()}\n", encoding="utf-8")


def make_workspace(workspace: Path) -> None:
    """Three databases: ``shop`` to apply, dry-run and roll back; ``catalog`` (at version 1)
    whose next migration fails; ``big`` with a migration that runs for seconds."""
    (workspace / "pyproject.toml").write_text(
        "[tool.vfmigrate]\nbackup = true\nbusy_timeout = 5\n\n" + "".join(
            f'[tool.vfmigrate.databases.{name}]\npath = "{name}.db"\nmigrations = "migrations/{name}"\n\n'
            for name in ("shop", "catalog", "big")), encoding="utf-8")
    shop = workspace / "migrations" / "shop"
    write(shop, "001_create_customers.sql",
          "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
          "INSERT INTO customers (name) VALUES ('Ada'), ('Grace'), ('Linus');", "DROP TABLE customers;")
    write(shop, "002_create_orders.sql",
          "CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id),\n"
          "                     total_cents INTEGER NOT NULL);\n"
          "CREATE INDEX idx_orders_customer ON orders(customer_id);",
          "DROP INDEX idx_orders_customer;\nDROP TABLE orders;")
    write(shop, "003_add_order_status.sql",
          "ALTER TABLE orders ADD COLUMN status TEXT NOT NULL DEFAULT 'open';",
          "ALTER TABLE orders DROP COLUMN status;")
    catalog = workspace / "migrations" / "catalog"
    write(catalog, "001_create_products.sql",
          "CREATE TABLE products (id INTEGER PRIMARY KEY, title TEXT NOT NULL);\n"
          "INSERT INTO products (title) VALUES ('lamp'), ('desk');", "DROP TABLE products;")
    write(catalog, "002_add_prices.sql",
          "ALTER TABLE products ADD COLUMN price_cents INTEGER;\n"
          "UPDATE product_prices SET price_cents = 100;", "ALTER TABLE products DROP COLUMN price_cents;")
    write(workspace / "migrations" / "big", "001_count_events.sql",
          "CREATE TABLE event_totals (events INTEGER, payload_bytes INTEGER);\n"
          "INSERT INTO event_totals\n"
          f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {LONG_ROWS})\n"
          "SELECT count(*), sum(length(hex(randomblob(64)))) FROM n;", "DROP TABLE event_totals;")
    # catalog starts at version 1, applied by the command line (of this checkout) as a user would.
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(repo), os.environ.get("PYTHONPATH")]))}
    subprocess.run([sys.executable, "-m", "vfmigrate_magic", "--db", "catalog", "up", "--to", "1"],
                   cwd=workspace, env=env, check=True, capture_output=True)


# -- reading the page and the files ---------------------------------------------------------------

def rows(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)  # read-only: the test changes nothing
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def query(db: Path, sql: str):
    """The single value ``sql`` selects."""
    (value,), = rows(db, sql)
    return value


def versions(db: Path) -> list[int]:
    return [v for (v,) in rows(db, "SELECT version FROM schema_migrations ORDER BY version")]


def tables(db: Path) -> set[str]:
    return {n for (n,) in rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Panel:
    """The panel's parts on the page, found by the CSS classes the panel sets."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.root = page.locator(".vfmigrate-panel")
        self.picker = self.root.locator(".vfmigrate-picker select")
        self.table = self.root.locator(".vfmigrate-table")
        self.message = self.root.locator(".vfmigrate-message")
        self.bar = self.root.locator(".vfmigrate-progress .progress-bar")
        self.log = self.root.locator(".vfmigrate-log")

    def button(self, name: str):
        # The text is the icon's glyph, then the label.
        return self.root.locator("button.jupyter-button", has_text=re.compile(rf"^\W*{re.escape(name)}\s*$"))

    def rows(self) -> list[dict[str, str]]:
        """The status table as the page shows it: one {column: text} per migration."""
        header = [t.strip() for t in self.table.locator("thead th").all_inner_texts()]
        return [dict(zip(header, (t.strip() for t in row.locator("th, td").all_inner_texts())))
                for row in self.table.locator("tbody tr").all()]

    def states(self) -> list[tuple[str, str, str]]:
        """(version, name, state) of each row; the state without its mark ("✓ applied": "applied")."""
        return [(r["version"], r["name"], r["state"].split()[-1]) for r in self.rows()]

    def log_lines(self) -> list[str]:
        return [line for line in self.log.inner_text().splitlines() if line.strip()]

    def errors(self) -> list[str]:
        stderr = self.log.locator('[data-mime-type="application/vnd.jupyter.stderr"]')
        return [line.strip() for text in stderr.all_inner_texts() for line in text.splitlines() if line.strip()]

    def wait_for_log(self, pattern: str, timeout: float = WAIT) -> None:
        expect(self.log).to_contain_text(re.compile(pattern), timeout=timeout)

    def wait_idle(self) -> None:
        expect(self.button("Up")).to_be_enabled(timeout=WAIT)


@pytest.fixture(scope="module")
def page(lab, browser, screenshots) -> Page:
    """The example notebook open in JupyterLab, all cells run, the panel shown."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    open_and_run_all(page, lab, "migration_panel.ipynb", WAIT * 2)
    try:
        expect(page.locator(".vfmigrate-panel")).to_be_visible(timeout=WAIT)
    except AssertionError:
        page.screenshot(path=str(screenshots / "notebook-without-panel.png"), full_page=True)
        outputs = "\n".join(page.locator(".jp-OutputArea-output").all_inner_texts())
        pytest.fail(f"the panel did not render; screenshot in {screenshots}; the cells' outputs:\n{outputs[-3000:]}")
    yield page
    Panel(page).root.screenshot(path=str(screenshots / "panel-after.png"))
    context.close()


@pytest.fixture
def panel(page) -> Panel:
    return Panel(page)


def test_the_panel_renders_with_picker_table_buttons_progress_and_log(panel, lab, screenshots):
    expect(panel.picker).to_be_visible()
    assert panel.picker.locator("option").all_inner_texts() == ["shop", "catalog", "big"]
    expect(panel.picker).to_have_value("shop")
    for name in ("Up", "Down", "Dry run", "Refresh"):
        expect(panel.button(name)).to_be_enabled()
    expect(panel.button("Stop")).to_be_disabled()  # nothing to stop yet
    expect(panel.bar).to_be_attached()
    expect(panel.log).to_be_attached()
    expect(panel.message).to_have_text("shop: version 0; 3 pending")
    assert panel.states() == [("1", "create_customers", "pending"), ("2", "create_orders", "pending"),
                              ("3", "add_order_status", "pending")]
    # The notebook's status DataFrame, above the panel, as a user sees it.
    frame = panel.page.locator(".jp-OutputArea-output table.dataframe")
    expect(frame).to_contain_text("create_customers")
    assert frame.locator("tbody tr").count() == 6  # shop's three, catalog's two (one applied), big's one
    frame.screenshot(path=str(screenshots / "status-frame.png"))
    panel.root.screenshot(path=str(screenshots / "panel-before.png"))
    assert not (lab.workspace / "shop.db").exists()  # showing the status created nothing


def test_up_fills_the_bar_applies_every_migration_and_logs_each_step(panel, lab):
    panel.button("Up").click()
    panel.wait_for_log(r"Version 0 -> 3")
    panel.wait_idle()
    expect(panel.bar).to_have_attribute("style", re.compile(r"width: 100%"))
    lines = panel.log_lines()
    for name in ("001_create_customers", "002_create_orders", "003_add_order_status"):
        assert any(re.search(rf"Applied {name} in [\d.]+ ms", line) for line in lines), lines
    expect(panel.message).to_contain_text("shop: version 3; 3 applied")
    assert [state for _, _, state in panel.states()] == ["applied"] * 3
    db = lab.workspace / "shop.db"
    assert versions(db) == [1, 2, 3]
    assert {"customers", "orders", "schema_migrations"} <= tables(db)


def test_dry_run_of_a_pending_migration_logs_its_changes_and_leaves_the_file_unchanged(panel, lab):
    write(lab.workspace / "migrations" / "shop", "004_add_customer_email.sql",
          "ALTER TABLE customers ADD COLUMN email TEXT;\nUPDATE customers SET email = lower(name) || '@example.com';\n"
          "CREATE UNIQUE INDEX idx_customers_email ON customers(email);",
          "DROP INDEX idx_customers_email;\nALTER TABLE customers DROP COLUMN email;")
    panel.button("Refresh").click()
    expect(panel.table).to_contain_text("add_customer_email")
    db = lab.workspace / "shop.db"
    before = sha256(db)
    panel.button("Dry run").click()
    panel.wait_for_log(r"the database was not changed \(still at version 3\)")
    panel.wait_idle()
    line = next(l for l in panel.log_lines() if "Dry run (up) 004_add_customer_email" in l)
    assert "3 rows changed" in line and "creates index idx_customers_email" in line and "(rolled back)" in line, line
    assert sha256(db) == before
    assert versions(db) == [1, 2, 3]
    assert panel.states()[-1] == ("4", "add_customer_email", "pending")


def test_down_rolls_back_the_last_migration_after_a_backup(panel, lab, screenshots):
    panel.button("Down").click()
    panel.wait_for_log(r"Version 3 -> 2")
    panel.wait_idle()
    backups = list(lab.workspace.glob("shop.db.*.v3.bak"))
    assert len(backups) == 1, backups
    assert any(f"Backup written to {backups[0].name}" in line for line in panel.log_lines()), panel.log_lines()
    assert versions(lab.workspace / "shop.db") == [1, 2]
    assert versions(backups[0]) == [1, 2, 3]
    assert [state for _, _, state in panel.states()] == ["applied", "applied", "pending", "pending"]
    panel.root.screenshot(path=str(screenshots / "panel-after-down.png"))


def test_picking_another_database_switches_the_table(panel):
    panel.picker.select_option("catalog")
    expect(panel.message).to_have_text("catalog: version 1; 1 applied, 1 pending")
    assert panel.states() == [("1", "create_products", "applied"), ("2", "add_prices", "pending")]


def test_a_failing_migration_logs_one_short_line_and_the_database_stays_where_it_was(panel, lab):
    panel.button("Up").click()
    expect(panel.log.locator('[data-mime-type="application/vnd.jupyter.stderr"]')).to_have_count(1, timeout=WAIT)
    panel.wait_idle()
    errors = panel.errors()
    assert len(errors) == 1, errors
    assert errors == ["error: 002_add_prices.sql, statement 2 (line 6): no such table: product_prices; "
                      "nothing from 002_add_prices.sql was applied"]
    for name in ("Up", "Down", "Dry run", "Refresh"):
        expect(panel.button(name)).to_be_enabled()
    expect(panel.root.locator(".vfmigrate-progress .progress-bar-danger")).to_be_attached()
    assert versions(lab.workspace / "catalog.db") == [1]
    assert "price_cents" not in query(lab.workspace / "catalog.db", "SELECT sql FROM sqlite_master WHERE name = 'products'")


def test_refresh_is_answered_while_a_long_migration_runs(panel, lab):
    panel.picker.select_option("big")
    expect(panel.message).to_have_text("big: version 0; 1 pending")
    panel.button("Up").click()
    expect(panel.message).to_contain_text("001_count_events: running for", timeout=WAIT)
    for name in ("Up", "Down", "Dry run"):
        expect(panel.button(name)).to_be_disabled()
    expect(panel.picker).to_be_disabled()
    expect(panel.button("Stop")).to_be_enabled()
    panel.button("Refresh").click()
    panel.wait_for_log(r"Refresh: big: version 0; 001_count_events running for [\d.]+ s", timeout=10_000)
    expect(panel.button("Up")).to_be_disabled()  # the answer came while the migration was still running
    panel.wait_for_log(r"Version 0 -> 1", timeout=WAIT * 3)
    panel.wait_idle()
    expect(panel.bar).to_have_attribute("style", re.compile(r"width: 100%"))
    assert versions(lab.workspace / "big.db") == [1]
    assert query(lab.workspace / "big.db", "SELECT events FROM event_totals") == LONG_ROWS
