"""Benchmarks: vfmigrate, installed as a user gets it, against plain sqlite3 (the floor) and
against yoyo, Alembic and dbmate. See docs/benchmarks.md.

    python -m bench          # every workload and peer, 15 rounds (about 9 minutes)
    python -m bench --tiny   # a few migrations, one round, no peers (the smoke test)
"""
