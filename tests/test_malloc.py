"""Tests for dedupe.executor.malloc: the mmap threshold is set once, in a run and in its workers."""

import os
import platform

import numpy as np
import pytest

import dedupe
from dedupe.executor import malloc
from dedupe.document import Document
from dedupe.executor.parallel import Workers

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator only")


def _leaned_here(a, b):
    return os.getpid(), malloc.leaned()


def test_lean_sets_the_threshold_once(monkeypatch):
    calls = []
    malloc.forget()
    monkeypatch.setattr(malloc, "mallopt", lambda param, value: calls.append((param, value)) or 1)
    assert malloc.lean() and malloc.lean()
    assert calls == [(-3, malloc.MMAP_THRESHOLD)]


def test_lean_says_when_the_allocator_refuses(monkeypatch):
    malloc.forget()
    monkeypatch.setattr(malloc, "mallopt", lambda param, value: 0)
    assert not malloc.lean()


@glibc
def test_glibc_takes_it_and_trims():
    assert malloc.lean()
    malloc.trim()


@glibc
def test_a_run_and_its_workers_lean(monkeypatch):
    malloc.forget()
    dedupe.analyse([Document(id="a", text="one line\n\nanother line", source="t")])
    assert malloc.leaned()
    with Workers(jobs=2, min_chunk=1) as workers:
        workers.warm_up(wait=True)
        got = workers.map(_leaned_here, np.ones(64), lambda a, b: (a, b))
    assert {pid for pid, _ in got} - {os.getpid()}, "no chunk reached a worker"
    assert all(leaned for _, leaned in got)
