"""Tests for dedupe.io.files: telling formats and compression apart, output
names, standard input, and opening compressed files."""

import bz2
import gzip
import io
import os

import pytest
import zstandard

from dedupe.io.files import atomic_write, discover, load_stdin, open_input, sweep_temporaries

NAMES = {
    "a.txt": ("txt", None, "a.txt"),
    "a.TXT": ("txt", None, "a.TXT"),
    "page.html": ("html", None, "page.txt"),
    "page.HTM": ("html", None, "page.txt"),
    "page.html.gz": ("html", "gz", "page.txt.gz"),
    "c.jsonl": ("jsonl", None, "c.jsonl"),
    "c.ndjson": ("jsonl", None, "c.ndjson"),
    "c.jsonl.gz": ("jsonl", "gz", "c.jsonl.gz"),
    "c.jsonl.zst": ("jsonl", "zst", "c.jsonl.zst"),
    "c.jsonl.bz2": ("jsonl", "bz2", "c.jsonl.bz2"),
    "t.csv": ("csv", None, "t.csv"),
    "t.csv.gz": ("csv", "gz", "t.csv.gz"),
    "t.tsv": ("tsv", None, "t.tsv"),
    "p.parquet": ("parquet", None, "p.parquet"),
    "p.parquet.gz": (None, "gz", "p.parquet.gz"),  # Parquet compresses inside
    "crawl.warc": ("warc", None, "crawl.warc.jsonl"),
    "crawl.warc.gz": ("warc", "gz", "crawl.warc.jsonl.gz"),
    "crawl.warc.wet.gz": ("wet", "gz", "crawl.warc.wet.jsonl.gz"),
    "crawl.wet": ("wet", None, "crawl.wet.jsonl"),
    "notes.md": (None, None, "notes.md"),
    "archive.gz": (None, "gz", "archive.gz"),
}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_format_compression_and_output_name_from_the_file_name(tmp_path, name):
    (tmp_path / name).write_bytes(b"")

    [f] = discover([tmp_path / name])

    assert (f.format, f.compression, f.output_name) == NAMES[name]


def test_format_option_applies_to_every_file(tmp_path):
    for name in ["a.txt", "b.dat", "c.json.gz", "d.html"]:
        (tmp_path / name).write_bytes(b"")

    files = discover([tmp_path], format="jsonl")

    assert [(f.name, f.format, f.compression, f.output_name) for f in files] == [
        ("a.txt", "jsonl", None, "a.txt"),
        ("b.dat", "jsonl", None, "b.dat"),
        ("c.json.gz", "jsonl", "gz", "c.json.gz"),
        ("d.html", "jsonl", None, "d.html"),
    ]
    assert [f.output_name for f in discover([tmp_path / "b.dat"], format="html")] == ["b.dat.txt"]
    assert [f.output_name for f in discover([tmp_path / "b.dat"], format="warc")] == ["b.dat.jsonl"]


def test_stdin_is_a_placeholder_until_loaded(tmp_path):
    [f] = discover(["-"])
    assert (f.path, f.source, f.name, f.format, f.data) == (None, "<stdin>", "stdin.jsonl", "jsonl", None)
    [csv] = discover(["-"], format="csv")
    assert (csv.name, csv.format) == ("stdin.csv", "csv")


@pytest.mark.parametrize(
    "compress, compression",
    [(lambda b: b, None), (lambda b: gzip.compress(b, mtime=0), "gz"), (bz2.compress, "bz2"), (zstandard.compress, "zst")],
)
def test_stdin_compression_is_told_from_its_first_bytes(compress, compression):
    [f] = discover(["-"])
    payload = b'{"text": "hello"}\n'

    loaded = load_stdin(f, io.BytesIO(compress(payload)))

    assert loaded.compression == compression
    with open_input(loaded) as fh:
        assert fh.read() == payload


@pytest.mark.parametrize(
    "suffix, compress",
    [(".gz", lambda b: gzip.compress(b, mtime=0)), (".bz2", bz2.compress), (".zst", zstandard.compress)],
)
def test_compressed_files_open_decompressed_line_by_line(tmp_path, suffix, compress):
    lines = [f"line {i}\n".encode() for i in range(1000)]
    path = tmp_path / f"c.jsonl{suffix}"
    path.write_bytes(compress(b"".join(lines)))

    [f] = discover([path])
    with open_input(f) as fh:
        assert list(fh) == lines


def test_zstd_file_of_several_frames_is_read_whole(tmp_path):
    path = tmp_path / "c.jsonl.zst"
    path.write_bytes(zstandard.compress(b"first\n") + zstandard.compress(b"second\n"))

    [f] = discover([path])
    with open_input(f) as fh:
        assert fh.read() == b"first\nsecond\n"


def test_hidden_files_are_not_discovered(tmp_path):
    (tmp_path / ".x.jsonl").write_bytes(b"")
    (tmp_path / "y.jsonl").write_bytes(b"")

    assert [f.source for f in discover([tmp_path])] == [os.path.join(str(tmp_path), "y.jsonl")]


def test_sweep_temporaries_takes_only_what_atomic_write_left_for_these_targets(tmp_path):
    others = [tmp_path / n for n in (".a.jsonl.gz.k1ll3d00.tmp", ".b.jsonl.k1ll3d00.tmp", "a.jsonl.k1ll3d00.tmp", ".a.jsonl.tmp")]
    for p in others:
        p.write_bytes(b"")
    with atomic_write(tmp_path / "a.jsonl") as out:
        out.write(b'{"id": "half')
        (left,) = set(tmp_path.glob(".a.jsonl.*.tmp")) - set(others)
        half = left.read_bytes()
    left.write_bytes(half)  # what SIGKILL leaves: no cleanup runs, nothing renamed into place
    (tmp_path / "a.jsonl").unlink()

    assert sweep_temporaries([tmp_path / "a.jsonl", tmp_path / "missing" / "c.jsonl"]) == [left]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in others)
