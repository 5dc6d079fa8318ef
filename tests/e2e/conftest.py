"""A real JupyterLab server and a headless Chromium page for the browser tests in this folder.

The server runs on a free loopback port with a random token and its own Jupyter config, data
and runtime folders, in a workspace holding the example notebook ``migration_panel.ipynb``
(its ``project`` parameter set to the workspace) and the databases' migrations. Teardown stops
the server and its kernels by their process ids.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from labtools import chromium_path

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "migration_panel.ipynb"


@dataclass
class Lab:
    url: str
    token: str
    workspace: Path
    process: subprocess.Popen
    log: Path
    kernel_pids: set[int] = field(default_factory=set)

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/tree/{name}?token={self.token}"

    def find_kernels(self) -> set[int]:
        """Remember the server's child processes (its kernels), to stop them by pid later."""
        self.kernel_pids |= children(self.process.pid)
        return self.kernel_pids


def children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:  # the field after the state is the parent's pid
            found.add(int(stat.parent.name))
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(pid: int, timeout: float = 15) -> None:
    """SIGTERM, then SIGKILL if the process is still there after ``timeout`` seconds."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def copy_notebook(workspace: Path) -> None:
    """The example notebook, its ``parameters`` cell pointing at the workspace."""
    notebook = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    cell = next(c for c in notebook["cells"] if "parameters" in c.get("metadata", {}).get("tags", []))
    cell["source"] = f"project = {str(workspace)!r}\n"
    for c in notebook["cells"]:
        if c["cell_type"] == "code":
            c["outputs"], c["execution_count"] = [], None
    notebook["metadata"].pop("widgets", None)
    (workspace / NOTEBOOK.name).write_text(json.dumps(notebook, indent=1), encoding="utf-8")


@pytest.fixture(scope="module")
def lab(tmp_path_factory, request) -> Lab:
    """JupyterLab serving the workspace that ``request.module.make_workspace(path)`` fills."""
    root = tmp_path_factory.mktemp("lab")
    workspace = root / "workspace"
    workspace.mkdir()
    request.module.make_workspace(workspace)
    copy_notebook(workspace)

    jupyter = {name: root / "jupyter" / name for name in ("config", "data", "runtime", "ipython")}
    for folder in jupyter.values():
        folder.mkdir(parents=True)
    # No news fetch and no toast over the page (what `jupyter labextension disable` would write).
    (jupyter["config"] / "labconfig").mkdir()
    (jupyter["config"] / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}))
    # Widgets' state saved with the notebook (Settings > Save Widget State Automatically), so a
    # saved notebook redraws its widgets when reopened instead of "model not found".
    widgets = jupyter["config"] / "lab" / "user-settings" / "@jupyter-widgets" / "jupyterlab-manager"
    widgets.mkdir(parents=True)
    (widgets / "plugin.jupyterlab-settings").write_text(json.dumps({"saveState": True}))
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_PATH", "MIGRATIONS_DIR", "VFMIGRATE_BUSY_TIMEOUT", "VFMIGRATE_BACKUP")}
    env.update(JUPYTER_CONFIG_DIR=str(jupyter["config"]), JUPYTER_DATA_DIR=str(jupyter["data"]),
               JUPYTER_RUNTIME_DIR=str(jupyter["runtime"]), IPYTHONDIR=str(jupyter["ipython"]),
               PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])))

    port, token = free_port(), secrets.token_hex(16)
    log = root / "jupyterlab.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--ip=127.0.0.1", f"--port={port}", "--no-browser",
             "--allow-root", f"--ServerApp.root_dir={workspace}", f"--IdentityProvider.token={token}",
             "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
             "--LabApp.expose_app_in_browser=True", "--ServerApp.port_retries=0"],
            cwd=workspace, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = Lab(url=f"http://127.0.0.1:{port}", token=token, workspace=workspace, process=process, log=log)
    try:
        wait_until_up(server)
        yield server
    finally:
        kernels = server.find_kernels()
        shut_down(server)
        for pid in kernels:
            stop(pid, timeout=2)
        process.wait(5)


def shut_down(server: Lab) -> None:
    """Ask the server to shut down (it stops its kernels and exits within a second or two), and
    stop it by its pid if it is still there after 5 s. (A SIGTERM makes it wait 15 s.)"""
    request = urllib.request.Request(f"{server.url}/api/shutdown", method="POST",
                                     headers={"Authorization": f"token {server.token}"})
    try:
        urllib.request.urlopen(request, timeout=5).close()
        server.process.wait(5)
    except (OSError, subprocess.TimeoutExpired):
        stop(server.process.pid, timeout=5)


def wait_until_up(server: Lab, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"JupyterLab exited with {server.process.returncode}:\n{server.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/api/status?token={server.token}", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"JupyterLab did not answer within {timeout} s:\n{server.log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory) -> Path:
    """Where screenshots go: $VFMIGRATE_E2E_SCREENSHOTS (e.g. docs/ for the README), else a temp folder."""
    folder = Path(os.environ.get("VFMIGRATE_E2E_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder
