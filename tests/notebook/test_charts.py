"""Charts of real frames: databases migrated by ``%migrate`` in a real shell, then the figure's
bars, labels and lines compared with the frame they were drawn from."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import matplotlib.dates as mdates
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from nbhelpers import write_migration
from vfmigrate_magic.notebook import charts


@pytest.fixture
def on_app(ip, app):
    """The shell with ``app.db`` and ``migrations/`` (two migrations) picked through ``%config``."""
    ip.run_line_magic("config", "MigrateMagics.database = 'app.db'")
    return ip


def bars(fig: Figure) -> list:
    (ax,) = fig.axes
    return list(ax.patches)


def tick_labels(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].get_yticklabels()]


def value_labels(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.axes[0].texts]


def bar_colours(fig: Figure) -> list[str]:
    return [to_hex(p.get_facecolor()) for p in bars(fig)]


def test_timing_chart_of_a_status_has_one_bar_per_applied_migration_with_its_time(on_app):
    on_app.run_line_magic("migrate", "up")
    write_migration(Path("migrations"), "003_add_names.sql", "ALTER TABLE users ADD COLUMN name TEXT;")
    status = on_app.run_line_magic("migrate", "status")
    assert status["state"].tolist() == ["applied", "applied", "pending"]
    fig = charts.timing_chart(status)
    assert isinstance(fig, Figure)
    assert [p.get_width() for p in bars(fig)] == status["execution_time_ms"].iloc[:2].tolist()
    assert tick_labels(fig) == ["001_create_users", "002_add_email_index"]  # the pending one has no time
    assert fig.axes[0].yaxis_inverted()  # the frame's first row at the top
    assert value_labels(fig) == ["< 1 ms" if t == 0 else f"{t:.3g} ms" for t in status["execution_time_ms"][:2]]
    assert len(bars(charts.timing_chart(status))) == 2  # a second chart starts from nothing


def test_timing_chart_of_a_run_frame_shows_sub_millisecond_durations(on_app):
    run = on_app.run_line_magic("migrate", "up")
    fig = charts.timing_chart(run)
    assert [p.get_width() for p in bars(fig)] == run["duration_ms"].tolist()
    assert tick_labels(fig) == ["001_create_users", "002_add_email_index"]
    assert value_labels(fig) == [f"{t:.3g} ms" for t in run["duration_ms"]]
    assert fig.axes[0].get_xlabel() == "time (ms)"


def test_timing_chart_of_a_history_labels_downs_and_dry_runs_and_leaves_out_restores(on_app):
    on_app.run_line_magic("migrate", "up")
    on_app.run_line_magic("migrate", "down")
    on_app.run_line_magic("migrate", "up --dry-run")
    (backup,) = Path(".").glob("app.db.*.v2.bak")
    on_app.run_line_magic("migrate", f"restore {backup.name}")
    history = on_app.run_line_magic("migrate", "history")
    assert history["direction"].tolist() == ["up", "up", "down", "up", "restore"]
    fig = charts.timing_chart(history)
    assert tick_labels(fig) == ["001_create_users", "002_add_email_index", "002_add_email_index (down)",
                                "002_add_email_index (dry-run)"]
    assert [p.get_width() for p in bars(fig)] == history["duration_ms"].iloc[:4].tolist()


def test_timing_chart_groups_and_colours_the_bars_per_database(ip, two_databases):
    ip.run_line_magic("migrate", "up")
    status = ip.run_line_magic("migrate", "status")
    fig = charts.timing_chart(status)
    assert tick_labels(fig) == ["001_create_settings", "001_create_nodes", "002_create_edges"]
    assert [p.get_width() for p in bars(fig)] == status["execution_time_ms"].tolist()
    colours = bar_colours(fig)
    assert colours[1] == colours[2] != colours[0]
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["settings", "graph"]
    # The second database's block starts half a bar below the first's last bar, not right after it.
    centres = [p.get_y() + p.get_height() / 2 for p in bars(fig)]
    assert centres == [0.0, 1.5, 2.5]


def test_timing_chart_of_nothing_applied_says_so(on_app):
    fig = charts.timing_chart(on_app.run_line_magic("migrate", "status"))
    assert bars(fig) == [] and value_labels(fig) == ["no migration has a time yet"]


def test_version_timeline_steps_through_the_version_after_each_applied_event(on_app):
    on_app.run_line_magic("migrate", "up")
    on_app.run_line_magic("migrate", "down")
    on_app.run_line_magic("migrate", "up --dry-run")  # changes nothing: not on the timeline
    on_app.run_line_magic("migrate", "up")
    on_app.run_line_magic("migrate", "down")
    backup = next(Path(".").glob("app.db.*.v2.bak"))  # any of the two: both hold version 2
    on_app.run_line_magic("migrate", f"restore {backup.name}")
    history = on_app.run_line_magic("migrate", "history")
    fig = charts.version_timeline(history)
    (line,) = fig.axes[0].get_lines()
    assert line.get_drawstyle() == "steps-post"
    assert list(line.get_ydata()) == [1, 2, 1, 2, 1, 2]
    applied = history[history["mode"] == "apply"]
    assert list(line.get_xdata()) == list(applied["at"].to_numpy())
    assert fig.axes[0].get_legend() is None  # one database: nothing to tell apart


def test_version_timeline_draws_one_line_per_database(ip, two_databases):
    ip.run_line_magic("migrate", "up")
    ip.run_line_magic("migrate", "down --db graph")
    history = ip.run_line_magic("migrate", "history")
    fig = charts.version_timeline(history)
    lines = fig.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["settings", "graph"]
    assert [list(line.get_ydata()) for line in lines] == [[1], [1, 2, 1]]
    assert lines[0].get_color() != lines[1].get_color()
    # settings' last version carries on, dotted, to graph's last event: the end of the chart.
    (carried,) = fig.axes[0].collections
    ((start, end),) = carried.get_segments()
    assert (start[1], end[1]) == (1, 1)
    assert (start[0], end[0]) == tuple(mdates.date2num(history.loc[[0, len(history) - 1], "at"].to_numpy()))


@pytest.mark.parametrize(("directions", "versions", "after"), [
    (["up", "up", "up", "down", "down"], [1, 2, 3, 3, 2], [1, 2, 3, 2, 1]),
    (["up", "up", "up", "down"], [1, 2, 3, 2], [1, 2, 3, 3]),  # out of order: 3 is still the highest
    (["up", "up", "restore", "up"], [1, 2, 1, 2], [1, 2, 1, 2]),
    (["up", "restore"], [1, 0], [1, 0]),
    (["down"], [4], [0]),  # a log that starts late knows nothing of what was applied before
])
def test_versions_after_each_event(directions, versions, after):
    assert charts.versions_after(directions, versions) == after


def test_before_after_chart_pairs_the_counts_of_every_key(on_app):
    on_app.run_line_magic("migrate", "up")
    write_migration(Path("migrations"), "003_roles.sql",
                    "CREATE TABLE roles (id INTEGER PRIMARY KEY, name TEXT);\n"
                    "INSERT INTO roles (name) VALUES ('admin');\n"
                    "INSERT INTO users (email) VALUES ('d@example.com');\n"
                    "DELETE FROM users WHERE email = 'a@example.com';")

    def counts() -> pd.Series:
        with sqlite3.connect("app.db") as conn:
            names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name "
                                                "NOT LIKE 'schema_%' ORDER BY name")]
            values = [conn.execute(f"SELECT count(*) FROM {n}").fetchone()[0] for n in names]
        conn.close()
        return pd.Series(values, index=names)

    before = counts()
    on_app.run_line_magic("migrate", "up")
    after = counts()
    fig = charts.before_after_chart(before, after.to_dict(), "Rows per table")
    assert tick_labels(fig) == ["users", "roles"]
    assert [p.get_width() for p in bars(fig)] == [3, 0, 3, 1]  # before: users, roles; after: users, roles
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["before (3 rows)", "after (4 rows)"]
    assert fig.axes[0].get_title() == "Rows per table"


@pytest.mark.parametrize(("call", "message"), [
    (lambda: charts.timing_chart(pd.DataFrame({"version": [1], "name": ["x"]})),
     "timing_chart needs a duration_ms or execution_time_ms column; this frame has: version, name"),
    (lambda: charts.timing_chart(pd.DataFrame({"duration_ms": [1.0]})),
     "timing_chart needs the columns version, name; this frame has: duration_ms"),
    (lambda: charts.version_timeline(pd.DataFrame({"version": [1], "name": ["x"], "status": ["ok"]})),
     "version_timeline needs the columns at, direction, mode; this frame has: version, name, status"),
    (lambda: charts.version_timeline(pd.DataFrame()),
     "version_timeline needs the columns at, version, direction, mode, status; this frame has: no columns"),
    (lambda: charts.before_after_chart(pd.DataFrame({"kind": ["a"], "n": [1]}), {"a": 1}),
     "before_after_chart: before is a DataFrame; pass a Series or dict of counts, "
     "e.g. df.set_index('kind')['events']"),
    (lambda: charts.before_after_chart({"a": 1}, [1]),
     "before_after_chart: after must be a Series or dict of counts, not list"),
])
def test_a_frame_without_the_needed_columns_is_one_line_naming_them(call, message):
    with pytest.raises(ValueError) as raised:
        call()
    assert str(raised.value) == message


def test_a_version_timeline_of_a_status_frame_names_what_is_missing(on_app):
    on_app.run_line_magic("migrate", "up")
    with pytest.raises(ValueError, match="^version_timeline needs the columns at, direction, mode, status; "):
        charts.version_timeline(on_app.run_line_magic("migrate", "status"))


def test_a_chart_shows_itself_as_png_in_ipython(on_app):
    fig = charts.timing_chart(on_app.run_line_magic("migrate", "up"))
    data, _ = on_app.display_formatter.format(fig)
    assert data["image/png"].startswith(b"\x89PNG") and data["text/plain"] == "<ChartFigure size 800x210 with 1 Axes>"


def test_matplotlib_is_loaded_by_charts_only_and_never_through_pyplot():
    code = ("import sys\n"
            "import vfmigrate_magic, vfmigrate_magic.cli, vfmigrate_magic.notebook.magics\n"
            "import vfmigrate_magic.notebook.panel, vfmigrate_magic.notebook.reports\n"
            "print('matplotlib' in sys.modules)\n"
            "from vfmigrate_magic.notebook import charts\n"
            "charts.before_after_chart({'a': 1}, {'a': 2})._repr_png_()\n"
            "print('matplotlib' in sys.modules, 'matplotlib.pyplot' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (0, "False\nTrue False\n", "")
