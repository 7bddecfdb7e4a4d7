import numpy as np

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
