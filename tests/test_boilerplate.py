import numpy as np

from dedupe import boilerplate, copy_pairs
from dedupe.boilerplate import BOILERPLATE, KEEP, REPEAT, decide
from dedupe.config import BoilerplateConfig
from dedupe.executor import spilling_to


def run(blocks, hosts, **kw):
    """blocks: list of (doc, cluster, weight, repeat)."""
    arr = np.array(blocks, dtype=np.int64)
    return decide(
        arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3].astype(bool), np.array(hosts, dtype=np.int64), len(hosts),
        BoilerplateConfig(**kw),
    )


def test_shared_block_between_different_documents_is_boilerplate():
    # Docs 0 and 1 share cluster 9 (small); each has a large body of its own.
    d = run([(0, 9, 50, 0), (0, 1, 1000, 0), (1, 9, 50, 0), (1, 2, 1000, 0)], [-1, -1])
    assert d.action.tolist() == [BOILERPLATE, KEEP, BOILERPLATE, KEEP]
    assert len(d.copies) == 0


def test_text_shared_by_copies_is_kept():
    # Docs 0 and 1 share their whole body (clusters 1, 2); doc 2 is unrelated but shares the header 9.
    blocks = [(0, 9, 20, 0), (0, 1, 500, 0), (0, 2, 500, 0),
              (1, 9, 20, 0), (1, 1, 500, 0), (1, 2, 480, 0),
              (2, 9, 20, 0), (2, 3, 900, 0)]
    d = run(blocks, [-1, -1, -1])
    assert d.action.tolist() == [BOILERPLATE, KEEP, KEEP, BOILERPLATE, KEEP, KEEP, BOILERPLATE, KEEP]
    assert d.copies.tolist() == [[0, 1]]


def test_truncated_copy_with_heavy_templates_is_recognised():
    # Site A: doc 0 (the story, clusters 20-23), docs 1 and 4; header 1 on all.
    # Site B: doc 2 (the story truncated to two paragraphs), docs 3 and 5; header 2 on all.
    # At first doc 2 looks like no copy (its heavy header outweighs the shared text),
    # so the story's paragraphs are flagged; once the headers are known templates,
    # doc 2 is all story and the pair becomes copies again.
    blocks = [(0, 1, 900, 0)] + [(0, 20 + k, 400, 0) for k in range(4)]
    blocks += [(1, 1, 900, 0), (1, 30, 1500, 0)]
    blocks += [(2, 2, 900, 0), (2, 20, 400, 0), (2, 21, 400, 0)]
    blocks += [(3, 2, 900, 0), (3, 31, 1500, 0)]
    blocks += [(4, 1, 900, 0), (4, 32, 3000, 0), (5, 2, 900, 0), (5, 33, 3000, 0)]
    d = run(blocks, [-1] * 6)
    story = [a for a, (_, c, _, _) in zip(d.action.tolist(), blocks) if c >= 20 and c < 30]
    headers = [a for a, (_, c, _, _) in zip(d.action.tolist(), blocks) if c in (1, 2)]
    assert story == [KEEP] * 6
    assert headers == [BOILERPLATE] * 6
    assert [0, 2] in d.copies.tolist()


def test_hosts_two_sites_sharing_a_passage_keep_it():
    blocks = [(0, 5, 200, 0), (0, 1, 2000, 0), (1, 5, 200, 0), (1, 2, 2000, 0)]
    assert run(blocks, [0, 1]).action.tolist() == [KEEP] * 4  # different known hosts, only 2 sites
    assert run(blocks, [0, 0]).action.tolist() == [BOILERPLATE, KEEP, BOILERPLATE, KEEP]
    three = blocks + [(2, 5, 200, 0), (2, 3, 2000, 0)]
    assert run(three, [0, 1, 2]).action.tolist()[::2] == [BOILERPLATE] * 3  # seen on 3 sites


def test_repeats_inside_a_document():
    d = run([(0, 1, 50, 0), (0, 2, 500, 0), (0, 1, 50, 1)], [-1])
    assert d.action.tolist() == [KEEP, KEEP, REPEAT]
    d = run([(0, 1, 50, 0), (0, 2, 500, 0), (0, 1, 50, 1)], [-1], strip_repeats=False)
    assert d.action.tolist() == [KEEP, KEEP, KEEP]


def test_min_documents():
    blocks = [(d, 7, 30, 0) for d in range(3)] + [(d, 10 + d, 900, 0) for d in range(3)]
    assert run(blocks, [-1] * 3, min_documents=4).action.tolist()[:3] == [KEEP] * 3
    assert run(blocks, [-1] * 3, min_documents=3).action.tolist()[:3] == [BOILERPLATE] * 3


def test_same_documents_groups_clusters_on_identical_pages():
    # Entries (cluster, doc), sorted: clusters 0 and 2 on docs {1, 3}; 1 on {1}; 3 on {1, 3, 4}; 4 on {1}.
    ent = np.array([(0, 1), (0, 3), (1, 1), (2, 1), (2, 3), (3, 1), (3, 3), (3, 4), (4, 1)])
    label = boilerplate.same_documents(ent[:, 0], ent[:, 1], 6)
    assert label.tolist() == [0, 1, 0, 3, 1, 5]  # cluster 5 has no entry: alone


def test_no_blocks():
    d = decide(*(np.zeros(0, np.int64),) * 3, np.zeros(0, bool), np.zeros(0, np.int64), 0, BoilerplateConfig())
    assert d.action.shape == (0,) and d.copies.shape == (0, 2) and d.shared.shape == (0, 2)


def test_same_documents_checks_past_a_colliding_fingerprint(monkeypatch):
    monkeypatch.setattr(boilerplate, "mix64", lambda x: np.zeros(len(x), dtype=np.uint64))
    ent = np.array([(0, 1), (0, 3), (1, 1), (1, 2), (2, 1), (2, 3)])
    assert boilerplate.same_documents(ent[:, 0], ent[:, 1], 3).tolist() == [0, 1, 0]


def random_corpus(rng, n_docs):
    """Blocks of sites whose pages share templates (several clusters on the same pages), some copies."""
    blocks, hosts = [], []
    next_cluster = 0
    for site in range(rng.integers(1, 4)):
        pages = list(range(len(hosts), len(hosts) + int(rng.integers(2, n_docs))))
        hosts += [int(rng.integers(-1, 2)) if rng.random() < 0.3 else site] * len(pages)
        for _ in range(int(rng.integers(1, 5))):  # templates: on all pages, or on a random subset
            on = pages if rng.random() < 0.6 else [p for p in pages if rng.random() < 0.6]
            for p in on:
                blocks.append((p, next_cluster, int(rng.integers(5, 80)), 0))
            next_cluster += 1
        for p in pages:  # bodies, some shared with an earlier page (copies)
            for _ in range(int(rng.integers(1, 4))):
                c = next_cluster if rng.random() < 0.8 or not blocks else int(rng.choice([b[1] for b in blocks]))
                blocks.append((p, c, int(rng.integers(50, 900)), 0))
                next_cluster += 1
            if rng.random() < 0.2:
                blocks.append((p, blocks[-1][1], blocks[-1][2], 1))  # a repeat inside the page
    return blocks, hosts


def test_judging_clusters_on_the_same_pages_together_changes_nothing(monkeypatch):
    """decide gives the same verdicts with clusters grouped by their pages as without."""
    rng = np.random.default_rng(5)
    grouped = 0
    for _ in range(60):
        blocks, hosts = random_corpus(rng, 8)
        kw = {"copy_check_limit": int(rng.integers(2, 8)), "cross_site_min_sites": 2}
        with_groups = run(blocks, hosts, **kw)
        arr = np.array(blocks)
        grouped += len(np.unique(arr[:, 1])) > len(np.unique(boilerplate.same_documents(
            *np.unique(arr[arr[:, 3] == 0][:, [1, 0]], axis=0).T, int(arr[:, 1].max()) + 1)))
        with monkeypatch.context() as m:
            m.setattr(boilerplate, "same_documents", lambda c, d, n: np.arange(n, dtype=np.int64))
            alone = run(blocks, hosts, **kw)
        for name in ("action", "copies", "shared", "syndicated"):
            assert getattr(with_groups, name).tolist() == getattr(alone, name).tolist(), name
    assert grouped > 30  # most corpora had clusters to group


def test_pairs_in_shards_on_disk_and_in_small_batches_change_nothing(monkeypatch, tmp_path):
    """decide's pairs kept in shards by document (spilled to disk), made a few
    clusters at a time: the same verdicts, copies and shared pairs."""
    from dedupe.executor import spill

    rng = np.random.default_rng(11)
    before = len(spill.spilled())
    for limit in [2, 3, 4, 5, 6, 7] * 3:  # every copy_check_limit from 2 to 7, three corpora each
        blocks, hosts = random_corpus(rng, 9)
        arr = np.array(blocks)
        n_docs = int(arr[:, 0].max()) + 1
        copies = lambda d, e: (d * 7 + e * 3) % 5 * 10.0  # noqa: E731  (copy evidence, as from n-grams)
        kw = dict(copy_check_limit=limit, cross_site_min_sites=2)
        args = (arr[:, 0], arr[:, 1], arr[:, 2].astype(float), arr[:, 3].astype(bool), np.array(hosts), n_docs)
        with monkeypatch.context() as m:
            m.setattr(copy_pairs, "PAIR_SHARDS", 1)
            m.setattr(spill, "SPILL_ROWS", 1 << 30)
            whole = boilerplate.decide(*args, BoilerplateConfig(**kw), copies)
        with monkeypatch.context() as m:
            m.setattr(copy_pairs, "PAIR_BATCH", 3)
            m.setattr(spill, "SPILL_ROWS", 0)
            sharded = boilerplate.decide(*args, BoilerplateConfig(**kw), copies, spilling_to(tmp_path))
        for name in ("action", "copies", "shared", "syndicated"):
            assert getattr(sharded, name).tolist() == getattr(whole, name).tolist(), name
    assert spill.spilled()[before:] and not any(tmp_path.iterdir())  # on disk, and gone again


def test_pages_with_prose_of_their_own_sharing_only_short_lines_are_not_copies():
    # Docs 0 and 1: a prose line of their own (clusters 1, 2) and the same
    # sidebar of short lines (cluster 9), which outweighs the prose.
    blocks = [(0, 1, 140, 0), (0, 9, 300, 0), (1, 2, 140, 0), (1, 9, 300, 0)]
    arr = np.array(blocks, dtype=np.int64)
    args = arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3].astype(bool), np.array([-1, -1]), 2, BoilerplateConfig()
    prose = np.array([True, False, True, False])
    without = decide(*args)  # weighed on characters alone, the sidebar makes them copies
    assert without.copies.tolist() == [[0, 1]] and without.action.tolist() == [KEEP] * 4
    d = decide(*args, prose=prose)
    assert len(d.copies) == 0
    assert d.action.tolist() == [KEEP, BOILERPLATE, KEEP, BOILERPLATE]
    # Sharing a prose line too, they are copies; and two pages of short
    # lines only (a list, a poem) are copies on those lines as before.
    shared_prose = decide(*args, prose=np.array([True, True, True, True]))
    assert shared_prose.copies.tolist() == [[0, 1]]
    assert decide(*args, prose=np.zeros(4, bool)).copies.tolist() == [[0, 1]]


def _known_run(blocks, hosts, known, **kw):
    arr = np.array(blocks, dtype=np.int64)
    return decide(
        arr[:, 0], arr[:, 1], arr[:, 2], arr[:, 3].astype(bool), np.array(hosts, dtype=np.int64), len(hosts),
        BoilerplateConfig(**kw), known=np.array(known, dtype=bool),
    )


def test_a_known_template_is_a_template_on_one_page_and_its_cluster_with_it():
    # Cluster 9 is on one page only (min_documents not reached), but one of its blocks is a known template.
    blocks = [(0, 9, 20, 0), (0, 1, 1000, 0), (1, 9, 20, 0), (1, 2, 1000, 0)]
    known = [True, False, False, False]
    assert _known_run(blocks, [-1, -1], known, min_documents=3).action.tolist() == [BOILERPLATE, KEEP, BOILERPLATE, KEEP]
    assert run(blocks, [-1, -1], min_documents=3).action.tolist() == [KEEP] * 4


def test_copies_keep_their_article_beside_a_known_footer_on_the_same_pages():
    # Pages 0 and 1 are copies (clusters 1, 2) and both end with footer 9, a known template carried
    # by exactly the same two pages: the footer goes, the article stays (known clusters are a class apart).
    blocks = [(0, 1, 500, 0), (0, 2, 500, 0), (0, 9, 20, 0), (1, 1, 500, 0), (1, 2, 500, 0), (1, 9, 20, 0)]
    known = [False, False, True, False, False, False]
    d = _known_run(blocks, [-1, -1], known)
    assert d.action.tolist() == [KEEP, KEEP, BOILERPLATE, KEEP, KEEP, BOILERPLATE]
    assert d.copies.tolist() == [[0, 1]]
    assert run(blocks, [-1, -1]).action.tolist() == [KEEP] * 6  # unknown, the footer is the copies' text
