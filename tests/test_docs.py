"""The user documentation is checked against the code: every option documented
with its real default, the quick start real, every relative link alive."""

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from dedupe.cli import main
from dedupe.config import Config

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
# The full options table lives here; the README shows the main options only.
OPTIONS_PAGE = ROOT / "docs" / "formats-and-options.md"
OPTIONS = OPTIONS_PAGE.read_text(encoding="utf-8")
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks" / "README.md"]

# A table row that names one option and gives a number as its default:
# | `--block-threshold` | 0.7 | ...
DEFAULT_ROW = re.compile(r"^\| `(--[a-z-]+)` \| ([0-9.]+) \|", flags=re.M)
# [text](target) and ![alt](target), not inside inline code.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _table_rows(text: str) -> dict[str, str]:
    """Each option named in the first cell of a table row, with its default
    cell (backticks removed); a row of several options with as many
    comma-separated defaults gives each its own."""
    rows = {}
    for first, default in re.findall(r"^\| ([^|]*) \| ([^|]*) \|", text, flags=re.M):
        flags = re.findall(r"`(--[a-z-]+)`", first)
        defaults = [d.strip().strip("`") for d in default.split(",")]
        if len(defaults) != len(flags):
            defaults = [default.strip().replace("`", "")] * len(flags)
        rows.update(zip(flags, defaults))
    return rows


def _shown(value) -> str:
    """A default as the options table writes it."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def test_every_option_in_the_options_table_and_help():
    help_text = CliRunner().invoke(main, ["clean", "--help"]).output
    rows = _table_rows(OPTIONS)
    for name in Config.option_names():
        flag = "--" + name.replace("_", "-")
        assert flag in rows, f"{flag} has no row in {OPTIONS_PAGE.relative_to(ROOT)}'s options table"
        assert flag in help_text, f"{flag} is not in dedupe clean --help"


def test_options_table_defaults_match_config():
    rows = _table_rows(OPTIONS)
    for name, value in Config().options().items():
        flag = "--" + name.replace("_", "-")
        assert flag in rows, f"{flag} has no row in the options table"
        if value is None:  # said in words ("the text field")
            assert not re.fullmatch(r"[0-9.]+|on|off|none", rows[flag]), flag
        else:
            assert rows[flag] == _shown(value), f"{flag}: the table says {rows[flag]!r}, Config() has {value!r}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_numeric_defaults_in_any_table_match_config(page):
    # The README and docs/block-model.md repeat a few options with their defaults.
    options = Config().options()
    for flag, default in DEFAULT_ROW.findall(page.read_text(encoding="utf-8")):
        assert str(options[flag[2:].replace("-", "_")]) == default, f"{page.name}: {flag}"


def test_quick_start_is_two_commands_that_exist():
    block = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [l.split("#")[0].strip() for l in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_readme_install_names_the_distribution():
    name = re.search(r'^name = "([^"]+)"', (ROOT / "pyproject.toml").read_text(), flags=re.M).group(1)
    assert f"pip install {name}\n" in README


def _relative_links(text: str) -> list[str]:
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # code blocks hold no links
    text = re.sub(r"`[^`\n]*`", "", text)
    return [t for t in LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]


def _anchors(path: Path) -> set[str]:
    """The anchors GitHub makes of a Markdown page's headings."""
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    headings = re.findall(r"^#+ (.+)$", text, flags=re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_point_to_files(page):
    links = _relative_links(page.read_text(encoding="utf-8"))
    missing = [t for t in links if not (page.parent / unquote(t.split("#", 1)[0])).exists()]
    assert not missing, f"{page.relative_to(ROOT)} links to files that do not exist: {missing}"
    # A link to a heading of a Markdown page must find it too.
    for target in links:
        path, _, anchor = target.partition("#")
        if anchor and path.endswith(".md"):
            assert anchor in _anchors(page.parent / path), f"{page.relative_to(ROOT)}: no heading for {target}"
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    for anchor in re.findall(r"\]\(#([^)\s]+)\)", text):
        assert anchor in _anchors(page), f"{page.relative_to(ROOT)}: no heading for #{anchor}"


def test_link_check_sees_links():
    # The check above must not pass by finding nothing.
    assert "docs/formats-and-options.md" in _relative_links(README)
    assert "docs/report.png" in _relative_links(README)
    assert _relative_links("[a](x.md#y) `[b](code.md)` [c](https://example.org) [d](#here)") == ["x.md#y"]


def test_the_steps_table_is_the_stages_declarations():
    from dedupe.api import STAGES

    page = (ROOT / "docs" / "how-it-works.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\w[\w ]*) \| ([\w -]+) \| (map|reduce) \| ([^|]+) \| ([^|]+) \|$", page, flags=re.M)
    declared = [(s.name, st.name, st.kind, st.over, st.does) for s in STAGES for st in s.steps]
    assert [tuple(c.strip() for c in r) for r in rows] == declared
