"""The shipped block model: loads without running code, refuses what it cannot trust."""

import json
import shutil

import numpy as np
import pytest

import dedupe
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


def copy_model(tmp_path):
    target = tmp_path / "model"
    shutil.copytree(blockmodel.MODEL_DIR, target)
    return target


def test_other_format_version_is_refused(tmp_path):
    target = copy_model(tmp_path)
    meta = json.loads((target / "meta.json").read_text())
    meta["format_version"] = blockmodel.FORMAT_VERSION + 1
    (target / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(blockmodel.ModelError, match="format .*retrain"):
        blockmodel.load(target)


def test_corrupt_model_file_is_refused(tmp_path):
    target = copy_model(tmp_path)
    (target / "second.skops").write_bytes(b"not a zip file at all")
    with pytest.raises(blockmodel.ModelError, match="second.skops"):
        blockmodel.load(target)


def test_untrusted_type_is_refused(tmp_path):
    import skops.io as sio

    target = copy_model(tmp_path)
    # A file that would need a type outside the trusted list (a custom class) to load.
    sio.dump({"model": np.float64(1.0), "hook": shutil.copytree}, target / "first.skops")
    with pytest.raises(blockmodel.ModelError):
        blockmodel.load(target)


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
