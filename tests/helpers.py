"""Shared helpers of the bad-input, extremes, property and determinism tests.

Tests are written against the public contract (DESIGN.md, "Public API"). A
name that no chapter has exported yet makes the test that needs it skip with
"not exported yet", so the tests activate on their own when the module lands.
"""

from __future__ import annotations

import contextlib
import copy
import importlib
import types
import warnings

import numpy as np
import pytest

import bplib

# Where each public name is defined, for as long as bplib/__init__.py does not
# re-export it yet (the contract spells them bplib.MLP, bplib.train, ...).
HOME = {
    "MLP": "bplib.mlp",
    "FastDropoutMLP": "bplib.fast_dropout",
    "gradcheck": "bplib.gradcheck",
    "train": "bplib.train",
}

ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")
# loss name -> the output activation it requires (None: any)
LOSS_OUTPUT = {
    "squared": None,
    "cross_entropy": "sigmoid",
    "softmax_cross_entropy": "identity",
}


def find(name: str):
    """The public object `name` (bplib.<name>), or None if not exported yet."""
    obj = getattr(bplib, name, None)
    if isinstance(obj, types.ModuleType):  # e.g. the submodule bplib.train
        obj = getattr(obj, name, None)
    if obj is None and name in HOME:
        try:
            obj = getattr(importlib.import_module(HOME[name]), name, None)
        except ImportError:
            obj = None
    return obj


def api(name: str):
    """The public object `name`, or skip the test: not exported yet."""
    obj = find(name)
    if obj is None:
        pytest.skip(f"bplib.{name} not exported yet")
    return obj


def has_loss(loss: str) -> bool:
    """Whether MLP accepts `loss` (chapters 3-4 register the cross-entropies)."""
    MLP = find("MLP")
    if MLP is None:
        return False
    try:
        MLP([2, 2], output=LOSS_OUTPUT[loss] or "identity", loss=loss)
    except ValueError as err:
        if "unknown" in str(err):
            return False
        raise
    return True


def require(*names: str) -> None:
    """Skip unless every name is available: "MLP", "train", "loss:<name>"."""
    for name in names:
        if name.startswith("loss:"):
            api("MLP")
            if not has_loss(name[5:]):
                pytest.skip(f"loss {name[5:]!r} not exported yet")
        else:
            api(name)


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
