"""The migration panel in a real JupyterLab, clicked in headless Chromium.

The example notebook ``notebooks/migration_panel.ipynb`` is opened and run whole; then the
tests below click the panel as a person would and check both the page and the SQLite files on
disk. They run in file order on one page: each starts from where the one before left off.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
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

NOTEBOOK_FILE = Path(__file__).resolve().parents[2] / "notebooks" / "migration_panel.ipynb"
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
        self.result = self.root.locator(".vfmigrate-result")

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
        expect(self.button("Refresh")).to_be_enabled(timeout=WAIT)
        expect(self.button("Stop")).to_be_disabled(timeout=WAIT)

    def result_text(self) -> str:
        return self.result.inner_text().strip()

    def in_view(self, locator) -> str:
        """"" when ``locator`` is inside the browser window and inside every box that scrolls it
        (as seen by someone who just clicked one of the panel's buttons); else where it is not."""
        self.button("Refresh").scroll_into_view_if_needed()
        return locator.evaluate("""el => {
            const r = el.getBoundingClientRect();
            if (r.height === 0) return 'not drawn';
            if (r.bottom > window.innerHeight || r.top < 0) return `outside the window: ${r.top}..${r.bottom}`;
            for (let p = el.parentElement; p; p = p.parentElement) {
                const s = getComputedStyle(p);
                if (!/(auto|scroll|hidden)/.test(s.overflowY) || p.scrollHeight <= p.clientHeight + 1) continue;
                const b = p.getBoundingClientRect();
                if (r.top < b.top - 1 || r.bottom > b.bottom + 1)
                    return `scrolled out of ${p.className}: ${r.top}..${r.bottom} in ${b.top}..${b.bottom}`;
            }
            return '';
        }""")

    def log_shows_newest_line(self) -> str:
        """"" when the log, brought into the window, shows its newest line without scrolling it."""
        self.log.scroll_into_view_if_needed()
        return self.log.locator(".jp-OutputArea-output pre").last.evaluate("""el => {
            const r = el.getBoundingClientRect(), lines = el.innerText.trim().split('\\n');
            const last = r.bottom - (r.height / Math.max(lines.length, 1));  // the top of its last line
            const box = el.closest('.vfmigrate-log').getBoundingClientRect();
            return last >= box.top - 1 && r.bottom <= box.bottom + 1 ? '' : `${r.top}..${r.bottom} in ${box.top}..${box.bottom}`;
        }""")


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


def history(db: Path) -> list[dict]:
    """The event log beside ``db``."""
    log = db.with_name(db.name + ".history.jsonl")
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]


# WCAG 2 contrast of every piece of text in the panel against what is drawn behind it
# (backgrounds composited up the tree); text of disabled buttons is exempt, as WCAG exempts
# inactive controls. Returns the pieces below 4.5:1, WCAG's minimum for body text.
LOW_CONTRAST = """root => {
    const minimum = 4.5;
    const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) throw new Error('colour ' + c);
        const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
    const over = (top, base) => [0, 1, 2].map(i => top[i] * top[3] + base[i] * (1 - top[3])).concat([1]);
    const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
        return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
    const behind = el => { const layers = [];
        for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
            if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
        let base = [255, 255, 255, 1]; for (const l of layers.reverse()) base = over(l, base); return base; };
    const low = [];
    for (const el of root.querySelectorAll('*')) {
        const own = [...el.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('').trim();
        if (!own || !el.getClientRects().length || el.closest('button:disabled, select:disabled')) continue;
        const bg = behind(el), fg = over(parse(getComputedStyle(el).color), bg);
        const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x), ratio = (a + 0.05) / (b + 0.05);
        if (ratio < minimum) low.push(`${ratio.toFixed(2)} ${getComputedStyle(el).color} on ${bg}: ${own.slice(0, 40)}`);
    }
    return low;
}"""


def test_the_panel_renders_with_picker_table_buttons_progress_and_log(panel, lab, screenshots):
    expect(panel.picker).to_be_visible()
    assert panel.picker.locator("option").all_inner_texts() == ["shop", "catalog", "big"]
    expect(panel.picker).to_have_value("shop")
    for name in ("Up", "Dry run", "Refresh"):
        expect(panel.button(name)).to_be_enabled()
    # Nothing to roll back at version 0 and nothing to stop: both disabled, and the tooltip says why.
    expect(panel.button("Down")).to_be_disabled()
    expect(panel.button("Down")).to_have_attribute("title", "Down: nothing to roll back (version 0)")
    expect(panel.button("Stop")).to_be_disabled()
    expect(panel.button("Up")).to_have_attribute("title", re.compile(r"^Up: apply 3 migrations \(001_create_customers"))
    expect(panel.bar).to_be_attached()
    expect(panel.log).to_be_attached()
    expect(panel.message).to_have_text("shop: version 0; 3 pending")
    assert panel.states() == [("1", "create_customers", "pending"), ("2", "create_orders", "pending"),
                              ("3", "add_order_status", "pending")]
    # The notebook's status DataFrame, above the panel, as a user sees it.
    frame = panel.page.locator(".jp-OutputArea-output table").first
    expect(frame).to_contain_text("create_customers")
    assert frame.locator("tbody tr").count() == 6  # shop's three, catalog's two (one applied), big's one
    frame.screenshot(path=str(screenshots / "status-frame.png"))
    panel.root.screenshot(path=str(screenshots / "panel-before.png"))
    assert not (lab.workspace / "shop.db").exists()  # showing the status created nothing


def test_up_fills_the_bar_applies_every_migration_and_says_so_above_the_log(panel, lab, screenshots):
    panel.button("Up").click()
    panel.wait_for_log(r"Version 0 -> 3")
    panel.wait_idle()
    expect(panel.bar).to_have_attribute("style", re.compile(r"width: 100%"))
    expect(panel.root.locator(".vfmigrate-progress .progress-bar-success")).to_be_attached()
    lines = panel.log_lines()
    for name in ("001_create_customers", "002_create_orders", "003_add_order_status"):
        assert any(re.search(rf"Applied {name} in [\d.]+ ms", line) for line in lines), lines
    expect(panel.result).to_contain_text(re.compile(r"✓ Up: 3 migrations applied in [\d.]+ ms, version 0 → 3"))
    assert panel.in_view(panel.result) == "" and panel.log_shows_newest_line() == ""
    expect(panel.message).to_contain_text("shop: version 3; 3 applied")
    assert [state for _, _, state in panel.states()] == ["applied"] * 3
    expect(panel.button("Up")).to_be_disabled()  # nothing pending any more
    expect(panel.button("Down")).to_have_attribute("title", "Down: roll back 003_add_order_status (backup first)")
    db = lab.workspace / "shop.db"
    assert versions(db) == [1, 2, 3]
    assert {"customers", "orders", "schema_migrations"} <= tables(db)
    panel.root.screenshot(path=str(screenshots / "panel-up-light.png"))


def test_dry_run_of_a_pending_migration_ends_as_a_dry_run_and_leaves_the_file_unchanged(panel, lab, screenshots):
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
    # Its own end: a blue bar and words that say nothing changed, not a green "applied".
    expect(panel.root.locator(".vfmigrate-progress .progress-bar-info")).to_be_attached()
    expect(panel.result).to_contain_text("✓ dry run: nothing changed (still at version 3)")
    assert sha256(db) == before
    assert versions(db) == [1, 2, 3]
    assert panel.states()[-1] == ("4", "add_customer_email", "pending")
    panel.root.screenshot(path=str(screenshots / "panel-dry-run-light.png"))


def test_clicking_a_name_shows_its_sql(panel):
    row = panel.table.locator('tr[data-version="4"]')
    expect(row.locator("pre")).to_be_hidden()
    row.locator("summary").click()
    expect(row.locator("pre")).to_be_visible()
    expect(row.locator("pre")).to_contain_text("CREATE UNIQUE INDEX idx_customers_email ON customers(email);")
    expect(row.locator("pre")).to_contain_text("-- DOWN")


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
    expect(panel.result).to_contain_text(re.compile(r"✓ Down: 1 migration rolled back in .*version 3 → 2"))
    panel.root.screenshot(path=str(screenshots / "panel-after-down.png"))


def test_picking_another_database_switches_the_table(panel):
    panel.picker.select_option("catalog")
    expect(panel.message).to_have_text("catalog: version 1; 1 applied, 1 pending")
    assert panel.states() == [("1", "create_products", "applied"), ("2", "add_prices", "pending")]
    expect(panel.result).to_have_text("")  # the last result was shop's


def test_a_failing_migration_is_said_in_red_above_the_log_and_the_database_stays(panel, lab, screenshots):
    # Fill the log first, so that a log that kept its top in view would hide the newest line.
    for _ in range(8):
        panel.button("Refresh").click()
    panel.button("Up").click()
    expect(panel.log.locator('[data-mime-type="application/vnd.jupyter.stderr"]')).to_have_count(1, timeout=WAIT)
    panel.wait_idle()
    error = ("002_add_prices.sql, statement 2 (line 6): no such table: product_prices; "
             "nothing from 002_add_prices.sql was applied")
    assert panel.errors() == [f"error: {error}"]
    expect(panel.result).to_have_text(f"✗ Up failed: {error}")
    colour = panel.result.locator(".vfmigrate-result-failed").evaluate("el => getComputedStyle(el).color")
    assert colour == panel.page.evaluate(
        "() => { const d = document.createElement('div'); d.style.color = 'var(--jp-error-color1)';"
        " document.body.appendChild(d); const c = getComputedStyle(d).color; d.remove(); return c; }")
    assert panel.in_view(panel.result) == "", "the result line is not in view"
    assert panel.log_shows_newest_line() == "", "the log does not show its newest line"
    for name in ("Up", "Dry run", "Refresh"):
        expect(panel.button(name)).to_be_enabled()
    expect(panel.root.locator(".vfmigrate-progress .progress-bar-danger")).to_be_attached()
    assert versions(lab.workspace / "catalog.db") == [1]
    assert "price_cents" not in query(lab.workspace / "catalog.db", "SELECT sql FROM sqlite_master WHERE name = 'products'")
    panel.root.screenshot(path=str(screenshots / "panel-failed-light.png"))


def start_long_migration(panel: Panel) -> None:
    panel.picker.select_option("big")
    expect(panel.message).to_have_text("big: version 0; 1 pending")
    panel.button("Up").click()
    expect(panel.message).to_contain_text(re.compile(r"001_count_events: statement 2 of 2, running for"), timeout=WAIT)


def test_stop_rolls_a_long_migration_back_and_ends_as_stopped(panel, lab, screenshots):
    start_long_migration(panel)
    expect(panel.button("Stop")).to_be_enabled()
    panel.button("Stop").click()
    expect(panel.result).to_contain_text("■ stopped: rolled back 001_count_events.sql at statement 2", timeout=10_000)
    panel.wait_idle()
    expect(panel.root.locator(".vfmigrate-progress .progress-bar-warning")).to_be_attached()
    assert panel.errors() == [] or all("002_add_prices" in e for e in panel.errors())  # a stop is no error
    db = lab.workspace / "big.db"
    assert tables(db) & {"event_totals", "schema_migrations"} == set()  # as before the Up
    assert history(db)[-1]["status"] == "stopped"
    expect(panel.message).to_have_text("big: version 0; 1 pending")
    panel.root.screenshot(path=str(screenshots / "panel-stopped-light.png"))


def test_refresh_is_answered_while_a_long_migration_runs(panel, lab):
    start_long_migration(panel)
    for name in ("Up", "Down", "Dry run"):
        expect(panel.button(name)).to_be_disabled()
    expect(panel.picker).to_be_disabled()
    expect(panel.button("Stop")).to_be_enabled()
    panel.button("Refresh").click()
    panel.wait_for_log(r"Refresh: big: version 0; 001_count_events: statement 2 of 2, running for [\d.]+ s",
                       timeout=10_000)
    expect(panel.button("Up")).to_be_disabled()  # the answer came while the migration was still running
    panel.wait_for_log(r"Version 0 -> 1", timeout=WAIT * 3)
    panel.wait_idle()
    expect(panel.bar).to_have_attribute("style", re.compile(r"width: 100%"))
    assert versions(lab.workspace / "big.db") == [1]
    assert query(lab.workspace / "big.db", "SELECT events FROM event_totals") == LONG_ROWS


# The panel's parts whose content is cut: wider than their box, which neither grows nor scrolls.
CLIPPED = """root => {
    const cut = [];
    for (const el of [root, ...root.querySelectorAll('*')]) {
        if (!el.getClientRects().length || el.scrollWidth <= el.clientWidth + 1) continue;
        const s = getComputedStyle(el);
        if (/(auto|scroll)/.test(s.overflowX)) continue;  // it scrolls: nothing is lost
        if (s.overflowX === 'visible' && s.textOverflow !== 'ellipsis') continue;  // it spills, still readable
        cut.push(`${el.tagName}.${el.className}: ${el.scrollWidth} > ${el.clientWidth}: ${el.innerText.slice(0, 40)}`);
    }
    const box = root.getBoundingClientRect(), area = root.closest('.jp-WindowedPanel-outer, .jp-Notebook');
    if (area && box.right > area.getBoundingClientRect().right + 1) cut.push(`the panel ends past the notebook: ${box.right}`);
    return cut;
}"""


def test_at_1000_px_with_the_sidebar_open_nothing_is_cut(panel, screenshots):
    page = panel.page
    page.set_viewport_size({"width": 1000, "height": 1000})
    page.evaluate("window.jupyterapp.commands.execute('filebrowser:activate')")  # the left sidebar open
    try:
        page.wait_for_timeout(800)
        assert page.evaluate("() => !window.jupyterapp.shell.leftCollapsed")
        panel.picker.select_option("shop")
        expect(panel.message).to_contain_text("shop: version")
        panel.root.scroll_into_view_if_needed()
        assert panel.root.evaluate(CLIPPED) == []
        for name in ("Up", "Down", "Dry run", "Refresh", "Stop"):
            box = panel.button(name).bounding_box()
            assert box is not None and box["x"] + box["width"] <= 1000, (name, box)
        panel.root.screenshot(path=str(screenshots / "panel-1000px.png"))
    finally:
        page.evaluate("window.jupyterapp.commands.execute('application:toggle-left-area')")
        page.set_viewport_size({"width": 1400, "height": 1000})


def switch_theme(page: Page, name: str, light: bool) -> None:
    page.evaluate(f"window.jupyterapp.commands.execute('apputils:change-theme', {{theme: {name!r}}})")
    page.wait_for_function(f"() => document.body.dataset.jpThemeLight === {'true' if light else 'false'!r}",
                           timeout=WAIT)
    page.wait_for_timeout(500)  # the theme's stylesheet applied


def test_the_dark_theme_keeps_every_text_readable(panel, lab, screenshots):
    page = panel.page
    switch_theme(page, "JupyterLab Dark", light=False)
    try:
        def readable(what: str) -> None:
            low = panel.root.evaluate(LOW_CONTRAST)
            assert low == [], f"{what}: text below 4.5:1 in the dark theme: {low}"

        readable("a successful long Up")
        # Each end state, drawn in the dark theme (the screenshots in docs/ come from here).
        for database, button, said, what, name in (
                ("shop", "Dry run", "dry run: nothing changed", "a dry run", "dry-run"),
                ("shop", "Up", "✓ Up: 2 migrations applied", "an Up", "up"),
                ("catalog", "Up", "✗ Up failed", "a failed Up", "failed")):
            panel.picker.select_option(database)
            panel.button(button).click()
            expect(panel.result).to_contain_text(said, timeout=WAIT)
            panel.wait_idle()
            readable(what)
            panel.root.screenshot(path=str(screenshots / f"panel-{name}-dark.png"))
        write(lab.workspace / "migrations" / "big", "002_count_again.sql",
              "CREATE TABLE event_totals_again (events INTEGER);\nINSERT INTO event_totals_again\n"
              f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {LONG_ROWS})\n"
              "SELECT count(*) FROM n;", "DROP TABLE event_totals_again;")
        panel.picker.select_option("big")
        panel.button("Up").click()
        expect(panel.message).to_contain_text("002_count_again: statement 2 of 2, running for", timeout=WAIT)
        panel.button("Stop").click()
        expect(panel.result).to_contain_text("■ stopped", timeout=10_000)
        panel.wait_idle()
        readable("a Stop")
        panel.root.screenshot(path=str(screenshots / "panel-stopped-dark.png"))
    finally:
        switch_theme(page, "JupyterLab Light", light=True)


def reopened_outputs(browser, lab, name: str, screenshot: Path) -> str:
    """Open notebook ``name`` afresh in a page of its own (nothing run) and return the text of
    its outputs once the widget manager has had time to restore its models or give up on them."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.goto(lab.notebook_url(name))
        page.wait_for_function("() => document.querySelectorAll('.jp-NotebookPanel .jp-Cell').length > 0",
                               timeout=WAIT)
        page.wait_for_timeout(6000)
        page.screenshot(path=str(screenshot), full_page=True)
        return "\n".join(page.locator(".jp-NotebookPanel .jp-OutputArea-output").all_inner_texts())
    finally:
        context.close()


def assert_no_widget_debris(text: str) -> None:
    """A reopened notebook's outputs hold no widget error and no widget's text repr."""
    assert "Error displaying widget" not in text, text[-2000:]
    assert "HBox(children" not in text and "MigrationPanel(" not in text, text[-2000:]


def test_the_stored_example_notebook_opens_without_widget_errors(lab, browser, screenshots):
    # The notebook as the repository stores it (run by notebooks/execute.py, outputs and widget state kept).
    shutil.copy(NOTEBOOK_FILE, lab.workspace / "stored_panel.ipynb")
    text = reopened_outputs(browser, lab, "stored_panel.ipynb", screenshots / "stored-notebook.png")
    assert_no_widget_debris(text)
    assert "create_customers" in text or "Migration panel" in text, text[-2000:]


def test_a_notebook_saved_in_jupyterlab_reopens_without_widget_errors(panel, lab, browser, screenshots):
    # With JupyterLab's "Save Widget State Automatically" on (the lab here is set up so, as the
    # panel notebook tells its reader to), the saved file holds the panel's state and redraws it.
    page = panel.page
    page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty", timeout=WAIT)
    page.evaluate("window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")  # its kernel is gone
    page.wait_for_timeout(1000)
    text = reopened_outputs(browser, lab, "migration_panel.ipynb", screenshots / "reopened.png")
    assert_no_widget_debris(text)
