"""Tests for dedupe.duplicates and --drop-duplicates: one document kept of
each set of near-duplicates, the others left out of the output and listed
in the report (and the --dropped file); partial copies never dropped."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import dedupe
from dedupe.cli import main
from dedupe.config import DuplicatesConfig
from dedupe.document import UsageError
from dedupe.duplicates import find
from dedupe.syndication import Cluster, Pair, Syndication

COPY = "005_copy_of_002.txt"
ORIGINAL = "002_a82a31125bb7e50d.txt"


def test_the_centre_is_kept_and_members_at_the_threshold_dropped():
    synd = Syndication(
        clusters=[
            Cluster(centre=3, members=[1, 3, 4, 6], pairs=[Pair(1, 3, 0.8, 1.0), Pair(3, 4, 0.79, 1.0), Pair(3, 6, 1.0, 1.0)]),
            Cluster(centre=0, members=[0, 2], pairs=[Pair(0, 2, 0.5, 1.0)]),  # a partial copy
        ],
        overlaps=[Pair(5, 7, 0.9, 0.9)],  # an overlap is never a cluster's member
    )
    dups = find(synd, DuplicatesConfig(drop_duplicates=True))
    assert dups.dropped.tolist() == [1, 6] and dups.kept.tolist() == [3, 3] and dups.jaccard.tolist() == [0.8, 1.0]
    assert len(find(synd, DuplicatesConfig())) == 0  # nothing unless asked
    assert find(synd, DuplicatesConfig(drop_duplicates=True, duplicate_threshold=0.5)).dropped.tolist() == [1, 2, 4, 6]


def test_threshold_is_checked():
    with pytest.raises(ValueError, match="'duplicate_threshold' parameter must be a float in"):
        dedupe.Config.from_options(duplicate_threshold=1.5)


@pytest.fixture
def seeds_and_a_copy(seeds_dir, tmp_path) -> Path:
    """The seeds, and a byte copy of seed 002 (last in input order)."""
    corpus = tmp_path / "seeds"
    shutil.copytree(seeds_dir, corpus)
    shutil.copyfile(corpus / ORIGINAL, corpus / COPY)
    return corpus


def test_seeds_and_a_copy_give_five_documents_out(seeds_and_a_copy, tmp_path):
    out, report, dropped = tmp_path / "out", tmp_path / "report.json", tmp_path / "dropped.txt"
    result = CliRunner().invoke(
        main, ["clean", str(seeds_and_a_copy), "-o", str(out), "--drop-duplicates", "--dropped", str(dropped),
               "--report", str(report), "-j", "1"],
    )
    assert result.exit_code == 0, result.output
    assert "; 1 dropped as near-duplicates (listed in the report)" in " ".join(result.stderr.split())
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in seeds_and_a_copy.iterdir() if p.name != COPY)
    data = json.loads(report.read_text())
    assert data["dropped"] == [
        {"id": COPY, "url": None, "reason": "duplicate", "duplicate_of": ORIGINAL, "duplicate_of_url": None, "jaccard": 1.0}
    ]
    assert data["summary"]["documents_dropped"] == {"duplicate": 1} and data["summary"]["documents_read"] == 6
    assert dropped.read_text() == COPY + "\n"


def test_by_default_the_copy_is_reported_and_written(seeds_and_a_copy, tmp_path):
    result = dedupe.clean([seeds_and_a_copy], tmp_path / "out", jobs=1)
    assert len(result.written) == 6 and result.report.data["dropped"] == []
    assert result.report.data["summary"]["documents_dropped"] == {"duplicate": 0}
    (cluster,) = result.report.data["syndication"]
    assert cluster["documents"] == [ORIGINAL, COPY]


def _article(made_up, name: str) -> list[str]:
    return made_up.prose(name, lines=6)


def _near(lines: list[str]) -> list[str]:
    """One word of the last line changed: Jaccard about 0.9 with the original."""
    words = lines[-1].split()
    words[3] = "zuzuzu"
    return [*lines[:-1], " ".join(words)]


def _record(site: int, name: str, body: list[str], made_up) -> dict:
    text = "\n\n".join([f"The Site{site} Daily", *body, made_up.FOOTER]) + "\n"
    return {"id": f"s{site}/{name}", "url": f"https://www.site{site}.example/{name}", "text": text}


def planted(made_up, folder: Path) -> tuple[list[Path], list[set], list[str]]:
    """Two JSONL shards over four sites: four stories, each as an original,
    a byte copy, a lightly edited copy and a partial copy (the story plus as
    much text again of the page's own); the copies of two stories come
    before their original. Pages of their own besides. The near-duplicate
    sets (ids), and the partial copies' ids."""
    records, sets, partial = [], [], []
    for i in range(4):
        story = _article(made_up, f"story-{i}")
        copies = [
            _record(0, f"story{i}", story, made_up),
            _record(1, f"story{i}-copy", story, made_up),
            _record(2, f"story{i}-edited", _near(story), made_up),
        ]
        if i % 2:
            copies.reverse()
        records += copies
        sets.append({r["id"] for r in copies})
        records.append(_record(3, f"story{i}-with-more", story + made_up.prose(f"more-{i}", lines=6), made_up))
        partial.append(records[-1]["id"])
        for site in range(4):
            records.append(_record(site, f"own{i}", made_up.prose(f"own-{site}-{i}", lines=4), made_up))
    folder.mkdir()
    shards = [folder / "part-0.jsonl", folder / "part-1.jsonl"]
    half = len(records) // 2
    for shard, part in zip(shards, (records[:half], records[half:])):
        shard.write_text("".join(json.dumps(r) + "\n" for r in part), encoding="utf-8")
    return shards, sets, partial


def test_one_document_kept_per_planted_set_and_partial_copies_never_dropped(made_up, tmp_path):
    shards, sets, partial = planted(made_up, tmp_path / "corpus")
    out, dropped = tmp_path / "out", tmp_path / "dropped.txt"
    result = dedupe.clean(shards, out, dropped=dropped, drop_duplicates=True, jobs=1)
    report = result.report.data
    written = [json.loads(line)["id"] for p in sorted(out.glob("*.jsonl")) for line in p.read_text().splitlines()]
    read = [d["id"] for d in report["documents"]]
    listed = [d["id"] for d in report["dropped"]]
    assert dropped.read_text().splitlines() == listed
    assert sorted(written + listed) == sorted(read) and len(written) == len(set(written))  # every document accounted for
    for ids in sets:
        assert len(ids & set(written)) == 1, ids
    assert set(partial) <= set(written)
    for d in report["dropped"]:
        assert d["duplicate_of"] in written and d["jaccard"] >= 0.8 and d["url"].startswith("https://www.site")
    assert report["summary"]["documents_dropped"] == {"duplicate": 8}
    # The report of the same options lists the same: what clean leaves out, scan names.
    assert dedupe.scan(shards, drop_duplicates=True, jobs=1).report.data["dropped"] == report["dropped"]


def test_an_id_with_a_line_break_is_written_as_a_json_string(tmp_path):
    from dedupe.report import Report

    report = Report({"dropped": [{"id": "a"}, {"id": "b\nc"}]})
    with pytest.warns(UserWarning, match="line break"):
        report.write_dropped(tmp_path / "ids.txt")
    assert (tmp_path / "ids.txt").read_text() == 'a\n"b\\nc"\n'


def test_dropped_ids_without_dropping_is_a_usage_error(seeds_dir, tmp_path):
    result = CliRunner().invoke(main, ["clean", str(seeds_dir), "-o", str(tmp_path / "out"), "--dropped", str(tmp_path / "ids")])
    assert result.exit_code == 2 and "give it too" in result.output and not (tmp_path / "out").exists()
    with pytest.raises(UsageError, match="the dropped ids would overwrite this input file"):
        dedupe.clean([seeds_dir], tmp_path / "out", drop_duplicates=True, dropped=next(seeds_dir.iterdir()))


def test_the_report_command_writes_the_ids_clean_would_drop(seeds_and_a_copy, tmp_path):
    ids = tmp_path / "ids.txt"
    result = CliRunner().invoke(main, ["report", str(seeds_and_a_copy), "--drop-duplicates", "--dropped", str(ids), "-q"])
    assert result.exit_code == 0 and json.loads(result.stdout)["dropped"][0]["id"] == COPY
    assert ids.read_text() == COPY + "\n"
    refused = CliRunner().invoke(main, ["report", str(seeds_and_a_copy), "--dropped", str(tmp_path / "x.txt")])
    assert refused.exit_code == 2 and "give it too" in refused.output


def test_on_spark_the_same_copy_is_dropped_and_the_same_bytes_written(spark, seeds_and_a_copy, tmp_path):
    local = dedupe.clean(
        [seeds_and_a_copy], tmp_path / "local", drop_duplicates=True, dropped=tmp_path / "local.txt", jobs=1
    )
    on_spark = dedupe.clean(
        [seeds_and_a_copy], tmp_path / "spark", drop_duplicates=True, dropped=tmp_path / "spark.txt", backend="spark"
    )
    assert on_spark.report.data["dropped"] == local.report.data["dropped"]
    assert [d["id"] for d in local.report.data["dropped"]] == [COPY]
    assert (tmp_path / "spark.txt").read_bytes() == (tmp_path / "local.txt").read_bytes() == (COPY + "\n").encode()
    files = lambda root: {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}  # noqa: E731
    assert files(tmp_path / "spark") == files(tmp_path / "local") and len(files(tmp_path / "local")) == 5


def test_a_dropped_id_another_document_has_too_is_warned_of(made_up):
    from dedupe.document import Document, DuplicateIdWarning
    from dedupe.io.readers import Corpus
    from dedupe.report import build_report

    story = "\n\n".join(made_up.prose("story", lines=6)) + "\n"
    docs = [Document(id="a", text=story, source="m"), Document(id="b", text=story, source="m"),
            Document(id="b", text="\n".join(made_up.prose("other")) + "\n", source="m")]
    config = dedupe.Config.from_options(drop_duplicates=True)
    with pytest.warns(DuplicateIdWarning) as told:
        data = build_report(Corpus(documents=docs), dedupe.analyse(docs), config, ["m"]).data
    assert [d["id"] for d in data["dropped"]] == ["b"]
    assert any("filters by the dropped ids drops those too" in str(w.message) for w in told)


def test_on_a_generated_corpus_one_document_of_each_near_duplicate_set_is_written(tmp_path):
    """benchmarks/corpus.py plants copies verbatim, truncated and lightly
    edited: of each cluster, the centre and its members at Jaccard >= 0.8
    give one document out; the others (partial copies) are all written."""
    from conftest import generated_corpus

    corpus = generated_corpus(tmp_path / "corpus", 400, 200, seed=3)
    out, ids = tmp_path / "out", tmp_path / "dropped.txt"
    report = dedupe.clean([corpus], out, dropped=ids, drop_duplicates=True, jobs=1).report.data
    written = [json.loads(line)["id"] for p in sorted(out.glob("*.jsonl")) for line in p.read_text().splitlines()]
    listed = [d["id"] for d in report["dropped"]]
    assert ids.read_text().splitlines() == listed and sorted(written + listed) == sorted(d["id"] for d in report["documents"])
    partial = 0
    for c in report["syndication"]:
        near = {c["centre"]} | {i for p in c["pairs"] if p["jaccard"] >= 0.8 for i in p["documents"]}
        assert len(near & set(written)) == 1, c["documents"]
        partial += len(set(c["documents"]) - near)
        assert set(c["documents"]) - near <= set(written)
    # What the corpus plants is there (else the loop above proves little).
    assert len(listed) >= 5 and partial >= 5


def test_the_copy_kept_is_the_first_by_id_in_any_order():
    """Of byte copies, the one kept (the cluster's centre) is the first by id,
    whichever comes first in the input; copies with one id go by input order."""
    words = " ".join(f"word{i} of a syndicated story that runs on" for i in range(40))
    rng = np.random.default_rng(0)
    own = [" ".join(f"w{w}" for w in rng.integers(0, 10**6, 300)) for _ in range(3)]

    def kept(ids: list[str]) -> tuple[str, list[str]]:
        docs = [dedupe.Document(id=i, text=words, source="mem") for i in ids] + [
            dedupe.Document(id=f"other{k}", text=t, source="mem") for k, t in enumerate(own)
        ]
        analysis = dedupe.analyse(docs, dedupe.Config.from_options(drop_duplicates=True))
        dups = find(analysis.syndication, DuplicatesConfig(drop_duplicates=True))
        assert len({docs[k].id for k in dups.kept.tolist()}) == 1
        return docs[int(dups.kept[0])].id, sorted(docs[d].id for d in dups.dropped.tolist())

    assert kept(["c", "a", "b"]) == kept(["b", "c", "a"]) == kept(["a", "b", "c"]) == ("a", ["b", "c"])
