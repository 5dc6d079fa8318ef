"""The ``remote`` workload: ``vfmigrate --database http://127.0.0.1:PORT up`` of the small
migrations against a real ``tursodb --sync-server`` (Hrana over HTTP), a fresh one in a fresh
folder every round, against the floor sending the same batches with urllib and json
(``bench/floor.py up http://... DIR``). Without tursodb the workload is left out with one line.

tursodb is found as tests/remote/conftest.py finds it: ``VFMIGRATE_TURSODB``, else the binary
``tests/remote/install_turso.sh`` installed under ``$VFMIGRATE_CACHE`` (or ``~/.cache/vfmigrate``).
Each server is started (untimed) before its round and stopped by its pid after it, also when
the round fails."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from .sql import small_migrations
from .stats import BenchError, Case, run_rounds
from .tools import floor_and_vfmigrate

if TYPE_CHECKING:
    from .workloads import Bench

INSTALL_HINT = "tursodb not found: run tests/remote/install_turso.sh (needs npm), or set VFMIGRATE_TURSODB"
START_TIMEOUT, STOP_TIMEOUT = 15.0, 5.0


def find_tursodb() -> Path | None:
    named = os.environ.get("VFMIGRATE_TURSODB")
    cache = Path(os.environ.get("VFMIGRATE_CACHE") or Path.home() / ".cache" / "vfmigrate") / "turso"
    found = [Path(named)] if named else sorted((cache / "node_modules" / "@tursodatabase").glob("cli-*/tursodb"))
    return next((p for p in found if p.is_file() and os.access(p, os.X_OK)), None)


def tursodb_version(binary: Path) -> str:
    done = subprocess.run([str(binary), "--version"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    return done.stdout.strip() or "tursodb"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pipeline(url: str, requests: list[dict], timeout: float = 10) -> list[dict]:
    body = json.dumps({"baton": None, "requests": requests}).encode()
    request = urllib.request.Request(url + "/v2/pipeline", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())["results"]


class Server:
    """One ``tursodb --sync-server 127.0.0.1:PORT remote.db`` in ``folder`` (made anew)."""

    def __init__(self, binary: Path, folder: Path) -> None:
        self.binary, self.folder, self.port = binary, folder, _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        with open(self.folder / "tursodb.log", "wb") as log:
            self.process = subprocess.Popen([str(self.binary), "--sync-server", f"127.0.0.1:{self.port}",
                                             str(self.folder / "remote.db")], cwd=self.folder,
                                            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                _pipeline(self.url, [], timeout=1)
                return
            except (urllib.error.URLError, OSError):
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise BenchError(f"tursodb did not start serving {self.url}")
            time.sleep(0.02)

    def stop(self) -> None:
        """SIGTERM by its pid, SIGKILL after a few seconds; then its folder removed."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(STOP_TIMEOUT)
        shutil.rmtree(self.folder, ignore_errors=True)


def _count(url: str, sql: str) -> int:
    [answer] = _pipeline(url, [{"type": "execute", "stmt": {"sql": sql}}])
    if answer["type"] != "ok":
        return -1
    return int(answer["response"]["result"]["rows"][0][0]["value"])


def remote(b: Bench) -> list[Case]:
    """``up`` of ``sizes.remote`` small migrations against a fresh tursodb every round: vfmigrate
    and the floor, each checked afterwards (the tables and the tracking rows, untimed)."""
    binary = find_tursodb()
    if binary is None:
        raise BenchError(INSTALL_HINT)
    migrations = small_migrations(b.sizes.remote)
    cases = []
    for tool in floor_and_vfmigrate(b.tools):
        folder = b.folder("remote", tool, migrations)

        def run(tool=tool, folder=folder) -> float:
            server = Server(binary, folder / "server")
            try:
                shutil.rmtree(folder / ".vfmigrate", ignore_errors=True)  # vfmigrate's event log of the server
                server.start()
                if hasattr(os, "sync"):
                    os.sync()
                seconds = b.timed(tool.command(folder, *tool.up_args, database=server.url), folder)
                tables = _count(server.url, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' "
                                            "AND name LIKE 't!_%' ESCAPE '!'")
                rows = _count(server.url, "SELECT count(*) FROM schema_migrations")
                if (tables, rows) != (len(migrations), len(migrations)):
                    raise BenchError(f"{tool.name} left {tables} tables and {rows} tracking rows of {len(migrations)}")
                return seconds
            finally:
                server.stop()

        cases.append(Case(tool.name, run))
    run_rounds(cases, b.rounds, b.say)
    return cases
