"""The model folder: columnar tables (Parquet) and a manifest.

``model.json`` holds the format version, the config a model was learned
with that a run applying it must share (shingles, MinHash permutations and
seed, the LSH thresholds, how block keys are hashed), the table sizes, and
every file's sha256 and size. A model is read only whole and intact: a
file missing, truncated or edited, a manifest of a newer format or of
another config is refused with a :class:`ModelError` (a
:class:`~dedupe.document.UsageError`: exit code 2 on the command line),
never half used.

The tables:

``blocks.parquet``
    One row per distinct normalised block key, sorted by its 128-bit digest
    (``hi``, ``lo``): a representative ``text`` (the key's first occurrence),
    ``short`` (compared on character n-grams), ``template`` (a template when
    last learned), ``pages`` and ``sites`` (the pages and distinct known
    hosts it was seen on).
``pages.parquet``
    One row per page learned, in learning order: ``id``, ``url`` and
    ``blocks``, its blocks' rows in ``blocks.parquet`` in page order (so a
    block's pages are known by id, and a page can be rebuilt).
``block_index.parquet`` and ``doc_index.parquet``
    The persistent LSH indexes: ``(band, key, row)`` sorted, one row per
    band of each block's MinHash signature (over its shingles, as the
    clusters stage cuts them) and of each page's (over its cleaned text,
    as the syndication stage's). A lookup is a binary search per band.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional, Union

import numpy as np

from .._version import __version__
from ..config import Config
from ..document import UsageError

__all__ = ["FORMAT_VERSION", "MANIFEST", "Model", "ModelError", "BandIndex", "check_writable", "config_parts", "load", "save"]

#: The model format this dedupe writes and reads.
FORMAT_VERSION = 1
MANIFEST = "model.json"
_KIND = "dedupe-model"
_TABLES = ("blocks.parquet", "pages.parquet", "block_index.parquet", "doc_index.parquet")
#: How block keys and signatures are made: part of what a model must share with a run.
HASHING = "blake2b-128 of the normalised line; MinHash of 32-bit shingle hashes (datasketch's permutations)"


class ModelError(UsageError):
    """A saved model that cannot be used: missing, damaged, of a newer
    format, or learned with another config."""


def config_parts(config: Config) -> dict:
    """What of a config a model and the run applying it must share."""
    return {
        "shingle": asdict(config.shingle),
        "minhash": asdict(config.minhash),
        "block_threshold": config.boilerplate.block_threshold,
        "lsh_threshold": config.syndication.lsh_threshold,
        "hashing": HASHING,
    }


class BandIndex:
    """A sorted ``(band, key, row)`` table: rows sharing a band key with a query."""

    def __init__(self, band: np.ndarray, key: np.ndarray, row: np.ndarray):
        order = np.lexsort((row, key, band))
        self.band, self.key, self.row = band[order].astype(np.int16), key[order].astype(np.uint64), row[order].astype(np.int64)

    @classmethod
    def of_matrix(cls, keys: np.ndarray, rows: np.ndarray) -> "BandIndex":
        """From a (n, b) matrix of band keys, row ``rows[i]`` for line i."""
        n, b = keys.shape if keys.ndim == 2 else (0, 0)
        return cls(np.tile(np.arange(b), n), keys.reshape(-1), np.repeat(rows, b))

    def matrix(self, n_rows: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        """Back to a (n_rows, b) matrix, and which rows have keys."""
        out = np.zeros((n_rows, b), dtype=np.uint64)
        out[self.row, self.band] = self.key
        has = np.zeros(n_rows, dtype=bool)
        has[self.row] = True
        return out, has

    def lookup(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pairs (query line, row) sharing a key in some band, distinct, sorted."""
        found_q, found_r = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
        bounds = np.searchsorted(self.band, np.arange(keys.shape[1] + 1) if keys.ndim == 2 else [0])
        for k in range(keys.shape[1] if keys.ndim == 2 else 0):
            a, e = bounds[k], bounds[k + 1]
            lo = np.searchsorted(self.key[a:e], keys[:, k], "left")
            hi = np.searchsorted(self.key[a:e], keys[:, k], "right")
            n = hi - lo
            q = np.repeat(np.arange(len(keys)), n)
            at = np.repeat(lo - np.cumsum(n) + n, n) + np.arange(int(n.sum()))
            found_q.append(q)
            found_r.append(self.row[a:e][at])
        q, r = np.concatenate(found_q), np.concatenate(found_r)
        codes = np.unique(np.stack([q, r], axis=1), axis=0) if len(q) else np.zeros((0, 2), np.int64)
        return codes[:, 0], codes[:, 1]


@dataclass
class Model:
    """A model in memory (the tables of the module's docstring, as arrays)."""

    config: dict
    hi: np.ndarray  # uint64 (n_blocks,), sorted with lo
    lo: np.ndarray
    text: list
    short: np.ndarray  # bool
    template: np.ndarray  # bool
    pages: np.ndarray  # int64
    sites: np.ndarray  # int64
    block_bands: np.ndarray  # uint64 (n_blocks, b)
    page_id: list
    page_url: list
    page_bounds: np.ndarray  # int64 (n_pages + 1,): page i's blocks are page_blocks[bounds[i]:bounds[i+1]]
    page_blocks: np.ndarray  # int64
    doc_bands: np.ndarray  # uint64 (n_pages, b_doc)
    doc_indexed: np.ndarray  # bool (n_pages,): has a cleaned text to match on
    _carriers: Optional[tuple] = field(default=None, init=False, repr=False, compare=False)
    _indexes: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def block_index(self) -> BandIndex:
        """The line index (as read, or made from ``block_bands``)."""
        if "block" not in self._indexes:
            self._indexes["block"] = BandIndex.of_matrix(self.block_bands, np.arange(len(self.hi)))
        return self._indexes["block"]

    def doc_index(self) -> BandIndex:
        """The page index (as read, or made from ``doc_bands``)."""
        if "doc" not in self._indexes:
            self._indexes["doc"] = BandIndex.of_matrix(self.doc_bands[self.doc_indexed], np.flatnonzero(self.doc_indexed))
        return self._indexes["doc"]

    @property
    def n_pages(self) -> int:
        return len(self.page_id)

    def rows_of(self, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
        """Each digest's row, -1 where the model has none."""
        start = np.searchsorted(self.hi, hi, "left")
        end = np.searchsorted(self.hi, hi, "right")
        row = np.full(len(hi), -1, dtype=np.int64)
        one = np.flatnonzero(end - start == 1)
        hit = self.lo[start[one]] == lo[one]
        row[one[hit]] = start[one][hit]
        for i in np.flatnonzero(end - start > 1).tolist():  # two keys with one hi: all but impossible
            for r in range(int(start[i]), int(end[i])):
                if self.lo[r] == lo[i]:
                    row[i] = r
        return row

    def page_text(self, p: int) -> str:
        """Page ``p`` rebuilt: its blocks' texts, a line each."""
        return "\n".join(self.text[r] for r in self.page_blocks[self.page_bounds[p] : self.page_bounds[p + 1]].tolist())

    def pages_of(self, rows: np.ndarray) -> np.ndarray:
        """The pages that carry any of the block ``rows``, sorted."""
        if self._carriers is None:  # blocks -> pages, made once: the page lists sorted by block
            order = np.argsort(self.page_blocks, kind="stable")
            owner = np.searchsorted(self.page_bounds, order, side="right") - 1
            self._carriers = (self.page_blocks[order], owner)
        blocks, owner = self._carriers
        rows = np.asarray(rows, dtype=np.int64)
        start, end = np.searchsorted(blocks, rows, "left"), np.searchsorted(blocks, rows, "right")
        n = end - start
        at = np.repeat(start - np.cumsum(n) + n, n) + np.arange(int(n.sum()))
        return np.unique(owner[at])

    def check_config(self, config: Config) -> None:
        """Refuse a run whose config differs from the model's where it must not."""
        run = json.loads(json.dumps(config_parts(config)))
        if run != self.config:
            diffs = []
            for section in sorted(set(run) | set(self.config)):
                a, b = self.config.get(section), run.get(section)
                if isinstance(a, dict) and isinstance(b, dict):
                    diffs += [f"{section}.{k}: model {a.get(k)!r}, run {b.get(k)!r}" for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
                elif a != b:
                    diffs.append(f"{section}: model {a!r}, run {b!r}")
            raise ModelError(
                "the model was learned with another config than this run's (" + "; ".join(diffs) + "): its "
                "signatures and keys cannot be compared; run with the model's options or learn a new model"
            )


# --- writing ----------------------------------------------------------------------------


def _write_tables(model: Model, folder: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    def write(name: str, columns: dict) -> None:
        pq.write_table(pa.table(columns), folder / name, compression="zstd", write_statistics=False)

    write("blocks.parquet", {
        "hi": pa.array(model.hi, pa.uint64()), "lo": pa.array(model.lo, pa.uint64()),
        "text": pa.array(model.text, pa.large_string()), "short": model.short, "template": model.template,
        "pages": model.pages.astype(np.int64), "sites": model.sites.astype(np.int64),
    })
    offsets = pa.array(model.page_bounds.astype(np.int64), pa.int64())
    write("pages.parquet", {
        "id": pa.array(model.page_id, pa.large_string()), "url": pa.array(model.page_url, pa.large_string()),
        "blocks": pa.LargeListArray.from_arrays(offsets, pa.array(model.page_blocks.astype(np.int64), pa.int64())),
    })
    for name, index in (
        ("block_index.parquet", model.block_index()), ("doc_index.parquet", model.doc_index()),
    ):
        write(name, {"band": index.band, "key": pa.array(index.key, pa.uint64()), "row": index.row})


def _manifest_digest(manifest: dict) -> str:
    """The sha256 of the manifest's own fields (all but this one), as canonical JSON."""
    rest = {k: v for k, v in manifest.items() if k != "manifest_sha256"}
    return hashlib.sha256(json.dumps(rest, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def check_writable(folder: Union[str, os.PathLike]) -> None:
    """Refuse to save a model over a file, or over a folder that is not empty and holds no model."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: the model folder must be a folder, and this is a file")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / MANIFEST).is_file():
        raise UsageError(f"{folder}: not a model folder (no {MANIFEST}) and not empty: refusing to replace it")


def save(model: Model, folder: Union[str, os.PathLike]) -> Path:
    """Write ``model`` to ``folder`` atomically: into a temporary folder
    beside it, then renamed into place (an earlier model there is replaced
    only once the new one is whole). Same model, same bytes."""
    folder = Path(folder)
    check_writable(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".tmp", dir=folder.parent))
    try:
        _write_tables(model, temp)
        manifest = {
            "format": _KIND,
            "format_version": FORMAT_VERSION,
            "dedupe_version": __version__,
            "config": model.config,
            "counts": {
                "blocks": len(model.hi), "templates": int(model.template.sum()), "pages": model.n_pages,
                "block_bands": int(model.block_bands.shape[1]), "doc_bands": int(model.doc_bands.shape[1]),
            },
            "files": {name: {"sha256": _sha256(temp / name), "bytes": (temp / name).stat().st_size} for name in _TABLES},
        }
        manifest["manifest_sha256"] = _manifest_digest(manifest)
        (temp / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", "utf-8")
        os.chmod(temp, 0o755)
        old = None
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old")
            if old.exists():
                shutil.rmtree(old)
            folder.rename(old)
        temp.rename(folder)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    return folder


# --- reading ----------------------------------------------------------------------------


def _manifest(folder: Path) -> dict:
    path = folder / MANIFEST
    if not folder.is_dir():
        raise ModelError(f"{folder}: no model there (learn one with: dedupe learn CORPUS -o {folder})")
    try:
        manifest = json.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{folder}: not a model folder (no {MANIFEST})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path}: the model's manifest is damaged ({exc}); learn it again") from None
    if not isinstance(manifest, dict) or manifest.get("format") != _KIND:
        raise ModelError(f"{path}: not a dedupe model manifest")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise ModelError(
            f"{folder}: model format {version!r} is newer than this dedupe reads ({FORMAT_VERSION}); "
            "upgrade dedupe or learn the model again with this one"
        )
    if version < FORMAT_VERSION:
        raise ModelError(f"{folder}: model format {version} is older than this dedupe reads ({FORMAT_VERSION}); learn it again")
    if manifest.get("manifest_sha256") != _manifest_digest(manifest) or not isinstance(manifest.get("counts"), dict):
        raise ModelError(f"{path}: the manifest was edited (its own checksum differs); the model is damaged, learn it again")
    for name in _TABLES:
        want = manifest.get("files", {}).get(name)
        if not isinstance(want, dict):
            raise ModelError(f"{path}: the manifest lists no {name}; the model is damaged, learn it again")
        file = folder / name
        if not file.is_file():
            raise ModelError(f"{file}: missing; the model is damaged, learn it again")
        if file.stat().st_size != want.get("bytes") or _sha256(file) != want.get("sha256"):
            raise ModelError(
                f"{file}: does not match its checksum in {MANIFEST} (truncated or edited); the model is damaged, learn it again"
            )
    return manifest


def load(folder: Union[str, os.PathLike], config: Optional[Config] = None) -> Model:
    """The model saved in ``folder``, checked whole (and against ``config``, when given).

    Raises
    ------
    ModelError
    """
    import pyarrow.parquet as pq

    folder = Path(folder)
    manifest = _manifest(folder)
    counts = manifest["counts"]
    try:
        blocks = pq.read_table(folder / "blocks.parquet")
        pages = pq.read_table(folder / "pages.parquet")
        bi, di = (pq.read_table(folder / n) for n in ("block_index.parquet", "doc_index.parquet"))
        lists = pages.column("blocks").combine_chunks()
        n_blocks, n_pages = blocks.num_rows, pages.num_rows
        block_index = BandIndex(*(bi.column(c).to_numpy() for c in ("band", "key", "row")))
        doc_index = BandIndex(*(di.column(c).to_numpy() for c in ("band", "key", "row")))
        block_bands, _ = block_index.matrix(n_blocks, counts["block_bands"])
        doc_bands, indexed = doc_index.matrix(n_pages, counts["doc_bands"])
        model = Model(
            config=manifest["config"],
            hi=blocks.column("hi").to_numpy(), lo=blocks.column("lo").to_numpy(),
            text=blocks.column("text").to_pylist(), short=blocks.column("short").to_numpy(),
            template=blocks.column("template").to_numpy(), pages=blocks.column("pages").to_numpy(),
            sites=blocks.column("sites").to_numpy(), block_bands=block_bands,
            page_id=pages.column("id").to_pylist(), page_url=pages.column("url").to_pylist(),
            page_bounds=np.asarray(lists.offsets, dtype=np.int64), page_blocks=lists.values.to_numpy().astype(np.int64),
            doc_bands=doc_bands, doc_indexed=indexed,
        )
        model._indexes.update(block=block_index, doc=doc_index)
    except (OSError, ValueError, KeyError, IndexError, TypeError) as exc:
        raise ModelError(f"{folder}: the model's tables cannot be read ({exc}); learn it again") from None
    if n_blocks != counts["blocks"] or n_pages != counts["pages"] or (
        len(model.page_blocks) and (model.page_blocks.min() < 0 or model.page_blocks.max() >= n_blocks)
    ):
        raise ModelError(f"{folder}: the model's tables do not agree with its manifest; learn it again")
    if config is not None:
        model.check_config(config)
    return model
