"""A real Turso server for the remote tests: ``tursodb --sync-server 127.0.0.1:PORT DB``, which
speaks Hrana over HTTP (``POST /v2/pipeline``).

``tursodb`` comes from the npm package ``turso`` (``tests/remote/install_turso.sh`` installs it
into ``$VFMIGRATE_CACHE/turso``, else ``~/.cache/vfmigrate/turso``); ``VFMIGRATE_TURSODB`` names
another binary. A test module here starts with ``skip_without_tursodb()``: without the binary
it is skipped whole, in one line saying how to install it.

``turso_server`` starts a server on a free loopback port, in a folder of its own, for each
test: tursodb serves one database through one shared connection, so a fresh server is the
simplest clean database (one starts in about 0.1 s). It is stopped by its pid when the test ends,
also when the test fails. The package's ``turso`` command is a node wrapper that runs
``tursodb`` as its child; we start the binary itself, and should ``VFMIGRATE_TURSODB`` name the
wrapper anyway, its children are recorded at start and stopped by their own pids as well.
"""

from __future__ import annotations

import http.server
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
INSTALL_HINT = ("tursodb not found: run tests/remote/install_turso.sh (needs npm), or set VFMIGRATE_TURSODB "
                "to a tursodb binary")


def cache_folder() -> Path:
    """Where install_turso.sh puts the npm package."""
    return Path(os.environ.get("VFMIGRATE_CACHE") or Path.home() / ".cache" / "vfmigrate") / "turso"


def find_tursodb() -> Path | None:
    """``VFMIGRATE_TURSODB``, else the binary of the platform package npm installed in the cache."""
    named = os.environ.get("VFMIGRATE_TURSODB")
    packages = cache_folder() / "node_modules" / "@tursodatabase"
    found = [Path(named)] if named else sorted(packages.glob("cli-*/tursodb"))
    return next((path for path in found if path.is_file() and os.access(path, os.X_OK)), None)


def skip_without_tursodb() -> None:
    """Skip the calling test module, in one line saying how to install tursodb, when there is none."""
    if find_tursodb() is None:
        pytest.skip(INSTALL_HINT, allow_module_level=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children(pid: int) -> set[int]:
    """The processes whose parent is ``pid`` (Linux /proc; empty elsewhere)."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:  # the field after the state is the parent's pid
            found.add(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class TursoServer:
    """One ``tursodb --sync-server`` process serving ``database`` at ``url``."""

    binary: Path
    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    child_pids: set[int] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database(self) -> Path:
        return self.folder / "remote.db"

    @property
    def log(self) -> Path:
        return self.folder / "tursodb.log"

    def start(self) -> None:
        """Start the server and wait until ``/v2/pipeline`` answers."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(
                [str(self.binary), "--sync-server", f"127.0.0.1:{self.port}", str(self.database)],
                cwd=self.folder, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"tursodb did not start serving {self.url}: {self.log.read_text()[-2000:]}")
            time.sleep(0.02)
        self.child_pids = children(self.process.pid)  # a node wrapper's tursodb, if any

    def answers(self) -> bool:
        request = urllib.request.Request(self.url + "/v2/pipeline", b'{"baton": null, "requests": []}',
                                         {"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=1) as response:
                return response.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        """SIGTERM the server (and the children recorded at start), SIGKILL what is left
        after a few seconds."""
        if self.process is None:
            return
        pids = [*self.child_pids, self.process.pid]
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in pids:
                if pid == self.process.pid and self.process.poll() is not None:
                    continue
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + STOP_TIMEOUT
            while time.monotonic() < deadline:
                self.process.poll()  # reaps our own child
                if self.process.returncode is not None and not any(alive(p) for p in self.child_pids):
                    return
                time.sleep(0.02)
        self.process.wait(STOP_TIMEOUT)


@pytest.fixture(scope="session")
def tursodb() -> Path:
    """The ``tursodb`` binary; skips the test when there is none (a module that calls
    ``skip_without_tursodb()`` at its top is skipped in one line instead)."""
    binary = find_tursodb()
    if binary is None:
        pytest.skip(INSTALL_HINT)
    return binary


@pytest.fixture
def turso_server(tursodb: Path, tmp_path: Path):
    """A fresh ``tursodb --sync-server`` on a free loopback port, stopped when the test ends."""
    server = TursoServer(tursodb, tmp_path / "tursodb")
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _no_token(monkeypatch):
    """No token from the environment unless a test sets one."""
    monkeypatch.delenv("VFMIGRATE_AUTH_TOKEN", raising=False)


@pytest.fixture
def refusing_server():
    """A server that answers every request 401 and echoes the Authorization header it got,
    as a careless proxy might (tursodb has no authentication to refuse a token with)."""

    class Refuse(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = f'{{"message": "bad token: {self.headers.get("Authorization")}"}}'.encode()
            self.send_response(401)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Refuse)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
