"""One frozen config per stage, gathered in :class:`Config`.

Every field name is also the keyword of the library functions and, in
kebab-case, the CLI option (``block_threshold`` -> ``--block-threshold``).
Values are validated on construction, with messages a person can act on.
A TOML file can hold the same options (:meth:`Config.from_file`).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import sys
from dataclasses import dataclass, field, fields
from typing import Any, Optional, Union

if sys.version_info >= (3, 11):
    import tomllib
else:  # the same parser, before it joined the standard library
    import tomli as tomllib

__all__ = [
    "Config",
    "ReadConfig",
    "ShingleConfig",
    "MinHashConfig",
    "BoilerplateConfig",
    "SyndicationConfig",
    "DuplicatesConfig",
    "BACKENDS",
    "DEFAULT_MEMORY",
    "WORK_DIR_NAME",
    "FORMATS",
    "LINK_LINES",
    "read_config_file",
]


def _check_range(name: str, value: Any, lo: float, hi: float, kind: type = float) -> None:
    ok_type = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind is int:
        ok_type = isinstance(value, int) and not isinstance(value, bool)
    if not ok_type or not (lo <= value <= hi):
        what = "an int" if kind is int else "a float"
        raise ValueError(
            f"The {name!r} parameter must be {what} in [{lo}, {hi}]. Got {value!r} instead."
        )


def _check_field_name(name: str, value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"The {name!r} parameter must be a non-empty string. Got {value!r} instead.")


#: The executors a run can go on (``backend=``, ``--backend``).
BACKENDS = ("local", "spark")
#: The memory a run is given by default (``memory=``, ``--memory``), in bytes.
DEFAULT_MEMORY = 2 << 30
#: The work folder ``clean`` keeps finished stages in under its output folder unless told otherwise.
WORK_DIR_NAME = ".dedupe-work"
#: Corpus file formats ``--format`` can name; "auto" reads it from each file's extension.
FORMATS = ("auto", "txt", "html", "jsonl", "csv", "tsv", "parquet", "warc", "wet")
#: Where lines of mostly link text are removed (``BoilerplateConfig.link_lines``).
LINK_LINES = ("auto", "all", "none")
#: Per-page extractors of an HTML page's main text (``ReadConfig.page_extractor``, :mod:`dedupe.io.main_text`).
EXTRACTORS = ("none", "trafilatura", "trafilatura-strict")
#: ``BoilerplateConfig.restore_threshold`` when not given: on pages read from
#: HTML with a page extractor's verdict, and on the others. Chosen by
#: cross-validation by site over the five public sets (benchmarks/README.md):
#: 0.4 lifts WCXB's content recall from HTML to the rule's, the extractor
#: removing what the model wrongly puts back; from text 0.5 costs dragnet
#: and CleanPortalEval F1 and puts a newsletter line back on a fixture.
RESTORE_THRESHOLDS = {"extractor": 0.4, "other": 0.9}
#: ``BoilerplateConfig.content_threshold`` when not given, by the same two
#: kinds of page. Chosen by cross-validation by site over the five public
#: sets (benchmarks/README.md): on pages a page extractor judged, its
#: verdict removes chrome the model leaves; on the others (text input) the
#: model is the only per-page judge, and a higher threshold pays.
CONTENT_THRESHOLDS = {"extractor": 0.15, "other": 0.25}


def _check_extractor(value: Any) -> None:
    if value not in EXTRACTORS:
        raise ValueError(f"The 'page_extractor' parameter must be one of {', '.join(EXTRACTORS)}. Got {value!r} instead.")
    if value != "none" and importlib.util.find_spec("trafilatura") is None:
        # A dependency since it is the default: missing only from a broken install.
        raise ValueError(
            f"The 'page_extractor' {value} needs trafilatura, which this installation lacks: "
            "pip install 'trafilatura>=2.0' (or reinstall crawl-dedupe), or --page-extractor none."
        )


@dataclass(frozen=True)
class ReadConfig:
    """How a corpus is read (and how its records are written back).

    Parameters
    ----------
    format : str
        Input format: "auto" (from each file's extension) or one of txt,
        html, jsonl, csv, tsv, parquet, warc, wet for every file given
        (standard input "-" is jsonl unless told).
    id_field : str
        Record field (JSONL key, CSV/Parquet column) holding the document
        id; a record without one is named ``file:line``. Every field option
        takes a dotted path into nested objects (JSONL) or struct columns
        (Parquet): ``metadata.id``.
    text_field : str
        Record field holding the document text.
    url_field : str
        Record field holding the page URL (its host is template evidence);
        ``metadata.url`` where cc_net and Dolma keep it.
    html_field : str
        Record field holding the page HTML, used when the text field is
        absent or empty: the page becomes its visible-text lines.
    output_field : str or None
        Record field the cleaned text is written to (added if missing); by
        default the text field itself, replaced.
    keep_fields : str or None
        Comma-separated record fields (dotted paths allowed) the output
        records keep, all others left out (JSONL, CSV/TSV and Parquet
        output); the text, output and id fields are always kept.
    drop_fields : str or None
        Comma-separated record fields (dotted paths allowed) the output
        records leave out (``html`` for a page kept beside its text); the
        text, output and id fields are never dropped.
    limit : int or None
        Read only the first N documents, in input order, and run on them;
        the rest of the corpus is not read (the report says where reading
        stopped and which files were not opened).
    strict : bool
        Stop at the first bad input (invalid UTF-8, malformed JSON, empty
        document, unreadable file) instead of recording it and going on.
    max_document_bytes : int
        A document (a text or HTML file, a JSONL line, a CSV row, a WARC
        record, a Parquet cell) larger than this, decompressed, is skipped
        as too large without being loaded.
    max_file_bytes : int
        A file that decompresses past this many bytes is read up to there;
        the rest is skipped as too large (a compression bomb is stopped
        while it streams).
    page_extractor : str
        HTML input: also give each page to a per-page extractor and remove
        what it finds outside the page's main text (reason
        ``outside_main_text``), where the repetition rule cannot see it (a
        reader's comment is on one page only): ``trafilatura`` (the
        default; tens of milliseconds a page, where the page is read: in
        the worker processes when the input is several files)
        removes the lines it finds in the comments and those before or
        after the main text; ``trafilatura-strict`` every line not in the
        main text (more precise on news pages, and it loses content on
        shop and forum pages); ``none``, the cross-page evidence alone (and
        the HTML read several times faster). Text input has no HTML: there
        it does nothing.
    """

    format: str = "auto"
    id_field: str = "id"
    text_field: str = "text"
    url_field: str = "url"
    html_field: str = "html"
    output_field: Optional[str] = None
    keep_fields: Optional[str] = None
    drop_fields: Optional[str] = None
    limit: Optional[int] = None
    strict: bool = False
    # 64 MiB: past any page a crawl stores, with room for a 50 MB single-line
    # record; a file may hold 256 such documents (16 GiB) before it is a bomb.
    max_document_bytes: int = 64 << 20
    max_file_bytes: int = 16 << 30
    page_extractor: str = "trafilatura"

    def __post_init__(self) -> None:
        _check_extractor(self.page_extractor)
        if self.format not in FORMATS:
            raise ValueError(
                f"The 'format' parameter must be one of {', '.join(FORMATS)}. Got {self.format!r} instead."
            )
        for name in ("id_field", "text_field", "url_field", "html_field"):
            _check_field_name(name, getattr(self, name))
        if self.output_field is not None:
            _check_field_name("output_field", self.output_field)
        for name in ("keep_fields", "drop_fields"):
            value = getattr(self, name)
            if isinstance(value, (list, tuple)):  # from Python or a TOML array: the same as "a,b"
                value = ",".join(map(str, value))
                object.__setattr__(self, name, value)
            if value is not None and (not isinstance(value, str) or not all(n.strip() for n in value.split(","))):
                raise ValueError(
                    f"The {name!r} parameter must be field names separated by commas (html,metadata.raw). Got {value!r} instead."
                )
        if self.keep_fields is not None and self.drop_fields is not None:
            raise ValueError("The 'keep_fields' and 'drop_fields' parameters exclude each other: give one of them.")
        if self.limit is not None:
            _check_range("limit", self.limit, 1, 2**62, int)
        _check_range("max_document_bytes", self.max_document_bytes, 1, 2**62, int)
        _check_range("max_file_bytes", self.max_file_bytes, 1, 2**62, int)

    @property
    def kept(self) -> Optional[tuple[str, ...]]:
        """``keep_fields`` as a tuple of names, or None."""
        return None if self.keep_fields is None else tuple(n.strip() for n in self.keep_fields.split(","))

    @property
    def dropped(self) -> tuple[str, ...]:
        """``drop_fields`` as a tuple of names (empty without it)."""
        return () if self.drop_fields is None else tuple(n.strip() for n in self.drop_fields.split(","))

    @property
    def always_kept(self) -> tuple[str, ...]:
        """The fields an output record always has: the text, output and id fields."""
        return tuple(dict.fromkeys(n for n in (self.text_field, self.output_field, self.id_field) if n))


@dataclass(frozen=True)
class ShingleConfig:
    """How blocks and documents are cut into shingles.

    Parameters
    ----------
    short_block_words : int
        Blocks with fewer words than this are shingled as character
        n-grams (a two-word line such as "Popular posts" has no word
        3-grams to speak of); longer blocks as word n-grams.
    char_ngram : int
        Character n-gram size for short blocks.
    word_ngram : int
        Word n-gram size for long blocks.
    doc_ngram : int
        Word n-gram size for whole documents (syndication).
    """

    short_block_words: int = 10
    char_ngram: int = 5
    word_ngram: int = 3
    doc_ngram: int = 5

    def __post_init__(self) -> None:
        _check_range("short_block_words", self.short_block_words, 0, 10_000, int)
        _check_range("char_ngram", self.char_ngram, 1, 64, int)
        _check_range("word_ngram", self.word_ngram, 1, 64, int)
        _check_range("doc_ngram", self.doc_ngram, 1, 64, int)


@dataclass(frozen=True)
class MinHashConfig:
    """MinHash signatures.

    Parameters
    ----------
    num_perm : int
        Number of permutations (signature length).
    seed : int
        Seed of the permutations; the same seed gives datasketch's
        permutations for the "affine32" scheme.
    """

    num_perm: int = 128
    seed: int = 1

    def __post_init__(self) -> None:
        _check_range("num_perm", self.num_perm, 2, 4096, int)
        _check_range("seed", self.seed, 0, 2**32 - 1, int)


@dataclass(frozen=True)
class BoilerplateConfig:
    """Which repeated blocks are boilerplate.

    Parameters
    ----------
    block_threshold : float
        Verified Jaccard similarity at which two blocks count as the same
        (near-identical) block. LSH is tuned to this threshold.
    min_documents : int
        A block must occur in at least this many documents to be a template.
    copy_containment : float
        Two documents are copies of each other (syndication) when the text
        they share covers at least this share of the shorter one, once
        templates are set aside; text shared by copies is never stripped.
    same_site_copy_containment : float
        The same, for two pages whose URLs have the same host: there a copy
        is the same article at two addresses and shares nearly everything,
        while pages that share an author box or a sidebar are not copies.
    cross_site_min_sites : int
        When both URLs are known and their hosts differ, a shared block is
        template evidence only if it is seen on at least this many sites:
        a passage shared by two sites is more likely quoted or syndicated
        text than a template.
    copy_check_limit : int
        A block carried by more documents than this is a template without
        the pairwise copy check (which costs the square of that number): no
        article is republished on that many pages of one corpus, a widget is.
    strip_repeats : bool
        Remove the repeats of a block inside one document after its first
        occurrence.
    block_model : str
        The learned block model that weighs every block's evidence:
        ``builtin`` (shipped with dedupe; the default), a folder written by
        ``benchmarks/train_block_model.py``, or ``none`` for the repetition
        rule alone.
    content_threshold : float or None
        Blocks the model gives a content probability below this are removed
        (``learned_boilerplate``). Low on purpose: losing content is worse
        than leaving a menu line. Text a copy of the page shares is never
        removed by the model. Unset (None, the default): by the kind of
        page, as ``restore_threshold`` (:data:`CONTENT_THRESHOLDS`).
    restore_threshold : float or None
        Blocks the repetition rule removes are kept when the model gives
        them a content probability of at least this: text that repeats yet
        reads as content in its page (1 keeps every removal of the rule).
        Unset (None, the default): 0.4 on pages read from HTML with a
        page extractor's verdict (``page_extractor``), which removes what
        the model puts back wrongly, and 0.9 on the others (text input).
    model_min_site_pages : int
        The model judges the pages of sites (URL hosts) with at least this
        many pages in the corpus: there it has the cross-page evidence it was
        trained with. Other pages get the repetition rule alone. 0 lets it
        judge every page, URL or not.
    link_lines : str
        Lines read from HTML whose text is mostly link text (a menu, a list
        of related stories, a tag cloud) are removed (``link_text``):
        ``auto``, on a page without siblings to compare it with (a site
        with fewer than ``model_min_site_pages`` pages in the corpus; pages
        without a URL count as one site), where the repetition rule has no
        evidence, and on other pages where the site's other lines under the
        same HTML elements are mostly templates; ``all``, everywhere;
        ``none``, never.
    """

    block_threshold: float = 0.7
    min_documents: int = 2
    copy_containment: float = 0.5
    same_site_copy_containment: float = 0.9
    cross_site_min_sites: int = 3
    copy_check_limit: int = 1000
    strip_repeats: bool = True
    block_model: str = "builtin"
    content_threshold: Optional[float] = None
    restore_threshold: Optional[float] = None
    model_min_site_pages: int = 3
    link_lines: str = "auto"

    def __post_init__(self) -> None:
        _check_range("block_threshold", self.block_threshold, 0.05, 1.0)
        _check_range("min_documents", self.min_documents, 2, 2**31, int)
        _check_range("copy_containment", self.copy_containment, 0.0, 1.0)
        _check_range("same_site_copy_containment", self.same_site_copy_containment, 0.0, 1.0)
        _check_range("cross_site_min_sites", self.cross_site_min_sites, 2, 2**31, int)
        _check_range("copy_check_limit", self.copy_check_limit, 2, 2**31, int)
        _check_field_name("block_model", self.block_model)
        if self.content_threshold is not None:
            _check_range("content_threshold", self.content_threshold, 0.0, 1.0)
        if self.restore_threshold is not None:
            _check_range("restore_threshold", self.restore_threshold, 0.0, 1.0)
        _check_range("model_min_site_pages", self.model_min_site_pages, 0, 2**31, int)
        if self.link_lines not in LINK_LINES:
            raise ValueError(f"The 'link_lines' parameter must be one of {', '.join(LINK_LINES)}. Got {self.link_lines!r} instead.")


@dataclass(frozen=True)
class SyndicationConfig:
    """Which documents carry the same text.

    Parameters
    ----------
    syndication_threshold : float
        Verified containment (shared shingles over the shingles of the
        shorter document) at which two cleaned documents are near-duplicates.
        Containment rather than Jaccard, so a truncated copy is found.
    lsh_threshold : float
        Jaccard threshold the document LSH index is tuned to; pairs that
        share blocks are proposed as candidates too, so truncated copies
        (low Jaccard, high containment) are still found.
    min_passage_words : int
        Shortest shared passage, in words, that is reported.
    overlap_min_words : int
        Documents that are not near-duplicates but share passages of at least
        this many words in total are reported as partial overlaps.
    """

    syndication_threshold: float = 0.5
    lsh_threshold: float = 0.3
    min_passage_words: int = 8
    overlap_min_words: int = 40

    def __post_init__(self) -> None:
        _check_range("syndication_threshold", self.syndication_threshold, 0.05, 1.0)
        _check_range("lsh_threshold", self.lsh_threshold, 0.05, 1.0)
        _check_range("min_passage_words", self.min_passage_words, 1, 100_000, int)
        _check_range("overlap_min_words", self.overlap_min_words, 1, 10_000_000, int)


@dataclass(frozen=True)
class DuplicatesConfig:
    """Which near-duplicates are left out of the output.

    Parameters
    ----------
    drop_duplicates : bool
        Keep one document of each set of near-duplicates in a syndication
        cluster (the cluster's centre) and leave the others out of the
        output; the report lists each one dropped with the id it
        duplicates. Partial copies are never dropped.
    duplicate_threshold : float
        Verified Jaccard similarity of two cleaned documents (their word
        n-gram sets) at which one is a near-duplicate of the other. At 0.8
        neither holds more than a quarter more n-grams than the two share; a
        page that is another's article plus as much text of its own (0.5)
        is a partial copy.
    """

    drop_duplicates: bool = False
    # Jaccard >= t means |A| <= |A | B| <= |A & B| / t for both pages: at 0.8
    # each holds at most 25% more than they share, well clear of the 0.5 of a
    # page that adds as much text again to the article it carries.
    duplicate_threshold: float = 0.8

    def __post_init__(self) -> None:
        if not isinstance(self.drop_duplicates, bool):
            raise ValueError(f"The 'drop_duplicates' parameter must be True or False. Got {self.drop_duplicates!r} instead.")
        _check_range("duplicate_threshold", self.duplicate_threshold, 0.05, 1.0)


_STAGES = {
    "read": ReadConfig,
    "shingle": ShingleConfig,
    "minhash": MinHashConfig,
    "boilerplate": BoilerplateConfig,
    "syndication": SyndicationConfig,
    "duplicates": DuplicatesConfig,
}


@dataclass(frozen=True)
class Config:
    """All stage configs. Build it from flat options with :meth:`from_options`.

    Examples
    --------
    >>> Config.from_options(block_threshold=0.7).boilerplate.block_threshold
    0.7
    """

    read: ReadConfig = field(default_factory=ReadConfig)
    shingle: ShingleConfig = field(default_factory=ShingleConfig)
    minhash: MinHashConfig = field(default_factory=MinHashConfig)
    boilerplate: BoilerplateConfig = field(default_factory=BoilerplateConfig)
    syndication: SyndicationConfig = field(default_factory=SyndicationConfig)
    duplicates: DuplicatesConfig = field(default_factory=DuplicatesConfig)

    @classmethod
    def option_names(cls) -> dict[str, str]:
        """Map every flat option name to the stage that owns it."""
        return {f.name: stage for stage, klass in _STAGES.items() for f in fields(klass)}

    @classmethod
    def from_options(cls, **options: Any) -> "Config":
        """Build a config from flat option names; unknown names are an error.

        Raises
        ------
        TypeError
            For an option name no stage has.
        ValueError
            For a value out of range.
        """
        owners = cls.option_names()
        unknown = sorted(set(options) - set(owners))
        if unknown:
            raise TypeError(
                f"Unknown option(s) {', '.join(unknown)}; valid options are: {', '.join(sorted(owners))}."
            )
        per_stage: dict[str, dict[str, Any]] = {stage: {} for stage in _STAGES}
        for name, value in options.items():
            per_stage[owners[name]][name] = value
        return cls(**{stage: _STAGES[stage](**kw) for stage, kw in per_stage.items()})

    @classmethod
    def from_file(cls, path: Union[str, os.PathLike], **options: Any) -> "Config":
        """Build a config from a TOML file, with ``options`` taking precedence.

        See :func:`read_config_file` for the file's shape.

        Raises
        ------
        OSError
            If the file cannot be read.
        ValueError
            For a file that is not TOML, an unknown key or a bad value; the
            message starts with the file's path.
        """
        from_file = read_config_file(path)
        try:
            cls.from_options(**from_file)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{os.fspath(path)}: {exc}") from None
        return cls.from_options(**{**from_file, **options})

    def replace(self, **options: Any) -> "Config":
        """Return a copy with some flat options changed."""
        return Config.from_options(**{**self.options(), **options})

    def options(self) -> dict[str, Any]:
        """The flat options, in stage order: what reports record."""
        return {k: v for stage in _STAGES for k, v in dataclasses.asdict(getattr(self, stage)).items()}


def read_config_file(path: Union[str, os.PathLike]) -> dict[str, Any]:
    r"""The options a TOML config file sets, by their flat names.

    The keys are the option names, as on the command line or as keywords
    (``block-threshold = 0.7`` or ``block_threshold = 0.7``), at the top
    level of the file. Values are checked when a :class:`Config` is built.

    Raises
    ------
    OSError
        If the file cannot be read.
    ValueError
        If it is not TOML, holds a table, or names an unknown option; the
        message starts with the file's path.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "dedupe.toml"
    >>> _ = path.write_text('block-threshold = 0.7\nformat = "jsonl"\n')
    >>> read_config_file(path)
    {'block_threshold': 0.7, 'format': 'jsonl'}
    """
    where = os.fspath(path)
    with open(path, "rb") as f:
        raw = f.read()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{where}: not a TOML file ({exc})") from None
    owners = Config.option_names()
    options: dict[str, Any] = {}
    for key, value in data.items():
        name = key.replace("-", "_")
        if isinstance(value, dict):
            raise ValueError(f"{where}: [{key}] is a table; options go at the top level (block-threshold = 0.7)")
        if name not in owners:
            raise ValueError(
                f"{where}: unknown option {key!r}; valid options are: {', '.join(n.replace('_', '-') for n in sorted(owners))}"
            )
        options[name] = value
    return options
