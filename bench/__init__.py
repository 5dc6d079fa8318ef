"""Benchmarks: vfmigrate, installed as a user gets it, against plain sqlite3 (the floor) and
against yoyo, Alembic and dbmate; and the notebook panel's table, timed in-process against the
old Styler table. See docs/benchmarks.md.

    python -m bench               # every workload and peer, 15 rounds (about 10 minutes)
    python -m bench --tiny        # a few migrations, one round, no peers (the smoke test)
    python -m bench --only panel  # the panel's table at 500 and 10,000 migrations
"""
