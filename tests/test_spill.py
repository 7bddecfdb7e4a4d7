import tempfile

import numpy as np
import pytest

from dedupe.executor import spill
from dedupe.executor.spill import Shards, SpillWarning
from dedupe.stages.blocks import Blocks


@pytest.mark.parametrize("spill_rows", [0, 10, 1 << 30], ids=["disk", "spills-midway", "memory"])
def test_rows_meet_in_their_key_s_shard_in_the_order_added(tmp_path, spill_rows):
    rng = np.random.default_rng(0)
    chunks = [rng.integers(0, 50, size=int(rng.integers(0, 30))).astype(np.uint64) for _ in range(6)]
    with Shards(4, tmp_path, spill_rows) as shards:
        for i, keys in enumerate(chunks):
            shards.add(keys, chunk=np.full(len(keys), i), value=keys.astype(np.int64) * 10)
        shards.put(3, key=np.array([7], np.uint64), chunk=np.array([99]), value=np.array([-1]))
        got = [shards.load(s) for s in range(4)]
        on_disk = list(tmp_path.rglob("*.npy"))
        for s in range(4):  # mapped where a shard is one file a column: the same rows
            mapped = shards.load(s, ("key", "value"), mapped=True)
            assert set(mapped) == {"key", "value"} and all(np.array_equal(mapped[c], got[s][c]) for c in mapped)
    assert (len(on_disk) > 0) == (spill_rows < 100)
    assert not list(tmp_path.rglob("*.npy"))  # removed on close
    for s, rows in enumerate(got):
        want = [(int(k), i) for i, keys in enumerate(chunks) for k in keys.tolist() if k % 4 == s]
        if s == 3:
            want.append((7, 99))
        assert list(zip(rows["key"].tolist(), rows["chunk"].tolist())) == want
        assert (rows["value"][:len(want) - (s == 3)] == rows["key"][:len(want) - (s == 3)].astype(np.int64) * 10).all()


def test_spilled_rows_are_gathered_into_few_files(tmp_path, monkeypatch):
    """Once on disk, a shard writes its rows a file per FLUSH_BYTES, not one
    per put; what loads is every row in the order added, flushed or not,
    and replace drops gathered rows too."""
    monkeypatch.setattr(spill, "FLUSH_BYTES", 800)
    with Shards(2, tmp_path, spill_rows=1) as shards:
        for i in range(200):
            shards.put(i % 2, value=np.array([i, i], np.int64))  # 16 bytes a put
        files = list(tmp_path.rglob("*.npy"))
        assert 2 <= len(files) <= 8  # 200 puts, 3200 bytes, 800 bytes a file
        assert shards.load(0)["value"].tolist() == [i for i in range(0, 200, 2) for _ in (0, 1)]
        shards.put(1, value=np.array([-1], np.int64))
        assert shards.load(1)["value"].tolist()[-3:] == [199, 199, -1]
        shards.replace(1, value=np.array([5], np.int64))
        assert shards.load(1)["value"].tolist() == [5]
    assert spill.held() == 0 and not list(tmp_path.rglob("*.npy"))


def test_shards_sent_to_disk_keep_what_they_held_and_hold_at_most_a_flush_in_memory(tmp_path, monkeypatch):
    """to_disk() spills shards under no budget pressure (rows read once, at
    the end): what they held and what comes after go to files, memory keeps
    at most a gathered flush per shard, and every row loads in order."""
    monkeypatch.setattr(spill, "FLUSH_BYTES", 160)
    with Shards(3, tmp_path) as shards:
        shards.put(0, row=np.arange(4), value=np.ones(4))
        assert not shards.on_disk and spill.held() == 64
        shards.to_disk()
        assert shards.on_disk and spill.held() == 0 and list(tmp_path.rglob("*.npy"))
        for i in range(50):
            shards.put(i % 3, row=np.array([i]), value=np.array([i / 2]))
            assert spill.held() <= 3 * 160
        shards.to_disk()  # again: nothing changes
        got = [shards.load(s) for s in range(3)]
    assert got[0]["row"].tolist() == [0, 1, 2, 3] + list(range(0, 50, 3))
    assert got[2]["value"].tolist() == [i / 2 for i in range(2, 50, 3)]
    assert spill.held() == 0 and not list(tmp_path.rglob("*.npy"))


def test_a_running_total_replaced_pass_after_pass_counts_its_rows_once(tmp_path):
    """A shard's rows replaced (a running total) are its rows once against
    the row budget: a hundred passes over 10 rows stay in memory under a
    budget of 50 rows; more rows than the budget still spill."""
    with Shards(2, tmp_path, spill_rows=50) as shards:
        for p in range(100):
            total = np.arange(10) if p == 0 else shards.load(0)["total"] + 1
            shards.replace(0, total=total)
        assert not list(tmp_path.rglob("*.npy"))
        assert shards.load(0)["total"].tolist() == list(range(99, 109))
        shards.replace(1, total=np.zeros(41))
        assert list(tmp_path.rglob("*.npy"))  # 51 rows held: on disk
        assert shards.load(0)["total"].tolist() == list(range(99, 109)) and len(shards.load(1)["total"]) == 41


def test_an_empty_shard_loads_as_no_columns():
    with Shards(3) as shards:
        shards.add(np.array([3, 6], np.uint64))
        assert shards.load(1) == {} and shards.load(0)["key"].tolist() == [3, 6]


def test_an_unwritable_folder_spills_to_the_system_temporary_folder(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    system = tmp_path / "system-tmp"
    system.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system))
    with Shards(2, blocker / "work", spill_rows=0) as shards:
        shards.add(np.arange(6, dtype=np.uint64))
        assert list(system.rglob("*.npy")) and shards.load(1)["key"].tolist() == [1, 3, 5]
    assert not list(system.rglob("*.npy"))


def test_with_nowhere_to_spill_rows_stay_in_memory(tmp_path, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tempfile, "mkdtemp", refuse)
    with Shards(2, tmp_path, spill_rows=0) as shards:
        with pytest.warns(SpillWarning, match="No space left on device.*in memory"):
            shards.add(np.arange(6, dtype=np.uint64))
        assert shards.load(0)["key"].tolist() == [0, 2, 4]


def test_a_full_disk_midway_keeps_the_rest_in_memory(tmp_path, monkeypatch):
    real_save, saved = np.save, []

    def save(path, array):
        if len(saved) >= 3:
            raise OSError(28, "No space left on device")
        saved.append(path)
        real_save(path, array)

    monkeypatch.setattr(np, "save", save)
    with Shards(2, tmp_path, spill_rows=0) as shards, pytest.warns(SpillWarning) as told:
        for start in range(0, 12, 4):
            shards.add(np.arange(start, start + 4, dtype=np.uint64), value=np.arange(start, start + 4))
        assert len(told) == 1  # once, when the disk refused
        assert shards.load(0)["value"].tolist() == [0, 2, 4, 6, 8, 10]
        assert shards.load(1)["key"].tolist() == [1, 3, 5, 7, 9, 11]
        assert len(list(tmp_path.rglob("*.npy"))) == 2  # one whole part on disk; the half-written one removed


def test_the_budget_is_shared_by_every_shards_in_memory(tmp_path):
    """Under a budget, shards that together pass it go to disk: the first
    stays in memory, the one whose rows would pass the budget spills, and
    what they hold is counted back to nothing when they close."""
    from dedupe.executor import spill

    start = spill.held()
    rows = np.arange(1000, dtype=np.uint64)  # 8,000 bytes a column
    with spill.budget(20_000):
        with Shards(2, tmp_path / "a") as first, Shards(2, tmp_path / "b") as second:
            first.add(rows)
            assert spill.held() == start + 8_000 and not list(tmp_path.rglob("*.npy"))
            second.add(rows, value=rows.astype(np.int64))  # 16,000 more: past the budget
            assert list((tmp_path / "b").rglob("*.npy")) and not list((tmp_path / "a").rglob("*.npy"))
            assert spill.held() == start + 8_000
            assert second.load(1)["value"].tolist() == list(range(1, 1000, 2))
            first.replace(0, key=rows[:10])
            assert spill.held() == start + 4_000 + 80
        assert spill.held() == start
    assert spill.SPILL_BYTES == 1 << 30  # the budget ends with its block


def test_parked_arrays_wait_on_disk_and_come_back_equal(tmp_path, monkeypatch):
    monkeypatch.setattr(spill, "SPILL_ROWS", 999)  # 1000 rows: large enough to park
    rng = np.random.default_rng(0)
    blocks = rng.integers(0, 1 << 20, size=(1000, 3)).astype(np.int32)
    key = rng.integers(0, 500, size=1000).astype(np.int32)
    weight = rng.random(1000)
    b = Blocks(blocks.copy(), np.array([1000]), weight, np.zeros(1000, bool), key.copy(), np.zeros(1000, bool))
    with spill.parked(b, tmp_path, "blocks", "key"):
        assert b.blocks is None and b.key is None  # not in memory while parked
        assert b.weight is weight  # only the names asked for
        assert len(list(tmp_path.glob(spill.PREFIX + "*/*.npy"))) == 2
    assert b.blocks.dtype == np.int32 and b.blocks.shape == (1000, 3)
    np.testing.assert_array_equal(b.blocks, blocks)
    np.testing.assert_array_equal(b.key, key)
    assert not list(tmp_path.glob(spill.PREFIX + "*"))  # the spill folder is gone

    with pytest.raises(RuntimeError):  # back in place after an error too
        with spill.parked(b, tmp_path, "key"):
            raise RuntimeError
    np.testing.assert_array_equal(b.key, key)

    with spill.parked(b, None, "blocks"):  # no folder: left in memory
        np.testing.assert_array_equal(b.blocks, blocks)
    monkeypatch.setattr(spill, "SPILL_ROWS", 1000)
    kept = b.blocks
    with spill.parked(b, tmp_path, "blocks"):  # small: not worth the disk
        assert b.blocks is kept and not list(tmp_path.glob(spill.PREFIX + "*"))
    with spill.budget(1000), spill.parked(b, tmp_path, "blocks"):  # but past a small budget it is
        assert b.blocks is None
    np.testing.assert_array_equal(b.blocks, blocks)


def test_a_shard_loads_only_the_columns_asked_for(tmp_path):
    from dedupe.executor.spill import Shards

    for spill_rows in (None, 0):  # held in memory; on disk
        with Shards(2, tmp_path, spill_rows=spill_rows) as shards:
            shards.put(0, a=np.arange(3), b=np.arange(3) * 10)
            shards.put(0, a=np.arange(3, 5), b=np.arange(3, 5) * 10)
            got = shards.load(0, ("b",))
            assert list(got) == ["b"] and got["b"].tolist() == [0, 10, 20, 30, 40]
            assert shards.load(0)["a"].tolist() == [0, 1, 2, 3, 4]
            assert shards.load(1, ("b",)) == {}


@pytest.mark.parametrize("spill_rows", [0, 5, 1 << 30], ids=["disk", "spills-midway", "memory"])
def test_a_shard_of_many_parts_loads_as_their_concatenation(tmp_path, monkeypatch, spill_rows):
    """Parts on disk and in memory, a column of pairs and an empty part:
    what loads is what np.concatenate of the parts gives, shape and type."""
    monkeypatch.setattr(spill, "FLUSH_BYTES", 0)  # a file per put once on disk
    rng = np.random.default_rng(1)
    parts = [
        {"pair": rng.integers(0, 9, size=(n, 2)).astype(np.int32), "w": rng.random(n).astype(np.float32)}
        for n in (3, 0, 4, 1, 6)
    ]
    with Shards(1, tmp_path, spill_rows=spill_rows) as shards:
        for part in parts:
            shards.put(0, **part)
        got = shards.load(0)
    for name in ("pair", "w"):
        want = np.concatenate([p[name] for p in parts])
        assert got[name].dtype == want.dtype and got[name].shape == want.shape
        assert np.array_equal(got[name], want)


def test_a_shard_of_one_file_loads_mapped_when_asked(tmp_path):
    """load(mapped=True) gives a one-part shard on disk as its file mapped
    (the same rows, not copied); rows held in memory come as they are."""
    with Shards(2, tmp_path, spill_rows=0) as shards:
        shards.put(0, code=np.arange(10, dtype=np.int64) * 3, other=np.ones(10))
        mapped = shards.load(0, ("code",), mapped=True)
        assert list(mapped) == ["code"] and isinstance(mapped["code"], np.memmap)
        assert mapped["code"].tolist() == list(range(0, 30, 3))
    with Shards(2, tmp_path) as shards:
        shards.put(1, code=np.arange(4))
        assert not isinstance(shards.load(1, mapped=True)["code"], np.memmap)
