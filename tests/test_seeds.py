"""Golden test: the user's sample corpus with default options.

Two checks: what the issue asks for, stated line by line from the seed
texts (which lines go, and that every other line stays byte for byte), and
the exact output bytes kept under tests/golden/seeds (refresh them with
DEDUPE_UPDATE_GOLDEN=1 after an intended change, and read the diff).
"""

import json
import os
from collections import Counter
from pathlib import Path

import pytest

import dedupe

GOLDEN = Path(__file__).resolve().parent / "golden" / "seeds"
TITLE = "Countering Iran\u2019s Threat, Strategies for Regional Stability"
HEADER = [TITLE, "Image"]
FOOTER = [
    "Comments",
    "Popular posts from this blog",
    "General Call for Signing a Statement on the Investigation of Killers of the Massacre of Prisoners",
    TITLE,
    "Paris Conference Demands Justice for Victims of Iran\u2019s 1988 Massacre and Accountability for Regime Officials",
]
TEASER_START = "Written by Mahmoud Hakamian"
TITLE_002 = "Iran will support putin, and the USA the Mujahideen: How the Ukraine conflict expands"
# One template differing in a name: it may go, and if it does the report must say so.
OPTIONAL = {"This article was first published by arabnews", "This article was first published by NCR-Iran"}


def lines(text):
    return [line for line in text.splitlines() if line.strip()]


@pytest.fixture(scope="module")
def run(seeds_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = dedupe.clean([seeds_dir], out / "seeds", report=out / "report.json")
    return seeds_dir, out / "seeds", json.loads((out / "report.json").read_text("utf-8")), result


def expected_kept(name, original):
    """The lines that must stay, in order: the issue's list, stated from the seed texts."""
    gone = Counter()
    if name.startswith(("001", "004")):
        gone.update(HEADER + FOOTER)
        gone.update(l for l in original if l.strip().startswith(TEASER_START))
    if name.startswith("003"):
        gone.update(["Comments", "Popular posts from this blog"])
    kept, seen_title = [], False
    for line in original:
        if name.startswith("002") and line == TITLE_002:
            if not seen_title:
                kept.append(line)
            seen_title = True
        elif gone[line.strip()] > 0:
            gone[line.strip()] -= 1
        elif gone[line] > 0:
            gone[line] -= 1
        else:
            kept.append(line)
    assert sum(gone.values()) == 0, f"{name}: the seed no longer holds {+gone}"
    return kept


def test_lines_removed_and_kept(run):
    seeds, out, report, _ = run
    for src in sorted(seeds.iterdir()):
        original = lines(src.read_text("utf-8"))
        cleaned = lines((out / src.name).read_text("utf-8"))
        kept = expected_kept(src.name, original)
        assert [l for l in cleaned if l not in OPTIONAL] == [l for l in kept if l not in OPTIONAL], src.name
        for line in (set(kept) & OPTIONAL) - set(cleaned):
            assert any(line in t["variants"] for t in report["boilerplate"]), line
    assert lines((out / "002_a82a31125bb7e50d.txt").read_text("utf-8")).count(TITLE_002) == 1


def test_000_unchanged(run):
    seeds, out, report, _ = run
    name = "000_a22970f56303af84.txt"
    assert (out / name).read_bytes() == (seeds / name).read_bytes()
    doc = next(d for d in report["documents"] if d["id"] == name)
    assert doc["status"] == "unchanged" and doc["removed"] == {}


def test_report_names_teaser_and_footer(run):
    _, _, report, result = run
    by_text = {t["text"]: t for t in report["boilerplate"]}
    teaser = next(t for text, t in by_text.items() if text.startswith(TEASER_START))
    assert sorted(teaser["documents"]) == ["001_ea77cd63d6422dfc.txt", "004_0179fb1a56cbaa01.txt"]
    for line in ("Comments", "Popular posts from this blog"):
        assert sorted(by_text[line]["documents"]) == [
            "001_ea77cd63d6422dfc.txt",
            "003_c7de8c5f71fa409e.txt",
            "004_0179fb1a56cbaa01.txt",
        ]
    assert result.report.exit_code == 0
    assert report["syndication"] == []  # the seeds share templates, not articles


def test_golden_bytes(run):
    seeds, out, report, _ = run
    update = os.environ.get("DEDUPE_UPDATE_GOLDEN") == "1"
    for src in sorted(seeds.iterdir()):
        golden = GOLDEN / src.name
        if update:
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_bytes((out / src.name).read_bytes())
        assert (out / src.name).read_bytes() == golden.read_bytes(), f"{src.name} differs from {golden}"


def test_deterministic(run, seeds_dir, tmp_path):
    _, out, report, _ = run
    dedupe.clean([seeds_dir], tmp_path / "again", report=tmp_path / "report.json")
    assert json.loads((tmp_path / "report.json").read_text("utf-8")) == report
    for f in out.iterdir():
        assert (tmp_path / "again" / f.name).read_bytes() == f.read_bytes()
