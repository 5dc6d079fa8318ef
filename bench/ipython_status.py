"""Time ``%migrate status`` in a real IPython ``InteractiveShell`` (run by the bench).

    python bench/ipython_status.py DB MIGRATIONS EXPECTED_ROWS REPEATS

Loads the extension (untimed), then times the first call and REPEATS more; prints one JSON
line ``{"first": s, "warm": [s, ...]}``. Exits non-zero with one line on stderr when the
magic is missing or returns something else than a DataFrame of EXPECTED_ROWS rows.
"""

import json
import shlex
import sys
import time


def main() -> int:
    db, migrations, expected, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    shell = InteractiveShell.instance(config=config)
    shell.run_line_magic("load_ext", "vfmigrate_magic")
    if "migrate" not in shell.magics_manager.magics["line"]:
        print("%load_ext vfmigrate_magic registered no %migrate magic", file=sys.stderr)
        return 3
    line = f"--database {shlex.quote(db)} --migrations {shlex.quote(migrations)} status"
    times = []
    for _ in range(1 + repeats):
        start = time.perf_counter()
        frame = shell.run_line_magic("migrate", line)
        times.append(time.perf_counter() - start)
        if type(frame).__name__ != "DataFrame" or len(frame) != expected:
            got = f"{type(frame).__name__} of {len(frame)} rows" if hasattr(frame, "__len__") else repr(frame)[:80]
            print(f"%migrate status returned {got}, not a DataFrame of {expected} rows", file=sys.stderr)
            return 4
    print(json.dumps({"first": times[0], "warm": times[1:]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
