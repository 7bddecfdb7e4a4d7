"""A story republished on a second site: its body stays on both and is reported."""

import json
import random
import warnings
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dedupe
from dedupe.document import Document, MissingFieldWarning
from dedupe.pipeline import analyse
from dedupe.syndication import Tokens, passages, word_ids

BODY_MARK = "flood barriers"


@pytest.mark.parametrize("url_field", ["url", "no_such_field"])
def test_republished_story_kept_and_reported(data_dir, tmp_path, url_field):
    src = data_dir / "two_sites.jsonl"
    with warnings.catch_warnings(record=True) as told:
        warnings.simplefilter("always")
        result = dedupe.clean([src], tmp_path / "out", report=tmp_path / "r.json", url_field=url_field)
    # A field no record has is warned of (and then the pages have no URL).
    assert [str(w.message).split(";")[0] for w in told if w.category is MissingFieldWarning] == (
        ["no record has the field 'no_such_field' (--url-field)"] if url_field == "no_such_field" else []
    )
    report = json.loads((tmp_path / "r.json").read_text())
    records = {r["id"]: r for r in map(json.loads, src.read_text().splitlines())}
    out = {r["id"]: r for r in map(json.loads, (tmp_path / "out" / "two_sites.jsonl").read_text().splitlines())}
    assert out.keys() == records.keys()
    story_ids = ["gazette/flood-barriers", "courier/flood-barriers"]
    for doc_id in story_ids:
        body = [l for l in records[doc_id]["text"].split("\n\n") if len(l) > 120]
        for para in body:
            assert para in out[doc_id]["text"], (doc_id, para[:40])
    # Each site's header and footer go from every page of that site.
    for doc_id, rec in records.items():
        lines = rec["text"].split("\n\n")
        for template in lines[:3] + lines[-3:]:
            if "first published" in template:
                continue
            assert template not in out[doc_id]["text"].split("\n\n"), (doc_id, template)
    clusters = [sorted(c["documents"]) for c in report["syndication"]]
    assert clusters == [sorted(story_ids)]
    pair = report["syndication"][0]["pairs"][0]
    assert pair["containment"] >= 0.8 and pair["shared_words"] >= 150
    # Offsets point at the shared text in each input document.
    for passage in pair["passages"]:
        for doc_id, (start, end) in zip(pair["documents"], passage["offsets"]):
            assert records[doc_id]["text"][start:end].split()[:3] == passage["preview"].split()[:3]
    assert result.report.exit_code == 0


def test_unrelated_pages_are_not_clustered(data_dir, tmp_path):
    report = dedupe.scan([data_dir / "two_sites.jsonl"]).report.data
    ids = {i for c in report["syndication"] for i in c["documents"]}
    assert not ids & {"gazette/story-0", "gazette/story-1", "courier/story-0", "courier/story-1"}


def test_passages_tolerate_a_changed_word():
    a = "the council voted seven to two on tuesday night to fund a network of barriers along the bank"
    b = "late news the council voted seven to three on tuesday night to fund a network of barriers along the bank"
    found = passages(Tokens(a, [(0, len(a))]), Tokens(b, [(0, len(b))]), 8)
    assert len(found) == 1 and found[0].words >= 17
    (s, e), (s2, e2) = found[0].a, found[0].b
    assert a[s:e].startswith("the council") and b[s2:e2].endswith("the bank")


@pytest.mark.parametrize("block_model", ["none", "builtin"])
def test_story_on_three_sites_truncated_differently(data_dir, block_model):
    """The original and two copies cut at different places (sharing little with
    each other): the body stays on all three and they form one cluster; each
    site's header and footer go."""
    src = data_dir / "three_sites.jsonl"
    records = [json.loads(l) for l in src.read_text(encoding="utf-8").splitlines()]
    result = dedupe.scan([src], block_model=block_model)
    cleaned = dict(zip((d.id for d in result.analysis.documents), result.analysis.cleaned))
    stories = sorted(r["id"] for r in records if r.get("story"))
    for r in records:
        paragraphs = r["text"].split("\n\n")
        if r.get("story"):
            for para in paragraphs[3:-3]:
                if "first published" not in para:
                    assert para in cleaned[r["id"]], (r["id"], para[:50])
        for template in paragraphs[:3] + paragraphs[-3:]:
            assert template not in cleaned[r["id"]].split("\n\n"), (r["id"], template)
    clusters = [sorted(c["documents"]) for c in result.report.data["syndication"]]
    assert clusters == [stories]


def _prose(rng, n_words):
    """Seeded nonsense prose: words that no two generated texts share by chance."""
    syllables = ["ka", "lo", "mi", "ren", "tu", "sa", "vo", "pel", "dri", "na", "qua", "ti", "mor", "ex", "bu"]
    words = ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(n_words)]
    return " ".join(words).capitalize() + "."


def _doc(doc_id, paragraphs):
    return Document(id=doc_id, text="\n\n".join(paragraphs) + "\n", source="mem")


def _edited(paragraph, every, rng):
    """The paragraph with every ``every``-th word replaced: a light edit."""
    words = paragraph.split()
    return " ".join(_prose(rng, 1).rstrip(".").lower() if i % every == every - 1 else w for i, w in enumerate(words))


def test_lightly_edited_copy_keeps_the_paragraph_it_shares_verbatim():
    # No URLs: a paragraph two pages share is a template unless the pages are
    # copies. Here every other paragraph was edited (no block of the copy
    # matches its original), so only word-level evidence says "copy".
    rng = random.Random(7)
    original = [_prose(rng, 60) for _ in range(5)]
    copy = [_edited(p, 8, rng) if i != 2 else p for i, p in enumerate(original)]
    teaser = _prose(rng, 30)
    others = [_doc(f"other-{k}", [teaser, _prose(rng, 80), _prose(rng, 80)]) for k in range(2)]
    analysis = analyse([_doc("original", original), _doc("copy", copy), *others])
    for i in (0, 1):
        assert original[2] in analysis.cleaned[i]
    # The teaser two unrelated pages carry is still a template.
    assert all(teaser not in c for c in analysis.cleaned[2:])
    pairs = {(p.a, p.b) for c in analysis.syndication.clusters for p in c.pairs}
    assert (0, 1) in pairs


def test_a_quote_inside_a_longer_paragraph_is_reported_as_overlap():
    # The quote matches no whole block and the pages' Jaccard is low: only
    # the shared uncommon n-grams propose the pair.
    rng = random.Random(11)
    source = [_prose(rng, 70) for _ in range(15)]
    quote = " ".join(source[3].split()[10:60])
    quoting = [_prose(rng, 70) for _ in range(15)]
    quoting[2] = _prose(rng, 30) + " " + quote + " " + _prose(rng, 30)
    analysis = analyse([_doc("source", source), _doc("quoting", quoting), _doc("third", [_prose(rng, 90)])])
    assert analysis.syndication.clusters == []
    (overlap,) = analysis.syndication.overlaps
    assert (overlap.a, overlap.b) == (0, 1) and overlap.shared_words >= 45
    (passage,) = overlap.passages
    text = analysis.documents[1].text
    assert text[passage.b[0] : passage.b[1]].split()[:5] == quote.split()[:5]


def test_slices_and_spilled_shards_change_nothing(data_dir, monkeypatch, tmp_path):
    """Shingling a few documents at a time, with the n-gram shards on disk, finds the same."""
    from dedupe import sign
    from dedupe.executor import spill

    src = [data_dir / "two_sites.jsonl"]
    whole = dedupe.scan(src).report.data
    monkeypatch.setattr(sign, "SLICE", 300)
    monkeypatch.setattr(spill, "SPILL_ROWS", 0)
    sliced = dedupe.scan(src, work_dir=tmp_path / "work").report.data
    assert whole["syndication"] and sliced == whole
    assert not list((tmp_path / "work").rglob("*.npy"))  # shard files removed


def _reference_match_runs(wa, wb, k, max_hits=32):
    """match_runs as first written, over a dict of word tuples: the compiled one's oracle."""
    index = {}
    for j, key in enumerate(zip(*(wb[s:] for s in range(k)))):
        index.setdefault(key, []).append(j)
    found, i = [], 0
    while i <= len(wa) - k:
        starts = index.get(tuple(wa[i : i + k]))
        if not starts:
            i += 1
            continue
        best_n, best_j = 0, -1
        for j in starts[:max_hits]:
            n = k
            while i + n < len(wa) and j + n < len(wb) and wa[i + n] == wb[j + n]:
                n += 1
            if n > best_n:
                best_n, best_j = n, j
        found.append((i, best_j, best_n))
        i += best_n
    return found


_WORDS = st.lists(st.sampled_from(["a", "b", "c", "the", "news"]), max_size=200)


@settings(max_examples=300, deadline=None)
@given(_WORDS, _WORDS, st.integers(1, 5))
def test_match_runs_is_the_reference(wa, wb, k):
    """Few distinct words: anchors with many places (past the 32 tried) included."""
    from dedupe.syndication import match_runs

    assert match_runs(wa, wb, k) == _reference_match_runs(wa, wb, k)


@settings(max_examples=200, deadline=None)
@given(st.text(st.sampled_from(list("aB \n,\u00c9\u00df\u0130\ufb01_9")), max_size=120))
def test_tokens_are_the_casefolded_words(text):
    """ASCII pieces and the others give the words and offsets of WORD, case
    folded (as their ids: equal words, equal ids)."""
    spans = [(0, len(text) // 2), (len(text) // 2 + 1, len(text))]
    found = [m for a, b in spans for m in re.finditer(r"\w+", text[a:b])]
    offsets = [a for a, b in spans for _ in re.finditer(r"\w+", text[a:b])]
    tokens = Tokens(text, spans)
    assert tokens.ids.tolist() == word_ids([m.group().casefold() for m in found]).tolist()
    assert tokens.pos.tolist() == [[m.start() + o, m.end() + o] for m, o in zip(found, offsets)]


def test_two_posts_sharing_only_a_sidebar_are_not_syndicated(tmp_path):
    # Two short posts without URLs whose shared sidebar outweighs their own
    # prose: the sidebar is a template, not the text of a copy.
    sidebar = [
        "Recent posts", "How we scaled our queue to a million jobs", "Why we moved off MongoDB",
        "The hidden cost of microservices", "A week with Rust in production", "Archives", "March 2012",
        "February 2012", "Categories", "Engineering", "Culture", "Hiring", "Subscribe to the newsletter",
    ]
    posts = [
        "The print edition of this month's issue is out now, with long interviews about startups "
        "and code reviews that we think you will enjoy.",
        "We are looking for a copy editor who loves technology writing and can spend a few hours "
        "a week polishing our translated articles.",
    ]
    docs = [Document(id=name, text="\n".join([post, *sidebar]) + "\n", source="mem") for name, post in zip("ab", posts)]
    result = analyse(docs)
    assert result.syndication.clusters == [] and result.syndication.overlaps == []
    assert [c.strip() for c in result.cleaned] == posts


def test_word_ids_are_equal_for_equal_words_only():
    words = ["a", "b", "ab", "ba", "", "straße", "strasse", "\u00e9", "e\u0301", "a"] + [f"w{i}" for i in range(20000)]
    ids = word_ids(words)
    assert ids.dtype == np.int64 and len(ids) == len(words)
    assert len(set(ids.tolist())) == len(set(words))  # one id a distinct word
    assert ids[0] == ids[9] and ids[0] != ids[2] and ids[2] != ids[3]
    assert word_ids([]).tolist() == []
    # A Tokens' ids are the ids of its words, ASCII or not.
    text = "Straße AB ab straße"
    assert Tokens(text, [(0, len(text))]).ids.tolist() == word_ids(["strasse", "ab", "ab", "strasse"]).tolist()  # case folded
