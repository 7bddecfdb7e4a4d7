"""Invariants on random corpora: stripping never adds or reorders text,
every document is accounted for, the same input gives the same output."""

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import dedupe
from dedupe.blocks import kept_spans
from dedupe.boilerplate import KEEP
from dedupe.document import Document
from dedupe.results import Ragged, Spans

# Lines drawn from a small pool, so corpora have repeats across and within documents.
POOL = [
    "Home | News | Sport | Contact",
    "Comments",
    "Popular posts from this blog",
    "Share this article on social media and tell your friends about it today",
    "The council voted on Tuesday to fund new flood barriers along the river bank near the old mill.",
    "Residents applauded when the vote was read out in the packed public gallery of the town hall.",
    "Copyright 2024 Example Media",
    "A completely different paragraph about apples, orchards and the harvest in a warm September.",
    "Posted on 3 May 2021 by the editor",
    "Posted on 14 June 2022 by the editor",
    "\u0644\u0648\u0631\u0645 \u0627\u06cc\u067e\u0633\u0648\u0645 \u0645\u062a\u0646 \u0633\u0627\u062e\u062a\u06af\u06cc",
    "\u6771\u4eac\u3067\u65b0\u3057\u3044\u6cb3\u5ddd\u5824\u9632\u306e\u8a08\u753b\u304c\u627f\u8a8d\u3055\u308c\u305f",
]
line = st.one_of(st.sampled_from(POOL), st.text(min_size=1, max_size=40))
separator = st.sampled_from(["\n", "\n\n", "\r\n", "\n \n"])
document = st.lists(st.tuples(line, separator), min_size=1, max_size=12).map(
    lambda parts: "".join(l + s for l, s in parts)
)
corpus = st.lists(document, min_size=1, max_size=8)


def is_subsequence_of_lines(cleaned: str, original: str) -> bool:
    """cleaned is original with whole lines taken out, nothing added or moved."""
    it = iter(original.splitlines(keepends=True))
    return all(any(piece == o for o in it) for piece in cleaned.splitlines(keepends=True))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(corpus)
def test_stripping_never_adds_or_reorders(texts):
    docs = [Document(id=f"d{i}", text=t, source="mem") for i, t in enumerate(texts)]
    analysis = dedupe.analyse(docs)
    assert len(analysis.cleaned) == len(docs)
    for doc, cleaned, spans in zip(docs, analysis.cleaned, analysis.spans):
        assert cleaned == "".join(doc.text[a:b] for a, b in spans)
        assert all(a < b for a, b in spans) and all(s[1] <= t[0] for s, t in zip(spans, spans[1:]))
        assert is_subsequence_of_lines(cleaned, doc.text)
    for doc, blocks, action, spans in zip(docs, analysis.blocks, analysis.action, analysis.spans):
        assert spans == kept_spans(len(doc.text), blocks, action == KEEP)


def test_ragged_rows_are_views_of_the_flat_array():
    flat = np.arange(12).reshape(6, 2)
    r = Ragged.of_counts(flat, np.array([2, 0, 4]))
    assert len(r) == 3 and r[1].shape == (0, 2) and r[-1].base is not None
    np.testing.assert_array_equal(r[2], flat[2:])
    assert [len(x) for x in r] == [2, 0, 4] and [len(x) for x in r[1:]] == [0, 4]
    with pytest.raises(IndexError):
        r[3]
    assert Spans.of_counts(flat, np.array([1, 5]))[0] == [(0, 1)]
    assert all(type(a) is int for a in Spans.of_counts(flat, np.array([6]))[0][0])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(corpus, st.lists(st.sampled_from(["ok", "bad_json", "empty", "no_text"]), max_size=4))
@example([" \n"], [])  # every line skipped: no output file, all in the report
def test_every_document_accounted_for_and_deterministic(tmp_path_factory, texts, junk):
    tmp = tmp_path_factory.mktemp("prop")
    lines = [json.dumps({"id": f"d{i}", "text": t}) for i, t in enumerate(texts)]
    bad = {"bad_json": "{not json", "empty": json.dumps({"text": "  "}), "no_text": json.dumps({"id": "x"}), "ok": None}
    lines += [bad[j] for j in junk if bad[j]]
    src = tmp / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    r1 = dedupe.clean([src], tmp / "a", report=tmp / "a.json")
    dedupe.clean([src], tmp / "b", report=tmp / "b.json")
    report = r1.report.data
    blank = sum(1 for t in texts if not t.strip())  # a generated text of spaces is an empty document
    n_bad = sum(1 for j in junk if bad[j]) + blank
    assert len(report["documents"]) + len(report["skipped"]) == len(lines)
    assert len(report["skipped"]) == n_bad
    assert r1.report.exit_code == (1 if n_bad else 0)
    read = [d["id"] for d in report["documents"]]
    # A file that yields no document (every line skipped) gets no output file.
    assert (tmp / "a" / "in.jsonl").exists() == bool(read) == (tmp / "b" / "in.jsonl").exists()
    out = (tmp / "a" / "in.jsonl").read_text(encoding="utf-8").split("\n")[:-1] if read else []
    assert [json.loads(l)["id"] for l in out] == read
    skipped_lines = {s["line"] for s in report["skipped"]}
    for i in range(len(texts)):  # each generated document is read, or skipped with its line
        assert (f"d{i}" in read) != (i + 1 in skipped_lines)
    if read:
        assert (tmp / "a" / "in.jsonl").read_bytes() == (tmp / "b" / "in.jsonl").read_bytes()
    assert (tmp / "a.json").read_bytes() == (tmp / "b.json").read_bytes()


# --- the order of the input files, where ids are explicit (issue #7, item 4) ----------------------


def _in_its_own_order(report: dict) -> dict:
    """What a report says, in an order of its own rather than the input's.

    Documents, skipped inputs and dropped documents are listed in input
    order by design, so they are compared sorted (by id), and the documents
    without their file and line. Nothing else is waived: syndication
    clusters, their centres, members and pairs (oriented and listed by id,
    passages scanned from the first by id), overlaps, templates (their
    numbers, representative ``text``, variants and documents) and each
    document's ``cluster`` and lines' ``template`` are the same for any
    order of the input where ids are explicit."""
    def doc(d: dict) -> dict:
        return {k: v for k, v in d.items() if k not in ("source", "line")}

    return {
        "config": report["config"], "summary": report["summary"], "sites": report["sites"],
        "dropped": sorted(report["dropped"], key=lambda d: d["id"]),
        "documents": sorted((doc(d) for d in report["documents"]), key=lambda d: d["id"]),
        "skipped": sorted((s["reason"], s["message"].split(": ", 1)[-1]) for s in report["skipped"]),
        "templates": report["boilerplate"],
        "syndication": report["syndication"],
        "overlaps": report["overlaps"],
    }


def _records_by_id(out: Path) -> dict:
    """Each output record's bytes, by its id."""
    found = {}
    for path in out.glob("*.jsonl"):
        for raw in path.read_bytes().splitlines(keepends=True):
            found[json.loads(raw)["id"]] = raw
    return found


def test_the_order_of_the_input_files_changes_no_document_and_jobs_change_no_byte(tmp_path):
    """The same JSONL files with explicit ids: given as a folder with one job;
    given on the command line in reverse with two (a worker process doing some
    of the work); and renamed, so that a folder lists them in another order.
    The same names give the same output files, byte for byte; renamed, each
    record (found by its id) is the same bytes; and the reports say the same
    thing once put in an order of their own (:func:`_in_its_own_order`)."""
    from conftest import generated_corpus

    from dedupe.executor.parallel import Workers

    corpus = generated_corpus(tmp_path / "corpus", 400, 100, seed=11)
    with (corpus / "shard-00001.jsonl").open("a", encoding="utf-8") as f:
        f.write("{not json\n")  # a skipped line: its entry must not depend on the order either
    files = sorted(corpus.glob("*.jsonl"))
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    for i, path in enumerate(files):  # the last shard first, the first last
        (renamed / f"part-{len(files) - i}.jsonl").write_bytes(path.read_bytes())

    folder = dedupe.clean([corpus], tmp_path / "folder", report=tmp_path / "folder.json", jobs=1)
    with Workers(jobs=2, min_chunk=16) as workers:
        workers.warm_up(wait=True)
        backwards = dedupe.clean(files[::-1], tmp_path / "backwards", report=tmp_path / "backwards.json", jobs=workers)
        assert workers.chunks_sent > 0
    moved = dedupe.clean([renamed], tmp_path / "moved", report=tmp_path / "moved.json", jobs=1)

    reports = [r.report.data for r in (folder, backwards, moved)]
    assert reports[0]["summary"]["templates"] and reports[0]["syndication"] and reports[0]["skipped"]
    ids = [[d["id"] for d in r["documents"]] for r in reports]
    assert ids[0] != ids[1] and sorted(ids[0]) == sorted(ids[1])  # listed in input order: put in an order of their own below
    assert {p.name: p.read_bytes() for p in (tmp_path / "folder").iterdir()} == {
        p.name: p.read_bytes() for p in (tmp_path / "backwards").iterdir()
    }
    assert _records_by_id(tmp_path / "folder") == _records_by_id(tmp_path / "moved")
    assert _in_its_own_order(reports[0]) == _in_its_own_order(reports[1]) == _in_its_own_order(reports[2])
