"""The read stage through its function, dedupe.stages.read.run_read: every
good record becomes a document and every bad one a skipped input; the
documents are kept in the work folder and read back from there, and read
again when the read config changes (but not the output field, which only
changes what is written)."""

import json

import pytest

from dedupe import Document
from dedupe.stages import read as read_stage
from dedupe.store import DocumentStore

RECORDS = [
    {"id": "one", "slug": "first", "url": "https://a.example/1", "text": "Hello\n\nWorld"},
    {"id": "two", "slug": "second", "text": "Another page"},
    None,  # a line that is not JSON
    {"id": "three", "slug": "third", "text": ""},
    {"id": "four", "slug": "fourth", "text": "Last page"},
]


@pytest.fixture
def corpus_file(tmp_path):
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join((json.dumps(r) if r else "{not json") + "\n" for r in RECORDS), encoding="utf-8")
    return path


@pytest.fixture
def read_files(monkeypatch):
    """How many files the read stage read."""
    calls = []
    original = read_stage.read_file

    def spy(f, config, seen=None):
        calls.append(f.source)
        return original(f, config, seen)

    monkeypatch.setattr(read_stage, "read_file", spy)
    return calls


def read(stage_runs, corpus_file, **options):
    """The corpus the read stage gives, and what the run was told."""
    with stage_runs.run(**options) as run:
        return read_stage.run_read(run, [str(corpus_file)]), run.progress


def test_good_records_become_documents_and_bad_ones_are_skipped_with_their_line(stage_runs, corpus_file):
    corpus, _ = read(stage_runs, corpus_file)
    source = str(corpus_file)
    assert list(corpus.documents) == [
        Document(id="one", text="Hello\n\nWorld", source=source, line=1, url="https://a.example/1"),
        Document(id="two", text="Another page", source=source, line=2),
        Document(id="four", text="Last page", source=source, line=5),
    ]
    assert [(e.path, e.line, e.reason) for e in corpus.skipped] == [(source, 3, "invalid_json"), (source, 4, "empty")]


def test_the_stage_keeps_the_documents_and_their_texts(stage_runs, corpus_file):
    corpus, _ = read(stage_runs, corpus_file)
    # The read stage declares no tables: it keeps its documents' store, the
    # texts in a file of their own and the rest as arrays beside it.
    (arrays,) = stage_runs.kept("read")
    (arrays_file,) = stage_runs.work.glob("read-*.npz")
    (texts_file,) = stage_runs.work.glob("read-*.texts")
    assert arrays_file.stem == texts_file.stem
    with DocumentStore() as fresh:
        fresh.extend(corpus.documents)
        assert set(arrays) == set(fresh.metadata())
    with DocumentStore.reopen(texts_file, arrays) as kept:
        assert list(kept) == list(corpus.documents)


def test_a_rerun_reuses_the_kept_stage_and_a_changed_read_config_reads_again(stage_runs, corpus_file, read_files):
    first, told = read(stage_runs, corpus_file)
    assert read_files and "read" in told.computed

    read_files.clear()
    again, told = read(stage_runs, corpus_file)
    assert read_files == [] and "read" in told.reused
    assert list(again.documents) == list(first.documents)
    assert [(e.path, e.line, e.reason) for e in again.skipped] == [(e.path, e.line, e.reason) for e in first.skipped]

    _, told = read(stage_runs, corpus_file, output_field="cleaned")
    assert read_files == [] and "read" in told.reused

    changed, told = read(stage_runs, corpus_file, id_field="slug")
    assert read_files and "read" in told.computed
    assert [d.id for d in changed.documents] == ["first", "second", "fourth"]

    read_files.clear()
    _, told = read(stage_runs, corpus_file, keep_fields="url", drop_fields=None)
    assert read_files == [] and "read" in told.reused  # the fields written change no document


def test_a_limited_read_is_kept_with_where_it_stopped(stage_runs, corpus_file, read_files):
    first, _ = read(stage_runs, corpus_file, limit=2)
    read_files.clear()
    again, told = read(stage_runs, corpus_file, limit=2)
    assert read_files == [] and "read" in told.reused
    for corpus in (first, again):
        assert [d.id for d in corpus.documents] == ["one", "two"]
        assert corpus.limited.as_dict() == {"limit": 2, "stopped_after": f"{corpus_file}:2", "files_not_read": []}


def test_a_missing_field_is_warned_of_on_a_rerun_too(stage_runs, corpus_file):
    from dedupe.document import MissingFieldWarning

    for _ in range(2):  # computed, then read back from the work folder
        with pytest.warns(MissingFieldWarning, match="'metadata.url'"):
            corpus, _ = read(stage_runs, corpus_file, url_field="metadata.url")
        assert corpus.absent_fields == {"url_field": "metadata.url"}


# --- what a user sees: the report and the output of a run under --limit ---------------


def test_clean_under_a_limit_writes_and_reports_the_first_documents(tmp_path):
    from click.testing import CliRunner

    from dedupe.cli import main

    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "a.jsonl").write_text("".join(json.dumps({"id": f"a{i}", "text": f"page {i}"}) + "\n" for i in range(3)))
    (folder / "b.jsonl").write_text(json.dumps({"id": "b0", "text": "page b"}) + "\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        main, ["clean", str(folder), "-o", str(out), "--report", str(tmp_path / "r.json"), "--limit", "2",
               "--url-field", "meta.url", "-q"],
    )
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "r.json").read_text())
    assert [d["id"] for d in report["documents"]] == ["a0", "a1"]
    assert report["limit"] == {"limit": 2, "stopped_after": f"{folder / 'a.jsonl'}:2", "files_not_read": [str(folder / "b.jsonl")]}
    assert report["config"]["limit"] == 2
    assert report["absent_fields"] == {"url_field": "meta.url"}
    assert "warning: no record has the field 'meta.url' (--url-field)" in result.stderr
    assert [json.loads(line)["id"] for line in (out / "a.jsonl").read_text().splitlines()] == ["a0", "a1"]
    assert not (out / "b.jsonl").exists()  # a file not read has no output


def test_limit_is_refused_on_the_spark_backend_before_any_work(corpus_file, tmp_path):
    import dedupe

    with pytest.raises(dedupe.UsageError, match="--limit runs on the local backend, not spark"):
        dedupe.clean([corpus_file], tmp_path / "out", backend="spark", limit=2)
    assert not (tmp_path / "out").exists()
