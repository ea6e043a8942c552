"""Tier 6, bad input: every public entry point rejects what it cannot use.

One table, one test per row; the bad-input rows of every public function
(networks, losses, ``train``, ``gradcheck``) live here and nowhere else.
Each row calls bplib with one bad argument and asserts

- the exception type (``ValueError``: right kind of object, wrong shape or
  value; ``TypeError``: wrong kind of object);
- the message, exactly (the whole string): it names the argument, says what
  was received and what was expected. A change of wording is a deliberate
  edit of this table, not a regex that happens to match;
- that the message names the argument (the row's ``name``, as a word), so
  an edit of the table cannot drop it unnoticed;
- that nothing was modified: the network's parameters are bit-for-bit equal
  to a deep copy taken before the call (also for ``train``), and so are the
  array arguments.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from helpers import assert_unchanged, snapshot

import bplib
import bplib.scalar_net as sn

X = np.random.default_rng(20260909).standard_normal((5, 3))
Y = np.random.default_rng(20260910).standard_normal((5, 2))
LABELS_OK = np.array([0, 2, 1, 1, 0])
ONE_HOT_OK = np.eye(3)[LABELS_OK]
PROBS_OK = np.linspace(0.1, 0.9, 10).reshape(5, 2)  # min 0.1, max 0.9

# Messages shared by many rows.
NUMERIC = "{} must be a real numeric array, got dtype {} (from {})"
FINITE = "{} contains NaN or infinity; expected finite values"
ONE_SAMPLE_HINT = "; for a single sample pass x[None, :], for one feature x[:, None]"
ACTIVATION_NAMES = "expected one of 'sigmoid', 'tanh', 'relu', 'identity'"
LABELS_0_2 = "Y given as 1-D must hold integer class labels in 0..2, got "
ONE_HOT = (
    "Y given as 2-D must be one-hot (entries 0 or 1, exactly one 1 per row); "
    "for class labels pass a 1-D integer array in 0..2"
)


def with_value(a, index, value, dtype=None):
    """A copy of `a` with one entry replaced."""
    out = np.array(a, dtype=dtype or np.asarray(a).dtype)
    out[index] = value
    return out


@dataclass
class Case:
    """One row: `setup()` returns (network or None, the failing call, args)."""

    id: str
    setup: Callable
    exc: type
    name: str  # the argument the message must name
    message: str  # the whole message


CASES: list[Case] = []


def row(id, setup, exc, name, message):
    CASES.append(Case(id, setup, exc, name, message))


# --- networks used by the rows ----------------------------------------------
def mlp(sizes=(3, 4, 2), **kw):
    return bplib.MLP(sizes, **kw)


def fast_dropout(sizes=(3, 4, 2), **kw):
    return bplib.FastDropoutMLP(sizes, **kw)


def softmax_net():
    return mlp((3, 4, 3), output="identity", loss="softmax_cross_entropy")


def bce_net():
    return mlp((3, 4, 2), output="sigmoid", loss="cross_entropy")


def method_call(make, method, *args):
    def setup():
        net = make()
        return net, lambda: getattr(net, method)(*args), args

    return setup


def constructor(make, **kw):
    def setup():
        return None, lambda: make(**kw), ()

    return setup


# --- X: the input batch, on every method ------------------------------------
X_ROWS = [
    (
        "width",
        X[:, [0, 1, 2, 0]],
        Y,
        ValueError,
        "X must have shape (N, 3), got (5, 4)",
    ),
    (
        "1d",
        X[0],
        Y[:1],
        ValueError,
        "X must be 2-D with shape (N, 3), got 1-D shape (3,)" + ONE_SAMPLE_HINT,
    ),
    (
        "3d",
        X[:, :, None],
        Y,
        ValueError,
        "X must be 2-D with shape (N, 3), got 3-D shape (5, 3, 1)",
    ),
    ("nan", with_value(X, (2, 1), np.nan), Y, ValueError, FINITE.format("X")),
    ("inf", with_value(X, (0, 0), np.inf), Y, ValueError, FINITE.format("X")),
    ("neg-inf", with_value(X, (4, 2), -np.inf), Y, ValueError, FINITE.format("X")),
    (
        "empty",
        X[:0],
        Y[:0],
        ValueError,
        "X is empty (shape (0, 3)); expected at least one row",
    ),
    (
        "strings",
        np.array([["a", "b", "c"]] * 5),
        Y,
        TypeError,
        NUMERIC.format("X", "<U1", "ndarray"),
    ),
    (
        "object",
        np.array([[1.0, None, 2.0]] * 5, dtype=object),
        Y,
        TypeError,
        NUMERIC.format("X", "object", "ndarray"),
    ),
    ("complex", X + 1j, Y, TypeError, NUMERIC.format("X", "complex128", "ndarray")),
    ("none", None, Y, TypeError, NUMERIC.format("X", "object", "NoneType")),
]
for _method in ("forward", "loss", "loss_and_grads"):
    for _id, _x, _y, _exc, _msg in X_ROWS:
        _args = (_x,) if _method == "forward" else (_x, _y)
        row(
            f"MLP.{_method}-X-{_id}", method_call(mlp, _method, *_args), _exc, "X", _msg
        )
row(
    "MLP.loss-X-overflows-float32",
    method_call(lambda: mlp(dtype=np.float32), "loss", with_value(X, (1, 1), 1e300), Y),
    ValueError,
    "X",
    "X has values too large for float32 (largest magnitude 1e+300)",
)

# --- Y: targets of the squared loss -----------------------------------------
Y_ROWS = [
    ("rows", Y[:4], ValueError, "Y must have shape (5, 2), got (4, 2)"),
    (
        "cols",
        np.hstack([Y, Y[:, :1]]),
        ValueError,
        "Y must have shape (5, 2), got (5, 3)",
    ),
    (
        "1d",
        Y[:, 0],
        ValueError,
        "Y must be 2-D with shape (5, 2), got 1-D shape (5,)" + ONE_SAMPLE_HINT,
    ),
    ("nan", with_value(Y, (3, 1), np.nan), ValueError, FINITE.format("Y")),
    ("inf", with_value(Y, (0, 0), np.inf), ValueError, FINITE.format("Y")),
    ("empty", Y[:0], ValueError, "Y must have shape (5, 2), got (0, 2)"),
    (
        "strings",
        np.array([["a", "b"]] * 5),
        TypeError,
        NUMERIC.format("Y", "<U1", "ndarray"),
    ),
    ("complex", Y + 0j, TypeError, NUMERIC.format("Y", "complex128", "ndarray")),
    ("none", None, TypeError, NUMERIC.format("Y", "object", "NoneType")),
]
for _method in ("loss", "loss_and_grads", "sensitivities"):
    for _id, _y, _exc, _msg in Y_ROWS:
        row(f"MLP.{_method}-Y-{_id}", method_call(mlp, _method, X, _y), _exc, "Y", _msg)

# --- Y: labels of softmax cross-entropy -------------------------------------
SOFTMAX_ROWS = [
    (
        "label-too-big",
        np.array([0, 1, 3, 2, 1]),
        ValueError,
        LABELS_0_2 + "values from 0 to 3",
    ),
    (
        "label-negative",
        np.array([0, -1, 2, 1, 0]),
        ValueError,
        LABELS_0_2 + "values from -1 to 2",
    ),
    (
        "label-fractional",
        np.array([0.0, 0.5, 2.0, 1.0, 0.0]),
        ValueError,
        LABELS_0_2 + "non-integer values",
    ),
    (
        "label-nan",
        np.array([0.0, np.nan, 2.0, 1.0, 0.0]),
        ValueError,
        LABELS_0_2 + "non-integer values",
    ),
    (
        "labels-count",
        np.array([0, 1, 2]),
        ValueError,
        "Y has 3 labels but there are 5 rows; expected one label per row",
    ),
    (
        "labels-strings",
        np.array(["0", "1", "2", "1", "0"]),
        TypeError,
        "Y must be integer class labels (N,) or one-hot (N, 3), got dtype <U1",
    ),
    (
        "labels-none",
        None,
        TypeError,
        "Y must be integer class labels (N,) or one-hot (N, 3), got dtype object",
    ),
    (
        "label-huge-float",
        np.array([0.0, 1e300, 2.0, 1.0, 0.0]),
        ValueError,
        LABELS_0_2 + "values from 0 to 1e+300",
    ),
    (
        "label-huge-int",
        np.array([0, 2**62, 2, 1, 0]),
        ValueError,
        LABELS_0_2 + "values from 0 to 4.61169e+18",
    ),
    (
        "labels-2d-column",
        LABELS_OK[:, None],
        ValueError,
        "Y must have shape (5, 3), got (5, 1)",
    ),
    (
        "labels-3d",
        LABELS_OK[:, None, None],
        ValueError,
        "Y must be integer class labels of shape (N,) or one-hot of shape (N, 3), "
        "got shape (5, 1, 1)",
    ),
    ("one-hot-two-ones", with_value(ONE_HOT_OK, (1, 1), 1.0), ValueError, ONE_HOT),
    ("one-hot-zero-row", with_value(ONE_HOT_OK, (2, 1), 0.0), ValueError, ONE_HOT),
    ("one-hot-value-2", with_value(ONE_HOT_OK, (0, 0), 2.0), ValueError, ONE_HOT),
    ("one-hot-negative", with_value(ONE_HOT_OK, (3, 0), -1.0), ValueError, ONE_HOT),
    (
        "one-hot-cols",
        np.eye(4)[LABELS_OK],
        ValueError,
        "Y must have shape (5, 3), got (5, 4)",
    ),
]
for _method in ("loss", "loss_and_grads"):
    for _id, _y, _exc, _msg in SOFTMAX_ROWS:
        row(
            f"softmax_ce.{_method}-Y-{_id}",
            method_call(softmax_net, _method, X, _y),
            _exc,
            "Y",
            _msg,
        )

# --- Y: targets of binary cross-entropy -------------------------------------
BCE_RANGE = "Y must hold targets in [0, 1] for binary cross-entropy, got values from "
BCE_ROWS = [
    (
        "above-1",
        with_value(PROBS_OK, (1, 0), 1.5),
        ValueError,
        BCE_RANGE + "0.1 to 1.5",
    ),
    (
        "below-0",
        with_value(PROBS_OK, (4, 0), -0.5),
        ValueError,
        BCE_RANGE + "-0.5 to 0.9",
    ),
    ("nan", with_value(PROBS_OK, (0, 1), np.nan), ValueError, FINITE.format("Y")),
    ("shape", PROBS_OK[:, :1], ValueError, "Y must have shape (5, 2), got (5, 1)"),
    ("none", None, TypeError, NUMERIC.format("Y", "object", "NoneType")),
]
for _method in ("loss", "loss_and_grads"):
    for _id, _y, _exc, _msg in BCE_ROWS:
        row(
            f"cross_entropy.{_method}-Y-{_id}",
            method_call(bce_net, _method, X, _y),
            _exc,
            "Y",
            _msg,
        )

# --- constructor arguments ---------------------------------------------------
SIZES_ROWS = [
    (
        "zero",
        [3, 0, 2],
        ValueError,
        "sizes[1]",
        "sizes[1] must be an integer >= 1, got 0",
    ),
    (
        "negative",
        [3, -1, 2],
        ValueError,
        "sizes[1]",
        "sizes[1] must be an integer >= 1, got -1",
    ),
    (
        "zero-input",
        [0, 2],
        ValueError,
        "sizes[0]",
        "sizes[0] must be an integer >= 1, got 0",
    ),
    (
        "float",
        [3, 2.5, 2],
        TypeError,
        "sizes[1]",
        "sizes[1] must be an integer, got float 2.5",
    ),
    (
        "integral-float",
        [3.0, 2],
        TypeError,
        "sizes[0]",
        "sizes[0] must be an integer, got float 3.0",
    ),
    (
        "string",
        [3, "3", 2],
        TypeError,
        "sizes[1]",
        "sizes[1] must be an integer, got str '3'",
    ),
    (
        "bool",
        [3, True, 2],
        TypeError,
        "sizes[1]",
        "sizes[1] must be an integer, got bool True",
    ),
    (
        "one-layer",
        [3],
        ValueError,
        "sizes",
        "sizes must list at least two layer widths (input and output), got [3]",
    ),
    (
        "empty",
        [],
        ValueError,
        "sizes",
        "sizes must list at least two layer widths (input and output), got []",
    ),
    (
        "int",
        3,
        TypeError,
        "sizes",
        "sizes must be a list of layer widths [n0, ..., nL], got 3",
    ),
    (
        "str",
        "32",
        TypeError,
        "sizes",
        "sizes must be a list of layer widths [n0, ..., nL], got '32'",
    ),
    (
        "none",
        None,
        TypeError,
        "sizes",
        "sizes must be a list of layer widths [n0, ..., nL], got None",
    ),
]
for _id, _sizes, _exc, _name, _msg in SIZES_ROWS:
    row(f"MLP-sizes-{_id}", constructor(mlp, sizes=_sizes), _exc, _name, _msg)
    row(
        f"FastDropoutMLP-sizes-{_id}",
        constructor(fast_dropout, sizes=_sizes),
        _exc,
        _name,
        _msg,
    )

CTOR_ROWS = [
    (
        "activation-unknown",
        {"activation": "softplus"},
        ValueError,
        "activation",
        f"activation='softplus' is unknown; {ACTIVATION_NAMES}",
    ),
    (
        "activation-case",
        {"activation": "ReLU"},
        ValueError,
        "activation",
        f"activation='ReLU' is unknown; {ACTIVATION_NAMES}",
    ),
    (
        "activation-none",
        {"activation": None},
        TypeError,
        "activation",
        "activation must be a name (str), got NoneType",
    ),
    (
        "activation-list-length",
        {"activation": ["relu", "tanh"]},
        ValueError,
        "activation",
        "activation lists 2 names but the network has 1 hidden layers; "
        "give one name per hidden layer",
    ),
    (
        "activation-list-unknown",
        {"sizes": [3, 4, 4, 2], "activation": ["relu", "bogus"]},
        ValueError,
        "activation[1]",
        f"activation[1]='bogus' is unknown; {ACTIVATION_NAMES}",
    ),
    (
        "activation-list-type",
        {"sizes": [3, 4, 4, 2], "activation": ["relu", 7]},
        TypeError,
        "activation[1]",
        "activation[1] must be a name (str), got int",
    ),
    (
        "output-unknown",
        {"output": "softmax"},
        ValueError,
        "output",
        f"output='softmax' is unknown; {ACTIVATION_NAMES}",
    ),
    (
        "output-none",
        {"output": None},
        TypeError,
        "output",
        "output must be a name (str), got NoneType",
    ),
    (
        "loss-unknown",
        {"loss": "mse"},
        ValueError,
        "loss",
        "loss='mse' is unknown; expected one of 'squared', 'softmax_cross_entropy', "
        "'cross_entropy'",
    ),
    (
        "loss-none",
        {"loss": None},
        TypeError,
        "loss",
        "loss must be a name (str), got NoneType",
    ),
    (
        "l2-negative",
        {"l2": -1e-3},
        ValueError,
        "l2",
        "l2 must be a finite number in [0.0, inf), got -0.001",
    ),
    (
        "l2-nan",
        {"l2": float("nan")},
        ValueError,
        "l2",
        "l2 must be a finite number in [0.0, inf), got nan",
    ),
    (
        "l2-inf",
        {"l2": float("inf")},
        ValueError,
        "l2",
        "l2 must be a finite number in [0.0, inf), got inf",
    ),
    (
        "l2-string",
        {"l2": "0.1"},
        TypeError,
        "l2",
        "l2 must be a real number, got str '0.1'",
    ),
    (
        "l2-none",
        {"l2": None},
        TypeError,
        "l2",
        "l2 must be a real number, got NoneType None",
    ),
    (
        "l2-array",
        {"l2": np.array([0.1, 0.2])},
        TypeError,
        "l2",
        "l2 must be a real number, got ndarray array([0.1, 0.2])",
    ),
    (
        "dtype-int",
        {"dtype": np.int32},
        ValueError,
        "dtype",
        "dtype must be np.float32 or np.float64, got int32",
    ),
    (
        "dtype-float16",
        {"dtype": np.float16},
        ValueError,
        "dtype",
        "dtype must be np.float32 or np.float64, got float16",
    ),
    (
        "dtype-none",
        {"dtype": None},
        TypeError,
        "dtype",
        "dtype must be np.float32 or np.float64, got None",
    ),
    (
        "dtype-nonsense",
        {"dtype": "nonsense"},
        TypeError,
        "dtype",
        "dtype must be a numpy float dtype, got 'nonsense'",
    ),
    # A loss that cannot depend on the parameters: softmax over one unit is
    # the constant 1, so its cross-entropy is 0 whatever the weights.
    (
        "softmax_cross_entropy-one-output",
        {"sizes": [3, 1], "output": "identity", "loss": "softmax_cross_entropy"},
        ValueError,
        "loss",
        "loss='softmax_cross_entropy' needs at least 2 output units, got "
        "sizes[-1]=1: with fewer the loss is constant",
    ),
]
for _id, _kw, _exc, _name, _msg in CTOR_ROWS:
    row(f"MLP-{_id}", constructor(mlp, **_kw), _exc, _name, _msg)

SEED_ROWS = [
    ("negative", -1, ValueError, "seed must be an integer >= 0, got -1"),
    ("float", 1.5, TypeError, "seed must be an integer, got float 1.5"),
    ("string", "a", TypeError, "seed must be an integer, got str 'a'"),
]
for _id, _seed, _exc, _msg in SEED_ROWS:
    row(f"MLP-seed-{_id}", constructor(mlp, seed=_seed), _exc, "seed", _msg)
    row(
        f"FastDropoutMLP-seed-{_id}",
        constructor(fast_dropout, seed=_seed),
        _exc,
        "seed",
        _msg,
    )

INCOMPATIBLE_ROWS = [
    ("cross_entropy", "identity", "sigmoid"),
    ("cross_entropy", "relu", "sigmoid"),
    ("cross_entropy", "tanh", "sigmoid"),
    ("softmax_cross_entropy", "sigmoid", "identity"),
    ("softmax_cross_entropy", "relu", "identity"),
]
for _loss, _out, _need in INCOMPATIBLE_ROWS:
    row(
        f"MLP-loss-{_loss}-with-output-{_out}",
        constructor(mlp, loss=_loss, output=_out),
        ValueError,
        "output",
        f"loss={_loss!r} needs output={_need!r}, got output={_out!r}",
    )

# --- FastDropoutMLP: keep_prob, loss, and its methods -----------------------
KEEP_RANGE = "must be a finite number in (0.0, 1.0], got "
KEEP_ROWS = [
    ("zero", 0, ValueError, "keep_prob", "keep_prob " + KEEP_RANGE + "0"),
    ("zero-float", 0.0, ValueError, "keep_prob", "keep_prob " + KEEP_RANGE + "0.0"),
    ("above-1", 1.5, ValueError, "keep_prob", "keep_prob " + KEEP_RANGE + "1.5"),
    (
        "just-above-1",
        1.0001,
        ValueError,
        "keep_prob",
        "keep_prob " + KEEP_RANGE + "1.0001",
    ),
    ("negative", -0.1, ValueError, "keep_prob", "keep_prob " + KEEP_RANGE + "-0.1"),
    ("nan", float("nan"), ValueError, "keep_prob", "keep_prob " + KEEP_RANGE + "nan"),
    ("inf", float("inf"), ValueError, "keep_prob", "keep_prob " + KEEP_RANGE + "inf"),
    (
        "string",
        "0.5",
        TypeError,
        "keep_prob",
        "keep_prob must be a real number, got str '0.5'",
    ),
    (
        "bool",
        True,
        TypeError,
        "keep_prob",
        "keep_prob must be a real number, got bool True",
    ),
    (
        "none",
        None,
        TypeError,
        "keep_prob",
        "keep_prob must be a real number, got NoneType None",
    ),
    (
        "list-length",
        [0.5],
        ValueError,
        "keep_prob",
        "keep_prob lists 1 probabilities but the network has 2 layers; "
        "give one number, or one per layer (its inputs)",
    ),
    (
        "list-zero",
        [1.0, 0.0],
        ValueError,
        "keep_prob[1]",
        "keep_prob[1] " + KEEP_RANGE + "0.0",
    ),
    (
        "list-above-1",
        [0.5, 1.2],
        ValueError,
        "keep_prob[1]",
        "keep_prob[1] " + KEEP_RANGE + "1.2",
    ),
    (
        "list-nan",
        [float("nan"), 0.5],
        ValueError,
        "keep_prob[0]",
        "keep_prob[0] " + KEEP_RANGE + "nan",
    ),
    (
        "list-string",
        [1.0, "0.5"],
        TypeError,
        "keep_prob[1]",
        "keep_prob[1] must be a real number, got str '0.5'",
    ),
]
for _id, _p, _exc, _name, _msg in KEEP_ROWS:
    row(
        f"FastDropoutMLP-keep_prob-{_id}",
        constructor(fast_dropout, keep_prob=_p),
        _exc,
        _name,
        _msg,
    )
FD_CTOR_ROWS = [
    (
        "dtype-int",
        {"dtype": np.int64},
        ValueError,
        "dtype",
        "dtype must be np.float32 or np.float64, got int64",
    ),
    (
        "loss-unknown",
        {"loss": "mse"},
        ValueError,
        "loss",
        "loss='mse' is unknown; expected one of 'squared', 'cross_entropy'",
    ),
    (
        "loss-softmax_cross_entropy",
        {"loss": "softmax_cross_entropy"},
        ValueError,
        "loss",
        "loss='softmax_cross_entropy' is unknown; expected one of 'squared', "
        "'cross_entropy'",
    ),
    ("loss-int", {"loss": 3}, TypeError, "loss", "loss must be a name (str), got int"),
]
for _id, _kw, _exc, _name, _msg in FD_CTOR_ROWS:
    row(f"FastDropoutMLP-{_id}", constructor(fast_dropout, **_kw), _exc, _name, _msg)
row(
    "FastDropoutMLP.forward-inference-unknown",
    method_call(fast_dropout, "forward", X, "mc"),
    ValueError,
    "inference",
    "inference='mc' is unknown; expected one of 'gaussian', 'scaled'",
)


def mc_call(fn, *args, rng=None):
    """A Monte Carlo dropout function applied to a fresh FastDropoutMLP."""

    def setup():
        net = fast_dropout()
        gen = np.random.default_rng(0) if rng is None else rng
        return net, lambda: fn(net, *args, gen), args

    return setup


for _method, _args in (("forward", (X,)), ("loss", (X, Y)), ("loss_and_grads", (X, Y))):
    for _id, _x, _y, _exc, _msg in X_ROWS:
        _args = (_x,) if _method == "forward" else (_x, _y)
        row(
            f"FastDropoutMLP.{_method}-X-{_id}",
            method_call(fast_dropout, _method, *_args),
            _exc,
            "X",
            _msg,
        )
    if _method != "forward":
        for _id, _y, _exc, _msg in Y_ROWS:
            row(
                f"FastDropoutMLP.{_method}-Y-{_id}",
                method_call(fast_dropout, _method, X, _y),
                _exc,
                "Y",
                _msg,
            )
for _id, _x, _y, _exc, _msg in X_ROWS:
    row(
        f"mc_dropout_forward-X-{_id}",
        mc_call(bplib.mc_dropout_forward, _x),
        _exc,
        "X",
        _msg,
    )
    row(
        f"mc_dropout_loss_and_grads-X-{_id}",
        mc_call(bplib.mc_dropout_loss_and_grads, _x, _y),
        _exc,
        "X",
        _msg,
    )
for _id, _y, _exc, _msg in Y_ROWS:
    row(
        f"mc_dropout_loss_and_grads-Y-{_id}",
        mc_call(bplib.mc_dropout_loss_and_grads, X, _y),
        _exc,
        "Y",
        _msg,
    )
RNG_MESSAGE = "rng must be a numpy Generator (np.random.default_rng(seed)), got {}"
row(
    "mc_dropout_forward-rng-int",
    mc_call(bplib.mc_dropout_forward, X, rng=0),
    TypeError,
    "rng",
    RNG_MESSAGE.format("int"),
)
row(
    "mc_dropout_loss_and_grads-rng-RandomState",
    mc_call(bplib.mc_dropout_loss_and_grads, X, Y, rng=np.random.RandomState(0)),
    TypeError,
    "rng",
    RNG_MESSAGE.format("RandomState"),
)
row(
    "mc_dropout_forward-net-object",
    constructor(
        lambda: bplib.mc_dropout_forward(object(), X, np.random.default_rng(0))
    ),
    TypeError,
    "net",
    "net must be a FastDropoutMLP, got object",
)
row(
    "mc_dropout_loss_and_grads-net-MLP",
    constructor(
        lambda: bplib.mc_dropout_loss_and_grads(mlp(), X, Y, np.random.default_rng(0))
    ),
    TypeError,
    "net",
    "net must be a FastDropoutMLP, got MLP",
)

# --- dropout_moments and gaussian_sigmoid_mean --------------------------------
A2, W43, B4 = np.zeros((2, 3)), np.zeros((4, 3)), np.zeros(4)
FUNCTION_ROWS = [
    (
        "dropout_moments-A_prev-width",
        lambda: bplib.dropout_moments(A2, np.zeros((4, 2)), B4, 0.5),
        ValueError,
        "A_prev",
        "A_prev must have shape (N, 2), got (2, 3)",
    ),
    (
        "dropout_moments-b-shape",
        lambda: bplib.dropout_moments(A2, W43, np.zeros(3), 0.5),
        ValueError,
        "b",
        "b must have shape (4), got (3,)",
    ),
    (
        "dropout_moments-W-1d",
        lambda: bplib.dropout_moments(A2, np.zeros(3), np.zeros(1), 0.5),
        ValueError,
        "W",
        "W must be 2-D with shape (any), got 1-D shape (3,)" + ONE_SAMPLE_HINT,
    ),
    (
        "dropout_moments-keep_prob-zero",
        lambda: bplib.dropout_moments(A2, W43, B4, 0.0),
        ValueError,
        "keep_prob",
        "keep_prob " + KEEP_RANGE + "0.0",
    ),
    (
        "dropout_moments-keep_prob-string",
        lambda: bplib.dropout_moments(A2, W43, B4, "1"),
        TypeError,
        "keep_prob",
        "keep_prob must be a real number, got str '1'",
    ),
    (
        "gaussian_sigmoid_mean-var-negative",
        lambda: bplib.gaussian_sigmoid_mean(0.0, -1.0),
        ValueError,
        "var",
        "var must be >= 0 (a variance), got minimum np.float64(-1.0)",
    ),
    (
        "gaussian_sigmoid_mean-no-broadcast",
        lambda: bplib.gaussian_sigmoid_mean(np.zeros(3), np.ones(2)),
        ValueError,
        "mu",
        "mu (shape (3,)) and var (shape (2,)) must broadcast together",
    ),
    (
        "gaussian_sigmoid_mean-mu-string",
        lambda: bplib.gaussian_sigmoid_mean("a", 1.0),
        TypeError,
        "mu",
        NUMERIC.format("mu", "<U1", "str"),
    ),
    (
        "gaussian_sigmoid_mean-mu-nan",
        lambda: bplib.gaussian_sigmoid_mean(np.array([0.0, np.nan]), 1.0),
        ValueError,
        "mu",
        FINITE.format("mu"),
    ),
]

# --- the loss functions and the lookups by name ---------------------------------
Z74 = np.random.default_rng(3).standard_normal((7, 4))
FUNCTION_ROWS += [
    (
        "get_activation-int",
        lambda: bplib.get_activation(3),
        TypeError,
        "activation",
        "activation must be a name (str), got int",
    ),
    (
        "get_activation-unknown-as-output",
        lambda: bplib.get_activation("softplus", "output"),
        ValueError,
        "output",
        f"output='softplus' is unknown; {ACTIVATION_NAMES}",
    ),
    (
        "get_loss-unknown",
        lambda: bplib.get_loss("mse"),
        ValueError,
        "loss",
        "loss='mse' is unknown; expected one of 'squared', 'softmax_cross_entropy', "
        "'cross_entropy'",
    ),
    (
        "softmax-Z-inf",
        lambda: bplib.softmax(np.array([[0.0, np.inf]])),
        ValueError,
        "Z",
        FINITE.format("Z"),
    ),
    (
        "logsumexp-Z-strings",
        lambda: bplib.logsumexp(np.array(["a"])),
        TypeError,
        "Z",
        NUMERIC.format("Z", "<U1", "ndarray"),
    ),
    (
        "log_softmax-Z-3d",
        lambda: bplib.log_softmax(np.zeros((2, 3, 4))),
        ValueError,
        "Z",
        "Z must be 1-D with shape (K,) or 2-D with shape (N, K), "
        "got 3-D shape (2, 3, 4)",
    ),
    (
        "softmax_cross_entropy-Z-1d",
        lambda: bplib.softmax_cross_entropy(np.zeros(3), [0]),
        ValueError,
        "Z",
        "Z must be 2-D with shape (N, K), got 1-D shape (3,)",
    ),
    (
        "softmax_cross_entropy-labels-count",
        lambda: bplib.softmax_cross_entropy(Z74, [0, 1, 2]),
        ValueError,
        "Y",
        "Y has 3 labels but there are 7 rows; expected one label per row",
    ),
    (
        "softmax_cross_entropy_delta-label-too-big",
        lambda: bplib.softmax_cross_entropy_delta(Z74, [0, 4, 1, 1, 2, 3, 0]),
        ValueError,
        "Y",
        "Y given as 1-D must hold integer class labels in 0..3, got values from 0 to 4",
    ),
    (
        "binary_cross_entropy-Y-above-1",
        lambda: bplib.binary_cross_entropy(np.zeros((4, 3)), np.full((4, 3), 1.5)),
        ValueError,
        "Y",
        BCE_RANGE + "1.5 to 1.5",
    ),
    (
        "binary_cross_entropy_delta-Y-shape",
        lambda: bplib.binary_cross_entropy_delta(np.zeros((4, 3)), np.zeros((4, 2))),
        ValueError,
        "Y",
        "Y must have shape (4, 3), got (4, 2)",
    ),
    (
        "class_targets-strings",
        lambda: bplib.class_targets(np.array(["a", "b"]), 3, 2),
        TypeError,
        "Y",
        "Y must be integer class labels (N,) or one-hot (N, 3), got dtype <U1",
    ),
    (
        "probability_targets-below-0",
        lambda: bplib.probability_targets(np.full((4, 3), -0.25), 3, 4),
        ValueError,
        "Y",
        BCE_RANGE + "-0.25 to -0.25",
    ),
    (
        "l2_penalty-params-array",
        lambda: bplib.l2_penalty(np.zeros((2, 2)), 0.1),
        TypeError,
        "params",
        "params must be a list of (W, b) pairs, got ndarray",
    ),
    (
        "l2_penalty-params-not-pairs",
        lambda: bplib.l2_penalty([np.zeros((2, 2))], 0.1),
        TypeError,
        "params[0]",
        "params[0] must be a pair (W, b), got ndarray",
    ),
    (
        "l2_penalty-l2-negative",
        lambda: bplib.l2_penalty([], -1.0),
        ValueError,
        "l2",
        "l2 must be a finite number in [0.0, inf), got -1.0",
    ),
    (
        "relative_error-shapes",
        lambda: bplib.relative_error(np.ones(3), np.ones(4)),
        ValueError,
        "a",
        "a and b must have the same shape, got (3,) and (4,)",
    ),
]
for _id, _call, _exc, _name, _msg in FUNCTION_ROWS:
    row(_id, constructor(_call), _exc, _name, _msg)

# --- train: minibatch SGD ----------------------------------------------------
XT = np.random.default_rng(1).standard_normal((8, 3))
YT = np.random.default_rng(2).standard_normal((8, 2))
PT = np.linspace(0.05, 0.8, 16).reshape(8, 2)  # targets in [0, 1], min 0.05
TRAIN_OK = {"lr": 0.1, "batch_size": 4, "epochs": 2}


class Linear:
    """A duck-typed network (no MLP): `params`, `loss`, `loss_and_grads`."""

    def __init__(self, grads=None):
        self.params = [(np.ones((2, 3)), np.zeros(2))]
        self.grads = grads

    def loss(self, X, Y):
        return 0.0

    def loss_and_grads(self, X, Y):
        W, b = self.params[0]
        return 0.0, self.grads or [(np.zeros_like(W), np.zeros_like(b))]


class FlatParams(Linear):
    """Parameters not in (W, b) tuples."""

    def __init__(self):
        self.params = [np.zeros((2, 3))]


def train_call(make=mlp, X=XT, Y=YT, **kw):
    def setup():
        net = make()
        args = {**TRAIN_OK, **kw}
        return net, lambda: bplib.train(net, X, Y, **args), (X, Y)

    return setup


POS_REAL = "must be a finite number in (0.0, inf), got "
TRAIN_ROWS = [
    ("lr-zero", {"lr": 0.0}, ValueError, "lr", "lr " + POS_REAL + "0.0"),
    ("lr-negative", {"lr": -0.1}, ValueError, "lr", "lr " + POS_REAL + "-0.1"),
    ("lr-nan", {"lr": float("nan")}, ValueError, "lr", "lr " + POS_REAL + "nan"),
    ("lr-inf", {"lr": float("inf")}, ValueError, "lr", "lr " + POS_REAL + "inf"),
    (
        "lr-string",
        {"lr": "0.1"},
        TypeError,
        "lr",
        "lr must be a real number, got str '0.1'",
    ),
    (
        "batch_size-zero",
        {"batch_size": 0},
        ValueError,
        "batch_size",
        "batch_size must be an integer >= 1, got 0",
    ),
    (
        "batch_size-negative",
        {"batch_size": -4},
        ValueError,
        "batch_size",
        "batch_size must be an integer >= 1, got -4",
    ),
    (
        "batch_size-float",
        {"batch_size": 2.5},
        TypeError,
        "batch_size",
        "batch_size must be an integer, got float 2.5",
    ),
    (
        "batch_size-integral-float",
        {"batch_size": 2.0},
        TypeError,
        "batch_size",
        "batch_size must be an integer, got float 2.0",
    ),
    (
        "batch_size-bool",
        {"batch_size": True},
        TypeError,
        "batch_size",
        "batch_size must be an integer, got bool True",
    ),
    (
        "epochs-zero",
        {"epochs": 0},
        ValueError,
        "epochs",
        "epochs must be an integer >= 1, got 0",
    ),
    (
        "epochs-negative",
        {"epochs": -1},
        ValueError,
        "epochs",
        "epochs must be an integer >= 1, got -1",
    ),
    (
        "epochs-float",
        {"epochs": 1.5},
        TypeError,
        "epochs",
        "epochs must be an integer, got float 1.5",
    ),
    (
        "seed-negative",
        {"seed": -1},
        ValueError,
        "seed",
        "seed must be an integer >= 0, got -1",
    ),
    (
        "seed-float",
        {"seed": 0.5},
        TypeError,
        "seed",
        "seed must be an integer, got float 0.5",
    ),
    (
        "X-width",
        {"X": XT[:, :2]},
        ValueError,
        "X",
        "X must have shape (N, 3), got (8, 2)",
    ),
    (
        "X-1d",
        {"X": XT[:, 0]},
        ValueError,
        "X",
        "X must be 2-D with shape (N, 3), got 1-D shape (8,)" + ONE_SAMPLE_HINT,
    ),
    (
        "X-nan",
        {"X": with_value(XT, (7, 2), np.nan)},
        ValueError,
        "X",
        FINITE.format("X"),
    ),
    (
        "X-empty",
        {"X": XT[:0], "Y": YT[:0]},
        ValueError,
        "X",
        "X is empty (shape (0, 3)); expected at least one row",
    ),
    (
        "X-strings",
        {"X": XT.astype(str)},
        TypeError,
        "X",
        NUMERIC.format("X", "<U32", "ndarray"),
    ),
    ("Y-rows", {"Y": YT[:7]}, ValueError, "Y", "Y must have shape (8, 2), got (7, 2)"),
    (
        "Y-cols",
        {"Y": YT[:, :1]},
        ValueError,
        "Y",
        "Y must have shape (8, 2), got (8, 1)",
    ),
    (
        "Y-inf",
        {"Y": with_value(YT, (5, 0), np.inf)},
        ValueError,
        "Y",
        FINITE.format("Y"),
    ),
    ("Y-none", {"Y": None}, TypeError, "Y", NUMERIC.format("Y", "object", "NoneType")),
    # A bad row in the last minibatch must fail before any step.
    (
        "Y-late-row-nan",
        {"Y": with_value(YT, (7, 1), np.nan), "batch_size": 2},
        ValueError,
        "Y",
        FINITE.format("Y"),
    ),
    (
        "X_val-alone",
        {"X_val": XT},
        ValueError,
        "Y_val",
        "X_val was given without Y_val; give both X_val and Y_val, or neither",
    ),
    (
        "Y_val-alone",
        {"Y_val": YT},
        ValueError,
        "X_val",
        "Y_val was given without X_val; give both X_val and Y_val, or neither",
    ),
    (
        "X_val-nan",
        {"X_val": with_value(XT[:4], (1, 1), np.nan), "Y_val": YT[:4]},
        ValueError,
        "X_val",
        FINITE.format("X_val"),
    ),
    (
        "X_val-width",
        {"X_val": XT[:4, :2], "Y_val": YT[:4]},
        ValueError,
        "X_val",
        "X_val must have shape (N, 3), got (4, 2)",
    ),
    (
        "Y_val-cols",
        {"X_val": XT[:4], "Y_val": YT[:4, :1]},
        ValueError,
        "Y_val",
        "Y_val must have shape (4, 2), got (4, 1)",
    ),
    (
        "metric-not-callable",
        {"X_val": XT, "Y_val": YT, "metric": 3},
        TypeError,
        "metric",
        "metric must be callable, got int",
    ),
    (
        "callback-string",
        {"callback": "stop"},
        TypeError,
        "callback",
        "callback must be callable, got str",
    ),
    (
        "callback-int",
        {"callback": 1},
        TypeError,
        "callback",
        "callback must be callable, got int",
    ),
    (
        "progress-string",
        {"progress": "yes"},
        TypeError,
        "progress",
        "progress must be True or False, got 'yes'",
    ),
    (
        "progress-int",
        {"progress": 1},
        TypeError,
        "progress",
        "progress must be True or False, got 1",
    ),
    (
        "net-none",
        {"make": lambda: None},
        TypeError,
        "net",
        "net must expose params and loss_and_grads(X, Y); NoneType does not",
    ),
    (
        "net-object",
        {"make": object},
        TypeError,
        "net",
        "net must expose params and loss_and_grads(X, Y); object does not",
    ),
    (
        "net-params-not-pairs",
        {"make": FlatParams},
        TypeError,
        "net.params[0]",
        "net.params[0] must be a tuple of floating numpy arrays such as (W, b), "
        "got ndarray",
    ),
    # A network whose gradients do not match its parameters: caught at the
    # first step, before any parameter changes.
    (
        "grads-wrong-shape",
        {"make": lambda: Linear([(np.zeros((1, 1)), np.zeros(2))])},
        ValueError,
        "grads[0][0]",
        "grads[0][0] has shape (1, 1), expected (2, 3), the shape of net.params[0][0]",
    ),
    (
        "grads-missing-bias",
        {"make": lambda: Linear([(np.zeros((2, 3)),)])},
        ValueError,
        "grads",
        "net.params has 2 arrays but grads has 1; expected one gradient per "
        "parameter array",
    ),
    (
        "X-overflows-float32",
        {"make": lambda: mlp(dtype=np.float32), "X": with_value(XT, (3, 0), 1e300)},
        ValueError,
        "X",
        "X has values too large for float32 (largest magnitude 1e+300)",
    ),
    (
        "cross_entropy-target-late-row",
        {"make": bce_net, "Y": with_value(PT, (7, 0), 1.5), "batch_size": 2},
        ValueError,
        "Y",
        BCE_RANGE + "0.05 to 1.5",
    ),
    (
        "softmax-labels-out-of-range",
        {"make": softmax_net, "Y": np.array([0, 1, 2, 0, 1, 2, 0, 3])},
        ValueError,
        "Y",
        LABELS_0_2 + "values from 0 to 3",
    ),
    (
        "FastDropoutMLP-lr-zero",
        {"make": fast_dropout, "lr": 0.0},
        ValueError,
        "lr",
        "lr " + POS_REAL + "0.0",
    ),
    (
        "FastDropoutMLP-Y-late-row-inf",
        {"make": fast_dropout, "Y": with_value(YT, (7, 0), np.inf), "batch_size": 3},
        ValueError,
        "Y",
        FINITE.format("Y"),
    ),
]
for _id, _kw, _exc, _name, _msg in TRAIN_ROWS:
    row(f"train-{_id}", train_call(**_kw), _exc, _name, _msg)

MB_ROWS = [
    (
        "rng-int",
        (11, 4, 0),
        TypeError,
        "rng",
        RNG_MESSAGE.format("int"),
    ),
    (
        "batch_size-zero",
        (11, 0, np.random.default_rng(0)),
        ValueError,
        "batch_size",
        "batch_size must be an integer >= 1, got 0",
    ),
    (
        "n_samples-float",
        (11.0, 4, np.random.default_rng(0)),
        TypeError,
        "n_samples",
        "n_samples must be an integer, got float 11.0",
    ),
]
for _id, _args, _exc, _name, _msg in MB_ROWS:
    row(
        f"minibatch_indices-{_id}",
        constructor(lambda a=_args: bplib.minibatch_indices(*a)),
        _exc,
        _name,
        _msg,
    )


# --- bplib.scalar_net (chapter 2) ---------------------------------------------
THETA = np.linspace(-1.0, 1.0, 8)
XS = np.array([[0.5, -0.25], [1.0, 2.0]])


def scalar_call(func, **kw):
    def setup():
        args = {"x": XS.copy(), "theta": THETA.copy(), "activation": "sigmoid", **kw}
        arrays = tuple(v for v in args.values() if isinstance(v, np.ndarray))
        return None, lambda: func(**args), arrays

    return setup


SCALAR_ROWS = [
    (
        "x-1d",
        {"x": np.array([0.5, 1.0])},
        ValueError,
        "x",
        "x must be 2-D with shape (N, 2), got 1-D shape (2,)" + ONE_SAMPLE_HINT,
    ),
    (
        "x-width",
        {"x": np.ones((3, 3))},
        ValueError,
        "x",
        "x must have shape (N, 2), got (3, 3)",
    ),
    (
        "x-empty",
        {"x": np.ones((0, 2))},
        ValueError,
        "x",
        "x is empty (shape (0, 2)); expected at least one row",
    ),
    ("x-nan", {"x": np.array([[np.nan, 1.0]])}, ValueError, "x", FINITE.format("x")),
    (
        "x-strings",
        {"x": [["a", "b"]]},
        TypeError,
        "x",
        NUMERIC.format("x", "<U1", "list"),
    ),
    (
        "theta-short",
        {"theta": np.ones(7)},
        ValueError,
        "theta",
        "theta must have shape (8), got (7,)",
    ),
    (
        "theta-2d",
        {"theta": np.ones((8, 1))},
        ValueError,
        "theta",
        "theta must be 1-D with shape (8), got 2-D shape (8, 1)",
    ),
    (
        "theta-inf",
        {"theta": np.r_[np.ones(7), np.inf]},
        ValueError,
        "theta",
        FINITE.format("theta"),
    ),
    (
        "theta-complex",
        {"theta": np.ones(8, complex)},
        TypeError,
        "theta",
        NUMERIC.format("theta", "complex128", "ndarray"),
    ),
    (
        "activation-unknown",
        {"activation": "softplus"},
        ValueError,
        "activation",
        f"activation='softplus' is unknown; {ACTIVATION_NAMES}",
    ),
    (
        "activation-int",
        {"activation": 3},
        TypeError,
        "activation",
        "activation must be a name (str), got int",
    ),
]
for _func in (sn.forward, sn.forward_trace, sn.partials):
    for _id, _kw, _exc, _name, _msg in SCALAR_ROWS:
        row(
            f"scalar_net.{_func.__name__}-{_id}",
            scalar_call(_func, **_kw),
            _exc,
            _name,
            _msg,
        )
PAIRS = (
    "grads must be a list of 2 (dW, db) pairs, as returned by "
    "MLP([2, 2, 1]).loss_and_grads, got "
)
SCALAR_FUNCTION_ROWS = [
    (
        "partials_from_mlp_grads-string",
        lambda: sn.partials_from_mlp_grads("not grads"),
        TypeError,
        "grads",
        PAIRS + "'not grads'",
    ),
    (
        "partials_from_mlp_grads-one-pair",
        lambda: sn.partials_from_mlp_grads([(np.ones(2), np.ones(2))]),
        TypeError,
        "grads",
        PAIRS + "[(array([1., 1.]), array([1., 1.]))]",
    ),
    (
        "partials_from_mlp_grads-dW1-shape",
        lambda: sn.partials_from_mlp_grads(
            [(np.ones((2, 3)), np.ones(2)), (np.ones((1, 2)), np.ones(1))]
        ),
        ValueError,
        "grads[0][0]",
        "grads[0][0] (dW1) must have shape (2, 2), got (2, 3)",
    ),
    (
        "partials_from_mlp_grads-db2-shape",
        lambda: sn.partials_from_mlp_grads(
            [(np.ones((2, 2)), np.ones(2)), (np.ones((1, 2)), np.ones(2))]
        ),
        ValueError,
        "grads[1][1]",
        "grads[1][1] (db2) must have shape (1), got (2,)",
    ),
    (
        "count_ops-two-outputs",
        lambda: sn.count_ops([2, 2, 2], "naive"),
        ValueError,
        "sizes",
        "sizes must end with one output unit (a scalar y), got 2",
    ),
    (
        "count_ops-one-layer",
        lambda: sn.count_ops([2], "naive"),
        ValueError,
        "sizes",
        "sizes must list at least two layer widths (input and output), got [2]",
    ),
    (
        "count_ops-zero-width",
        lambda: sn.count_ops([2, 0, 1], "naive"),
        ValueError,
        "sizes[1]",
        "sizes[1] must be an integer >= 1, got 0",
    ),
    (
        "count_ops-float-width",
        lambda: sn.count_ops([2, 2.5, 1], "naive"),
        TypeError,
        "sizes[1]",
        "sizes[1] must be an integer, got float 2.5",
    ),
    (
        "count_ops-sizes-string",
        lambda: sn.count_ops("221", "naive"),
        TypeError,
        "sizes",
        "sizes must be a list of layer widths [n0, ..., nL], got '221'",
    ),
    (
        "count_ops-method-unknown",
        lambda: sn.count_ops([2, 2, 1], "fast"),
        ValueError,
        "method",
        "method='fast' is unknown; expected one of 'forward', 'naive', 'backprop'",
    ),
    (
        "count_ops-method-none",
        lambda: sn.count_ops([2, 2, 1], None),
        TypeError,
        "method",
        "method must be a name (str), got NoneType",
    ),
    (
        "to_mlp-theta-long",
        lambda: sn.to_mlp(np.ones(9)),
        ValueError,
        "theta",
        "theta must have shape (8), got (9,)",
    ),
    (
        "to_mlp-activation-unknown",
        lambda: sn.to_mlp(THETA, "swish"),
        ValueError,
        "activation",
        f"activation='swish' is unknown; {ACTIVATION_NAMES}",
    ),
]
for _id, _call, _exc, _name, _msg in SCALAR_FUNCTION_ROWS:
    row(f"scalar_net.{_id}", constructor(_call), _exc, _name, _msg)


# --- load_digits ----------------------------------------------------------------
DIGITS_ROWS = [
    (
        "test_size-zero",
        {"test_size": 0.0},
        ValueError,
        "test_size",
        "test_size must be a finite number in (0.0, 1.0), got 0.0",
    ),
    (
        "test_size-one",
        {"test_size": 1.0},
        ValueError,
        "test_size",
        "test_size must be a finite number in (0.0, 1.0), got 1.0",
    ),
    (
        "test_size-string",
        {"test_size": "0.2"},
        TypeError,
        "test_size",
        "test_size must be a real number, got str '0.2'",
    ),
    (
        "test_size-empties-a-class",
        {"test_size": 0.001},
        ValueError,
        "test_size",
        "test_size=0.001 leaves an empty training or test part for a group of 178 "
        "samples; choose a value further from 0 and 1",
    ),
    (
        "seed-negative",
        {"seed": -1},
        ValueError,
        "seed",
        "seed must be an integer >= 0, got -1",
    ),
    (
        "seed-float",
        {"seed": 1.5},
        TypeError,
        "seed",
        "seed must be an integer, got float 1.5",
    ),
    (
        "stratify-string",
        {"stratify": "yes"},
        TypeError,
        "stratify",
        "stratify must be True or False, got 'yes'",
    ),
    (
        "dtype-int",
        {"dtype": np.int32},
        ValueError,
        "dtype",
        "dtype must be np.float32 or np.float64, got int32",
    ),
]
for _id, _kw, _exc, _name, _msg in DIGITS_ROWS:
    row(f"load_digits-{_id}", constructor(bplib.load_digits, **_kw), _exc, _name, _msg)


# --- gradcheck: structure and arguments --------------------------------------
def gradcheck_call(grads=None, params=None, f=None, **kw):
    def setup():
        net = mlp()
        _, g = net.loss_and_grads(X, Y)
        p = net.params if params is None else params(net)
        gs = g if grads is None else grads(g)
        fn = (lambda: net.loss(X, Y)) if f is None else f
        return net, lambda: bplib.gradcheck(fn, p, gs, **kw), ()

    return setup


COUNT = (
    "params has 4 arrays but grads has {}; expected one gradient per parameter array"
)
GRADCHECK_ROWS = [
    ("fewer-grads", {"grads": lambda g: g[:1]}, ValueError, "grads", COUNT.format(2)),
    (
        "grads-missing-bias",
        {"grads": lambda g: [g[0], (g[1][0],)]},
        ValueError,
        "grads",
        COUNT.format(3),
    ),
    (
        "more-grads",
        {"grads": lambda g: [*g, g[0]]},
        ValueError,
        "grads",
        COUNT.format(6),
    ),
    (
        "grads-shape",
        {"grads": lambda g: [(g[0][0].T, g[0][1]), g[1]]},
        ValueError,
        "grads[0][0]",
        "grads[0][0] has shape (3, 4), expected (4, 3), the shape of params[0][0]",
    ),
    (
        "grads-swapped",
        {"grads": lambda g: [g[1], g[0]]},
        ValueError,
        "grads[0][0]",
        "grads[0][0] has shape (2, 4), expected (4, 3), the shape of params[0][0]",
    ),
    (
        "grads-not-arrays",
        {"grads": lambda g: [(g[0][0].tolist(), g[0][1]), g[1]]},
        TypeError,
        "grads[0][0][0][0]",
        "grads[0][0][0][0] must be a numpy array (or a tuple of them), got float",
    ),
    (
        "grads-none",
        {"grads": lambda g: None},
        TypeError,
        "grads",
        "grads must be a list of numpy arrays (possibly in tuples such as (W, b)), "
        "got NoneType",
    ),
    (
        "params-str",
        {"params": lambda n: "w"},
        TypeError,
        "params",
        "params must be a list of numpy arrays (possibly in tuples such as (W, b)), "
        "got str",
    ),
    (
        "params-int",
        {"params": lambda n: [(W.astype(int), b) for W, b in n.params]},
        TypeError,
        "params[0][0]",
        "params[0][0] must be a floating array, got dtype int64",
    ),
    ("eps-zero", {"eps": 0.0}, ValueError, "eps", "eps " + POS_REAL + "0.0"),
    ("eps-negative", {"eps": -1e-6}, ValueError, "eps", "eps " + POS_REAL + "-1e-06"),
    ("eps-nan", {"eps": float("nan")}, ValueError, "eps", "eps " + POS_REAL + "nan"),
    ("tol-nan", {"tol": float("nan")}, ValueError, "tol", "tol " + POS_REAL + "nan"),
    ("tol-negative", {"tol": -1.0}, ValueError, "tol", "tol " + POS_REAL + "-1.0"),
    (
        "directions-negative",
        {"directions": -1},
        ValueError,
        "directions",
        "directions must be an integer >= 0, got -1",
    ),
    (
        "directions-float",
        {"directions": 1.5},
        TypeError,
        "directions",
        "directions must be an integer, got float 1.5",
    ),
    (
        "seed-string",
        {"seed": "a"},
        TypeError,
        "seed",
        "seed must be an integer, got str 'a'",
    ),
    (
        "f-not-callable",
        {"f": 0.0},
        TypeError,
        "f",
        "f must be a callable returning the loss, got float",
    ),
    (
        "f-returns-string",
        {"f": lambda: "x"},
        TypeError,
        "f",
        "f must return a real scalar, got str",
    ),
]
for _id, _kw, _exc, _name, _msg in GRADCHECK_ROWS:
    row(f"gradcheck-{_id}", gradcheck_call(**_kw), _exc, _name, _msg)


def flat_gradcheck_call(**kw):
    """gradcheck of f(w) = w·w with a flat list of parameters [w]."""

    def setup():
        w = np.ones(3)
        args = {"f": lambda: float(w @ w), "params": [w], "grads": [2 * w], **kw}
        return None, lambda: bplib.gradcheck(**args), (w,)

    return setup


FLAT_GRADCHECK_ROWS = [
    (
        "grads-nested-list",
        {"grads": [[1.0, 2.0, 3.0]]},
        TypeError,
        "grads[0][0]",
        "grads[0][0] must be a numpy array (or a tuple of them), got float",
    ),
    (
        "more-grads",
        {"grads": [np.ones(3), np.ones(3)]},
        ValueError,
        "grads",
        "params has 1 arrays but grads has 2; expected one gradient per parameter "
        "array",
    ),
    (
        "grads-shape",
        {"grads": [np.ones(4)]},
        ValueError,
        "grads[0]",
        "grads[0] has shape (4,), expected (3,), the shape of params[0]",
    ),
    (
        "params-int",
        {"params": [np.ones(3, dtype=int)]},
        TypeError,
        "params[0]",
        "params[0] must be a floating array, got dtype int64",
    ),
]
for _id, _kw, _exc, _name, _msg in FLAT_GRADCHECK_ROWS:
    row(f"gradcheck-flat-{_id}", flat_gradcheck_call(**_kw), _exc, _name, _msg)


# --- the test -----------------------------------------------------------------
assert len({c.id for c in CASES}) == len(CASES), "duplicate row ids"


def names_argument(name: str, message: str) -> bool:
    """Whether `message` contains `name` as a whole word (X, not X_val)."""
    return re.search(rf"(?<![\w.\[]){re.escape(name)}(?![\w\[])", message) is not None


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case):
    net, call, args = case.setup()
    before = snapshot(net) if hasattr(net, "params") else None
    args_before = copy.deepcopy(args)
    with pytest.raises(case.exc) as info:
        call()
    message = str(info.value)
    assert message == case.message
    assert names_argument(case.name, message), f"{case.name} not named: {message!r}"
    if before is not None:
        assert_unchanged(net, before)
    for old, new in zip(args_before, args, strict=True):
        if isinstance(old, np.ndarray) and old.dtype.kind in "biuf":
            assert np.array_equal(old, new, equal_nan=True), "an argument was modified"


def test_table_size():
    """The table covers every kind of bad input the issue lists."""
    assert len(CASES) >= 250
