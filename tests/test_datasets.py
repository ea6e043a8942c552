"""Tier 1: bplib.load_digits (chapter 3).

Deterministic seeded split, shapes and dtypes, disjoint and complete parts,
stratification and scaling to [0, 1].
"""

import numpy as np
import pytest
from sklearn.datasets import load_digits as sklearn_digits  # a test dependency

import bplib


def _rows(X):
    return {row.tobytes() for row in X}


def test_shapes_dtypes_and_scaling():
    X_train, X_test, y_train, y_test = bplib.load_digits()
    assert X_train.shape == (1347, 64) and X_test.shape == (450, 64)
    assert y_train.shape == (1347,) and y_test.shape == (450,)
    assert X_train.dtype == np.float64 and y_train.dtype == np.int64
    assert X_train.min() >= 0.0 and X_train.max() <= 1.0 and X_train.max() == 1.0
    assert set(np.unique(y_train)) == set(range(10))
    X32 = bplib.load_digits(dtype=np.float32)[0]
    assert X32.dtype == np.float32


def test_same_seed_same_split_other_seed_other_split():
    a = bplib.load_digits(seed=3)
    b = bplib.load_digits(seed=3)
    c = bplib.load_digits(seed=4)
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x, y)
    assert not np.array_equal(a[3], c[3]) or not np.array_equal(a[1], c[1])


@pytest.mark.parametrize("stratify", [True, False])
def test_parts_disjoint_and_complete(stratify):
    data = sklearn_digits()
    X_train, X_test, y_train, y_test = bplib.load_digits(
        test_size=0.3, seed=1, stratify=stratify
    )
    assert len(X_train) + len(X_test) == len(data.data)
    # the digits set has a few duplicate images; compare (image, label) multisets
    full = sorted(
        (r.tobytes(), int(t))
        for r, t in zip(data.data / 16.0, data.target, strict=True)
    )
    parts = sorted(
        [(r.tobytes(), int(t)) for r, t in zip(X_train, y_train, strict=True)]
        + [(r.tobytes(), int(t)) for r, t in zip(X_test, y_test, strict=True)]
    )
    assert parts == full
    # no sample lands in both parts: indices are disjoint by construction, and
    # the test rows are not a subset of the training rows
    assert not _rows(X_test) <= _rows(X_train)


def test_stratified_split_keeps_class_proportions():
    _, _, y_train, y_test = bplib.load_digits(test_size=0.25, seed=0, stratify=True)
    counts = np.bincount(np.concatenate([y_train, y_test]))
    assert np.array_equal(np.bincount(y_test), np.round(0.25 * counts).astype(int))


# The bad-argument rows of load_digits are in tests/test_bad_input.py.
