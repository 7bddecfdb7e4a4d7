import numpy as np

from dedupe.ints import index_type


def test_int32_only_while_every_bound_fits():
    assert index_type(0) is np.int32 and index_type(2**31 - 2) is np.int32
    assert index_type(2**31 - 1) is np.int64  # the bound itself must fit, with room for a count one past it
    assert index_type(np.array([], dtype=np.int64)) is np.int32
    assert index_type(np.array([7, 2**31], dtype=np.int64)) is np.int64
    assert index_type(3, np.array([1, 2])) is np.int32 and index_type(3, 2**40) is np.int64
