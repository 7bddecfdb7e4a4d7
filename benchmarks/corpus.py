"""A synthetic web corpus for the speed benchmarks, generated from a seed.

Usage::

    python benchmarks/corpus.py --pages N --out DIR [--seed S] [--shard-pages K]

Pages look like scraped text: one block per line, blocks separated by blank
lines. Each page belongs to a site and carries that site's template (name,
menu, cookie notice, newsletter box, related links, footer), a few widget
lines that many sites share, a near-identical "first published by" line,
and a body of Zipfian words whose length is log-normal (median about 3.5 KB
of text per page). A share of the pages are syndicated copies of an earlier
page's body, mostly on another site: verbatim, truncated, or with a few
words changed (copies of copies too).

Everything is a pure function of ``(seed, n_pages, page index)``: pages
stream one at a time (a copy regenerates its source's body instead of
remembering it), so a corpus of any size is written shard by shard in
constant memory, and the same parameters give the same bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

__all__ = ["CorpusSpec", "Page", "pages", "write_jsonl", "ensure_jsonl"]

#: Bumped whenever the generator's output changes, so cached corpora are redone.
VERSION = 2
_MONTHS = ("January February March April May June July August September October November December").split()
_CONSONANTS = list("bcdfghjklmnprstvwz") + ["ch", "sh", "th", "st", "tr", "br", "gr", "pl"]
_VOWELS = list("aeiou") + ["ai", "ea", "ou", "io"]
# Widget lines seen on many sites (a template spread across the web).
_WIDGETS = (
    "Share this article on Facebook Twitter LinkedIn Email",
    "Sign up for our newsletter and never miss a story",
    "Advertisement",
    "Most popular",
    "Comments are closed.",
    "Follow us on social media",
    "Read more",
    "Skip to main content",
    "Subscribe for unlimited access",
    "Report an error",
)


@dataclass(frozen=True)
class CorpusSpec:
    """Parameters of a generated corpus; equal specs give equal corpora.

    Parameters
    ----------
    n_pages : int
        Number of pages.
    seed : int
        Seed of every random draw.
    pages_per_site : int
        Mean pages per site (sites = ``n_pages // pages_per_site``, at least 1).
    copy_share : float
        Share of pages that are syndicated copies of an earlier page.
    median_body_words : int
        Median body length in words (log-normal).
    body_sigma : float
        Log-normal shape of body lengths.
    vocabulary : int
        Distinct words.
    """

    n_pages: int
    seed: int = 0
    pages_per_site: int = 40
    copy_share: float = 0.1
    median_body_words: int = 560
    body_sigma: float = 0.6
    vocabulary: int = 40_000

    @property
    def n_sites(self) -> int:
        return max(1, self.n_pages // self.pages_per_site)


@dataclass(frozen=True)
class Page:
    """One generated page; ``copy_of`` is the source page of a copy, else -1."""

    id: str
    url: str
    text: str
    copy_of: int


class _Vocabulary:
    """Pronounceable made-up words with Zipf-Mandelbrot frequencies."""

    def __init__(self, size: int, seed: int):
        rng = np.random.default_rng([seed, 0xC0FFEE])
        words: list[str] = []
        seen: set[str] = set()
        while len(words) < size:
            # Candidates in bulk: up to 4 consonant-vowel syllables and a coda.
            n = 2 * size
            n_syl = rng.choice([1, 1, 2, 2, 2, 3, 3, 4], size=n)
            cons = rng.integers(0, len(_CONSONANTS), size=(n, 5))
            vows = rng.integers(0, len(_VOWELS), size=(n, 4))
            coda = rng.random(n) < 0.4
            for k, c, v, end in zip(n_syl.tolist(), cons.tolist(), vows.tolist(), coda.tolist()):
                w = "".join(_CONSONANTS[c[j]] + _VOWELS[v[j]] for j in range(k))
                w += _CONSONANTS[c[4]] if end else ""
                if w not in seen and len(words) < size:
                    seen.add(w)
                    words.append(w)
        # Short words are the frequent ones, as in real text.
        words.sort(key=lambda w: (len(w), w))
        self.words = np.array(words, dtype=object)
        weights = 1.0 / (np.arange(size) + 2.7)
        self.cdf = np.cumsum(weights) / weights.sum()

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` word indices drawn by frequency."""
        return np.minimum(np.searchsorted(self.cdf, rng.random(n)), len(self.cdf) - 1)

    def phrase(self, rng: np.random.Generator, n: int, title: bool = False) -> str:
        ws = self.words[self.draw(rng, n)].tolist()
        if title:
            return " ".join(w.capitalize() for w in ws)
        return " ".join(ws)


class _Site:
    """A site's template: the lines every page of it carries."""

    def __init__(self, vocab: _Vocabulary, spec: CorpusSpec, site: int):
        rng = np.random.default_rng([spec.seed, 1, site])
        self.name = vocab.phrase(rng, int(rng.integers(1, 4)), title=True)
        self.host = self.name.lower().replace(" ", "-") + f"-{site}.example"
        menu = [vocab.phrase(rng, int(rng.integers(1, 3)), title=True) for _ in range(int(rng.integers(4, 10)))]
        # Some sites write the menu on one line, others one item per line.
        self.menu = [" | ".join(menu)] if rng.random() < 0.5 else menu
        self.cookie = (
            f"We use cookies on {self.name} to {vocab.phrase(rng, 6)}. "
            "By continuing to browse you agree to our use of cookies."
        )
        self.newsletter = f"Get the {self.name} {vocab.phrase(rng, 3)} in your inbox every morning"
        self.widgets = [_WIDGETS[i] for i in rng.choice(len(_WIDGETS), size=3, replace=False)]
        self.footer = [
            f"Copyright {int(rng.integers(2005, 2025))} {self.name}. All rights reserved.",
            "Privacy Policy | Terms of Use | Contact Us | About",
        ]


def _body(vocab: _Vocabulary, spec: CorpusSpec, page: int) -> list[str]:
    """The article of a page: paragraphs of sentences of Zipfian words."""
    rng = np.random.default_rng([spec.seed, 2, page])
    n_words = int(np.clip(rng.lognormal(np.log(spec.median_body_words), spec.body_sigma), 40, 40_000))
    words = vocab.words[vocab.draw(rng, n_words)].tolist()
    sentence_lengths = rng.integers(6, 28, size=n_words // 6 + 1)
    ends = np.minimum(np.cumsum(sentence_lengths), n_words)
    ends = ends[: int(np.searchsorted(ends, n_words)) + 1].tolist()
    sentences = []
    start = 0
    for end in ends:
        if end > start:
            s = " ".join(words[start:end])
            sentences.append(s[0].upper() + s[1:] + ".")
        start = end
    per_paragraph = rng.integers(2, 8, size=len(sentences))
    cuts = np.cumsum(per_paragraph).tolist()
    paragraphs = []
    start = 0
    for end in cuts:
        if start >= len(sentences):
            break
        paragraphs.append(" ".join(sentences[start:end]))
        start = end
    return paragraphs


def _edit(vocab: _Vocabulary, rng: np.random.Generator, paragraphs: list[str]) -> list[str]:
    """A syndicated copy's body: verbatim, truncated, or lightly edited."""
    kind = rng.random()
    if kind < 0.3:
        return paragraphs
    if kind < 0.6:
        keep = max(1, int(len(paragraphs) * rng.uniform(0.4, 0.9)))
        return paragraphs[:keep]
    out = []
    for p in paragraphs:
        ws = p.split(" ")
        n_changes = rng.binomial(len(ws), 0.02)
        for i in rng.integers(0, len(ws), size=n_changes).tolist():
            ws[i] = str(vocab.words[vocab.draw(rng, 1)[0]])
        out.append(" ".join(ws))
    return out


def _date(rng: np.random.Generator) -> str:
    return f"{int(rng.integers(1, 29))} {_MONTHS[int(rng.integers(0, 12))]} {int(rng.integers(2015, 2025))}"


def _origin(spec: CorpusSpec, i: int) -> int:
    """The earlier page whose body page ``i`` copies, or -1 for an original."""
    rng = np.random.default_rng([spec.seed, 4, i])
    if i > 0 and rng.random() < spec.copy_share:
        return int(rng.integers(0, i))
    return -1


def _article(vocab: _Vocabulary, spec: CorpusSpec, i: int) -> list[str]:
    """The body page ``i`` shows: its own, or its origin's as shown there, edited
    (a copy of a copy carries both edits)."""
    chain = [i]
    while (j := _origin(spec, chain[-1])) >= 0:
        chain.append(j)
    body = _body(vocab, spec, chain[-1])
    for k in reversed(chain[:-1]):
        body = _edit(vocab, np.random.default_rng([spec.seed, 5, k]), body)
    return body


def _page(vocab: _Vocabulary, sites: dict[int, _Site], spec: CorpusSpec, i: int) -> Page:
    rng = np.random.default_rng([spec.seed, 3, i])
    site_id = int(rng.integers(0, spec.n_sites))
    if site_id not in sites:
        if len(sites) > 4096:  # a bounded cache: big corpora have many sites
            sites.clear()
        sites[site_id] = _Site(vocab, spec, site_id)
    site = sites[site_id]
    body = _article(vocab, spec, i)
    title = vocab.phrase(rng, int(rng.integers(4, 12)), title=True)
    related = [vocab.phrase(rng, int(rng.integers(4, 10)), title=True) for _ in range(int(rng.integers(3, 7)))]
    lines = [
        site.name,
        *site.menu,
        site.cookie,
        title,
        f"By {vocab.phrase(rng, 2, title=True)} | {_date(rng)}",
        site.widgets[0],
        *body,
        f"This article was first published by {site.name} on {_date(rng)}.",
        site.widgets[1],
        site.newsletter,
        "Related stories",
        *related,
        site.widgets[2],
        *site.footer,
    ]
    slug = "-".join(title.lower().split()[:6])
    return Page(
        id=f"p{i:08d}",
        url=f"https://www.{site.host}/{slug}-{i}",
        text="\n\n".join(lines) + "\n",
        copy_of=_origin(spec, i),
    )


def pages(spec: CorpusSpec) -> Iterator[Page]:
    """Generate the corpus page by page."""
    vocab = _Vocabulary(spec.vocabulary, spec.seed)
    sites: dict[int, _Site] = {}
    for i in range(spec.n_pages):
        yield _page(vocab, sites, spec, i)


def write_jsonl(spec: CorpusSpec, out: Path, shard_pages: int = 50_000) -> list[Path]:
    """Write the corpus as JSONL shards ``{"id", "url", "text"}`` under ``out``.

    ``.manifest.json`` is written last, so a folder that has it is complete
    (hidden, so ``dedupe`` does not read it as part of the corpus).

    Returns
    -------
    list of Path
        The shards, in order.
    """
    out.mkdir(parents=True, exist_ok=True)
    shards: list[Path] = []
    f = None
    for i, page in enumerate(pages(spec)):
        if i % shard_pages == 0:
            if f:
                f.close()
            shards.append(out / f"shard-{i // shard_pages:05d}.jsonl")
            f = open(shards[-1], "w", encoding="utf-8")
        f.write(json.dumps({"id": page.id, "url": page.url, "text": page.text}, ensure_ascii=False) + "\n")
    if f:
        f.close()
    manifest = {"version": VERSION, "spec": asdict(spec), "shard_pages": shard_pages}
    manifest["shards"] = [p.name for p in shards]
    (out / ".manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return shards


def ensure_jsonl(spec: CorpusSpec, out: Path, shard_pages: int = 50_000) -> tuple[list[Path], bool]:
    """The corpus's shards under ``out``, generated unless already there.

    Returns
    -------
    shards : list of Path
    reused : bool
        True when an earlier run had written the same corpus.
    """
    manifest = out / ".manifest.json"
    if manifest.exists():
        m = json.loads(manifest.read_text())
        if m.get("version") == VERSION and m.get("spec") == asdict(spec) and m.get("shard_pages") == shard_pages:
            shards = [out / name for name in m["shards"]]
            if all(p.exists() for p in shards):
                return shards, True
    for stale in out.glob("shard-*.jsonl"):
        stale.unlink()
    if manifest.exists():
        manifest.unlink()
    return write_jsonl(spec, out, shard_pages), False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", type=int, required=True, help="number of pages")
    ap.add_argument("--out", type=Path, required=True, help="output folder (JSONL shards)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shard-pages", type=int, default=50_000, help="pages per JSONL shard")
    args = ap.parse_args(argv)
    shards, reused = ensure_jsonl(CorpusSpec(args.pages, args.seed), args.out, args.shard_pages)
    print(f"{'reused' if reused else 'wrote'} {len(shards)} shard(s) under {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
