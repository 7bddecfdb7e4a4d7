"""The report stage through its function, dedupe.stages.report.run_report:
one report of what the earlier stages found, every input document in it
(kept, cleaned, or skipped with its reason), named by the inputs as given;
nothing kept in the work folder (it is made again from the kept stages)."""

import json

from dedupe.pipeline import read_and_analyse
from dedupe.stages.report import STAGE, run_report

from test_stage_read import RECORDS


def test_the_report_accounts_for_every_record_and_is_made_again_not_kept(stage_runs, tmp_path):
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join((json.dumps(r) if r else "{not json") + "\n" for r in RECORDS), encoding="utf-8")
    reports = []
    for _ in range(2):
        with stage_runs.run() as run:
            corpus, analysis = read_and_analyse(run, [str(path)])
            reports.append(run_report(run, corpus, analysis, [str(path)]))
            assert run.progress.computed.count(STAGE.name) == 1 and STAGE.name not in run.progress.reused
    data = reports[0].data
    assert data["inputs"] == [str(path)]
    ids = [d["id"] for d in data["documents"]]
    assert ids == ["one", "two", "four"]  # in input order
    assert [(s["line"], s["reason"]) for s in data["skipped"]] == [(3, "invalid_json"), (4, "empty")]
    assert data["summary"]["documents_read"] + sum(data["summary"]["documents_skipped"].values()) == len(RECORDS)
    assert reports[1].data["documents"] == reports[0].data["documents"]
    assert not list(stage_runs.work.glob(f"{STAGE.name}-*"))  # no checkpoint of its own
