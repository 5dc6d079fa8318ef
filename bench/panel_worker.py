"""The panel's steps, timed inside one Python process of the bench's environment (the notebook
layer is a library called in a kernel, not a program). Run by the bench with that environment's
Python, ``python -I panel_worker.py DB DIR [DB DIR ...]``, one database and migrations folder per
size; it builds a ``MigrationPanel`` for each (untimed), says ``ready``, then answers each line
``STEP INDEX`` on stdin with the seconds of one call, timed around that call alone::

    read     commands.status(target): the status read from disk
    styler   reports.status_table(frames.status_frame(status)).to_html(): the old table, the baseline
    redraw   panel.show(status): the panel's table, message, 'to' and buttons from a status already read
    refresh  panel.refresh_table(): a click on Refresh, the read and the redraw

A step that raises answers ``error: <one line>``.
"""

import sys
import time

from vfmigrate_magic.engine import commands
from vfmigrate_magic.notebook import frames, reports
from vfmigrate_magic.notebook.panel import MigrationPanel


def steps(panel, status):
    """Each step as a call of no arguments. ``status`` was read once, before the timing."""
    settings = panel.settings
    return {
        "read": lambda: commands.status(panel.target, busy_timeout=settings.busy_timeout),
        "styler": lambda: reports.status_table(frames.status_frame(status)).to_html(),
        "redraw": lambda: panel.show(status),
        "refresh": panel.refresh_table,
    }


def main(args):
    sizes = []
    for db, folder in zip(args[::2], args[1::2]):
        panel = MigrationPanel(database=db, migrations=folder, threaded=False)
        if panel.status is None:
            raise SystemExit(f"panel_worker.py: the panel could not read {db}: {panel.message.value}")
        pending = sum(e.state.value == "pending" for e in panel.status.entries)
        shown = panel.table.value.count('data-state="pending"')
        if not pending or shown != pending:  # the bench leaves 1 % pending; the table shows them all
            raise SystemExit(f"panel_worker.py: the table of {db} shows {shown} of {pending} pending migrations")
        sizes.append(steps(panel, panel.status))
    print("ready", flush=True)
    for line in sys.stdin:
        step, index = line.split()
        call = sizes[int(index)][step]
        try:
            start = time.perf_counter()
            call()
            seconds = time.perf_counter() - start
        except Exception as exc:  # told to the bench, which leaves this step out
            print(f"error: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", flush=True)
            continue
        print(repr(seconds), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
