"""Each stage through its contract (dedupe.stages.contract): the tables it
declares are what it keeps, a kept stage is reused, and one whose tables
do not fit the declaration is computed again, with the same result."""

import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

import dedupe
from dedupe.checkpoint import CheckpointWarning
from dedupe.stages import blocks, boilerplate, clusters, model, syndication
from dedupe.stages.contract import Stage, Table

ROOT = Path(__file__).resolve().parent.parent
STAGES = [blocks.STAGE, clusters.STAGE, boilerplate.STAGE, model.STAGE, syndication.STAGE]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corpus")
    for p in [*sorted((ROOT / "seeds").iterdir()), ROOT / "tests" / "data" / "two_sites.jsonl"]:
        (root / p.name).write_bytes(p.read_bytes())
    return root


@pytest.fixture(scope="module")
def kept(corpus, tmp_path_factory):
    """A report run with every stage kept (the block model on, so it has a stage)."""
    work = tmp_path_factory.mktemp("work")
    result = dedupe.scan([corpus], jobs=1, work_dir=work, block_model="builtin")
    return work, result.report.to_json()


def _arrays(path: Path) -> dict:
    with np.load(path, allow_pickle=False) as z:
        return {name: z[name] for name in z.files}


def test_stages_read_what_earlier_stages_write_in_run_order():
    names = ["read"]
    for stage in STAGES:
        assert set(stage.reads) <= set(names), stage.name
        names.append(stage.name)
        assert len({t.name for t in stage.writes}) == len(stage.writes)


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
def test_a_stage_keeps_its_declared_tables_and_nothing_else(kept, stage):
    work, _ = kept
    (path,) = work.glob(f"{stage.name}-*.npz")
    arrays = _arrays(path)
    arrays.pop("meta_json")
    assert set(arrays) == {f"{t.name}.{c}" for t in stage.writes for c in t.columns}
    documents = json.loads(kept[1])["summary"]["documents_read"]
    for t in stage.writes:
        lengths = {len(arrays[f"{t.name}.{c}"]) for c in t.columns}
        assert len(lengths) == 1, t.name
        if t.rows == "document":
            assert lengths == {documents}


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.name)
@pytest.mark.parametrize("damage", ["column missing", "a table cut short"])
def test_a_kept_stage_that_breaks_its_contract_is_computed_again(corpus, kept, tmp_path, stage, damage):
    reference_work, reference = kept
    work = tmp_path / "work"
    work.mkdir()
    for p in reference_work.iterdir():
        (work / p.name).write_bytes(p.read_bytes())
    (path,) = work.glob(f"{stage.name}-*.npz")
    arrays = _arrays(path)
    table = max(stage.writes, key=lambda t: len(arrays[f"{t.name}.{t.columns[0]}"]))
    name = f"{table.name}.{table.columns[-1]}"
    if damage == "column missing":
        del arrays[name]
    else:
        arrays[name] = arrays[name][: len(arrays[name]) // 2]
    with zipfile.ZipFile(path, "w") as z:  # an .npz as numpy writes it, the meta header kept
        for key, value in arrays.items():
            with z.open(key + ".npy", "w") as f:
                np.lib.format.write_array(f, value, allow_pickle=False)
    with pytest.warns(CheckpointWarning, match=f"the {stage.name} stage runs again"):
        again = dedupe.scan([corpus], jobs=1, work_dir=work, block_model="builtin")
    assert again.report.to_json() == reference


def test_the_contract_checks_what_it_is_given():
    stage = Stage("s", reads=(), config=("shingle.doc_ngram",), writes=(Table("t", ("a", "b"), rows="block"),))
    assert stage.key_parts(dedupe.Config()) == [5]
    flat = stage.encode({"t": {"a": np.arange(3), "b": np.zeros(3)}})
    assert set(flat) == {"t.a", "t.b"}
    assert stage.decode(flat, {"block": 3})["t"]["a"].tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="another number of blocks"):
        stage.decode(flat, {"block": 4})
    with pytest.raises(ValueError, match="different lengths"):
        stage.encode({"t": {"a": np.arange(3), "b": np.zeros(2)}})
    with pytest.raises(ValueError, match="lacks a declared column"):
        stage.encode({"t": {"a": np.arange(3)}})


@pytest.mark.parametrize(
    "option, recomputed",
    [
        ({"content_threshold": 0.3}, {"model", "syndication"}),  # the block model's option: not the rule's stage
        ({"doc_ngram": 4}, {"syndication"}),  # syndication's shingles: not the blocks' nor the clusters'
        ({"copy_containment": 0.6}, {"boilerplate", "model", "syndication"}),
        ({"char_ngram": 4}, {"clusters", "boilerplate", "model", "syndication"}),
    ],
    ids=lambda v: ",".join(sorted(v)) if isinstance(v, set) else next(iter(v)),
)
def test_a_changed_option_reruns_the_stages_that_declare_it_and_those_after(corpus, kept, tmp_path, option, recomputed):
    """A stage is keyed by the options it declares: changing one reruns that
    stage and the ones reading it, and reuses every stage before."""
    reference_work, _ = kept
    work = tmp_path / "work"
    work.mkdir()
    for p in reference_work.iterdir():
        (work / p.name).write_bytes(p.read_bytes())
    before = {p.name for p in work.iterdir()}
    dedupe.scan([corpus], jobs=1, work_dir=work, block_model="builtin", **option)
    added = {p.name.split("-", 1)[0] for p in work.iterdir() if p.name not in before}
    assert added == recomputed


# --- the work a stage reports is the work it declares ------------------------------


def test_every_step_a_run_reports_is_declared_by_its_stage(seeds_dir, tmp_path):
    """The progress of a whole run (the block model on, so that every stage
    runs) names only the stages and steps their contracts declare, in the
    declared order of the stages."""
    from dedupe.api import STAGES

    heard: list[str] = []
    dedupe.clean(
        [seeds_dir], tmp_path / "out", progress=lambda stage, done, total: heard.append(stage), block_model="builtin",
        checkpoint=False,
    )
    by_name = {s.name: s for s in STAGES}
    names = list(dict.fromkeys(heard))
    undeclared = [n for n in names if not by_name.get(n.split(" · ")[0]) or not by_name[n.split(" · ")[0]].declares(n)]
    assert undeclared == []
    order = [s.name for s in STAGES]
    seen = list(dict.fromkeys(n.split(" · ")[0] for n in names))
    assert seen == order  # every stage, in order
    assert "boilerplate · round 1" in names and "syndication · signatures" in names


def test_a_step_is_a_map_or_a_reduce():
    from dedupe.stages.contract import Step

    with pytest.raises(ValueError, match="map or reduce"):
        Step("sort", "shuffle", "documents", "")
    from dedupe.api import STAGES

    kinds = {(s.name, step.name): step.kind for s in STAGES for step in s.steps}
    assert kinds[("syndication", "candidates")] == "reduce" and kinds[("blocks", "segment")] == "map"
