"""Readers and writers: the corpus in, the cleaned corpus out."""

from .files import InputFile, atomic_write, discover
from .readers import Corpus, read_corpus
from .writers import check_output, write_corpus

__all__ = ["Corpus", "InputFile", "discover", "read_corpus", "atomic_write", "check_output", "write_corpus"]
