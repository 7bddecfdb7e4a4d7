"""The write stage through its function, dedupe.stages.write.run_write:
each input file's cleaned documents written under the output folder, in
input order, atomically (no temporary file left), the same bytes on every
run; the report beside them when asked for; nothing kept in the work
folder."""

import json

from dedupe.pipeline import read_and_analyse
from dedupe.stages.report import run_report
from dedupe.stages.write import STAGE, run_write


def corpus(folder, made_up):
    """Two files of one site's pages: a JSONL file of three and a text file."""
    folder.mkdir()
    menu = ["Home", "About the harbour office", "Contact"]
    pages = [menu + made_up.prose(f"page{i}") for i in range(4)]
    (folder / "a.jsonl").write_text(
        "".join(json.dumps({"id": f"p{i}", "text": "\n\n".join(p)}) + "\n" for i, p in enumerate(pages[:3])),
        encoding="utf-8",
    )
    (folder / "b.txt").write_text("\n\n".join(pages[3]) + "\n", encoding="utf-8")
    return pages


def write(stage_runs, folder, out, report_path=None):
    with stage_runs.run() as run:
        data, analysis = read_and_analyse(run, [str(folder)])
        report = run_report(run, data, analysis, [str(folder)])
        written = run_write(run, data, analysis, out, report, report_path)
        return written, analysis, run.progress


def test_each_file_written_cleaned_in_input_order_and_the_same_bytes_again(stage_runs, tmp_path, made_up):
    pages = corpus(tmp_path / "in", made_up)
    out = tmp_path / "out"
    written, analysis, progress = write(stage_runs, tmp_path / "in", out, tmp_path / "report.json")
    assert [p.name for p in written] == ["a.jsonl", "b.txt"]
    assert progress.computed.count(STAGE.name) == 1
    records = [json.loads(line) for line in (out / "a.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in records] == ["p0", "p1", "p2"]
    assert [r["text"] for r in records] == list(analysis.cleaned[:3])
    assert (out / "b.txt").read_text(encoding="utf-8") == analysis.cleaned[3]
    for page, text in zip(pages, analysis.cleaned):
        assert "About the harbour office" not in text  # the site's menu, a template
        assert page[-1] in text  # each page's own prose
    assert json.loads((tmp_path / "report.json").read_text())["summary"]["documents_read"] == 4
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(first) == ["a.jsonl", "b.txt"]  # nothing half-written left beside them
    again, _, _ = write(stage_runs, tmp_path / "in", out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first
    assert not list(stage_runs.work.glob(f"{STAGE.name}-*"))
