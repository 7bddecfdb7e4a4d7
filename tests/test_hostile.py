"""Hostile input, one section per defect found by feeding the CLI bad input
(issue #26): each test holds the accounting invariant (every input document
kept, cleaned, dropped with a reason, or listed as skipped) and, for
resources, a bound."""

import json
import tracemalloc

import numpy as np

import dedupe
from dedupe.config import MinHashConfig, ShingleConfig, SyndicationConfig
from dedupe.syndication import find


def _accounted(report: dict, inputs: int) -> None:
    s = report["summary"]
    assert s["documents_read"] + sum(s["documents_skipped"].values()) == inputs
    assert s["documents_unchanged"] + s["documents_cleaned"] + s["documents_emptied"] == s["documents_read"]
    assert len(report["documents"]) == s["documents_read"]


def _peak_bytes(fn) -> tuple[object, int]:
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --- 1. Memory grew with the square of the number of empty or identical documents


def _find(texts):
    spans = [[(0, len(t))] if t else [] for t in texts]
    return find(texts, spans, np.zeros((0, 2), np.int64), ShingleConfig(), MinHashConfig(), SyndicationConfig())


def test_empty_documents_are_never_paired():
    # Pages emptied by cleaning have one (empty) signature: n of them made
    # n(n-1)/2 candidate pairs, built before the empty pages were dropped.
    texts = [""] * 3000 + ["a page of its own with enough words to shingle"]
    found, peak = _peak_bytes(lambda: _find(texts))
    assert found.clusters == [] and found.overlaps == []
    assert peak < 32 << 20, f"{peak / 2**20:.0f} MiB for empty pages"


def test_copies_make_one_cluster_with_a_pair_per_member():
    text = "Page not found. The page you asked for has moved or never was here at all."
    texts = [text] * 2000 + ["an unrelated page about gardening and the weather in spring"] * 2 + ["one more"]
    found, peak = _peak_bytes(lambda: _find(texts))
    (copies, garden) = sorted(found.clusters, key=lambda c: -len(c.members))
    assert copies.centre == 0 and copies.members == list(range(2000))
    # Each member is paired with its centre (not every member with every other).
    assert sorted(p.b for p in copies.pairs) == list(range(1, 2000)) and {p.a for p in copies.pairs} == {0}
    assert all(p.jaccard == 1.0 and p.passages for p in copies.pairs)
    assert garden.members == [2000, 2001] and len(garden.pairs) == 1
    assert peak < 64 << 20, f"{peak / 2**20:.0f} MiB for 2,000 copies"


def test_tiny_and_identical_pages_give_a_report_that_grows_with_the_pages(tmp_path):
    rng = np.random.default_rng(0)
    words = ["home", "news", "page", "about", "login", "more", "next", "menu"]
    corpus = tmp_path / "tiny.jsonl"
    n = 3000
    with corpus.open("w") as f:
        for i in range(n):
            text = " ".join(rng.choice(words, rng.integers(1, 4)))
            f.write(json.dumps({"id": f"t{i}", "text": text if i % 3 else "Page not found"}) + "\n")
    report_path = tmp_path / "r.json"
    dedupe.clean([corpus], tmp_path / "out", report=report_path, jobs=1)
    report = json.loads(report_path.read_text())
    _accounted(report, n)
    out = (tmp_path / "out" / "tiny.jsonl").read_text().splitlines()
    assert len(out) == n
    # Hundreds of pages per distinct text: every pair of them listed was
    # quadratic (2 KB a page here, 13 KB a page at 20,000 pages). Linear, a
    # page's share is about 630 bytes here (schema 2 added its cluster and
    # URLs beside the ids, null here: 100 bytes).
    assert report_path.stat().st_size < 700 * n
    pairs = sum(len(c["pairs"]) for c in report["syndication"])
    members = sum(len(c["documents"]) for c in report["syndication"])
    assert pairs == members - len(report["syndication"])
