"""The README stays true: every command is documented, and CI runs the README's test command."""

from __future__ import annotations

import re
from pathlib import Path

from vfmigrate_magic.arguments import COMMANDS, build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_every_command_is_in_the_readme_and_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for command in COMMANDS:
        assert f"vfmigrate {command}" in README or f"| `{command}" in README, command
        assert sub.choices[command].description, command


def test_ci_runs_the_readme_test_command():
    commands = re.findall(r"^(python3 -m pip install -e \"\.\[test\]\" && python3 -m pytest.*)$", README, re.M)
    assert commands, "README shows no test command"
    assert commands[0] in (ROOT / ".ci" / "run").read_text()
