"""Benchmarks: vfmigrate against plain sqlite3 (the floor) and against yoyo, Alembic and dbmate.

Run from the repository root::

    python -m pip install -e ".[bench]"   # yoyo-migrations, alembic, matplotlib
    python -m bench                         # every workload and peer, 7 runs each (about 6 minutes)
    python -m bench --tiny                  # a few migrations, one run, no peers (the smoke test)

It writes its workloads into a temporary folder, prints one table (workload, tool, min and
median of the runs, ratio to the floor measured in the same run), checks the targets of
issue 5, and writes ``bench/results/run-<time>.json`` and ``.png`` (and, for a full run,
``latest.json`` / ``latest.png``). ``--compare FILE`` sets a run beside an earlier one.
"""
