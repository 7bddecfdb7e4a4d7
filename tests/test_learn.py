"""The saved model (dedupe learn, clean --model, learn --update): real runs.

What a model applied to a new crawl must do is what one run over both
crawls does to the new pages: the seeds (learn 000-003, apply to 004) and
a generated corpus split in two show it, byte for byte. A damaged model or
one of another config is refused with a usage error, never half used.
"""

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

import dedupe
from dedupe.cli import main
from dedupe.saved import FORMAT_VERSION, ModelError, load

GOLDEN = Path(__file__).resolve().parent / "golden" / "seeds"
S004 = "004_0179fb1a56cbaa01.txt"
S001, S003 = "001_ea77cd63d6422dfc.txt", "003_c7de8c5f71fa409e.txt"
TITLE = "Countering Iran\u2019s Threat, Strategies for Regional Stability"
TEASER_START = "Written by Mahmoud Hakamian"
BODY_004 = "Iran\u2019s Regime President Actually Did Deliver What He Was Missioned For"


@pytest.fixture(scope="module")
def seeds_split(seeds_dir, tmp_path_factory):
    """Seeds 000-003 in one folder, 004 alone in another, and a model learned on the first."""
    root = tmp_path_factory.mktemp("split")
    (root / "earlier").mkdir()
    (root / "new").mkdir()
    for src in sorted(seeds_dir.iterdir()):
        shutil.copy(src, root / ("new" if src.name == S004 else "earlier") / src.name)
    dedupe.learn([root / "earlier"], root / "model")
    return root


def test_004_with_the_model_strips_what_a_run_on_all_seeds_strips(seeds_split):
    out = seeds_split / "out"
    result = dedupe.clean([seeds_split / "new"], out, report=seeds_split / "report.json", model=seeds_split / "model")
    cleaned = (out / S004).read_text("utf-8")
    # The full run's output for 004 (tests/test_seeds.py pins it), byte for byte.
    assert cleaned == (GOLDEN / S004).read_text("utf-8")
    lines = [l.strip() for l in cleaned.splitlines()]
    assert TITLE not in lines and "Image" not in lines and "Comments" not in lines
    assert not any(l.startswith(TEASER_START) for l in lines)
    assert BODY_004 in lines

    report = json.loads((seeds_split / "report.json").read_text("utf-8"))
    assert [d["id"] for d in report["documents"]] == [S004]  # the earlier pages are not reported as read
    earlier = {t["text"]: t["earlier_documents"] for t in report["model"]["templates"]}
    teaser = next(ids for text, ids in earlier.items() if text.startswith(TEASER_START))
    assert teaser == [S001]  # seen once before, in 001: a template now
    assert earlier[TITLE] == [S001] and earlier["Image"] == [S001]
    assert earlier["Comments"] == [S001, S003] and earlier["Popular posts from this blog"] == [S001, S003]
    # Every template removed from 004 is one the full run names, with 004 in it.
    numbered = {t["template"]: t for t in report["boilerplate"]}
    assert {t["template"] for t in report["model"]["templates"]} == set(numbered)
    assert report["model"]["syndication"] == [] and report["syndication"] == []
    assert result.report.exit_code == 0


def test_a_model_is_the_same_bytes_when_learned_again(seeds_split, tmp_path):
    dedupe.learn([seeds_split / "earlier"], tmp_path / "again")
    for f in sorted((seeds_split / "model").iterdir()):
        assert (tmp_path / "again" / f.name).read_bytes() == f.read_bytes(), f.name


def test_update_equals_learning_on_both(seeds_dir, seeds_split, tmp_path):
    shutil.copytree(seeds_split / "model", tmp_path / "model")
    dedupe.learn([seeds_split / "new"], model=tmp_path / "model", update=True)
    dedupe.learn([seeds_dir], tmp_path / "both")
    names = sorted(p.name for p in (tmp_path / "both").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "model").iterdir())
    for name in names:
        assert (tmp_path / "model" / name).read_bytes() == (tmp_path / "both" / name).read_bytes(), name
    m = load(tmp_path / "model")
    assert m.n_pages == 5 and sorted(m.page_id) == sorted(p.name for p in seeds_dir.iterdir())


def test_block_evidence_names_pages_and_counts_them(seeds_split):
    m = load(seeds_split / "model")
    teaser = next(i for i, t in enumerate(m.text) if t.strip().startswith(TEASER_START))
    assert m.pages[teaser] == 1 and not m.template[teaser]
    assert [m.page_id[p] for p in m.pages_of([teaser]).tolist()] == [S001]
    comments = m.text.index("Comments")
    assert m.template[comments] and m.pages[comments] == 2


# --- a generated corpus split in two --------------------------------------------------


def _pairs(analysis, keep):
    """Syndication as unordered pairs of ids in one cluster, one of them in ``keep``."""
    ids = [d.id for d in analysis.documents]
    out = set()
    for c in analysis.syndication.clusters:
        members = sorted(ids[m] for m in c.members)
        out |= {(a, b) for i, a in enumerate(members) for b in members[i + 1 :] if a in keep or b in keep}
    return out


# Applying a model equals one run on the whole for the repetition rule: the
# block model (the default) also weighs how many pages of a site the run
# holds, and a run with a model holds only the earlier pages that share
# something with the new ones (docs/learn.md).
RULE = {"block_model": "none"}


@pytest.fixture(scope="module")
def halves(tmp_path_factory):
    from conftest import generated_corpus

    root = tmp_path_factory.mktemp("halves")
    corpus = generated_corpus(root / "corpus", 600, 300, seed=5)
    first, second = sorted(corpus.glob("shard-*.jsonl"))
    whole = dedupe.scan([first, second], **RULE)
    dedupe.learn([first], root / "model", **RULE)
    applied = dedupe.scan([second], model=root / "model", **RULE)
    return whole, applied, first, second, root


def test_applying_to_the_second_half_equals_one_run_on_the_whole(halves):
    whole, applied = halves[:2]
    new = [d.id for d in applied.analysis.documents]
    by_id = dict(zip((d.id for d in whole.analysis.documents), whole.analysis.cleaned))
    # Exact: every earlier page that shares a block or an article with a new
    # page is in the applied run, so the rule sees the same pages for them.
    assert [by_id[i] for i in new] == list(applied.analysis.cleaned)
    removed = sum(len(d.text) - len(c) for d, c in zip(applied.analysis.documents, applied.analysis.cleaned))
    assert removed > 0.1 * sum(len(d.text) for d in applied.analysis.documents)  # templates were stripped


def test_cross_half_syndication_is_found_and_named_by_the_earlier_ids(halves):
    whole, applied, first = halves[:3]
    new = {d.id for d in applied.analysis.documents}
    earlier_ids = {json.loads(line)["id"] for line in first.read_text("utf-8").splitlines()}
    expected = _pairs(whole.analysis, new)
    found = _pairs(applied.whole, new)
    assert found == expected
    across = {p for p in expected if (p[0] in new) != (p[1] in new)}
    assert across, "the generated corpus has copies across the halves"
    model = applied.report.data["model"]
    reported = {
        tuple(sorted((a, b))) for c in model["syndication"] for a in c["documents"] for b in c["earlier_documents"]
    }
    assert reported == across
    assert all(e in earlier_ids for c in model["syndication"] for e in c["earlier_documents"])
    # The main report's syndication is among the new pages only.
    assert all(set(c["documents"]) <= new for c in applied.report.data["syndication"])
    assert model["earlier_pages_read"] < model["pages"]


def test_update_with_the_second_half_equals_learning_on_both_halves(halves, tmp_path):
    _, _, first, second, root = halves
    shutil.copytree(root / "model", tmp_path / "model")
    dedupe.learn([second], model=tmp_path / "model", update=True, **RULE)
    dedupe.learn([first, second], tmp_path / "both", **RULE)
    for f in sorted((tmp_path / "both").iterdir()):
        assert (tmp_path / "model" / f.name).read_bytes() == f.read_bytes(), f.name


# --- refused models ---------------------------------------------------------------------


@pytest.fixture
def model_copy(seeds_split, tmp_path):
    shutil.copytree(seeds_split / "model", tmp_path / "model")
    return tmp_path / "model"


@pytest.mark.parametrize("damage", ["truncate", "edit", "remove", "manifest", "manifest edited"])
def test_a_damaged_model_is_refused(model_copy, seeds_split, tmp_path, damage):
    target = model_copy / "blocks.parquet"
    if damage == "truncate":
        target.write_bytes(target.read_bytes()[:-100])
    elif damage == "edit":
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0xFF
        target.write_bytes(bytes(data))
    elif damage == "remove":
        target.unlink()
    elif damage == "manifest edited":  # valid JSON, another config: would compare keys made another way
        manifest = json.loads((model_copy / "model.json").read_text("utf-8"))
        manifest["config"]["shingle"]["word_ngram"] = 4
        (model_copy / "model.json").write_text(json.dumps(manifest), "utf-8")
    else:
        (model_copy / "model.json").write_text('{"format": "dedupe-model", "format_', "utf-8")
    with pytest.raises(ModelError, match="damaged|missing"):
        dedupe.scan([seeds_split / "new"], model=model_copy)
    result = CliRunner().invoke(main, ["clean", str(seeds_split / "new"), "-o", str(tmp_path / "out"), "--model", str(model_copy)])
    assert result.exit_code == 2 and "learn it again" in result.output
    assert not (tmp_path / "out" / S004).exists()


def test_a_model_of_another_config_is_refused(seeds_split, tmp_path):
    with pytest.raises(ModelError, match=r"minhash\.num_perm: model 128, run 64"):
        dedupe.scan([seeds_split / "new"], model=seeds_split / "model", num_perm=64)
    result = CliRunner().invoke(
        main, ["report", str(seeds_split / "new"), "--model", str(seeds_split / "model"), "--word-ngram", "4", "-q"]
    )
    assert result.exit_code == 2 and "shingle.word_ngram: model 3, run 4" in result.output


def test_a_model_of_a_newer_format_is_refused(model_copy, seeds_split):
    manifest = json.loads((model_copy / "model.json").read_text("utf-8"))
    manifest["format_version"] = FORMAT_VERSION + 1
    (model_copy / "model.json").write_text(json.dumps(manifest), "utf-8")
    with pytest.raises(ModelError, match="newer than this dedupe reads"):
        load(model_copy)


def test_not_a_model(seeds_split, tmp_path):
    with pytest.raises(ModelError, match="no model there"):
        dedupe.scan([seeds_split / "new"], model=tmp_path / "nothing")
    (tmp_path / "folder").mkdir()
    with pytest.raises(ModelError, match="not a model folder"):
        dedupe.scan([seeds_split / "new"], model=tmp_path / "folder")


# --- the command line -------------------------------------------------------------------


def test_cli_learn_apply_update(seeds_split, tmp_path):
    runner = CliRunner()
    model = tmp_path / "model"
    done = runner.invoke(main, ["learn", str(seeds_split / "earlier"), "-o", str(model), "-q"])
    assert done.exit_code == 0, done.output
    done = runner.invoke(main, ["clean", str(seeds_split / "new"), "-o", str(tmp_path / "out"), "--model", str(model), "-q"])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "out" / S004).read_bytes() == (GOLDEN / S004).read_bytes()
    done = runner.invoke(main, ["learn", str(seeds_split / "new"), "--model", str(model), "--update", "-q"])
    assert done.exit_code == 0, done.output
    assert load(model).n_pages == 5
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".model")]  # no temporary folder left


@pytest.mark.parametrize(
    "args, message",
    [
        (["--update"], "name it with --model"),
        (["--model", "M"], "add --update"),
        ([], "-o"),
    ],
)
def test_cli_learn_usage_errors(seeds_split, args, message):
    done = CliRunner().invoke(main, ["learn", str(seeds_split / "new"), *args, "-q"])
    assert done.exit_code == 2 and message in done.output


def test_the_model_folder_may_not_be_inside_the_corpus(seeds_split):
    with pytest.raises(dedupe.UsageError, match="model folder"):
        dedupe.learn([seeds_split / "earlier"], seeds_split / "earlier" / "model")


def test_a_work_folder_is_not_reused_across_runs_with_and_without_a_model(seeds_split, tmp_path):
    work = tmp_path / "work"
    alone = dedupe.scan([seeds_split / "new"], work_dir=work)
    with_model = dedupe.scan([seeds_split / "new"], work_dir=work, model=seeds_split / "model")
    again = dedupe.scan([seeds_split / "new"], work_dir=work)
    assert list(alone.analysis.cleaned) == list(again.analysis.cleaned)
    assert list(with_model.analysis.cleaned) == [(GOLDEN / S004).read_text("utf-8")]
    assert alone.analysis.cleaned[0] != with_model.analysis.cleaned[0]  # alone, 004 has nothing to compare with


def test_a_model_is_applied_on_the_local_backend_only(seeds_split):
    with pytest.raises(dedupe.UsageError, match="local backend"):
        dedupe.scan([seeds_split / "new"], model=seeds_split / "model", backend="spark")


def test_a_model_inside_the_corpus_is_refused(seeds_split, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(seeds_split / "new", corpus)
    shutil.copytree(seeds_split / "model", corpus / "model")
    with pytest.raises(dedupe.UsageError, match="the model folder must not be the input folder"):
        dedupe.scan([corpus], model=corpus / "model")


def test_the_sorted_band_table_finds_exactly_the_rows_sharing_a_band():
    import numpy as np

    from dedupe.saved.files import BandIndex

    rng = np.random.default_rng(1)
    stored = rng.integers(0, 6, size=(300, 4)).astype(np.uint64)  # few values: many shared keys
    rows = rng.permutation(1000)[:300]
    queries = rng.integers(0, 6, size=(40, 4)).astype(np.uint64)
    q, r = BandIndex.of_matrix(stored, rows).lookup(queries)
    expected = sorted((i, int(rows[j])) for i in range(40) for j in range(300) if (queries[i] == stored[j]).any())
    assert sorted(zip(q.tolist(), r.tolist())) == expected
    back, has = BandIndex.of_matrix(stored, rows).matrix(1000, 4)
    assert (back[rows] == stored).all() and has.sum() == 300


def test_a_model_is_not_saved_over_a_folder_that_holds_something_else(seeds_split, tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("keep me", "utf-8")
    with pytest.raises(dedupe.UsageError, match="not a model folder"):
        dedupe.learn([seeds_split / "new"], tmp_path / "notes")
    assert (tmp_path / "notes" / "todo.txt").read_text("utf-8") == "keep me"


def test_saved_band_keys_are_those_of_datasketch_signatures(seeds_split, tmp_path):
    import numpy as np
    from datasketch import MinHash

    from dedupe import lsh
    from dedupe.blocks import normalise
    from dedupe.minhash import SCHEME
    from dedupe.shingle import char_shingles, word_shingles

    config = dedupe.Config()
    num_perm, seed = config.minhash.num_perm, config.minhash.seed

    def oracle(batch) -> np.ndarray:
        rows = []
        for s in batch.sets():
            m = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME, hashfunc=int)
            if len(s):
                m.update_batch(s.tolist())
            rows.append(m.hashvalues)
        return np.array(rows).astype(np.uint32)

    result = dedupe.learn([seeds_split / "earlier"], tmp_path / "m")
    model = result.learned
    cleaned = [normalise(t) for t in result.analysis.cleaned]
    pages = lsh.band_keys(oracle(word_shingles(cleaned, config.shingle.doc_ngram)), config.syndication.lsh_threshold)
    assert (model.doc_bands == pages).all() and model.doc_indexed.all()
    keys = [normalise(t) for t in model.text]
    short = np.array([len(k.split()) < config.shingle.short_block_words for k in keys])
    assert (model.short == short).all()
    for mask, make, n in ((short, char_shingles, config.shingle.char_ngram), (~short, word_shingles, config.shingle.word_ngram)):
        texts = [k for k, s in zip(keys, mask) if s]
        bands = lsh.band_keys(oracle(make(texts, n)), config.boilerplate.block_threshold)
        assert (model.block_bands[mask] == bands).all()


def _page(i: int, footer: str) -> dict:
    import random

    rng = random.Random(i)  # a body of made-up words of its own (normalising drops digits)
    body = " ".join("".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiou") for _ in range(3)) for _ in range(300))
    return {"id": f"page-{i}", "url": f"https://news.example/{i}", "text": f"Story number {i} headline\n\n{body}\n\n{footer}"}


FOOTER = "Copyright Example News Group. All rights reserved. Terms of use and privacy policy apply to every page {where}."


def test_a_near_identical_variant_of_a_known_template_is_stripped(tmp_path):
    (tmp_path / "earlier").mkdir()
    (tmp_path / "new").mkdir()
    earlier = [_page(i, FOOTER.format(where="here")) for i in range(3)]
    new = [_page(9, FOOTER.format(where="there"))]  # not the same line once normalised: a near-identical one
    for folder, pages in (("earlier", earlier), ("new", new)):
        (tmp_path / folder / "c.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pages), "utf-8")
    dedupe.learn([tmp_path / "earlier"], tmp_path / "model", **RULE)
    applied = dedupe.scan([tmp_path / "new"], model=tmp_path / "model", **RULE)
    whole = dedupe.scan([tmp_path / "earlier", tmp_path / "new"], **RULE)
    cleaned = applied.analysis.cleaned[0]
    assert "Copyright" not in cleaned and new[0]["text"].split("\n\n")[1] in cleaned
    assert cleaned == whole.analysis.cleaned[3]
    template = next(t for t in applied.report.data["model"]["templates"] if t["text"].startswith("Copyright"))
    assert template["text"].endswith("there.") and template["earlier_documents"] == ["page-0", "page-1", "page-2"]
    assert applied.applied.documents[1].id == "<model templates>"  # the known template met through the templates' page
    assert applied.report.data["model"]["earlier_pages_read"] == 0


def test_a_new_page_carrying_an_earlier_article_keeps_it_and_names_the_earlier_page(tmp_path):
    (tmp_path / "earlier").mkdir()
    (tmp_path / "new").mkdir()
    earlier = [_page(i, FOOTER.format(where="here")) for i in range(3)]
    copy = dict(_page(1, "Syndicated from our partners."), id="copy-of-1", url="https://other.example/story")
    for folder, pages in (("earlier", earlier), ("new", [copy])):
        (tmp_path / folder / "c.jsonl").write_text("".join(json.dumps(p) + "\n" for p in pages), "utf-8")
    dedupe.learn([tmp_path / "earlier"], tmp_path / "model")
    applied = dedupe.scan([tmp_path / "new"], model=tmp_path / "model")
    article = earlier[1]["text"].split("\n\n")[1]
    assert article in applied.analysis.cleaned[0]  # shared with an earlier page, it is content, not a template
    (cluster,) = applied.report.data["model"]["syndication"]
    assert cluster["documents"] == ["copy-of-1"] and cluster["earlier_documents"] == ["page-1"]
    assert cluster["pairs"][0]["earlier_url"] == "https://news.example/1" and cluster["pairs"][0]["containment"] > 0.9
    assert applied.report.data["syndication"] == []  # among the new pages, nothing


def test_rows_of_finds_digests_sharing_their_high_half(seeds_split):
    import numpy as np

    m = load(seeds_split / "model")
    # Two keys whose high halves collide (never seen in practice): both found, and a third missing.
    m.hi = np.array([5, 7, 7, 9], dtype=np.uint64)
    m.lo = np.array([1, 2, 3, 4], dtype=np.uint64)
    found = m.rows_of(np.array([7, 7, 9, 9, 1], dtype=np.uint64), np.array([3, 2, 4, 5, 1], dtype=np.uint64))
    assert found.tolist() == [2, 1, 3, -1, -1]


def test_new_pages_of_an_earlier_centre_are_centred_on_the_first_by_id():
    """A cluster whose centre is an earlier page: among the new pages, the
    first by id stands for it, whatever their order in the input."""
    import numpy as np

    from dedupe.document import Document
    from dedupe.results import Analysis, Ragged, Spans
    from dedupe.saved.apply import restrict
    from dedupe.syndication import Cluster, Pair, Syndication

    def centre(ids: list[str]) -> str:
        docs = [Document(id=i, text="x", source="m") for i in ids] + [Document(id="earlier", text="x", source="model")]
        empty = Ragged(np.zeros(0, np.int64), np.zeros(5, np.int64))
        synd = Syndication(clusters=[Cluster(3, [0, 1, 2, 3], [Pair(0, 3, 1.0, 1.0), Pair(1, 3, 1.0, 1.0), Pair(2, 3, 1.0, 1.0)])], overlaps=[])
        spans = Spans.of_counts(np.zeros((0, 2), np.int64), np.zeros(4, np.int64))
        analysis = Analysis(docs, empty, empty, empty, spans, None, synd)
        (cluster,) = restrict(analysis, 3).syndication.clusters
        return docs[cluster.centre].id

    assert centre(["c", "a", "b"]) == centre(["b", "c", "a"]) == "a"
