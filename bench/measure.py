"""Timing: run commands as subprocesses and time them, rounds of runs across tools, and a
watch on a folder (files appearing, peak sizes) and on a process's peak memory.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


class BenchError(Exception):
    """A tool failed or did not do the work; the message is one line."""


def run_commands(cmds: list[list[str]], cwd: Path, env: dict[str, str]) -> float:
    """Run ``cmds`` one after another; the wall-clock seconds they took together.

    Output goes to /dev/null (stderr is kept for the error message). Raises BenchError when
    one exits non-zero.
    """
    start = time.perf_counter()
    for argv in cmds:
        done = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if done.returncode != 0:
            lines = done.stderr.decode("utf-8", "replace").strip().splitlines() or ["(no message)"]
            raise BenchError(f"{Path(argv[0]).name} {' '.join(a for a in argv[1:4])}... exited "
                             f"{done.returncode}: {lines[-1][:200]}")
    return time.perf_counter() - start


@dataclass
class Case:
    """One tool in one workload: how to time a run, with optional setup and check (untimed)."""

    tool: str
    run: Callable[[], float]
    setup: Callable[[], None] | None = None
    check: Callable[[], None] | None = None
    note: str = ""
    times: list[float] = field(default_factory=list)
    error: str = ""


@dataclass
class Row:
    """One line of the table."""

    workload: str
    label: str
    tool: str
    times: list[float] = field(default_factory=list)
    note: str = ""
    skipped: str = ""
    ratio: float | None = None  # the median of per-round ratios to the floor (see report.add_ratios)
    ratio_ci: tuple[float, float] | None = None  # a 95 % confidence interval of that median
    ratio_of_medians: float | None = None
    derived: bool = False  # computed from other rows, not timed itself

    @property
    def min(self) -> float | None:
        return min(self.times) if self.times else None

    @property
    def median(self) -> float | None:
        return statistics.median(self.times) if self.times else None


def rounds(cases: list[Case], runs: int, warmup: int = 0, say: Callable[[str], None] = print) -> None:
    """Time every case ``runs`` times, one round of all cases at a time, so that a slow moment
    of the machine falls on every tool alike: the i-th time of each case comes from round i,
    which makes per-round ratios possible. Every other round runs the cases in reverse order,
    so no tool always runs first or right after the same one. A failing case is dropped with
    one line (its times stop short, and its ratio falls back to the ratio of the medians)."""
    for i in range(warmup + runs):
        for case in (cases if i % 2 == 0 else reversed(cases)):
            if case.error:
                continue
            try:
                if case.setup:
                    case.setup()
                seconds = case.run()
                if case.check:
                    case.check()
            except BenchError as exc:
                case.error = str(exc)
                say(f"  {case.tool}: failed, left out: {exc}")
                continue
            if i >= warmup:
                case.times.append(seconds)


def rows_of(workload: str, label: str, cases: list[Case]) -> list[Row]:
    return [Row(workload, label, c.tool, c.times, c.note, skipped=f"failed: {c.error}" if c.error else "")
            for c in cases]


class FolderWatch:
    """Polls a folder while a process runs: which files appeared and the peak size of each,
    and the peak total size. ``with FolderWatch(folder) as watch: ...``."""

    def __init__(self, folder: Path, every: float = 0.002) -> None:
        self.folder = folder
        self.every = every
        self.before = self._sizes()
        self.peak: dict[str, int] = dict(self.before)
        self.peak_total = sum(self.before.values())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _sizes(self) -> dict[str, int]:
        sizes = {}
        with os.scandir(self.folder) as entries:
            for entry in entries:
                try:
                    sizes[entry.name] = entry.stat().st_size
                except FileNotFoundError:
                    continue
        return sizes

    def _poll(self) -> None:
        while not self._stop.is_set():
            self._sample()
            time.sleep(self.every)

    def _sample(self) -> None:
        sizes = self._sizes()
        for name, size in sizes.items():
            if size > self.peak.get(name, -1):
                self.peak[name] = size
        self.peak_total = max(self.peak_total, sum(sizes.values()))

    def __enter__(self) -> FolderWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def new_files(self) -> dict[str, int]:
        """Files that were not there before, with their peak size."""
        return {n: s for n, s in self.peak.items() if n not in self.before}

    @property
    def extra_disk(self) -> int:
        """Peak bytes on disk in the folder beyond what was there before."""
        return max(0, self.peak_total - sum(self.before.values()))


def run_watched(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int]:
    """Run one command; (seconds, peak resident memory of that process in bytes)."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err = proc.stderr.read() if proc.stderr else b""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines() or ["(no message)"]
        raise BenchError(f"{Path(argv[0]).name} exited {proc.returncode}: {lines[-1][:200]}")
    return seconds, usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)  # bytes on macOS, KiB elsewhere
