"""Readers and writers: the corpus in, the cleaned corpus out."""

from .readers import Corpus, InputFile, discover, read_corpus
from .writers import atomic_write, check_output, write_corpus

__all__ = ["Corpus", "InputFile", "discover", "read_corpus", "atomic_write", "check_output", "write_corpus"]
