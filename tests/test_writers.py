"""Tests for dedupe.io.writers: atomic files, deterministic gzip, refusing an
output that would touch the input, and writing the corpus in its own shape."""

import bz2
import gzip
import json
import os
from pathlib import Path

import pytest
import zstandard

from dedupe.config import ReadConfig
from dedupe.io.readers import discover, read_corpus
from dedupe.io.writers import atomic_write, check_output, write_corpus


def write_lines(path: Path, lines) -> Path:
    """Write a JSONL file: dicts are dumped, bytes are written as they are."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join((json.dumps(x).encode("utf-8") if isinstance(x, dict) else x) + b"\n" for x in lines))
    return path


def cleaned_from(corpus, transform=lambda text: text.upper()):
    """The ``(source, line) -> cleaned text`` mapping write_corpus takes."""
    return {(d.source, d.line): transform(d.text) for d in corpus.documents}


def records(raw: bytes):
    return [json.loads(line) for line in raw.decode("utf-8").splitlines()]


# --- atomic_write --------------------------------------------------------------


def test_atomic_write_leaves_only_the_target(tmp_path):
    target = tmp_path / "new" / "sub" / "a.txt"

    with atomic_write(target) as f:
        f.write(b"hello\r\n")

    assert target.read_bytes() == b"hello\r\n"
    assert os.listdir(target.parent) == ["a.txt"]


def test_atomic_write_target_does_not_appear_before_the_end(tmp_path):
    target = tmp_path / "a.txt"

    with atomic_write(target) as f:
        f.write(b"partial")
        f.flush()
        assert not target.exists()

    assert target.read_bytes() == b"partial"


@pytest.mark.parametrize("compression", [None, "gz", "zst", "bz2"])
def test_atomic_write_failure_creates_nothing(tmp_path, compression):
    target = tmp_path / "a.jsonl.gz"

    with pytest.raises(RuntimeError, match="boom"):
        with atomic_write(target, compression) as f:
            f.write(b"half a file")
            raise RuntimeError("boom")

    assert not target.exists()
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("compression", [None, "gz", "zst", "bz2"])
def test_atomic_write_failure_keeps_previous_content(tmp_path, compression):
    target = tmp_path / "a.txt"
    target.write_bytes(b"previous content")

    with pytest.raises(KeyboardInterrupt):
        with atomic_write(target, compression) as f:
            f.write(b"new content, never finished")
            raise KeyboardInterrupt

    assert target.read_bytes() == b"previous content"
    assert os.listdir(tmp_path) == ["a.txt"]


def test_atomic_write_replaces_previous_content(tmp_path):
    target = tmp_path / "a.txt"
    target.write_bytes(b"a much longer previous content")

    with atomic_write(target) as f:
        f.write(b"short")

    assert target.read_bytes() == b"short"
    assert os.listdir(tmp_path) == ["a.txt"]


def test_atomic_write_gives_the_mode_a_new_file_would_have(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "a.txt") as f:
            f.write(b"x")
    finally:
        os.umask(old)

    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o644


def test_gzip_output_is_deterministic(tmp_path, monkeypatch):
    content = "".join(json.dumps({"id": i, "text": f"caf\u00e9 {i}"}) + "\n" for i in range(50)).encode("utf-8")
    outputs = []
    # Different clocks and different file names must not change the bytes.
    for clock, name in [(1_000_000_000.0, "a.jsonl.gz"), (1_700_000_000.0, "a.jsonl.gz"), (1_234_567_890.0, "other.jsonl.gz")]:
        monkeypatch.setattr(gzip.time, "time", lambda clock=clock: clock)
        target = tmp_path / name
        with atomic_write(target, "gz") as f:
            f.write(content)
        outputs.append(target.read_bytes())

    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0][:3] == b"\x1f\x8b\x08"
    assert outputs[0][3] == 0  # no FNAME (or any other) flag: the file name is not stored
    assert outputs[0][4:8] == b"\x00\x00\x00\x00"  # mtime 0
    assert gzip.decompress(outputs[0]) == content


@pytest.mark.parametrize("compression, decompress", [("zst", lambda b: zstandard.ZstdDecompressor().stream_reader(b).read()), ("bz2", bz2.decompress)])
def test_zstd_and_bzip2_output_is_deterministic(tmp_path, compression, decompress):
    content = "".join(json.dumps({"id": i, "text": f"caf\u00e9 {i}"}) + "\n" for i in range(50)).encode("utf-8")
    outputs = []
    for name in ["a.jsonl", "b.jsonl"]:
        with atomic_write(tmp_path / name, compression) as f:
            f.write(content)
        outputs.append((tmp_path / name).read_bytes())

    assert outputs[0] == outputs[1]
    assert decompress(outputs[0]) == content


# --- check_output --------------------------------------------------------------


@pytest.fixture
def corpus_dir(tmp_path):
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("a", encoding="utf-8")
    (root / "sub" / "b.txt").write_text("b", encoding="utf-8")
    return root


def test_check_output_accepts_a_sibling_folder(tmp_path, corpus_dir):
    check_output(discover([corpus_dir]), [corpus_dir], tmp_path / "out")
    check_output(discover([corpus_dir]), [corpus_dir], tmp_path)  # the input's parent


@pytest.mark.parametrize("rel", ["corpus", "corpus/out", "corpus/sub", "corpus/sub/deeper/out", "corpus/sub/.."])
def test_check_output_refuses_the_input_folder_or_inside_it(tmp_path, corpus_dir, rel):
    output = tmp_path / rel

    with pytest.raises(ValueError) as info:
        check_output(discover([corpus_dir]), [corpus_dir], output)

    assert str(info.value) == f"{output}: the output folder must not be the input folder {corpus_dir} or inside it"


def test_check_output_refuses_the_input_folder_given_relatively(tmp_path, corpus_dir, monkeypatch):
    monkeypatch.chdir(tmp_path)

    with pytest.raises(ValueError, match="must not be the input folder corpus or inside it"):
        check_output(discover(["corpus"]), ["corpus"], Path("./corpus/../corpus/out"))


def test_check_output_refuses_an_existing_file(tmp_path, corpus_dir):
    output = tmp_path / "out.txt"
    output.write_text("not a folder", encoding="utf-8")

    with pytest.raises(ValueError) as info:
        check_output(discover([corpus_dir]), [corpus_dir], output)

    assert str(info.value) == f"{output}: -o must be a folder, and this is a file"
    assert output.read_text(encoding="utf-8") == "not a folder"


def test_check_output_refuses_two_inputs_with_one_name(tmp_path):
    one = write_lines(tmp_path / "day1" / "part.jsonl", [{"text": "x"}])
    two = write_lines(tmp_path / "day2" / "part.jsonl", [{"text": "y"}])
    inputs = [one, two]

    with pytest.raises(ValueError) as info:
        check_output(discover(inputs), inputs, tmp_path / "out")

    assert str(info.value) == (
        f"{two} and {one} would both be written to {tmp_path / 'out' / 'part.jsonl'}; "
        "give them in separate runs or put them in one folder"
    )


def test_check_output_refuses_a_folder_holding_an_input_file(tmp_path):
    path = write_lines(tmp_path / "part.jsonl", [{"text": "x"}])

    with pytest.raises(ValueError, match="writing the output would overwrite this input file"):
        check_output(discover([path]), [path], tmp_path)


def test_check_output_refuses_a_target_that_is_another_input_file(tmp_path):
    site = tmp_path / "site"
    (site / "site").mkdir(parents=True)
    (site / "index.txt").write_text("outer page", encoding="utf-8")
    (site / "site" / "index.txt").write_text("inner page", encoding="utf-8")

    with pytest.raises(ValueError):
        check_output(discover([site]), [site], tmp_path)


# --- write_corpus --------------------------------------------------------------


def test_write_corpus_mirrors_folder_paths(tmp_path):
    src = tmp_path / "corpus"
    for rel in ["a.txt", "sub/b.txt", "sub/deep/c.txt"]:
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(f"Menu\r\nbody of {rel}\r\n".encode("utf-8"))
    corpus = read_corpus([src])
    out = tmp_path / "out"

    written = write_corpus(corpus.files, cleaned_from(corpus, lambda t: t.split("\r\n", 1)[1]), out)

    assert written == [out / "a.txt", out / "sub/b.txt", out / "sub/deep/c.txt"]
    assert (out / "sub/deep/c.txt").read_bytes() == b"body of sub/deep/c.txt\r\n"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "a.txt",
        "sub/b.txt",
        "sub/deep/c.txt",
    ]


def test_write_corpus_writes_an_emptied_document_as_an_empty_file(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text("all boilerplate", encoding="utf-8")
    corpus = read_corpus([tmp_path / "in"])

    write_corpus(corpus.files, cleaned_from(corpus, lambda t: ""), tmp_path / "out")

    assert (tmp_path / "out" / "a.txt").read_bytes() == b""


def test_write_corpus_gives_skipped_files_no_output(tmp_path):
    src = tmp_path / "corpus"
    src.mkdir()
    (src / "good.txt").write_text("good", encoding="utf-8")
    (src / "bad.txt").write_bytes(b"\xff\xfe")
    (src / "notes.md").write_text("unsupported", encoding="utf-8")
    write_lines(src / "allbad.jsonl", [b"{", {"text": ""}])
    corpus = read_corpus([src])
    out = tmp_path / "out"

    written = write_corpus(corpus.files, cleaned_from(corpus), out)

    assert written == [out / "good.txt"]
    assert os.listdir(out) == ["good.txt"]
    assert (out / "good.txt").read_text(encoding="utf-8") == "GOOD"


def test_write_corpus_keeps_every_other_field_of_a_record(tmp_path):
    originals = [
        {"url": "https://z\u00fcrich.example/a", "id": "a", "text": "Menu\nbody a", "meta": {"lang": "de", "tags": ["x", "y"]}},
        {"text": "Menu\nbody b", "score": 0.25, "views": 12345678901234, "ok": True, "missing": None, "note": "na\u00efve \u2713"},
    ]
    path = write_lines(tmp_path / "p.jsonl", originals)
    corpus = read_corpus([path])
    out = tmp_path / "out"

    write_corpus(corpus.files, cleaned_from(corpus, lambda t: t.split("\n", 1)[1]), out)

    got = records((out / "p.jsonl").read_bytes())
    assert got == [{**originals[0], "text": "body a"}, {**originals[1], "text": "body b"}]
    assert [list(r) for r in got] == [list(r) for r in originals]  # field order as it came
    assert path.read_bytes() == b"".join(json.dumps(r).encode("utf-8") + b"\n" for r in originals)


def test_write_corpus_replaces_only_the_configured_text_field(tmp_path):
    path = write_lines(tmp_path / "p.jsonl", [{"body": "Menu\nreal body", "text": "another field"}])
    config = ReadConfig(text_field="body")
    corpus = read_corpus([path], config)

    write_corpus(corpus.files, cleaned_from(corpus, lambda t: "real body"), tmp_path / "out", config)

    assert records((tmp_path / "out" / "p.jsonl").read_bytes()) == [{"body": "real body", "text": "another field"}]


def test_write_corpus_skips_lines_skipped_on_read(tmp_path):
    path = write_lines(
        tmp_path / "p.jsonl",
        [{"id": "a", "text": "one"}, b"", b"{broken", {"id": "b", "text": ""}, b"\xff", {"id": "c", "text": "three"}],
    )
    corpus = read_corpus([path])
    assert [(e.reason, e.line) for e in corpus.skipped] == [("invalid_json", 3), ("empty", 4), ("invalid_utf8", 5)]

    write_corpus(corpus.files, cleaned_from(corpus), tmp_path / "out")

    assert (tmp_path / "out" / "p.jsonl").read_bytes() == b'{"id": "a", "text": "ONE"}\n{"id": "c", "text": "THREE"}\n'


def test_write_corpus_writes_jsonl_gz_as_gzip(tmp_path):
    src = tmp_path / "corpus" / "shard"
    src.mkdir(parents=True)
    with gzip.open(src / "p.jsonl.gz", "wb") as gz:
        gz.write(b'{"id": "a", "text": "one"}\n{"id": "b", "text": "two"}\n')
    corpus = read_corpus([tmp_path / "corpus"])
    out = tmp_path / "out"

    written = write_corpus(corpus.files, cleaned_from(corpus), out)

    assert written == [out / "shard" / "p.jsonl.gz"]
    raw = written[0].read_bytes()
    assert raw[:2] == b"\x1f\x8b"
    assert gzip.decompress(raw) == b'{"id": "a", "text": "ONE"}\n{"id": "b", "text": "TWO"}\n'


def test_write_corpus_leaves_no_temporary_files(tmp_path):
    src = tmp_path / "corpus"
    src.mkdir()
    (src / "a.txt").write_text("a", encoding="utf-8")
    write_lines(src / "b.jsonl", [{"text": "b"}])
    with gzip.open(src / "c.jsonl.gz", "wb") as gz:
        gz.write(b'{"text": "c"}\n')
    corpus = read_corpus([src])

    write_corpus(corpus.files, cleaned_from(corpus), tmp_path / "out")

    assert sorted(os.listdir(tmp_path / "out")) == ["a.txt", "b.jsonl", "c.jsonl.gz"]


def test_write_corpus_writes_the_part_of_a_truncated_gz_that_was_read(tmp_path):
    recs = [{"id": f"d{i}", "text": f"document {i}: " + " ".join(f"w{i}x{j}" for j in range(30))} for i in range(60)]
    data = gzip.compress(b"".join(json.dumps(r).encode("utf-8") + b"\n" for r in recs), mtime=0)
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    corpus = read_corpus([path])
    n = len(corpus.documents)
    assert 0 < n < 60 and [e.reason for e in corpus.skipped] == ["unreadable"]

    written = write_corpus(corpus.files, cleaned_from(corpus), tmp_path / "out")

    assert written == [tmp_path / "out" / "cut.jsonl.gz"]
    assert records(gzip.decompress(written[0].read_bytes())) == [{**r, "text": r["text"].upper()} for r in recs[:n]]


def test_write_corpus_round_trips_a_lone_surrogate_escape(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_bytes(b'{"id": "a", "text": "half an emoji \\ud83d here"}\n')
    corpus = read_corpus([path])
    assert corpus.documents[0].text == "half an emoji \ud83d here"

    write_corpus(corpus.files, cleaned_from(corpus, lambda t: t), tmp_path / "out")

    assert records((tmp_path / "out" / "p.jsonl").read_bytes()) == [{"id": "a", "text": "half an emoji \ud83d here"}]
