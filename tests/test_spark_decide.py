"""The boilerplate decision on Spark (:func:`dedupe.backends.spark.decide.decide`):
the local :func:`dedupe.boilerplate.decide`'s every field, to the bit, for
several partition counts, on corpora made to stress it: many copies of one
article cut differently, templates the copies share, classes over
``copy_check_limit``, same-site and cross-site pairs, repeats, weights no
sum of which is exact in any other order, copy evidence of every size.

Every Spark call joins the one local Spark session of the ``spark`` fixture.
"""

from contextlib import contextmanager

import numpy as np
import pytest

from dedupe.boilerplate import BOILERPLATE, decide
from dedupe.config import BoilerplateConfig
from dedupe.progress import Progress

pytest.importorskip("pyspark")

import pyarrow as pa  # noqa: E402

from dedupe.backends.spark import decide as spark_decide  # noqa: E402


class Evidence:
    """Copy evidence made up for the test: ``loose(d, e)`` locally, and the
    same numbers as a frame (``sums``) for Spark; many pairs have none."""

    def __init__(self, spark, n_docs: int, seed: int):
        rng = np.random.default_rng(seed)
        table = rng.random((n_docs, n_docs)) * 400 + 1 / 7
        table[rng.random((n_docs, n_docs)) < 0.6] = 0.0
        np.fill_diagonal(table, 0.0)
        self.table = table
        d, e = np.nonzero(table)
        self.frame = spark.createDataFrame(
            pa.table({"d": pa.array(d.astype(np.int64)), "e": pa.array(e.astype(np.int64)), "evidence": table[d, e]})
        )
        self.asked = []
        self.called = 0

    def __call__(self, d, e):
        self.called += 1
        return self.table[np.asarray(d), np.asarray(e)]

    def sums(self, asked):
        self.asked.append(asked)
        return self.frame.join(asked.select("d", "e").distinct(), ["d", "e"], "left_semi")


def stressed(seed: int):
    """Per-block arrays of a corpus: sites with templates (a footer, a menu
    of several lines carried by the same pages), articles republished many
    times, each copy cut differently and a few lightly edited, teasers two
    or three sites share, a menu too large to check pair by pair, pages of
    their own; repeats within a page; cluster ids with gaps."""
    rng = np.random.default_rng(seed)
    n_docs = 70
    host = rng.integers(-1, 6, size=n_docs)
    rows = []  # (doc, cluster, weight, prose)
    fresh = iter(range(10**6))

    def add(d, c, w=None, prose=None):
        w = float(rng.random() * 60 + 1 / 3) if w is None else w
        rows.append((d, c, w, rng.random() < 0.5 if prose is None else prose))

    for d in range(n_docs):  # each page's own text
        for _ in range(int(rng.integers(0, 4))):
            add(d, next(fresh), float(rng.random() * 300 + 1 / 3), True)
    for site in range(6):  # a footer and a menu of three lines on (most of) each site's pages
        pages = [d for d in range(n_docs) if host[d] == site and rng.random() < 0.9]
        footer, menu = next(fresh), [next(fresh) for _ in range(3)]
        for d in pages:
            add(d, footer, 40.0 + site / 3, False)
            for c in menu:
                add(d, c, 11.0 + 1 / 9, False)
    for _ in range(4):  # articles, republished
        paragraphs = [next(fresh) for _ in range(int(rng.integers(4, 12)))]
        copies = rng.choice(n_docs, size=int(rng.integers(3, 12)), replace=False)
        teaser = next(fresh)
        for d in copies:
            a = int(rng.integers(0, len(paragraphs) // 2))
            b = int(rng.integers(a + 1, len(paragraphs) + 1))
            for c in paragraphs[a:b]:
                add(d, next(fresh) if rng.random() < 0.1 else c, float(rng.random() * 200 + 1 / 3), True)
            if rng.random() < 0.5:
                add(d, teaser, 25.5, True)
    big = next(fresh)  # on a third of the pages: over the limit
    for d in rng.choice(n_docs, size=n_docs // 3, replace=False):
        add(d, big, 9.25, False)
    for _ in range(8):  # passages a few pages of different sites share
        c = next(fresh)
        for d in rng.choice(n_docs, size=int(rng.integers(2, 4)), replace=False):
            add(d, c)
    rows = [rows[i] for i in rng.permutation(len(rows))]
    rows.sort(key=lambda r: r[0])
    doc = np.array([r[0] for r in rows], dtype=np.int64)
    cluster = np.array([r[1] for r in rows], dtype=np.int64)
    weight = np.array([r[2] for r in rows])
    prose = np.array([r[3] for r in rows], dtype=bool)
    # Repeats: a page's later block of a cluster it already holds.
    repeat = np.zeros(len(doc), dtype=bool)
    again = rng.choice(len(doc), size=len(doc) // 15, replace=False)
    seen, again = set(), set(again.tolist())
    for i in range(len(doc)):
        if i in again and (doc[i], cluster[i]) in seen:
            repeat[i] = True
        seen.add((doc[i], cluster[i]))
    dup = rng.choice(len(doc), size=len(doc) // 20, replace=False)
    doc, cluster = np.r_[doc, doc[dup]], np.r_[cluster, cluster[dup]]
    weight, prose = np.r_[weight, weight[dup]], np.r_[prose, prose[dup]]
    repeat = np.r_[repeat, np.ones(len(dup), dtype=bool)]
    order = np.argsort(doc, kind="stable")
    gaps = np.cumsum(rng.integers(1, 5, size=int(cluster.max()) + 1))  # labels with gaps
    return doc[order], gaps[cluster[order]], weight[order], repeat[order], prose[order], host, n_docs


class Rounds(Progress):
    """Notes the rounds a decision ran."""

    def __init__(self):
        self.rounds = []

    def start(self, stage, total=None, unit=""):
        if "round" in stage:
            self.rounds.append(stage)


@contextmanager
def partitions(spark, n: int):
    before = spark.conf.get("spark.sql.shuffle.partitions")
    spark.conf.set("spark.sql.shuffle.partitions", str(n))
    try:
        yield
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", before)


def both(spark, seed, parts, known=None, **options):
    doc, cluster, weight, repeat, prose, host, n_docs = stressed(seed)
    config = BoilerplateConfig(**options)
    evidence = Evidence(spark, n_docs, seed)
    kn = None if known is None else known(cluster)
    local, on_spark = Rounds(), Rounds()
    want = decide(doc, cluster, weight, repeat, host, n_docs, config, evidence, progress=local, prose=prose, known=kn)
    evidence.called = 0
    with partitions(spark, parts):
        got = spark_decide.decide(
            spark, doc, cluster, weight, repeat, host, n_docs, config, evidence, on_spark, prose=prose, known=kn
        )
    assert on_spark.rounds == local.rounds
    evidence.rounds = len(local.rounds)
    return want, got, evidence


def assert_same(want, got):
    for name in ("action", "copies", "shared", "syndicated"):
        a, b = getattr(want, name), getattr(got, name)
        assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), name


@pytest.mark.parametrize("seed, parts", [(1, 1), (3, 7)])
def test_the_local_decision_to_the_bit(spark, seed, parts):
    want, got, evidence = both(spark, seed, parts, copy_check_limit=12)
    assert_same(want, got)
    # The test judges something: copies, templates, shared text, syndicated blocks.
    assert len(want.copies) > 5 and len(want.shared) > 20
    assert np.sum(want.action == BOILERPLATE) > 20 and want.syndicated.sum() > 5
    # The pairs asked once, as a frame; never as arrays from the driver.
    assert len(evidence.asked) == 1 and evidence.called == 0
    assert evidence.rounds > 2  # templates and copies settled over rounds


def test_rounds_that_do_not_settle_stop_as_locally(spark):
    want, got, evidence = both(spark, 4, 2, strip_repeats=False, copy_check_limit=8)
    assert_same(want, got)
    assert evidence.rounds == 10  # the local bound


@pytest.mark.parametrize("options", [
    {"cross_site_min_sites": 2, "copy_containment": 0.3, "same_site_copy_containment": 0.6},
    {"min_documents": 3, "copy_check_limit": 4},
])
def test_options(spark, options):
    want, got, _ = both(spark, 4, 3, **options)
    assert_same(want, got)
    assert len(want.copies) and np.any(want.action == BOILERPLATE)


def test_known_templates(spark):
    # A paragraph of every article's first class marked known, with a site's footer.
    def known(cluster):
        marked = np.zeros(len(cluster), dtype=bool)
        marked[np.isin(cluster, np.unique(cluster)[::9])] = True
        return marked

    want, got, _ = both(spark, 5, 2, known=known)
    assert_same(want, got)


def test_nothing_to_pair(spark):
    doc = np.array([0, 1, 2], dtype=np.int64)
    cluster = np.array([5, 6, 7], dtype=np.int64)
    weight, repeat, host = np.ones(3), np.zeros(3, dtype=bool), np.full(3, -1, dtype=np.int64)
    config = BoilerplateConfig()
    want = decide(doc, cluster, weight, repeat, host, 3, config)
    got = spark_decide.decide(spark, doc, cluster, weight, repeat, host, 3, config)
    assert_same(want, got)
    assert len(got.copies) == 0 and len(got.shared) == 0


def test_checked_pairs_counts_the_pairs_of_classes_within_the_limit():
    # class 1: documents 0, 1, 2 (document 1 twice): 3 pairs; class 2: one
    # document; class 3: five documents, over a limit of 4.
    doc = np.array([0, 1, 1, 2, 4, 0, 1, 2, 3, 4], dtype=np.int64)
    cluster = np.array([1, 1, 1, 1, 2, 3, 3, 3, 3, 3], dtype=np.int64)
    assert spark_decide.checked_pairs(doc, cluster, BoilerplateConfig(copy_check_limit=4)) == 3
    assert spark_decide.checked_pairs(doc, cluster, BoilerplateConfig(copy_check_limit=5)) == 3 + 10
