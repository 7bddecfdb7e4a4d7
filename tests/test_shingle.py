import numpy as np

import dedupe.shingle as shingle_module
from dedupe.shingle import char_shingles, hash_spans, word_shingles


def test_char_ngram_counts_and_short_texts():
    b = char_shingles(["comments", "ab", ""], 5)
    assert np.diff(b.offsets).tolist() == [4, 1, 0]  # 8-5+1, a short text is one shingle, empty has none
    assert b.hashes.dtype == np.uint32


def test_hash_independent_of_position_in_batch():
    alone = char_shingles(["popular posts"], 5).hashes
    inside = char_shingles(["x" * 13, "popular posts", "y"], 5)
    np.testing.assert_array_equal(inside.hashes[inside.offsets[1] : inside.offsets[2]], alone)
    w1 = word_shingles(["the cat sat on the mat"], 3).hashes
    w2 = word_shingles(["a b c d", "the cat sat on the mat"], 3)
    np.testing.assert_array_equal(w2.hashes[w2.offsets[1] :], w1)


def test_equal_ngrams_equal_hashes_different_differ():
    b = char_shingles(["abcdeabcde"], 5)
    h = b.hashes
    assert h[0] == h[5]  # "abcde" twice
    assert len(set(h.tolist())) == 5


def test_word_boundaries_matter():
    b = word_shingles(["ab c", "a bc", "ab c"], 2)
    h = b.hashes
    assert h[0] != h[1] and h[0] == h[2]


def test_word_ngrams():
    b = word_shingles(["one two three four", "one two", ""], 3)
    assert np.diff(b.offsets).tolist() == [2, 1, 0]
    # A 2-word text is one shingle: itself, equal to the same 2 words elsewhere as a short text.
    assert b.hashes[2] == word_shingles(["one two"], 3).hashes[0]


def test_hash_spans_consistent_with_char_shingles():
    text = "repeated block"
    spans = hash_spans([text], np.array([0, 1]), np.array([5, 6]))
    np.testing.assert_array_equal(spans, char_shingles([text], 5).hashes[:2])


def test_empty_batches():
    for b in (char_shingles([], 5), word_shingles([], 3)):
        assert len(b) == 0 and b.offsets.tolist() == [0] and len(b.hashes) == 0


# The documented hash, in plain Python: the polynomial of the code points
# (mod 2^64), MurmurHash3's fmix64, the high 32 bits; a word n-gram is the
# polynomial of its words' hashes, each xor-ed with the separator.
_MASK = (1 << 64) - 1


def _poly(values):
    h = 0
    for v in values:
        h = (h * 0x100000001B3 + v) & _MASK
    return h


def _fmix64_high(h):
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK
    h ^= h >> 33
    return h >> 32


def _ngrams(units, n):
    if len(units) < n:
        return [units] if units else []
    return [units[i : i + n] for i in range(len(units) - n + 1)]


def reference_char(text, n):
    return [_fmix64_high(_poly(g)) for g in _ngrams([ord(c) for c in text], n)]


def reference_word(text, n):
    words = [_poly(ord(c) for c in w) ^ 0x9E3779B97F4A7C15 for w in (text.split(" ") if text else [])]
    return [_fmix64_high(_poly(g)) for g in _ngrams(words, n)]


AWKWARD = [
    "",
    " ",
    "a",
    "  two  spaces  ",
    "café crème brûlée",  # 2-byte UTF-8
    "日本語のテキスト です",  # 3-byte
    "emoji 🙂 and 𝄞 clef",  # 4-byte
    "lone \ud800 surrogate",  # from a JSON escape
    "the quick brown fox jumps over the lazy dog",
]


def test_hashes_follow_the_documented_polynomial():
    ascii_only = [t for t in AWKWARD if t.isascii()]  # an all-ASCII batch takes a faster path
    for texts in (AWKWARD, ascii_only):
        for n in (1, 3, 5):
            chars, words = char_shingles(texts, n), word_shingles(texts, n)
            for i, text in enumerate(texts):
                assert chars.hashes[chars.offsets[i] : chars.offsets[i + 1]].tolist() == reference_char(text, n)
                assert words.hashes[words.offsets[i] : words.offsets[i + 1]].tolist() == reference_word(text, n)


def test_batch_cut_into_pieces_hashes_as_one(monkeypatch):
    rng = np.random.default_rng(3)
    alphabet = list("abcde ") + ["é", "🙂"]
    texts = ["".join(rng.choice(alphabet, size=int(rng.integers(0, 60)))) for _ in range(300)]
    whole = [word_shingles(texts, 3), char_shingles(texts, 5)]
    monkeypatch.setattr(shingle_module, "PIECE", 50)  # a few texts per piece
    for before, after in zip(whole, [word_shingles(texts, 3), char_shingles(texts, 5)]):
        np.testing.assert_array_equal(after.offsets, before.offsets)
        np.testing.assert_array_equal(after.hashes, before.hashes)
