"""Hardening (issue #7, item 2): one section per kind of hostile input, each
run through ``dedupe.clean`` (or the CLI) and held to one accounting
invariant, :func:`accounted`: every input document appears exactly once,
in the output (kept or cleaned) or in the report's ``skipped`` list with a
reason; nothing half-written is left in the output folder; the input
files' bytes and modification times are unchanged. A hypothesis-fuzzed
corpus mixing them closes the module.

Where tests/test_hostile*.py, test_readers.py or test_jsonl.py already test
an item in depth, its section here is short and only adds the invariant."""

import gzip
import hashlib
import json
import os
import random
import re
import subprocess
import threading
from collections import Counter
from pathlib import Path
from typing import Iterable, Optional

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import dedupe
from dedupe.cli import main

HEADER = "Home | News | Sport | Weather | Contact"
FOOTER = "Copyright 2024 Example Media Group. All rights reserved."

Key = tuple[str, Optional[int]]  # a document's place: its file (as the report names it) and line (None: the whole file)


# --- the invariant --------------------------------------------------------------------


def snapshot(root: Path) -> dict:
    """Every entry under ``root`` (not following links, never opening a
    named pipe): its kind, its bytes' digest or link target, and its mtime."""
    found = {}
    for path in sorted([root, *root.rglob("*")]):
        st_ = path.lstat()
        if path.is_symlink():
            what = ("link", os.readlink(path))
        elif path.is_file():
            what = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
        else:
            what = ("dir" if path.is_dir() else "special", None)
        found[path.relative_to(root).as_posix()] = (*what, st_.st_mtime_ns)
    return found


def _output_texts(out: Path, rel: str, field: str = "text") -> list[str]:
    """The texts written for one input file, in order (a text file holds one)."""
    path = out / rel
    raw = gzip.decompress(path.read_bytes()) if rel.endswith(".gz") else path.read_bytes()
    if ".jsonl" in rel:  # split as the reader does: str.splitlines would split at U+2028 inside a text
        return [json.loads(line)[field] for line in re.split(r"\r\n|\r|\n", raw.decode("utf-8")) if line]
    return [raw.decode("utf-8")]


def accounted(report: dict, expected: Iterable[Key], corpus: Path, out: Path, before: dict, field: str = "text") -> None:
    """The accounting invariant (see the module's docstring).

    ``expected`` is every input document's place; a file skipped as a whole
    (unreadable, of an unknown kind) is one place, line None. Output files
    are found under ``out`` by their path under ``corpus``; a record's text is its ``field``."""
    expected = Counter(expected)
    assert max(expected.values(), default=1) == 1, "a place given twice"
    kept = Counter((d["source"], d["line"]) for d in report["documents"])
    skipped = Counter((s["source"], s["line"]) for s in report["skipped"])
    assert kept + skipped == expected, (kept + skipped, expected)
    assert not kept & skipped, "a document both kept and skipped"
    assert all(s["reason"] and s["message"] for s in report["skipped"])
    s = report["summary"]
    assert sum(s["documents_skipped"].values()) == len(report["skipped"])
    assert s["documents_unchanged"] + s["documents_cleaned"] + s["documents_emptied"] == s["documents_read"]
    assert s["documents_read"] == len(report["documents"])

    # Each document kept is in the output, once, with the length the report gives it.
    by_file: dict[str, list[dict]] = {}
    for d in report["documents"]:
        by_file.setdefault(os.path.relpath(d["source"], corpus), []).append(d)
    for rel, docs in by_file.items():
        texts = _output_texts(out, rel, field)
        assert [len(t) for t in texts] == [d["chars_out"] for d in docs], rel
    # Nothing else there: no temporary file, no work folder, no output of a file all skipped.
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) if out.exists() else []
    assert written == sorted(by_file), written

    assert snapshot(corpus) == before, "an input was touched"


def clean(corpus: Path, tmp_path: Path, **options) -> dict:
    """``dedupe.clean`` of the corpus folder into tmp_path/out; its JSON report."""
    report = tmp_path / "report.json"
    result = dedupe.clean([corpus], tmp_path / "out", report=report, jobs=1, **options)
    data = json.loads(report.read_text(encoding="utf-8"))
    assert result.report.exit_code == (1 if data["skipped"] else 0)
    return data


def folder(tmp_path: Path, files: dict) -> tuple[Path, dict]:
    """A corpus folder of ``files`` (name -> str or bytes), and its snapshot."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, content in files.items():
        path = corpus / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return corpus, snapshot(corpus)


def jsonl(*records) -> bytes:
    """JSONL lines: a dict is dumped, bytes are written as they are."""
    return b"".join((r if isinstance(r, bytes) else json.dumps(r).encode()) + b"\n" for r in records)


def page(i: int, body: str = "") -> str:
    """A page of one site: the shared header and footer around a body of its own."""
    body = body or f"Story {i}: " + " ".join(f"word{i}x{k}" for k in range(30))
    return f"{HEADER}\n{body}\n{FOOTER}\n"


def places(corpus: Path, name: str, lines: Iterable[Optional[int]] = (None,)) -> list[Key]:
    return [(str(corpus / name), line) for line in lines]


def reasons(report: dict) -> dict:
    return {(Path(s["source"]).name, s["line"]): s["reason"] for s in report["skipped"]}


# --- 1. invalid UTF-8 ------------------------------------------------------------------


def test_invalid_utf8_is_skipped_per_document(tmp_path):
    corpus, before = folder(tmp_path, {
        "good.txt": page(0),
        "latin1.txt": page(1).replace("Story", "Caf\u00e9").encode("latin-1"),
        "mixed.jsonl": jsonl({"id": "a", "text": page(2)}, b'{"id": "b", "text": "caf\xe9 \xff\xfe"}', {"id": "c", "text": page(3)}),
    })
    report = clean(corpus, tmp_path)
    assert reasons(report) == {("latin1.txt", None): "invalid_utf8", ("mixed.jsonl", 2): "invalid_utf8"}
    accounted(report, places(corpus, "good.txt") + places(corpus, "latin1.txt") + places(corpus, "mixed.jsonl", [1, 2, 3]),
              corpus, tmp_path / "out", before)


# --- 2. NUL bytes -----------------------------------------------------------------------


def test_nul_bytes_are_text_where_they_are_valid_and_a_bad_record_where_json_forbids_them(tmp_path):
    corpus, before = folder(tmp_path, {
        "nul.txt": page(0, "a body\x00with a NUL byte in it and more words after"),
        "nul.jsonl": jsonl(
            {"id": "escaped", "text": page(1, "an escaped \u0000 NUL inside the JSON string")},
            b'{"id": "raw", "text": "a raw \x00 NUL byte"}',  # JSON forbids a raw control character in a string
        ),
    })
    report = clean(corpus, tmp_path)
    assert reasons(report) == {("nul.jsonl", 2): "invalid_json"}
    accounted(report, places(corpus, "nul.txt") + places(corpus, "nul.jsonl", [1, 2]), corpus, tmp_path / "out", before)
    assert "\x00with" in (tmp_path / "out" / "nul.txt").read_text(encoding="utf-8")  # kept as it came
    assert "\u0000 NUL" in _output_texts(tmp_path / "out", "nul.jsonl")[0]


# --- 3. binary files --------------------------------------------------------------------


def test_binary_files_are_skipped_whatever_their_name_says(tmp_path):
    noise = random.Random(3).randbytes(4096)
    line = bytes(b for b in noise if b not in b"\r\n")  # one line of noise
    corpus, before = folder(tmp_path, {
        "good.txt": page(0),
        "image.png": b"\x89PNG\r\n\x1a\n" + noise,
        "noise.txt": noise,
        "noise.jsonl": line,
        "noise.jsonl.gz": noise,  # not gzip at all
        "noise.parquet": noise,
        "noise.warc": noise,
    })
    report = clean(corpus, tmp_path)
    assert reasons(report) == {
        ("image.png", None): "unsupported_file",
        ("noise.txt", None): "invalid_utf8",
        ("noise.jsonl", 1): "invalid_utf8",
        ("noise.jsonl.gz", None): "unreadable",
        ("noise.parquet", None): "unreadable",
        ("noise.warc", 1): "unreadable",
    }
    whole_files = ["good.txt", "image.png", "noise.txt", "noise.jsonl.gz", "noise.parquet"]
    expected = [p for n in whole_files for p in places(corpus, n)] + places(corpus, "noise.jsonl", [1]) + places(corpus, "noise.warc", [1])
    accounted(report, expected, corpus, tmp_path / "out", before)


# --- 4. empty and whitespace-only documents ---------------------------------------------


def test_empty_and_blank_documents_are_skipped_as_empty(tmp_path):
    corpus, before = folder(tmp_path, {
        "empty.txt": b"",
        "blank.txt": " \t\r\n\n\u3000\n",  # an ideographic space is blank too
        "good.txt": page(0),
        "records.jsonl": jsonl({"id": "a", "text": ""}, {"id": "b", "text": " \n\t "}, {"id": "c", "text": page(1)})
        + b"\n   \n\r\n",  # blank lines are no records
    })
    report = clean(corpus, tmp_path)
    assert reasons(report) == {
        ("empty.txt", None): "empty", ("blank.txt", None): "empty", ("records.jsonl", 1): "empty", ("records.jsonl", 2): "empty",
    }
    accounted(report, places(corpus, "empty.txt") + places(corpus, "blank.txt") + places(corpus, "good.txt")
              + places(corpus, "records.jsonl", [1, 2, 3]), corpus, tmp_path / "out", before)


# --- 5. a 50 MB single line ---------------------------------------------------------------


def test_a_50_mb_line_is_streamed_past_the_bound_and_a_long_line_is_cleaned(tmp_path):
    # The whole pipeline on a 50 MB line takes 13 s and 1.9 GB here (linear:
    # three passes of the word shingler over it), too much for the suite: the
    # 50 MB line is read past a 16 MB --max-document-bytes (passed over, never
    # held), and a 4 MB line goes through every stage.
    words = random.Random(5).choices([f"w{k}" for k in range(50_000)], k=800_000)
    long_line = " ".join(words)[: 4 << 20]
    huge = json.dumps({"id": "huge", "text": "lorem " * ((50 << 20) // 6)})
    corpus, before = folder(tmp_path, {
        "huge.jsonl": jsonl({"id": "before", "text": page(0)}, huge.encode(), {"id": "after", "text": page(1)}),
        "long.txt": long_line,  # no newline anywhere
    })
    config = dedupe.Config.from_options(max_document_bytes=16 << 20)
    report = clean(corpus, tmp_path, config=config)
    assert reasons(report) == {("huge.jsonl", 2): "too_large"}
    accounted(report, places(corpus, "huge.jsonl", [1, 2, 3]) + places(corpus, "long.txt"), corpus, tmp_path / "out", before)
    assert (tmp_path / "out" / "long.txt").read_text(encoding="utf-8") == long_line


# --- 6. many tiny documents -----------------------------------------------------------------


def test_many_tiny_documents(tmp_path):
    # 20,000, not the 100,000: here 100,000 pages of one to three
    # words take 15 s when they are distinct and 100 s when drawn from nine
    # words (every page a copy of thousands: the boilerplate decision's copy
    # votes), against 8 s for 20,000 of this mix of both kinds.
    rng = random.Random(6)
    few = ["home", "news", "a", "b", "menu", "x", "login", "\u6771", "\u0645"]
    many = [f"w{k}" for k in range(100_000)]
    n = 20_000
    lines = [json.dumps({"id": f"t{i}", "text": " ".join(rng.choices(few if i % 2 else many, k=rng.randint(1, 3)))}) for i in range(n)]
    corpus, before = folder(tmp_path, {"tiny.jsonl": "\n".join(lines) + "\n"})
    report = clean(corpus, tmp_path, checkpoint=False)
    accounted(report, places(corpus, "tiny.jsonl", range(1, n + 1)), corpus, tmp_path / "out", before)


# --- 7. mixed line endings ------------------------------------------------------------------


def test_mixed_line_endings_strip_the_same_template_and_keep_each_ending(tmp_path):
    ends = {"lf.txt": "\n", "crlf.txt": "\r\n", "cr.txt": "\r"}
    files = {name: page(i).replace("\n", end) for i, (name, end) in enumerate(ends.items())}
    files["mixed.txt"] = f"{HEADER}\r\nStory 3: a body of its own\rwith its second line\n{FOOTER}\r\n"
    records = [{"id": f"r{i}", "text": page(10 + i).replace("\n", end)} for i, end in enumerate(["\n", "\r\n", "\r"])]
    files["records.jsonl"] = b"".join(json.dumps(r).encode() + end for r, end in zip(records, [b"\r\n", b"\r", b"\n"]))
    corpus, before = folder(tmp_path, files)
    report = clean(corpus, tmp_path)
    expected = [p for n in [*ends, "mixed.txt"] for p in places(corpus, n)] + places(corpus, "records.jsonl", [1, 2, 3])
    accounted(report, expected, corpus, tmp_path / "out", before)
    out = tmp_path / "out"
    assert (out / "crlf.txt").read_bytes().decode() == "Story 1: " + " ".join(f"word1x{k}" for k in range(30)) + "\r\n"
    for name in [*ends, "mixed.txt"]:
        written = (out / name).read_bytes().decode("utf-8")
        assert HEADER not in written and FOOTER not in written, name
    assert all(HEADER not in t for t in _output_texts(out, "records.jsonl"))


# --- 8. right-to-left and CJK text without spaces ---------------------------------------------

ARABIC_MENU = "\u0627\u0644\u0631\u0626\u064a\u0633\u064a\u0629 | \u0623\u062e\u0628\u0627\u0631 | \u0631\u064a\u0627\u0636\u0629 | \u0627\u062a\u0635\u0644 \u0628\u0646\u0627"
HEBREW = "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd \u05d6\u05d4\u05d5 \u05e2\u05de\u05d5\u05d3 \u05d7\u05d3\u05e9\u05d5\u05ea"
CJK_FOOTER = "\u7248\u6743\u6240\u6709\u672a\u7ecf\u8bb8\u53ef\u4e0d\u5f97\u8f6c\u8f7d\u672c\u7f51\u7ad9\u5185\u5bb9"


def _cjk_body(i: int) -> str:
    rng = random.Random(i)
    return "".join(chr(rng.randint(0x4E00, 0x9FFF)) for _ in range(120))  # no spaces at all


def test_right_to_left_and_cjk_pages_are_cleaned_without_mangling(tmp_path):
    records = [{"id": f"ar{i}", "text": f"{ARABIC_MENU}\n{HEBREW} {i}\n\u200f{_cjk_body(i)}\n{CJK_FOOTER}\n"} for i in range(4)]
    records += [{"id": f"zh{i}", "text": f"{_cjk_body(100 + i)}\n{CJK_FOOTER}\n"} for i in range(3)]
    corpus, before = folder(tmp_path, {"rtl-cjk.jsonl": jsonl(*records), "one.txt": f"{CJK_FOOTER}\n{_cjk_body(200)}\n"})
    report = clean(corpus, tmp_path)
    accounted(report, places(corpus, "one.txt") + places(corpus, "rtl-cjk.jsonl", range(1, 8)), corpus, tmp_path / "out", before)
    texts = _output_texts(tmp_path / "out", "rtl-cjk.jsonl")
    for record, text in zip(records, texts):
        kept = text.splitlines(keepends=True)
        assert all(line in record["text"].splitlines(keepends=True) for line in kept)  # whole lines taken out, none changed
    # The repeated menu and footer go; each page's own CJK body, one spaceless "word", stays.
    assert all(ARABIC_MENU not in t and CJK_FOOTER not in t for t in texts)
    assert all(_cjk_body(i) in texts[i] for i in range(4))


# --- 9. malformed JSONL lines -------------------------------------------------------------------


def test_malformed_jsonl_lines_are_skipped_each_with_its_line(tmp_path):
    corpus, before = folder(tmp_path, {"bad.jsonl": jsonl(
        {"id": "a", "text": page(0)},
        b'{"id": "b", "text": "cut sho',
        b"[1, 2, 3]",
        b'"a string"',
        b'{"id": "c", "text": "two objects"} {"id": "d"}',
        b"{'id': 'e', 'text': 'single quotes'}",
        b'{"id": "f", "text": 42}',
        {"id": "g", "text": page(1)},
    )})
    report = clean(corpus, tmp_path)
    assert reasons(report) == {
        ("bad.jsonl", 2): "invalid_json", ("bad.jsonl", 3): "invalid_record", ("bad.jsonl", 4): "invalid_record",
        ("bad.jsonl", 5): "invalid_json", ("bad.jsonl", 6): "invalid_json", ("bad.jsonl", 7): "invalid_record",
    }
    accounted(report, places(corpus, "bad.jsonl", range(1, 9)), corpus, tmp_path / "out", before)


# --- 10. missing and renamed fields -------------------------------------------------------------


def test_records_missing_or_renaming_the_text_field_are_skipped_and_the_rest_kept(tmp_path):
    corpus, before = folder(tmp_path, {
        "old.jsonl": jsonl({"id": "a", "text": page(0)}, {"id": "b", "content": page(1)}, {"text": page(2)}, {"id": "d"}),
        "new.jsonl": jsonl({"key": "e", "body": page(3)}, {"key": "f", "body": page(4)}),
    })
    report = clean(corpus, tmp_path)
    assert reasons(report) == {
        ("old.jsonl", 2): "invalid_record", ("old.jsonl", 4): "invalid_record",
        ("new.jsonl", 1): "invalid_record", ("new.jsonl", 2): "invalid_record",
    }
    assert [d["id"] for d in report["documents"]] == ["a", "old.jsonl:3"]  # no id: the file's name and the line
    accounted(report, places(corpus, "old.jsonl", [1, 2, 3, 4]) + places(corpus, "new.jsonl", [1, 2]), corpus, tmp_path / "out", before)


def test_renamed_fields_named_by_options_and_a_field_no_record_has(tmp_path):
    corpus, before = folder(tmp_path, {
        "new.jsonl": jsonl({"key": "e", "body": page(3)}, {"key": "f", "body": page(4)}, {"key": "g", "text": page(5)}),
    })
    with pytest.warns(UserWarning, match="no record has the field 'link'"):
        report = clean(corpus, tmp_path, id_field="key", text_field="body", url_field="link")
    assert reasons(report) == {("new.jsonl", 3): "invalid_record"}
    assert [d["id"] for d in report["documents"]] == ["e", "f"]
    assert report["absent_fields"] == {"url_field": "link"}
    accounted(report, places(corpus, "new.jsonl", [1, 2, 3]), corpus, tmp_path / "out", before, field="body")


# --- 11. duplicate ids ---------------------------------------------------------------------------


def test_duplicate_ids_within_and_across_files_are_each_kept(tmp_path):
    corpus, before = folder(tmp_path, {
        "a.jsonl": jsonl({"id": "same", "text": page(0)}, {"id": "same", "text": page(1)}),
        "b.jsonl": jsonl({"id": "same", "text": page(2)}, {"id": "other", "text": page(0)}),  # an id and a text seen before
    })
    with pytest.warns(UserWarning, match="3 documents share 1 id"):
        report = clean(corpus, tmp_path)
    assert report["summary"]["duplicate_ids"] == 3
    accounted(report, places(corpus, "a.jsonl", [1, 2]) + places(corpus, "b.jsonl", [1, 2]), corpus, tmp_path / "out", before)


# --- 12. unreadable files ------------------------------------------------------------------------
# The suite runs as root, and chmod 000 does not stop root (CAP_DAC_OVERRIDE).
# What does stop it: a symbolic link that leads nowhere or to itself (ENOENT,
# ELOOP on stat), a file whose read fails (/proc/self/mem at offset 0 gives
# EIO, to root too), and a named pipe, which is no file to read: opening one
# waits for a writer, and a FIFO in a corpus folder hung the run for ever.


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="needs /proc/self/mem for a read that fails with EIO")
def test_unreadable_files_are_skipped_and_a_named_pipe_does_not_hang_the_run(tmp_path):
    corpus, _ = folder(tmp_path, {"good.txt": page(0), "good.jsonl": jsonl({"id": "a", "text": page(1)})})
    os.mkfifo(corpus / "pipe.jsonl")
    (corpus / "dangling.txt").symlink_to("nowhere.txt")
    (corpus / "loop.txt").symlink_to("loop.txt")
    (corpus / "eio.txt").symlink_to("/proc/self/mem")
    (corpus / "eio.jsonl").symlink_to("/proc/self/mem")
    before = snapshot(corpus)
    # Should the run open the pipe again, a writer comes after 60 s: the test then fails instead of hanging.
    unblock = threading.Timer(60, lambda: os.close(os.open(corpus / "pipe.jsonl", os.O_WRONLY | os.O_NONBLOCK)))
    unblock.start()
    try:
        report = clean(corpus, tmp_path)
    finally:
        unblock.cancel()

    assert reasons(report) == {(n, None): "unreadable" for n in ["dangling.txt", "eio.jsonl", "eio.txt", "loop.txt", "pipe.jsonl"]}
    messages = {Path(s["source"]).name: s["message"] for s in report["skipped"]}
    assert "not a regular file (a named pipe)" in messages["pipe.jsonl"]
    assert "Input/output error" in messages["eio.txt"] and "symbolic link loop" in messages["loop.txt"]
    names = ["dangling.txt", "eio.jsonl", "eio.txt", "good.txt", "loop.txt", "pipe.jsonl"]
    accounted(report, [p for n in names for p in places(corpus, n)] + places(corpus, "good.jsonl", [1]), corpus, tmp_path / "out", before)


# --- 13. a full disk on the output side -----------------------------------------------------------


def test_a_full_output_disk_leaves_whole_files_only_and_the_same_command_then_finishes(tmp_path, mount_tmpfs):
    # The first file fits, the second (250 KB) does not: the run stops naming it,
    # having written no part of it; with room made, the same command finishes
    # from the stages it kept in its work folder.
    corpus, before = folder(tmp_path, {
        "a-small.jsonl": jsonl(*({"id": f"s{i}", "text": page(i)} for i in range(3))),
        "b-big.txt": page(9, " ".join(f"w{k}" for k in range(40_000))),
    })
    disk = mount_tmpfs(tmp_path / "disk", "size=64k")
    out, work, report = disk / "out", tmp_path / "work", tmp_path / "report.json"
    command = ["clean", str(corpus), "-o", str(out), "--report", str(report), "--work-dir", str(work), "-j", "1", "-q"]

    full = CliRunner().invoke(main, command)

    assert full.exit_code == 3, full.output
    assert f"{out / 'b-big.txt'}" in full.stderr and "No space left on device" in full.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a-small.jsonl"]  # whole; no temporary file beside it
    assert len((out / "a-small.jsonl").read_text(encoding="utf-8").splitlines()) == 3
    assert not report.exists() and snapshot(corpus) == before

    subprocess.run(["mount", "-o", "remount,size=1m", str(disk)], check=True)
    again = CliRunner().invoke(main, command)

    assert again.exit_code == 0, again.output
    accounted(json.loads(report.read_text(encoding="utf-8")), places(corpus, "a-small.jsonl", [1, 2, 3]) + places(corpus, "b-big.txt"),
              corpus, out, before)


# --- 14. all of it at once: a fuzzed corpus -----------------------------------------------------------

POOL = [HEADER, FOOTER, "Share this article", ARABIC_MENU, HEBREW, CJK_FOOTER, "\u6771\u4eac\u306e\u5929\u6c17", "caf\u00e9 \x00 nul"]
text_line = st.one_of(st.sampled_from(POOL), st.text(st.characters(blacklist_categories=["Cs"]), min_size=1, max_size=30))
ending = st.sampled_from(["\n", "\r\n", "\r", "\n\n"])
page_text = st.lists(st.tuples(text_line, ending), max_size=8).map(lambda parts: "".join(a + b for a, b in parts))
bad_bytes = st.binary(min_size=1, max_size=40).filter(lambda b: b"\r" not in b and b"\n" not in b and b.strip())
record = st.one_of(
    st.builds(lambda i, t: {"id": i, "text": t}, st.sampled_from(["a", "b", "c"]), page_text),  # ids repeat
    st.builds(lambda t: {"text": t}, page_text),  # no id
    st.builds(lambda t: {"id": "r", "body": t}, page_text),  # the text field renamed
    st.builds(lambda t: {"id": "n", "text": t}, st.sampled_from([None, 7, ["x"]])),  # not a string
    st.sampled_from([b"{not json", b"[1]", b'{"id": "cut", "text": "cu', b"\xff\xfe\x00"]),
    bad_bytes,
)
line_end = st.sampled_from([b"\n", b"\r\n", b"\r"])
jsonl_file = st.lists(st.tuples(record, line_end, st.booleans()), max_size=6)
txt_file = st.one_of(page_text, st.binary(max_size=60))
corpus_files = st.dictionaries(st.sampled_from([f"f{i}" for i in range(6)]), st.one_of(jsonl_file, txt_file), min_size=1, max_size=5)


def _write_fuzzed(corpus: Path, files: dict) -> list[Key]:
    """Write the drawn files; the places of the documents they hold."""
    expected = []
    for stem, content in files.items():
        if isinstance(content, list):  # JSONL: a record per line, some followed by a blank line
            path, raw, line = corpus / f"{stem}.jsonl", b"", 0
            for rec, end, blank in content:
                line += 1
                raw += (rec if isinstance(rec, bytes) else json.dumps(rec, ensure_ascii=False).encode("utf-8", "surrogatepass")) + end
                expected.append((str(path), line))
                if blank:
                    raw, line = raw + end, line + 1
            path.write_bytes(raw)
        else:
            path = corpus / f"{stem}.txt"
            path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
            expected.append((str(path), None))
    return expected


@pytest.mark.filterwarnings("ignore:.*documents share")  # drawn ids repeat on purpose
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(corpus_files)
def test_a_fuzzed_corpus_is_accounted_for(tmp_path_factory, files):
    tmp = tmp_path_factory.mktemp("fuzz")
    corpus = tmp / "corpus"
    corpus.mkdir()
    expected = _write_fuzzed(corpus, files)
    before = snapshot(corpus)
    report = clean(corpus, tmp, checkpoint=False)
    accounted(report, expected, corpus, tmp / "out", before)
