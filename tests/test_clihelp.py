"""Tests for dedupe.clihelp: every option of every command in one help
section, the sections in the help, and the examples at its end."""

import re

import click
import pytest
from click.testing import CliRunner

from dedupe.cli import main
from dedupe.clihelp import GROUPS, GroupedCommand

COMMANDS = sorted(main.commands)


def options(name: str) -> dict:
    command = main.commands[name]
    # With the group's settings, as a run has them: click makes (and keeps) the
    # help option from the first context it is asked with.
    ctx = click.Context(command, info_name=name, parent=click.Context(main, info_name="dedupe", **main.context_settings))
    return command.options(ctx)


def help_text(name: str) -> str:
    result = CliRunner().invoke(main, [name, "--help"], prog_name="dedupe", terminal_width=80)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_of_every_command_is_in_exactly_one_group(name):
    # An option added without a place in GROUPS fails here: give it one.
    assert isinstance(main.commands[name], GroupedCommand)
    for option in options(name):
        holding = [title for title, names in GROUPS.items() if option in names]
        assert len(holding) == 1, f"dedupe {name}: option {option!r} is in {holding or 'no group'} of dedupe.clihelp.GROUPS"


def test_every_grouped_name_is_an_option_of_some_command():
    known = set().union(*(options(name) for name in COMMANDS))
    stale = [n for names in GROUPS.values() for n in names if n not in known]
    assert not stale, f"dedupe.clihelp.GROUPS names options no command has: {stale}"


@pytest.mark.parametrize("name", COMMANDS)
def test_help_lists_options_under_their_group_and_ends_with_examples(name):
    text = help_text(name)
    sections = re.findall(r"^(\w[\w ]*):$", text, flags=re.M)
    shown = [t for t in GROUPS if any(o in names for o in options(name) for names in [GROUPS[t]])]

    assert sections == shown
    assert "Other options" not in text and "\nOptions:" not in text
    # Each option's line is under its own section's heading.
    for title, names in GROUPS.items():
        if title not in sections:
            continue
        body = text.split(f"\n{title}:\n", 1)[1].split("\n\n", 1)[0]
        for option in names:
            if option in options(name):
                flag = "--help" if option == "help" else options(name)[option].opts[-1]
                assert re.search(rf"^  (-\w, )?{re.escape(flag)}\b", body, re.M), (title, flag)
    examples = text.split("\n  Examples:\n", 1)[1]
    lines = [l.strip() for l in examples.strip().splitlines()]
    assert lines and all(l.startswith("dedupe ") or l.startswith("zcat ") for l in lines)
    assert max(len(l) for l in text.splitlines()) <= 80


def test_an_option_outside_every_group_still_shows():
    @click.command(cls=GroupedCommand)
    @click.option("--format")
    @click.option("--brand-new", help="Added without a group.")
    def command(format, brand_new):
        pass

    text = CliRunner().invoke(command, ["--help"]).stdout

    assert re.search(r"^Input:\n  --format TEXT", text, re.M)
    assert re.search(r"^Other options:\n  --brand-new TEXT +Added without a group\.", text, re.M)


def test_clean_help_names_the_output_option_as_it_is_given():
    text = help_text("clean")

    assert "the cleaned corpus to the -o folder" in text
    assert "OUTPUT" not in text
    assert re.search(r"^  -o, --output DIRECTORY", text, re.M)
