"""Shared helpers of the tests.

Tests are written against the public contract (DESIGN.md, "Public API") and
import what they test directly: a name bplib does not define makes the test
fail, never skip. The gradient references here (`central`, `rel_error`) are
written independently of bplib, so the library's gradients are never checked
with the library's own checker.
"""

from __future__ import annotations

import contextlib
import copy
import warnings

import numpy as np

ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")
# loss name -> the output activation it requires (None: any)
LOSS_OUTPUT = {
    "squared": None,
    "cross_entropy": "sigmoid",
    "softmax_cross_entropy": "identity",
}


def snapshot(net):
    """Deep copy of a network's parameters, to compare after a failing call."""
    return copy.deepcopy([tuple(p) for p in net.params])


def assert_unchanged(net, before) -> None:
    """Every parameter array equals its snapshot, bit for bit, same dtype."""
    after = [tuple(p) for p in net.params]
    assert len(after) == len(before), "the number of layers changed"
    for i, (old, new) in enumerate(zip(before, after, strict=True)):
        assert len(old) == len(new)
        for j, (a, b) in enumerate(zip(old, new, strict=True)):
            assert a.dtype == b.dtype and a.shape == b.shape, f"params[{i}][{j}]"
            assert np.array_equal(a, b), f"params[{i}][{j}] modified by a failing call"


@contextlib.contextmanager
def strict_fp():
    """Floating-point errors raise, and every RuntimeWarning is an error.

    Underflow is the one exception: the correctly rounded results at
    saturation are 0 (sigmoid(-1000) = e^-1000 ~ 1e-434 is below the
    smallest float64), so raising on underflow would forbid the right
    answer. numpy itself ignores underflow by default.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with np.errstate(all="raise", under="ignore"):
            yield


def flat(pairs) -> list[np.ndarray]:
    """[(W, b), ...] -> [W, b, ...]."""
    return [a for pair in pairs for a in pair]


def rel_error(a, b) -> float:
    """‖a − b‖ / (‖a‖ + ‖b‖), 0 if both are 0 (independent of bplib)."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    den = np.linalg.norm(a) + np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / den) if den else 0.0


def central(f, x, eps=1e-6):
    """Central differences of ``f()`` with respect to every entry of array `x`.

    Written out here, independently of bplib.gradcheck, so the tests of the
    library's gradients do not rely on the library's own checker. `x` is
    perturbed in place and restored.
    """
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + eps
        fp = f()
        x[idx] = old - eps
        fm = f()
        x[idx] = old
        g[idx] = (fp - fm) / (2 * eps)
    return g


def numeric_grads(net, X, Y, eps=1e-6):
    """Central differences of ``net.loss(X, Y)``: a list of (dW, db) like params."""
    return [
        tuple(central(lambda: net.loss(X, Y), p, eps) for p in pair)
        for pair in net.params
    ]
