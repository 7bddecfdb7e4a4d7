"""The JSON report is an interface: its fields and values on a fixture that
has boilerplate (three sites' templates), syndication (one story on three
sites) and a skipped input (a cut JSON line) are kept, byte for byte, under
tests/golden/report. Refresh with DEDUPE_UPDATE_GOLDEN=1 after an intended
change, and read the diff: a changed field breaks the people who read it."""

import json
import os
import shutil
from pathlib import Path

import dedupe

GOLDEN = Path(__file__).resolve().parent / "golden" / "report"


def test_report_on_the_fixture_is_the_golden_one(tmp_path, monkeypatch):
    shutil.copy(GOLDEN / "corpus.jsonl", tmp_path / "corpus.jsonl")
    monkeypatch.chdir(tmp_path)  # the report names inputs as they were given
    result = dedupe.clean(["corpus.jsonl"], "out", report="report.json", jobs=1)
    got = json.loads(Path("report.json").read_text())
    got["dedupe_version"] = "VERSION"  # the one field that changes with every release
    text = json.dumps(got, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    if os.environ.get("DEDUPE_UPDATE_GOLDEN") == "1":
        (GOLDEN / "report.json").write_text(text)
    assert text == (GOLDEN / "report.json").read_text()
    # What the fixture is for: each of the three is in it.
    summary = got["summary"]
    assert summary["templates"] > 0 and summary["syndication_clusters"] == 1
    assert summary["documents_skipped"]["invalid_json"] == 1 and result.report.exit_code == 1
