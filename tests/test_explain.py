"""Tests for dedupe.explain: the LSH plans, the S-curve, and the warnings."""

import pytest

from dedupe.config import Config
from dedupe.explain import SIMILARITIES, explain
from dedupe.lsh import bands_rows
from dedupe.document import Document


def doc(i, text, url="same"):
    """A document; by default one of many pages of one site."""
    return Document(id=f"d{i}", text=text, source="mem", url=f"https://example.org/{i}" if url == "same" else url)


@pytest.mark.parametrize("threshold, num_perm", [(0.8, 128), (0.5, 64), (0.9, 256)])
def test_plans_use_the_bands_and_rows_lsh_uses(threshold, num_perm):
    e = explain(block_threshold=threshold, lsh_threshold=0.3, num_perm=num_perm)

    blocks, documents = e.plans
    assert (blocks.name, blocks.threshold, blocks.num_perm) == ("blocks", threshold, num_perm)
    assert (blocks.bands, blocks.rows) == bands_rows(threshold, num_perm)
    assert (documents.bands, documents.rows) == bands_rows(0.3, num_perm)
    assert blocks.bands * blocks.rows <= num_perm


def test_s_curve_is_the_banding_probability_and_rises():
    plan = explain().plans[0]
    curve = [plan.probability(s) for s in SIMILARITIES]

    assert SIMILARITIES[0] == 0.1 and SIMILARITIES[-1] == 1.0
    assert curve == sorted(curve) and curve[-1] == 1.0
    # The documents' index, tuned to 0.3, rises inside the curve rather than reading 1.000 throughout.
    documents = explain().plans[1]
    assert documents.threshold == 0.3
    assert documents.probability(SIMILARITIES[0]) < 0.5 < documents.probability(0.3)
    assert plan.probability(0.8) == pytest.approx(1 - (1 - 0.8**plan.rows) ** plan.bands)


def test_no_warnings_for_ordinary_prose():
    text = " ".join(f"word{i}" for i in range(200))
    assert explain(documents=[doc(0, text), doc(1, text)]).warnings == []


def test_warnings_name_short_and_unspaced_documents():
    chinese = "\u5e02\u8bae\u4f1a\u5468\u4e8c\u665a\u4e0a\u6295\u7968\u6279\u51c6\u4e86\u65b0\u7684\u9632\u6d2a\u5899\u8ba1\u5212\u3002" * 10
    thai = "\u0e2a\u0e20\u0e32\u0e40\u0e21\u0e37\u0e2d\u0e07\u0e2d\u0e19\u0e38\u0e21\u0e31\u0e15\u0e34 " * 10
    docs = [doc(0, chinese), doc(1, "Comments"), doc(2, thai), doc(3, " ".join(["prose"] * 50))]

    e = explain(documents=docs, config=Config.from_options(doc_ngram=4))

    short, unspaced = e.warnings
    assert short.startswith("2 of 4 documents are very short, under 16 words (e.g. d0, d1)")
    assert unspaced.startswith("2 of 4 documents are mostly text written without spaces")
    assert "(e.g. d0, d2)" in unspaced and "character 5-grams" in unspaced
    assert e.as_dict()["warnings"] == e.warnings and e.documents == 4


def test_explain_reads_a_corpus(tmp_path):
    (tmp_path / "a.txt").write_text("Read more\n", encoding="utf-8")

    e = explain([tmp_path])

    assert e.documents == 1 and "very short" in e.warnings[0]


def test_warns_when_many_pages_are_their_sites_only_page():
    text = " ".join(f"word{i}" for i in range(200))
    # 168 pages on 12 sites, and 132 sites of one page each: 132 of 300 pages alone.
    docs = [doc(i, text, f"https://site{i % 12}.example/{i}") for i in range(168)]
    docs += [doc(i, text, f"https://www.lone{i}.example/page") for i in range(168, 300)]

    [warning] = explain(documents=docs).warnings

    assert warning.startswith("132 of 300 documents with a URL are their site's only page (e.g. d168, d169, d170, ...)")
    # Under a fifth alone: no warning.
    assert explain(documents=docs[:168] + docs[168:168 + 40]).warnings == []


def test_warns_when_many_pages_have_no_url():
    text = " ".join(f"word{i}" for i in range(200))
    docs = [doc(i, text) for i in range(90)] + [doc(i, text, None) for i in range(90, 100)]
    docs[0] = doc(0, text, "/news/0")  # a path, no host: as good as none

    [warning] = explain(documents=docs).warnings

    assert warning.startswith("11 of 100 documents have no URL with a host (e.g. d0, d90, d91, ...)")
    assert "--url-field" in warning
    # Under a tenth without: no warning.
    assert explain(documents=docs[1:99]).warnings == []
