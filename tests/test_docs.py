"""The README is checked against the code: every option documented, the quick start real."""

import re
from pathlib import Path

from click.testing import CliRunner

from dedupe.cli import main
from dedupe.config import Config

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_option_in_readme_and_help():
    help_text = CliRunner().invoke(main, ["clean", "--help"]).output
    for name in Config.option_names():
        flag = "--" + name.replace("_", "-")
        assert flag in README, f"{flag} is not documented in README.md"
        assert flag in help_text


def test_readme_defaults_match_config():
    options = Config().options()
    for flag, default in re.findall(r"^\| `(--[a-z-]+)` \| ([0-9.]+) \|", README, flags=re.M):
        assert str(options[flag[2:].replace("-", "_")]) == default, flag


def test_quick_start_is_two_commands_that_exist():
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [l.split("#")[0].strip() for l in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
