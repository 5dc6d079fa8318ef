"""The CI recipe in docs/ci.md, run for real: the workflow's `vfmigrate --json` steps as separate
processes, in order, on a temporary copy of the repository's data/, migrations/ and its
[tool.vfmigrate] table. Each stdout is one JSON document, each exit code is the one the recipe
relies on, and the doc's workflow names exactly these commands, so the two cannot drift apart.
The repository's own data/ is only read (copied), never run against."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

from helpers import vfmigrate_cmd

from vfmigrate_magic.arguments import build_parser

ROOT = Path(__file__).resolve().parents[1]
CI_DOC = ROOT / "docs" / "ci.md"

# The workflow's steps, in order: the arguments after `vfmigrate`.
WORKFLOW = [
    ("--json", "check"),
    ("--json", "verify", "--all"),
    ("--json", "lint"),
    ("--json", "up"),
    ("--json", "status", "--check"),
]


def vfmigrate_table_text() -> str:
    """The text of pyproject.toml's [tool.vfmigrate] table and its sub-tables."""
    lines, keep = [], False
    for line in (ROOT / "pyproject.toml").read_text(encoding="utf-8").splitlines():
        header = re.match(r"\s*\[([^\[\]]+)\]\s*(#.*)?$", line)
        if header:
            name = header.group(1).strip()
            keep = name == "tool.vfmigrate" or name.startswith("tool.vfmigrate.")
        if keep:
            lines.append(line)
    return "\n".join(lines) + "\n"


def workflow_run_lines() -> list[str]:
    """The `run:` commands of the YAML block in docs/ci.md (plain string handling)."""
    blocks = re.findall(r"^```ya?ml\n(.*?)^```", CI_DOC.read_text(encoding="utf-8"), re.M | re.S)
    assert len(blocks) == 1, "docs/ci.md should hold exactly one YAML block, the workflow"
    runs = []
    for line in blocks[0].splitlines():
        text = line.strip()
        text = text[2:].lstrip() if text.startswith("- ") else text
        if text.startswith("run:"):
            runs.append(text[len("run:"):].strip())
    return runs


def workflow_vfmigrate_steps() -> list[tuple[str, tuple[str, ...]]]:
    """(run line, arguments after `vfmigrate`) for every step that runs vfmigrate."""
    return [(run, tuple(run.split(">", 1)[0].split()[1:])) for run in workflow_run_lines()
            if run.split()[0] == "vfmigrate"]


def clean_env() -> dict[str, str]:
    """The environment without settings that would override the copied [tool.vfmigrate]."""
    return {k: v for k, v in os.environ.items()
            if k not in ("DATABASE_PATH", "MIGRATIONS_DIR") and not k.startswith("VFMIGRATE_")}


def states(document: dict) -> list[str]:
    return [m["state"] for db in document["databases"] for m in db["migrations"]]


def path_fields(value) -> list[str]:
    """Every string under a "path" key, anywhere in a document."""
    if isinstance(value, dict):
        return [p for k, v in value.items()
                for p in ([v] if k == "path" and isinstance(v, str) else path_fields(v))]
    if isinstance(value, list):
        return [p for v in value for p in path_fields(v)]
    return []


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the repository's data/ and migrations/ with a pyproject.toml holding only its
    [tool.vfmigrate] table (the same table, checked with tomllib)."""
    root = tmp_path_factory.mktemp("ci_project")
    shutil.copytree(ROOT / "data", root / "data")
    shutil.copytree(ROOT / "migrations", root / "migrations")
    (root / "pyproject.toml").write_text(vfmigrate_table_text(), encoding="utf-8")
    original = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["vfmigrate"]
    copied = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["vfmigrate"]
    assert copied == original and copied["databases"], "no databases under [tool.vfmigrate.databases]"
    return root


@pytest.fixture(scope="module")
def ran(project) -> dict[str, tuple[int, str, str]]:
    """The workflow run in order, plus `status --check` before `up`: name -> (code, stdout, stderr)."""
    def run(*args: str):
        done = subprocess.run(vfmigrate_cmd(*args), capture_output=True, text=True, cwd=project,
                              timeout=120, env=clean_env())
        return done.returncode, done.stdout, done.stderr

    results = {}
    for args in WORKFLOW:
        if args[1:] == ("up",):
            results["status before up"] = run("--json", "status", "--check")
        results[" ".join(args[1:])] = run(*args)
    return results


def doc(ran, name: str) -> tuple[int, dict]:
    code, out, err = ran[name]
    try:
        document = json.loads(out)  # the whole of stdout: exactly one document
    except json.JSONDecodeError as exc:
        pytest.fail(f"`vfmigrate --json {name}` stdout is not one JSON document ({exc}):\n{out}\nstderr:\n{err}")
    assert isinstance(document, dict) and "error" not in document, (name, document, err)
    return code, document


def configured(project) -> dict[str, Path]:
    """Database name -> its migrations folder, from the copied pyproject.toml."""
    table = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["vfmigrate"]
    return {name: project / db.get("migrations", f"migrations/{name}") for name, db in table["databases"].items()}


def head(folder: Path) -> int:
    return max(int(f.name.split("_", 1)[0]) for f in folder.glob("*.sql"))


def test_every_step_prints_exactly_one_json_document(ran):
    for name in ran:
        doc(ran, name)
        assert ran[name][2].strip(), f"{name}: the human report belongs on stderr"


def test_check_passes_on_every_configured_database(ran, project):
    code, d = doc(ran, "check")
    folders = configured(project)
    assert code == 0
    assert {db["name"]: db["files"] for db in d["databases"]} == {
        name: len(list(folder.glob("*.sql"))) for name, folder in folders.items()}


def test_verify_all_proves_every_bundled_down_reverses_its_up(ran):
    code, d = doc(ran, "verify --all")
    failing = [(m["file"], m["problems"]) for m in d["migrations"] if not m["ok"]]
    assert not failing, f"bundled migrations whose DOWN does not reverse the UP: {failing}"
    assert code == 0 and d["migrations"] and all(db["ok"] for db in d["databases"])


def test_lint_exit_code_agrees_with_its_findings(ran):
    code, d = doc(ran, "lint")
    assert code == (7 if d["findings"] else 0), d["findings"]


def test_status_check_before_up_is_0_at_head_and_8_with_pending(ran):
    code, d = doc(ran, "status before up")
    seen = set(states(d))
    assert seen <= {"applied", "pending"}, f"the bundled databases have drifted: {seen}"
    assert code == (8 if "pending" in seen else 0)


def test_up_brings_every_database_to_head_and_status_check_passes(ran, project):
    folders = configured(project)
    code, d = doc(ran, "up")
    assert code == 0
    assert {db["name"]: db["version_after"] for db in d["databases"]} == {n: head(f) for n, f in folders.items()}
    assert all(r["status"] == "ok" for db in d["databases"] for r in db["results"])
    code, d = doc(ran, "status --check")
    assert code == 0
    assert states(d) and set(states(d)) == {"applied"}
    assert {db["name"]: db["current_version"] for db in d["databases"]} == {n: head(f) for n, f in folders.items()}


def test_every_step_worked_on_the_temporary_copy_not_the_repository(ran, project):
    """Every `path` the documents name is inside the copy; the databases were made there."""
    for name in ran:
        paths = path_fields(doc(ran, name)[1])
        assert paths, name
        for path in paths:
            assert Path(path).resolve().is_relative_to(project.resolve()), (name, path)
    assert all((project / "data" / f"{n}.db").is_file() for n in configured(project))


def test_the_docs_workflow_runs_exactly_these_commands():
    steps = workflow_vfmigrate_steps()
    assert [args for _, args in steps] == WORKFLOW
    saved = []
    for run, args in steps:
        build_parser().parse_args(list(args))  # every command and flag shown exists
        target = re.search(r">\s*(\S+\.json)", run)
        assert target, f"step does not save its JSON: {run}"
        saved.append(target.group(1))
    assert len(set(saved)) == len(saved)
    runs = workflow_run_lines()
    assert "pip install ." in runs
    text = CI_DOC.read_text(encoding="utf-8")
    assert "actions/upload-artifact" in text and 'python-version: "3.11"' in text
    folders = {Path(p).parent.as_posix() for p in saved}
    assert all(f"path: {folder}/" in text for folder in folders), "the saved JSON is not uploaded"


def test_the_docs_workflow_is_valid_yaml_with_the_same_run_lines():
    import yaml  # PyYAML: jupyterlab's jupyter-events depends on it, so the test extra has it
    block = re.search(r"^```ya?ml\n(.*?)^```", CI_DOC.read_text(encoding="utf-8"), re.M | re.S).group(1)
    workflow = yaml.safe_load(block)
    runs = [step["run"].strip() for job in workflow["jobs"].values() for step in job["steps"] if "run" in step]
    assert runs == workflow_run_lines()


def test_the_doc_names_no_path_of_this_machine():
    text = CI_DOC.read_text(encoding="utf-8")
    assert str(ROOT) not in text and not re.search(r"(?<![\w.])/(tmp|home|root|work|Users)/", text)
