"""The syndication stage: pages that carry the same text, over the cleaned text."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Optional

from .. import checkpoint as checkpoints
from .. import syndication

if TYPE_CHECKING:  # the run is the pipeline's: stages only use what it offers
    from ..pipeline import Run

__all__ = ["run_syndication"]


def run_syndication(run: "Run", texts, spans, shared, previous: Optional[str]) -> syndication.Syndication:
    config = run.config
    key = run.key(
        "syndication", previous, asdict(config.shingle), asdict(config.minhash),
        asdict(config.syndication),
    )

    def compute() -> syndication.Syndication:
        with run.progress.stage("syndication"):
            return syndication.find(
                texts, spans, shared, config.shingle, config.minhash, config.syndication, run.workers, run.work.path,
                run.progress,
            )

    def decode(a: dict, _) -> syndication.Syndication:
        for name in ("centre", "members", "pair_ab"):
            if a[name].size and (a[name].min() < 0 or a[name].max() >= len(texts)):
                raise ValueError("documents out of range")
        return checkpoints.decode_syndication(a)

    return run.cached("syndication", key, compute, lambda s: (checkpoints.encode_syndication(s), None), decode)
