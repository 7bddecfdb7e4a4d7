"""The shipped block model: loads without running code, refuses what it cannot trust."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

import dedupe
import dedupe.forest
from dedupe import blockmodel
from dedupe.pipeline import block_table


def test_shipped_model_loads_and_scores_every_block(seeds_dir):
    model = blockmodel.load()
    assert model.meta["format_version"] == blockmodel.FORMAT_VERSION
    docs = dedupe.io.read_corpus([seeds_dir]).documents
    table = block_table(docs, dedupe.Config())
    p = model.content_probability(table)
    assert p.shape == (len(table.texts),) and ((p >= 0) & (p <= 1)).all()
    # Article paragraphs score as content; the footer run that closes 001 and 004 does not.
    body = [q for q, t in zip(p, table.texts) if len(t.split()) > 40]
    ids = [docs[d].id[:3] for d in table.doc]
    footer = [q for q, t, i in zip(p, table.texts, ids) if t.strip() == "Popular posts from this blog" and i in ("001", "004")]
    assert len(footer) == 2 and min(body) > 0.5 > max(footer)


def copy_model(tmp_path, trees=True):
    """A copy of the shipped model folder (without ``trees.npz``: read from its skops files)."""
    target = tmp_path / "model"
    shutil.copytree(blockmodel.MODEL_DIR, target)
    if not trees:
        (target / blockmodel.TREES).unlink()
    return target


def test_other_format_version_is_refused(tmp_path):
    for trees in (True, False):
        target = copy_model(tmp_path / str(trees), trees)
        meta = json.loads((target / "meta.json").read_text())
        meta["format_version"] = blockmodel.FORMAT_VERSION + 1
        (target / "meta.json").write_text(json.dumps(meta))
        with pytest.raises(blockmodel.ModelError, match="format .*retrain"):
            blockmodel.load(target)
        with pytest.raises(blockmodel.ModelError, match="format .*retrain"):
            blockmodel.load_estimators(target)


def test_corrupt_model_file_is_refused(tmp_path):
    target = copy_model(tmp_path, trees=False)
    (target / "second.skops").write_bytes(b"not a zip file at all")
    with pytest.raises(blockmodel.ModelError, match="second.skops"):
        blockmodel.load(target)
    with pytest.raises(blockmodel.ModelError, match="second.skops"):
        blockmodel.load_estimators(target)


def test_untrusted_type_is_refused(tmp_path):
    import skops.io as sio

    target = copy_model(tmp_path, trees=False)
    # A file that would need a type outside the trusted list (a custom class) to load.
    sio.dump({"model": np.float64(1.0), "hook": shutil.copytree}, target / "first.skops")
    with pytest.raises(blockmodel.ModelError, match="first.skops"):
        blockmodel.load(target)
    with pytest.raises(blockmodel.ModelError, match="first.skops"):
        blockmodel.load_estimators(target)


def test_corrupt_trees_are_refused(tmp_path):
    target = copy_model(tmp_path)
    (target / blockmodel.TREES).write_bytes(b"not a zip file at all")
    with pytest.raises(blockmodel.ModelError, match="trees.npz"):
        blockmodel.load(target)


def rewrite_trees(target, change):
    """``trees.npz`` of the model in ``target``, its arrays passed through ``change``."""
    with np.load(target / blockmodel.TREES, allow_pickle=False) as npz:
        arrays = change({key: npz[key] for key in npz.files})
    np.savez(target / blockmodel.TREES, **arrays)


@pytest.mark.parametrize("change", [
    lambda a: {k: v for k, v in a.items() if k != "second/leaf"},  # a missing array
    lambda a: {**a, "third/leaf": a["first/leaf"]},  # an unexpected one
    lambda a: {**a, "first": a["first/leaf"]},  # one of no pass
    lambda a: {**a, "first/value": a["first/value"].astype(np.float32)},  # of another dtype
    lambda a: {**a, "second/right": a["second/right"][:-1]},  # of another length
    lambda a: {**a, "first/n_features": a["first/n_features"] + 1},  # not meta.json's number of features
    lambda a: {**a, "first/left": np.zeros_like(a["first/left"])},  # splits going round in circles
], ids=["missing", "unexpected", "no pass", "dtype", "shape", "features", "loop"])
def test_inconsistent_trees_are_refused(tmp_path, change):
    target = copy_model(tmp_path)
    rewrite_trees(target, change)
    with pytest.raises(blockmodel.ModelError, match="trees.npz"):
        blockmodel.load(target)


def test_trees_holding_objects_are_refused(tmp_path):
    target = copy_model(tmp_path)
    rewrite_trees(target, lambda a: {**a, "first/leaf": np.array([print], dtype=object)})
    with pytest.raises(blockmodel.ModelError, match="trees.npz"):
        blockmodel.load(target)


def test_a_model_without_trees_is_read_from_its_skops_files(tmp_path, seeds_dir):
    from sklearn.ensemble import HistGradientBoostingClassifier

    target = copy_model(tmp_path, trees=False)
    old = blockmodel.load(target)
    assert isinstance(old.first, HistGradientBoostingClassifier) and isinstance(old.second, HistGradientBoostingClassifier)
    table = block_table(dedupe.io.read_corpus([seeds_dir]).documents, dedupe.Config())
    shipped = blockmodel.load().content_probability(table)
    assert len(shipped) == len(table.texts) and np.array_equal(old.content_probability(table), shipped)


def test_a_saved_model_loads_from_its_trees(tmp_path, seeds_dir):
    from sklearn.ensemble import HistGradientBoostingClassifier

    table = block_table(dedupe.io.read_corpus([seeds_dir]).documents, dedupe.Config())
    base, context = blockmodel.block_features(table)
    X = np.concatenate([base, context], axis=1)
    n_stacked = blockmodel.stacked(np.zeros(len(X)), table.doc, base).shape[1]
    # A tiny pair fitted on random rows of the model's widths (with NaNs, so
    # that splits send missing values both ways).
    rng = np.random.default_rng(0)
    R = rng.normal(size=(400, X.shape[1] + n_stacked))
    y = R[:, 0] + R[:, -1] + rng.normal(size=len(R)) > 0
    R[rng.random(size=R.shape) < 0.2] = np.nan
    first = HistGradientBoostingClassifier(max_iter=5, random_state=0).fit(R[:, :X.shape[1]], y)
    second = HistGradientBoostingClassifier(max_iter=5, random_state=0).fit(R, y)
    X2 = np.concatenate([X, blockmodel.stacked(first.predict_proba(X)[:, 1], table.doc, base)], axis=1)
    target = tmp_path / "saved"
    blockmodel.save(first, second, {"trained_on": ["seeds"]}, target)
    assert (target / blockmodel.TREES).is_file()
    model = blockmodel.load(target)
    assert isinstance(model.first, dedupe.forest.Forest) and model.meta["n_features"] == X.shape[1]
    want = second.predict_proba(X2)[:, 1]
    assert len(set(want.tolist())) > 1 and np.array_equal(model.content_probability(table), want)
    again = blockmodel.load_estimators(target)
    assert np.array_equal(again[1].predict_proba(X2), second.predict_proba(X2))


def test_the_model_is_applied_without_scikit_learn(seeds_dir):
    code = (
        "import sys, dedupe, dedupe.features, dedupe.blockmodel as b; from dedupe.pipeline import block_table; "
        f"t = block_table(dedupe.io.read_corpus([{str(seeds_dir)!r}]).documents, dedupe.Config()); "
        "p = b.load().content_probability(t); assert len(p) == len(t.texts) > 0; "
        "print(sorted(m for m in ('sklearn', 'skops', 'pandas') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(blockmodel.ModelError, match="meta.json"):
        blockmodel.load(tmp_path)


def test_the_model_is_the_default_and_none_is_the_rule_alone(seeds_dir):
    default = dedupe.scan([seeds_dir]).report.data
    rule = dedupe.scan([seeds_dir], block_model="none").report.data["summary"]
    assert default["config"]["block_model"] == "builtin"
    assert rule["blocks_removed"]["learned_boilerplate"] == 0
    assert default["summary"]["blocks_removed"]["boilerplate"] == rule["blocks_removed"]["boilerplate"]


def test_syndicated_text_is_never_removed_by_the_model(data_dir):
    # With every block below the threshold the model would strip everything it may:
    # the republished story's paragraphs must survive anyway.
    result = dedupe.scan([data_dir / "two_sites.jsonl"], block_model="builtin", content_threshold=1.0)
    docs = {d.id: (d, c) for d, c in zip(result.analysis.documents, result.analysis.cleaned)}
    for doc_id in ("gazette/flood-barriers", "courier/flood-barriers"):
        doc, cleaned = docs[doc_id]
        assert "City council approves new flood barriers" in cleaned
        assert "Opponents on the council argued" in cleaned
    assert result.report.data["syndication"]


def test_the_model_keeps_what_the_rule_removes_only_when_sure(seeds_dir):
    removed = {}
    for restore in (0.0, 0.9, 1.0):
        summary = dedupe.scan([seeds_dir], block_model="builtin", content_threshold=0.0, restore_threshold=restore,
                              model_min_site_pages=0).report.data["summary"]["blocks_removed"]
        removed[restore] = summary.get("boilerplate", 0) + summary.get("repeated_in_document", 0)
    rule = dedupe.scan([seeds_dir], block_model="none").report.data["summary"]["blocks_removed"]
    assert removed[1.0] == rule.get("boilerplate", 0) + rule.get("repeated_in_document", 0) > 0  # 1: the rule's removals stand
    assert removed[0.0] == 0  # 0: every line the rule removes is kept
    assert 0 < removed[0.9] <= removed[1.0]  # the footers and menus stay removed


def test_a_model_for_another_number_of_features_is_refused(tmp_path, seeds_dir):
    target = copy_model(tmp_path)
    meta = json.loads((target / "meta.json").read_text())
    meta["n_features"] += 1
    (target / "meta.json").write_text(json.dumps(meta))
    table = block_table(dedupe.io.read_corpus([seeds_dir]).documents, dedupe.Config())
    with pytest.raises(blockmodel.ModelError, match="features"):
        blockmodel.load(target).content_probability(table)


@pytest.mark.parametrize("html", [False, True], ids=["text", "html"])
def test_ranges_scored_in_the_workers_are_scored_as_here(seeds_dir, monkeypatch, html):
    """With worker processes, ranges of pages are scored there (texts,
    features, both passes) and here: the same floats as one range after
    another in this process, text and HTML input (tag paths: text features
    made first, tag features shipped)."""
    import dataclasses

    from dedupe.executor.parallel import Workers
    from dedupe.io.records import html_document

    if html:
        pages = [
            "<html><body><nav><ul><li>Home</li><li>News</li></ul></nav><article><h1>Story {i}</h1>"
            "<p>{body}</p></article><footer><p>Copyright the site</p></footer></body></html>".format(
                i=i, body=" ".join(f"word{j % (7 + i)} text{(j * i) % 11}" for j in range(30))
            )
            for i in range(12)
        ]
        docs = [html_document(h, id=str(i), source="t", line=i + 1, url=f"http://site.example/s/{i}") for i, h in enumerate(pages)]
    else:
        docs = dedupe.io.read_corpus([seeds_dir]).documents
    table = block_table(docs, dedupe.Config())
    monkeypatch.setattr(blockmodel, "RANGE_BLOCKS", 7)  # several ranges
    model = blockmodel.load()
    here = model.content_probability(table)
    with Workers(jobs=2, min_chunk=1) as workers:
        workers.warm_up(wait=True)
        shared = model.content_probability(dataclasses.replace(table, workers=workers))
        assert workers.chunks_sent > 0  # some ranges were scored in the worker
    assert here.tobytes() == shared.tobytes()
    assert len(set(here.tolist())) > 5
