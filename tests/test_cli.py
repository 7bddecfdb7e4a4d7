"""Tests for dedupe.cli: exit codes, messages, the files written, and inputs left alone."""

import csv
import gzip
import hashlib
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from dedupe import __version__, progress
from dedupe.cli import main

HEADER = "Site Menu Home About Contact"
FOOTER = "Copyright 2024 Example Site"
BODIES = [
    [
        "The river flooded the lower town after three days of rain. Residents moved to higher ground overnight.",
        "Engineers say the old levee was never designed for a storm of this size.",
    ],
    [
        "A new bakery opened on Elm Street this week. Its owner trained in Lyon for six years.",
        "The sourdough sold out before noon on the first morning.",
        "A second shop is planned for the harbour district next spring.",
    ],
    [
        "The council voted to extend library hours on weekends. The change starts next month.",
        "Volunteers will staff the reading room on Sunday afternoons.",
    ],
    [
        "Local runners finished the marathon in record numbers despite the heat.",
        "Organisers handed out twice as much water as last year at every station.",
        "Next year the race will start an hour earlier to avoid the midday sun.",
    ],
]
REPORT_KEYS = {"boilerplate", "syndication", "documents", "skipped", "summary", "config"}
BAD_LINE = b'{"id": "broken" "text": "no comma after the id"}'


@pytest.fixture(autouse=True)
def no_progress_lines(monkeypatch):
    """Stderr holds messages and the summary alone, however long a loaded
    machine takes over a small run (progress lines: tests/test_progress.py)."""
    monkeypatch.setattr(progress, "QUIET_FOR", float("inf"))


def page(i: int) -> str:
    return "\n".join([HEADER, *BODIES[i], FOOTER]) + "\n"


def body(i: int) -> str:
    return "\n".join(BODIES[i]) + "\n"


def make_site(root: Path) -> Path:
    """Four pages of one site in a folder (one in a subfolder)."""
    for i, rel in enumerate(["page0.txt", "page1.txt", "news/page2.txt", "page3.txt"]):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(page(i), encoding="utf-8")
    return root


def make_jsonl(path: Path, bad_at: int = 0) -> Path:
    """The four pages as JSONL records; with ``bad_at``, a malformed line at that line number."""
    lines = [json.dumps({"id": f"p{i}", "url": f"https://example.com/{i}", "text": page(i)}).encode() for i in range(4)]
    if bad_at:
        lines.insert(bad_at - 1, BAD_LINE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def hashes(root: Path) -> dict:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def listing(root: Path) -> list:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], prog_name="dedupe")


# --- help and version ------------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["clean"], ["report"]])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_documents_the_exit_codes(command, flag):
    result = run(*command, flag)

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"Usage: dedupe {' '.join(command)}".rstrip() + " [OPTIONS]")
    assert "Exit codes:" in result.stdout
    for line in [
        "0  every input was processed",
        "1  the run finished, but some inputs were skipped (listed in the report)",
        "2  usage error (bad option, missing input, output inside the input)",
        "3  stopped: a bad input under --strict, or an output could not be written",
    ]:
        assert line in result.stdout


@pytest.mark.parametrize("command", ["clean", "report"])
def test_command_help_lists_config_options(command):
    result = run(command, "--help")

    assert result.exit_code == 0
    for option in ["--block-threshold FLOAT", "--min-documents INTEGER", "--text-field TEXT", "--strict / --no-strict"]:
        assert option in result.stdout
    assert "[default: 0.7]" in result.stdout


def test_group_help_lists_the_commands():
    result = run("--help")

    assert result.exit_code == 0
    assert "clean    Strip boilerplate from CORPUS" in result.stdout
    assert "report   Report boilerplate and syndication in CORPUS" in result.stdout
    assert "explain  Explain --block-threshold, --lsh-threshold and --num-perm" in result.stdout
    # The formats, and what WARC input becomes.
    for line in [".parquet", ".warc  .warc.wet .wet", "+ .gz .zst .bz2", "WARC/WET files as JSONL"]:
        assert line in " ".join(result.stdout.split()) or line in result.stdout


def test_version():
    result = run("--version")

    assert result.exit_code == 0
    assert result.stdout == f"dedupe, version {__version__}\n"


# --- clean -------------------------------------------------------------------------


def test_clean_writes_the_cleaned_corpus_and_the_report(tmp_path):
    site = make_site(tmp_path / "site")
    before = hashes(site)
    out, report = tmp_path / "out", tmp_path / "report.json"

    result = run("clean", site, "-o", out, "--report", report)

    assert result.exit_code == 0, result.output
    assert listing(out) == ["news", "news/page2.txt", "page0.txt", "page1.txt", "page3.txt"]
    for i, rel in enumerate(["page0.txt", "page1.txt", "news/page2.txt", "page3.txt"]):
        assert (out / rel).read_text(encoding="utf-8") == body(i)
    assert hashes(site) == before

    data = json.loads(report.read_text(encoding="utf-8"))
    assert REPORT_KEYS <= set(data)
    assert [t["text"] for t in data["boilerplate"]] == [HEADER, FOOTER]
    # A template's documents by id; the documents' entries (below) in input
    # order: a folder's files, then its subfolders.
    assert data["boilerplate"][0]["documents"] == ["news/page2.txt", "page0.txt", "page1.txt", "page3.txt"]
    assert data["syndication"] == []
    assert data["skipped"] == []
    assert [(d["id"], d["status"], d["blocks_in"], d["blocks_out"]) for d in data["documents"]] == [
        ("page0.txt", "cleaned", 4, 2),
        ("page1.txt", "cleaned", 5, 3),
        ("page3.txt", "cleaned", 5, 3),
        ("news/page2.txt", "cleaned", 4, 2),
    ]
    assert data["summary"]["documents_read"] == 4
    assert data["summary"]["blocks_removed"]["boilerplate"] == sum(data["summary"]["blocks_removed"].values()) == 8
    assert sum(data["summary"]["documents_skipped"].values()) == 0
    assert data["config"]["block_threshold"] == 0.7
    assert data["inputs"] == [str(site)]

    assert result.stderr.startswith("dedupe: 4 documents read, 0 skipped; 4 cleaned, 0 emptied, 0 unchanged\n")
    assert re.search(r"blocks +18 +10 +8 +boilerplate 8\b", result.stderr)
    assert re.search(rf"0 +4 +{HEADER}", result.stderr)
    assert re.search(rf"1 +4 +{FOOTER}", result.stderr)
    assert result.stdout == ""


def test_clean_options_reach_the_config(tmp_path):
    site = make_site(tmp_path / "site")
    report = tmp_path / "report.json"

    result = run("clean", site, "-o", tmp_path / "out", "--report", report, "--min-documents", "5", "--block-threshold", "0.9", "-q")

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    data = json.loads(report.read_text(encoding="utf-8"))
    assert (data["config"]["min_documents"], data["config"]["block_threshold"]) == (5, 0.9)
    # Four pages cannot make a template that needs five documents.
    assert data["boilerplate"] == []
    assert (tmp_path / "out" / "page0.txt").read_text(encoding="utf-8") == page(0)


def test_clean_with_a_bad_line_exits_1_and_keeps_the_good_documents(tmp_path):
    src = make_jsonl(tmp_path / "in" / "pages.jsonl", bad_at=3)
    before = hashes(tmp_path / "in")
    out, report = tmp_path / "out", tmp_path / "report.json"

    result = run("clean", src, "-o", out, "--report", report)

    assert result.exit_code == 1, result.output
    assert "4 documents read, 1 skipped" in result.stderr
    assert f"skipped: {src}:3: invalid JSON (" in result.stderr

    data = json.loads(report.read_text(encoding="utf-8"))
    assert [(s["source"], s["line"], s["reason"]) for s in data["skipped"]] == [(str(src), 3, "invalid_json")]
    assert data["skipped"][0]["message"].startswith(f"{src}:3: invalid JSON")
    assert data["summary"]["documents_skipped"]["invalid_json"] == 1
    assert [(d["id"], d["line"]) for d in data["documents"]] == [("p0", 1), ("p1", 2), ("p2", 4), ("p3", 5)]

    written = [json.loads(line) for line in (out / "pages.jsonl").read_text(encoding="utf-8").splitlines()]
    assert written == [{"id": f"p{i}", "url": f"https://example.com/{i}", "text": body(i)} for i in range(4)]
    assert hashes(tmp_path / "in") == before


def test_clean_strict_stops_at_the_bad_line_with_exit_3(tmp_path):
    src = make_jsonl(tmp_path / "in" / "pages.jsonl", bad_at=3)
    out, report = tmp_path / "out", tmp_path / "report.json"

    result = run("clean", src, "-o", out, "--report", report, "--strict")

    assert result.exit_code == 3, result.output
    assert result.stderr.startswith(f"error: {src}:3: invalid JSON (")
    assert result.stderr.rstrip().endswith("; stopped (--strict)")
    assert not out.exists()
    assert not report.exists()


def test_clean_strict_on_a_good_corpus_exits_0(tmp_path):
    src = make_jsonl(tmp_path / "in" / "pages.jsonl")

    result = run("clean", src, "-o", tmp_path / "out", "--strict", "-q")

    assert result.exit_code == 0, result.output
    assert len((tmp_path / "out" / "pages.jsonl").read_text(encoding="utf-8").splitlines()) == 4


def test_clean_of_a_mixed_corpus_leaves_every_input_unchanged(tmp_path):
    corpus = tmp_path / "corpus"
    make_site(corpus / "site")
    make_jsonl(corpus / "feed" / "pages.jsonl", bad_at=2)
    with gzip.open(corpus / "feed" / "more.jsonl.gz", "wb") as gz:
        gz.write(make_jsonl(tmp_path / "plain.jsonl").read_bytes())
    (corpus / "empty.txt").write_bytes(b"")
    before = hashes(corpus)
    out = tmp_path / "out"

    result = run("clean", corpus, "-o", out, "-q")

    assert result.exit_code == 1, result.output
    assert hashes(corpus) == before
    assert listing(out) == [
        "feed",
        "feed/more.jsonl.gz",
        "feed/pages.jsonl",
        "site",
        "site/news",
        "site/news/page2.txt",
        "site/page0.txt",
        "site/page1.txt",
        "site/page3.txt",
    ]
    assert (out / "site" / "page1.txt").read_text(encoding="utf-8") == body(1)
    regz = [json.loads(line) for line in gzip.decompress((out / "feed" / "more.jsonl.gz").read_bytes()).splitlines()]
    assert [r["text"] for r in regz] == [body(i) for i in range(4)]


# --- usage errors ------------------------------------------------------------------


def test_missing_input_is_a_usage_error(tmp_path):
    missing = tmp_path / "no-such-corpus"

    result = run("clean", missing, "-o", tmp_path / "out")

    assert result.exit_code == 2
    assert f"Path '{missing}' does not exist" in result.stderr
    assert "Try 'dedupe clean --help' for help." in result.stderr
    assert not (tmp_path / "out").exists()


def test_no_input_is_a_usage_error(tmp_path):
    result = run("report")

    assert result.exit_code == 2
    assert "Missing argument 'CORPUS...'" in result.stderr


@pytest.mark.parametrize("command", ["clean", "report"])
def test_out_of_range_option_is_a_usage_error(tmp_path, command):
    site = make_site(tmp_path / "site")
    extra = ["-o", tmp_path / "out"] if command == "clean" else []

    result = run(command, site, *extra, "--block-threshold", "1.5")

    assert result.exit_code == 2
    assert "The 'block_threshold' parameter must be a float in [0.05, 1.0]. Got 1.5 instead." in result.stderr
    assert result.stdout == ""
    assert not (tmp_path / "out").exists()


def test_option_of_the_wrong_type_is_a_usage_error(tmp_path):
    site = make_site(tmp_path / "site")

    result = run("report", site, "--min-documents", "two")

    assert result.exit_code == 2
    assert "Invalid value for '--min-documents': 'two' is not a valid integer." in result.stderr


@pytest.mark.parametrize("rel", ["site", "site/out", "site/news/cleaned"])
def test_output_inside_the_input_is_a_usage_error(tmp_path, rel):
    site = make_site(tmp_path / "site")
    before = hashes(tmp_path)
    out = tmp_path / rel

    result = run("clean", site, "-o", out)

    assert result.exit_code == 2
    assert f"{out}: the output folder must not be the input folder {site} or inside it" in result.stderr
    assert hashes(tmp_path) == before
    assert listing(site) == ["news", "news/page2.txt", "page0.txt", "page1.txt", "page3.txt"]


def test_output_that_is_a_file_is_a_usage_error(tmp_path):
    site = make_site(tmp_path / "site")
    out = tmp_path / "out.txt"
    out.write_text("keep me", encoding="utf-8")

    result = run("clean", site, "-o", out)

    assert result.exit_code == 2
    assert f"Invalid value for '-o' / '--output': Directory '{out}' is a file." in result.stderr
    assert out.read_text(encoding="utf-8") == "keep me"


def test_two_inputs_with_one_name_are_a_usage_error(tmp_path):
    one = make_jsonl(tmp_path / "day1" / "pages.jsonl")
    two = make_jsonl(tmp_path / "day2" / "pages.jsonl")

    result = run("clean", one, two, "-o", tmp_path / "out")

    assert result.exit_code == 2
    assert f"{two} and {one} would both be written to" in result.stderr
    assert "give them in separate runs or put them in one folder" in result.stderr


# --- report ------------------------------------------------------------------------


def test_report_writes_json_to_stdout_and_nothing_else(tmp_path):
    site = make_site(tmp_path / "site")
    before_listing, before_hashes = listing(tmp_path), hashes(tmp_path)

    result = run("report", site)

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert REPORT_KEYS <= set(data)
    assert [t["text"] for t in data["boilerplate"]] == [HEADER, FOOTER]
    assert data["summary"]["documents_read"] == 4
    assert "4 documents read, 0 skipped" in result.stderr
    assert "documents read" not in result.stdout
    assert listing(tmp_path) == before_listing
    assert hashes(tmp_path) == before_hashes


def test_report_quiet_writes_only_json(tmp_path):
    src = make_jsonl(tmp_path / "pages.jsonl", bad_at=5)
    before = listing(tmp_path)

    result = run("report", src, "--quiet")

    assert result.exit_code == 1
    assert result.stderr == ""
    data = json.loads(result.stdout)
    assert [(s["line"], s["reason"]) for s in data["skipped"]] == [(5, "invalid_json")]
    assert [d["id"] for d in data["documents"]] == ["p0", "p1", "p2", "p3"]
    assert listing(tmp_path) == before


def test_report_to_a_file(tmp_path):
    site = make_site(tmp_path / "site")
    report = tmp_path / "r" / "report.json"

    result = run("report", site, "--report", report, "-q")

    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert json.loads(report.read_text(encoding="utf-8"))["summary"]["templates"] == 2
    assert listing(tmp_path) == ["r", "r/report.json", "site"] + [f"site/{p}" for p in listing(site)]


def test_report_strict_exits_3(tmp_path):
    src = make_jsonl(tmp_path / "pages.jsonl", bad_at=2)

    result = run("report", src, "--strict")

    assert result.exit_code == 3
    assert result.stdout == ""
    assert result.stderr == f"error: {src}:2: invalid JSON (Expecting ',' delimiter at column 17); stopped (--strict)\n"


# --- the summary on stderr ---------------------------------------------------------


@pytest.mark.parametrize("width", [80, 160])
def test_summary_fits_the_terminal_and_keeps_every_template_column(seeds_dir, tmp_path, width):
    from rich.cells import cell_len

    result = CliRunner().invoke(
        main, ["report", str(seeds_dir), "--report", str(tmp_path / "r.json")], env={"COLUMNS": str(width)}
    )
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    text = result.stderr

    assert result.exit_code == 0, result.output
    assert max(cell_len(line) for line in text.splitlines()) == width  # the table takes the width, no more
    assert re.search(r"^ *# +pages +template \(first occurrence\)", text, re.M)
    for t in data["boilerplate"]:
        # Its number, its page count, and as much of its text as fits.
        head = re.escape(t["text"][:20])
        assert re.search(rf"^ *{t['template']} +{len(t['documents'])} +{head}", text, re.M), t["text"]
    longest = max(len(t["text"]) for t in data["boilerplate"])
    assert longest > width and any(line.rstrip().endswith("\u2026") for line in text.splitlines())


# --- bugs --------------------------------------------------------------------------


def test_clean_truncated_gz_writes_what_was_read(tmp_path):
    recs = [{"id": f"d{i}", "text": f"{HEADER}\nstory {i}: " + " ".join(f"w{i}x{j}" for j in range(30)) + f"\n{FOOTER}\n"} for i in range(60)]
    data = gzip.compress(b"".join(json.dumps(r).encode("utf-8") + b"\n" for r in recs), mtime=0)
    src = tmp_path / "in" / "cut.jsonl.gz"
    src.parent.mkdir()
    src.write_bytes(data[: len(data) // 2])

    result = run("clean", src, "-o", tmp_path / "out", "--report", tmp_path / "report.json")

    assert result.exit_code == 1, result.output
    assert "(--strict)" not in result.stderr
    assert (tmp_path / "report.json").exists()
    written = gzip.decompress((tmp_path / "out" / "cut.jsonl.gz").read_bytes()).splitlines()
    assert 0 < len(written) < 60


def test_clean_record_with_a_lone_surrogate(tmp_path):
    src = make_jsonl(tmp_path / "in" / "pages.jsonl")
    with src.open("ab") as f:
        f.write(b'{"id": "odd", "text": "half an emoji \\ud83d in a body of its own"}\n')

    result = run("clean", src, "-o", tmp_path / "out", "-q")

    assert result.exit_code == 0, result.output
    assert len((tmp_path / "out" / "pages.jsonl").read_text(encoding="utf-8").splitlines()) == 5


def test_report_path_that_is_an_input_file_is_refused(tmp_path):
    site = make_site(tmp_path / "site")
    before = hashes(site)

    result = run("clean", site, "-o", tmp_path / "out", "--report", site / "page0.txt")

    assert hashes(site) == before
    assert result.exit_code == 2


# --- formats, standard input, reports, config files, explain -------------------------


def test_clean_json_prints_the_machine_report_on_stdout(tmp_path):
    site = make_site(tmp_path / "site")

    result = run("clean", site, "-o", tmp_path / "out", "--json", "-q")

    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert [t["text"] for t in json.loads(result.stdout)["boilerplate"]] == [HEADER, FOOTER]


@pytest.mark.parametrize("command", ["clean", "report"])
def test_html_report_is_written(tmp_path, command):
    site = make_site(tmp_path / "site")
    extra = ["-o", tmp_path / "out"] if command == "clean" else []

    result = run(command, site, *extra, "--html", tmp_path / "r" / "report.html", "-q")

    assert result.exit_code == 0, result.output
    page = (tmp_path / "r" / "report.html").read_text("utf-8")
    assert page.startswith("<!DOCTYPE html>") and HEADER in page


@pytest.mark.parametrize("command", ["clean", "report"])
def test_html_report_inside_the_input_is_refused(tmp_path, command):
    site = make_site(tmp_path / "site")
    before = hashes(site)
    extra = ["-o", tmp_path / "out"] if command == "clean" else []

    result = run(command, site, *extra, "--html", site / "report.html")

    assert result.exit_code == 2
    assert f"{site / 'report.html'}: the HTML report must not be the input folder {site} or inside it" in result.stderr
    assert hashes(site) == before


def test_jsonl_on_standard_input_is_cleaned_as_the_same_file_would_be(tmp_path):
    src = make_jsonl(tmp_path / "in" / "pages.jsonl")
    data = src.read_bytes()

    from_file = run("clean", src, "-o", tmp_path / "file-out", "-q")
    cleaned = CliRunner().invoke(main, ["clean", "-", "-o", str(tmp_path / "out"), "-q"], input=data)
    reported = CliRunner().invoke(main, ["report", "-", "-q"], input=gzip.compress(data, mtime=0))

    assert from_file.exit_code == cleaned.exit_code == 0, cleaned.output
    assert (tmp_path / "out" / "stdin.jsonl").read_bytes() == (tmp_path / "file-out" / "pages.jsonl").read_bytes()
    assert reported.exit_code == 0, reported.output
    report = json.loads(reported.stdout)
    assert [(d["id"], d["source"], d["line"]) for d in report["documents"]] == [(f"p{i}", "<stdin>", i + 1) for i in range(4)]
    assert report["inputs"] == ["-"]


def test_format_option_names_the_format(tmp_path):
    src = tmp_path / "pages.dat"
    src.write_bytes(make_jsonl(tmp_path / "x.jsonl").read_bytes())

    unknown = run("report", src, "-q")
    told = run("clean", src, "-o", tmp_path / "out", "--format", "jsonl", "-q")
    bad = run("report", src, "--format", "xml")

    assert unknown.exit_code == 1
    assert json.loads(unknown.stdout)["skipped"][0]["reason"] == "unsupported_file"
    assert told.exit_code == 0, told.output
    assert len((tmp_path / "out" / "pages.dat").read_text("utf-8").splitlines()) == 4
    assert bad.exit_code == 2
    assert "Invalid value for '--format': 'xml' is not one of 'auto', 'txt', 'html'" in bad.stderr


def test_html_pages_in_a_folder_are_cleaned_to_text(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    for i in range(4):
        paragraphs = "".join(f"<p>{line}</p>" for line in BODIES[i])
        (site / f"page{i}.html").write_text(
            f"<html><body><nav>{HEADER}</nav><article>{paragraphs}</article><footer>{FOOTER}</footer></body></html>", encoding="utf-8"
        )

    result = run("clean", site, "-o", tmp_path / "out", "-q")

    assert result.exit_code == 0, result.output
    assert listing(tmp_path / "out") == [f"page{i}.txt" for i in range(4)]
    assert (tmp_path / "out" / "page1.txt").read_text("utf-8") == "\n\n".join(BODIES[1]) + "\n\n"


def test_every_real_format_is_cleaned_with_its_documents_and_ids(tmp_path, formats_dir):
    import pyarrow as pa
    import pyarrow.parquet as pq

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for f in formats_dir.iterdir():
        (corpus / f.name).write_bytes(f.read_bytes())
    ccnet = [json.loads(line) for line in gzip.open(formats_dir / "ccnet_sample.jsonl.gz", "rt", encoding="utf-8")]
    pq.write_table(pa.table({"id": [r["id"] for r in ccnet], "text": [r["text"] for r in ccnet]}), corpus / "ccnet.parquet")
    with open(corpus / "ccnet.csv", "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows([["id", "text"]] + [[r["id"], r["text"]] for r in ccnet])
    before = hashes(corpus)

    result = run("clean", corpus, "-o", tmp_path / "out", "--report", tmp_path / "report.json", "-q")

    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "report.json").read_text("utf-8"))
    assert report["skipped"] == []
    ids_in: dict = {}
    for d in report["documents"]:
        ids_in.setdefault(Path(d["source"]).name, []).append(d["id"])
    out = tmp_path / "out"
    assert listing(out) == sorted(
        ["ccnet.csv", "ccnet.parquet", "ccnet_sample.jsonl.gz", "sample-0000.warc.jsonl.gz", "whirlwind.warc.jsonl.gz", "whirlwind.warc.wet.jsonl.gz"]
    )
    ids_out = {
        "ccnet.csv": [row["id"] for row in csv.DictReader(open(out / "ccnet.csv", encoding="utf-8", newline=""))],
        "ccnet.parquet": pq.read_table(out / "ccnet.parquet").column("id").to_pylist(),
    }
    for name, source in [("ccnet_sample.jsonl.gz", "ccnet_sample.jsonl.gz"), ("sample-0000.warc.jsonl.gz", "sample-0000.warc.gz"),
                         ("whirlwind.warc.jsonl.gz", "whirlwind.warc.gz"), ("whirlwind.warc.wet.jsonl.gz", "whirlwind.warc.wet.gz")]:
        ids_out[source] = [json.loads(line)["id"] for line in gzip.decompress((out / name).read_bytes()).splitlines()]
    assert ids_out == ids_in
    assert len(ids_in["sample-0000.warc.gz"]) == 22 and len(ids_in["ccnet.csv"]) == 10
    assert hashes(corpus) == before


def write_toml(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_config_file_sets_options_and_the_command_line_wins(tmp_path):
    site = make_site(tmp_path / "site")
    toml = write_toml(tmp_path / "dedupe.toml", 'min-documents = 5\nblock_threshold = 0.9\ntext-field = "body"\n')

    from_file = run("report", site, "--config", toml, "-q")
    overridden = run("report", site, "--config", toml, "--min-documents", "2", "-q")

    config = json.loads(from_file.stdout)["config"]
    assert (config["min_documents"], config["block_threshold"], config["text_field"]) == (5, 0.9, "body")
    assert json.loads(from_file.stdout)["boilerplate"] == []
    config = json.loads(overridden.stdout)["config"]
    assert (config["min_documents"], config["block_threshold"]) == (2, 0.9)
    assert [t["text"] for t in json.loads(overridden.stdout)["boilerplate"]] == [HEADER, FOOTER]


@pytest.mark.parametrize(
    "text, message",
    [
        ("block-treshold = 0.5\n", "dedupe.toml: unknown option 'block-treshold'; valid options are: "),
        ("block-threshold = 1.5\n", "dedupe.toml: The 'block_threshold' parameter must be a float in [0.05, 1.0]. Got 1.5 instead."),
        ('min-documents = "2"\n', "dedupe.toml: The 'min_documents' parameter must be an int"),
        ("[boilerplate]\nmin-documents = 2\n", "dedupe.toml: [boilerplate] is a table; options go at the top level"),
        ("min-documents = \n", "dedupe.toml: not a TOML file ("),
    ],
)
def test_bad_config_file_is_a_usage_error_naming_it(tmp_path, text, message):
    site = make_site(tmp_path / "site")
    toml = write_toml(tmp_path / "dedupe.toml", text)

    result = run("clean", site, "-o", tmp_path / "out", "--config", toml)

    assert result.exit_code == 2
    assert message.replace("dedupe.toml", str(toml)) in result.stderr
    assert not (tmp_path / "out").exists()


def test_explain_prints_bands_rows_and_the_s_curve():
    from dedupe.lsh import bands_rows

    default = run("explain")
    changed = run("explain", "--block-threshold", "0.9", "--num-perm", "256")

    assert default.exit_code == 0, default.output
    b, r = bands_rows(0.7, 128)
    assert re.search(rf"blocks +--block-threshold +0\.7 +{b} x {r} ", default.stdout)
    assert re.search(r"documents +--lsh-threshold +0\.3 +\d+ x \d+ ", default.stdout)
    curve = {float(m[0]): float(m[1]) for m in re.findall(r"^ *(0\.\d\d|1\.00) +(\d\.\d{3}) +\d\.\d{3} *$", default.stdout, re.M)}
    assert sorted(curve) == [round(0.1 + 0.05 * i, 2) for i in range(19)]
    assert curve[0.7] == round(1 - (1 - 0.7**r) ** b, 3) and curve[1.0] == 1.0
    b, r = bands_rows(0.9, 256)
    assert f"{b} x {r}" in changed.stdout and "256 permutations" in changed.stdout


def test_explain_warns_about_short_and_unspaced_documents(tmp_path):
    corpus = tmp_path / "c.jsonl"
    japanese = "\u6771\u4eac\u3067\u65b0\u3057\u3044\u6cb3\u5ddd\u5824\u9632\u306e\u8a08\u753b\u304c\u627f\u8a8d\u3055\u308c\u305f\u3002" * 5
    long_text = " ".join(f"word{i}" for i in range(100))
    corpus.write_text("\n".join(json.dumps(r) for r in [{"id": i, "url": f"https://example.org/{i}", "text": t} for i, t in [("ja", japanese), ("tiny", "Read more"), ("ok", long_text)]]) + "\n")

    result = run("explain", corpus)
    quiet = run("explain", corpus, "--json")

    assert result.exit_code == 0, result.output
    flat = " ".join(result.stdout.split())
    assert "warning: 2 of 3 documents are very short, under 20 words (e.g. ja, tiny)" in flat
    assert "warning: 1 of 3 documents are mostly text written without spaces (Chinese, Japanese, Thai, ...) (e.g. ja)" in flat
    assert "character 5-grams" in flat
    data = json.loads(quiet.stdout)
    assert data["documents"] == 3 and len(data["warnings"]) == 2
    assert [p["name"] for p in data["lsh"]] == ["blocks", "documents"]


@pytest.mark.parametrize("columns", [80, 160])
def test_summary_shows_the_largest_sites(data_dir, columns):
    result = CliRunner().invoke(main, ["report", str(data_dir / "three_sites.jsonl")], env={"COLUMNS": str(columns)})
    lines = result.stderr.splitlines()
    head = next(i for i, line in enumerate(lines) if line.split()[:2] == ["site", "pages"])
    assert result.exit_code == 0 and max(len(line) for line in lines[head - 1 : head + 6]) <= columns
    rows = [line.split() for line in lines[head + 2 : head + 5]]
    # site, pages, characters in, share removed, templates, syndicated pages
    assert rows[1] == ["northern-star.example", "3", "2,669", "31%", "6", "1"]
    assert [r[0] for r in rows] == ["coastal-herald.example", "northern-star.example", "upland-times.example"]


def test_summary_of_pages_without_urls_has_no_sites_table(seeds_dir):
    result = CliRunner().invoke(main, ["report", str(seeds_dir)])
    assert result.exit_code == 0 and "syndicated" not in result.stderr and "templates" in result.stderr


def test_explain_warns_about_a_corpus_without_urls(seeds_dir):
    result = run("explain", seeds_dir)

    assert result.exit_code == 0, result.output
    assert "warning: 5 of 5 documents have no URL with a host" in " ".join(result.stdout.split())
