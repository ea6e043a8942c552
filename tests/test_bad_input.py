"""Tier 6, bad input: every public entry point rejects what it cannot use.

One table, one test per row. Each row calls bplib with one bad argument and
asserts

- the exception type (``ValueError``: right kind of object, wrong shape or
  value; ``TypeError``: wrong kind of object);
- that the message names the argument (first regex) and says what was
  expected (second regex: the shape, range, or list of valid names);
- that nothing was modified: the network's parameters are bit-for-bit equal
  to a deep copy taken before the call (also for ``train``), and so are the
  array arguments.

Rows whose function is not exported yet skip with "not exported yet".
Rows marked ``xfail(strict=True, reason="BUG: ...")`` are correct tests that
expose a bug in a generated module; the fix is given in the reason and in the
issue, and the mark goes when the fix lands.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from helpers import LOSS_OUTPUT, api, assert_unchanged, has_loss, require, snapshot

# --- what a message must say ------------------------------------------------
VALID_ACTIVATIONS = r"(?s)(?=.*sigmoid)(?=.*tanh)(?=.*relu)(?=.*identity)"
POSITIVE = r"\(0(\.0)?, ?inf\)|> ?0|positive"
POSITIVE_INT = r"integer >= ?1|>= ?1|positive"
NON_NEGATIVE = r"\[0(\.0)?, ?inf\)|>= ?0|non-?negative"
INTEGER = r"integer|\bint\b"
NUMBER = r"real|number|float"
FINITE = r"finite"
NUMERIC = r"real numeric|numeric"
KEEP_RANGE = r"\(0(\.0)?, ?1(\.0)?\]|0 < keep_prob <= 1"
UNIT_RANGE = r"\[0(\.0)?, ?1(\.0)?\]|between 0 and 1|0 <= \w+ <= 1"
LABELS = r"one-hot|integer|label|\[0, ?3\)|0 ?(\.\.|to|and|-) ?2|< ?3|range"

# every loss of the contract that is registered must be listed
VALID_LOSSES = "(?s)" + "".join(f"(?=.*'{lo}')" for lo in LOSS_OUTPUT if has_loss(lo))

RNG = np.random.default_rng(20260909)
X = RNG.standard_normal((5, 3))
Y = RNG.standard_normal((5, 2))
LABELS_OK = np.array([0, 2, 1, 1, 0])
ONE_HOT_OK = np.eye(3)[LABELS_OK]
PROBS_OK = RNG.uniform(0, 1, (5, 2))


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
    name: str  # regex: the message names the argument
    expected: str  # regex: the message says what was expected
    requires: tuple = ()
    bug: str | None = None  # set: the row is a known bug, xfail(strict)


CASES: list[Case] = []


def row(id, setup, exc, name, expected, requires=("MLP",), bug=None):
    CASES.append(Case(id, setup, exc, name, expected, tuple(requires), bug))


# --- networks used by the rows ----------------------------------------------
def mlp(sizes=(3, 4, 2), **kw):
    return api("MLP")(sizes, **kw)


def fast_dropout(sizes=(3, 4, 2), **kw):
    return api("FastDropoutMLP")(sizes, **kw)


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
    ("width", X[:, [0, 1, 2, 0]], Y, ValueError, r"\(N, 3\)"),
    ("1d", X[0], Y[:1], ValueError, r"x\[None, :\]"),
    ("3d", X[:, :, None], Y, ValueError, r"2-D"),
    ("nan", with_value(X, (2, 1), np.nan), Y, ValueError, FINITE),
    ("inf", with_value(X, (0, 0), np.inf), Y, ValueError, FINITE),
    ("neg-inf", with_value(X, (4, 2), -np.inf), Y, ValueError, FINITE),
    ("empty", X[:0], Y[:0], ValueError, r"at least one"),
    ("strings", np.array([["a", "b", "c"]] * 5), Y, TypeError, NUMERIC),
    ("object", np.array([[1.0, None, 2.0]] * 5, dtype=object), Y, TypeError, NUMERIC),
    ("complex", X + 1j, Y, TypeError, NUMERIC),
    ("none", None, Y, TypeError, NUMERIC),
]
for _method in ("forward", "loss", "loss_and_grads"):
    for _id, _x, _y, _exc, _exp in X_ROWS:
        _args = (_x,) if _method == "forward" else (_x, _y)
        row(
            f"MLP.{_method}-X-{_id}",
            method_call(mlp, _method, *_args),
            _exc,
            r"\bX\b",
            _exp,
        )
row(
    "MLP.loss-X-overflows-float32",
    method_call(lambda: mlp(dtype=np.float32), "loss", with_value(X, (1, 1), 1e300), Y),
    ValueError,
    r"\bX\b",
    r"float32|finite|range",
)

# --- Y: targets of the squared loss -----------------------------------------
Y_ROWS = [
    ("rows", Y[:4], ValueError, r"\((5|N), 2\)"),
    ("cols", np.hstack([Y, Y[:, :1]]), ValueError, r"\((5|N), 2\)"),
    ("1d", Y[:, 0], ValueError, r"2-D|\((5|N), 2\)"),
    ("nan", with_value(Y, (3, 1), np.nan), ValueError, FINITE),
    ("inf", with_value(Y, (0, 0), np.inf), ValueError, FINITE),
    ("empty", Y[:0], ValueError, r"\((5|N), 2\)"),
    ("strings", np.array([["a", "b"]] * 5), TypeError, NUMERIC),
    ("complex", Y + 0j, TypeError, NUMERIC),
    ("none", None, TypeError, NUMERIC),
]
for _method in ("loss", "loss_and_grads"):
    for _id, _y, _exc, _exp in Y_ROWS:
        row(
            f"MLP.{_method}-Y-{_id}",
            method_call(mlp, _method, X, _y),
            _exc,
            r"\bY\b",
            _exp,
        )

# --- Y: labels of softmax cross-entropy -------------------------------------
SOFTMAX_ROWS = [
    ("label-too-big", np.array([0, 1, 3, 2, 1]), ValueError, LABELS),
    ("label-negative", np.array([0, -1, 2, 1, 0]), ValueError, LABELS),
    ("label-fractional", np.array([0.0, 0.5, 2.0, 1.0, 0.0]), ValueError, LABELS),
    (
        "label-nan",
        np.array([0.0, np.nan, 2.0, 1.0, 0.0]),
        ValueError,
        LABELS + "|finite",
    ),
    ("labels-count", np.array([0, 1, 2]), ValueError, r"\b5\b|\(N|rows"),
    ("labels-strings", np.array(["0", "1", "2", "1", "0"]), TypeError, LABELS),
    ("label-huge-float", np.array([0.0, 1e300, 2.0, 1.0, 0.0]), ValueError, LABELS),
    ("label-huge-int", np.array([0, 2**62, 2, 1, 0]), ValueError, LABELS),
    ("labels-2d-column", LABELS_OK[:, None], ValueError, r"\(5, 3\)|\(N, 3\)|one-hot"),
    ("one-hot-two-ones", with_value(ONE_HOT_OK, (1, 1), 1.0), ValueError, r"one-hot"),
    ("one-hot-zero-row", with_value(ONE_HOT_OK, (2, 1), 0.0), ValueError, r"one-hot"),
    ("one-hot-value-2", with_value(ONE_HOT_OK, (0, 0), 2.0), ValueError, r"one-hot"),
    ("one-hot-negative", with_value(ONE_HOT_OK, (3, 0), -1.0), ValueError, r"one-hot"),
    ("one-hot-cols", np.eye(4)[LABELS_OK], ValueError, r"\b3\b"),
]
for _method in ("loss", "loss_and_grads"):
    for _id, _y, _exc, _exp in SOFTMAX_ROWS:
        row(
            f"softmax_ce.{_method}-Y-{_id}",
            method_call(softmax_net, _method, X, _y),
            _exc,
            r"\bY\b",
            _exp,
            requires=("MLP", "loss:softmax_cross_entropy"),
        )

# --- Y: targets of binary cross-entropy -------------------------------------
BCE_ROWS = [
    ("above-1", with_value(PROBS_OK, (1, 0), 1.5), ValueError, UNIT_RANGE),
    ("below-0", with_value(PROBS_OK, (4, 1), -0.5), ValueError, UNIT_RANGE),
    (
        "nan",
        with_value(PROBS_OK, (0, 1), np.nan),
        ValueError,
        FINITE + "|" + UNIT_RANGE,
    ),
    ("shape", PROBS_OK[:, :1], ValueError, r"\((5|N), 2\)"),
]
for _method in ("loss", "loss_and_grads"):
    for _id, _y, _exc, _exp in BCE_ROWS:
        row(
            f"cross_entropy.{_method}-Y-{_id}",
            method_call(bce_net, _method, X, _y),
            _exc,
            r"\bY\b",
            _exp,
            requires=("MLP", "loss:cross_entropy"),
        )

# --- constructor arguments ---------------------------------------------------
SIZES_ROWS = [
    ("zero", [3, 0, 2], ValueError, POSITIVE_INT),
    ("negative", [3, -1, 2], ValueError, POSITIVE_INT),
    ("zero-input", [0, 2], ValueError, POSITIVE_INT),
    ("float", [3, 2.5, 2], TypeError, INTEGER),
    ("integral-float", [3.0, 2], TypeError, INTEGER),
    ("string", [3, "3", 2], TypeError, INTEGER),
    ("bool", [3, True, 2], TypeError, INTEGER),
    ("one-layer", [3], ValueError, r"two|\b2\b"),
    ("empty", [], ValueError, r"two|\b2\b"),
    ("int", 3, TypeError, r"list"),
    ("str", "32", TypeError, r"list"),
    ("none", None, TypeError, r"list"),
]
for _id, _sizes, _exc, _exp in SIZES_ROWS:
    row(f"MLP-sizes-{_id}", constructor(mlp, sizes=_sizes), _exc, r"\bsizes\b", _exp)
    row(
        f"FastDropoutMLP-sizes-{_id}",
        constructor(fast_dropout, sizes=_sizes),
        _exc,
        r"\bsizes\b",
        _exp,
        requires=("FastDropoutMLP",),
    )

CTOR_ROWS = [
    (
        "activation-unknown",
        {"activation": "softplus"},
        ValueError,
        r"\bactivation\b",
        VALID_ACTIVATIONS,
    ),
    (
        "activation-case",
        {"activation": "ReLU"},
        ValueError,
        r"\bactivation\b",
        VALID_ACTIVATIONS,
    ),
    (
        "activation-none",
        {"activation": None},
        TypeError,
        r"\bactivation\b",
        r"\bstr\b|name",
    ),
    (
        "activation-list-length",
        {"activation": ["relu", "tanh"]},
        ValueError,
        r"\bactivation\b",
        r"one name per hidden|1 hidden",
    ),
    (
        "activation-list-unknown",
        {"sizes": [3, 4, 4, 2], "activation": ["relu", "bogus"]},
        ValueError,
        r"activation\[1\]",
        VALID_ACTIVATIONS,
    ),
    (
        "activation-list-type",
        {"sizes": [3, 4, 4, 2], "activation": ["relu", 7]},
        TypeError,
        r"activation\[1\]",
        r"\bstr\b|name",
    ),
    (
        "output-unknown",
        {"output": "softmax"},
        ValueError,
        r"\boutput\b",
        VALID_ACTIVATIONS,
    ),
    ("output-none", {"output": None}, TypeError, r"\boutput\b", r"\bstr\b|name"),
    ("loss-unknown", {"loss": "mse"}, ValueError, r"\bloss\b", VALID_LOSSES),
    ("loss-none", {"loss": None}, TypeError, r"\bloss\b", r"\bstr\b|name"),
    ("l2-negative", {"l2": -1e-3}, ValueError, r"\bl2\b", NON_NEGATIVE),
    ("l2-nan", {"l2": float("nan")}, ValueError, r"\bl2\b", NON_NEGATIVE),
    ("l2-inf", {"l2": float("inf")}, ValueError, r"\bl2\b", NON_NEGATIVE + "|finite"),
    ("l2-string", {"l2": "0.1"}, TypeError, r"\bl2\b", NUMBER),
    ("l2-none", {"l2": None}, TypeError, r"\bl2\b", NUMBER),
    ("l2-array", {"l2": np.array([0.1, 0.2])}, TypeError, r"\bl2\b", NUMBER),
    ("dtype-int", {"dtype": np.int32}, ValueError, r"\bdtype\b", r"float32"),
    ("dtype-float16", {"dtype": np.float16}, ValueError, r"\bdtype\b", r"float32"),
    ("dtype-nonsense", {"dtype": "nonsense"}, TypeError, r"\bdtype\b", r"float"),
]
for _id, _kw, _exc, _name, _exp in CTOR_ROWS:
    row(f"MLP-{_id}", constructor(mlp, **_kw), _exc, _name, _exp)

SEED_ROWS = [
    ("negative", -1, ValueError, NON_NEGATIVE),
    ("float", 1.5, TypeError, INTEGER),
    ("string", "a", TypeError, INTEGER),
]
for _id, _seed, _exc, _exp in SEED_ROWS:
    row(f"MLP-seed-{_id}", constructor(mlp, seed=_seed), _exc, r"\bseed\b", _exp)
    row(
        f"FastDropoutMLP-seed-{_id}",
        constructor(fast_dropout, seed=_seed),
        _exc,
        r"\bseed\b",
        _exp,
        requires=("FastDropoutMLP",),
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
        r"\boutput\b",
        _need,
        requires=("MLP", f"loss:{_loss}"),
    )

# --- FastDropoutMLP: keep_prob, loss, and its methods -----------------------
KEEP_ROWS = [
    ("zero", 0, ValueError, KEEP_RANGE),
    ("above-1", 1.5, ValueError, KEEP_RANGE),
    ("negative", -0.1, ValueError, KEEP_RANGE),
    ("nan", float("nan"), ValueError, KEEP_RANGE),
    ("inf", float("inf"), ValueError, KEEP_RANGE + "|finite"),
    ("string", "0.5", TypeError, NUMBER),
    ("none", None, TypeError, NUMBER),
]
for _id, _p, _exc, _exp in KEEP_ROWS:
    row(
        f"FastDropoutMLP-keep_prob-{_id}",
        constructor(fast_dropout, keep_prob=_p),
        _exc,
        r"\bkeep_prob\b",
        _exp,
        requires=("FastDropoutMLP",),
    )
KEEP_LIST_ROWS = [
    ("list-length", [0.5], ValueError, r"\bkeep_prob\b", r"one per layer|\b2\b"),
    ("list-zero", [1.0, 0.0], ValueError, r"keep_prob\[1\]", KEEP_RANGE),
    ("list-nan", [float("nan"), 0.5], ValueError, r"keep_prob\[0\]", KEEP_RANGE),
    ("list-string", [1.0, "0.5"], TypeError, r"keep_prob\[1\]", NUMBER),
]
for _id, _p, _exc, _name, _exp in KEEP_LIST_ROWS:
    row(
        f"FastDropoutMLP-keep_prob-{_id}",
        constructor(fast_dropout, keep_prob=_p),
        _exc,
        _name,
        _exp,
        requires=("FastDropoutMLP",),
    )
row(
    "FastDropoutMLP-dtype-int",
    constructor(fast_dropout, dtype=np.int64),
    ValueError,
    r"\bdtype\b",
    r"float32",
    requires=("FastDropoutMLP",),
)
row(
    "FastDropoutMLP.forward-inference-unknown",
    method_call(lambda: fast_dropout(), "forward", X, "mc"),
    ValueError,
    r"\binference\b",
    r"gaussian",
    requires=("FastDropoutMLP",),
)
row(
    "FastDropoutMLP-loss-unknown",
    constructor(fast_dropout, loss="mse"),
    ValueError,
    r"\bloss\b",
    "(?s)(?=.*'squared')"
    + ("(?=.*'cross_entropy')" if has_loss("cross_entropy") else ""),
    requires=("FastDropoutMLP",),
)
FD_CALL_ROWS = [
    ("X-width", "loss_and_grads", (X[:, :2], Y), r"\bX\b", r"\(N, 3\)"),
    ("X-1d", "forward", (X[0],), r"\bX\b", r"x\[None, :\]"),
    ("X-nan", "loss", (with_value(X, (1, 1), np.nan), Y), r"\bX\b", FINITE),
    ("X-empty", "loss_and_grads", (X[:0], Y[:0]), r"\bX\b", r"at least one"),
    ("Y-shape", "loss_and_grads", (X, Y[:, :1]), r"\bY\b", r"\((5|N), 2\)"),
    ("Y-inf", "loss_and_grads", (X, with_value(Y, (0, 1), np.inf)), r"\bY\b", FINITE),
]
for _id, _method, _args, _name, _exp in FD_CALL_ROWS:
    row(
        f"FastDropoutMLP.{_method}-{_id}",
        method_call(fast_dropout, _method, *_args),
        ValueError,
        _name,
        _exp,
        requires=("FastDropoutMLP",),
    )
row(
    "FastDropoutMLP.loss-X-complex",
    method_call(fast_dropout, "loss", X + 1j, Y),
    TypeError,
    r"\bX\b",
    NUMERIC,
    requires=("FastDropoutMLP",),
)

# --- train: minibatch SGD ----------------------------------------------------
XT = RNG.standard_normal((8, 3))
YT = RNG.standard_normal((8, 2))
TRAIN_OK = {"lr": 0.1, "batch_size": 4, "epochs": 2}


def train_call(make=mlp, X=XT, Y=YT, **kw):
    def setup():
        net = make()
        args = {**TRAIN_OK, **kw}
        return net, lambda: api("train")(net, X, Y, **args), (X, Y)

    return setup


TRAIN_ROWS = [
    ("lr-zero", {"lr": 0.0}, ValueError, r"\blr\b", POSITIVE),
    ("lr-negative", {"lr": -0.1}, ValueError, r"\blr\b", POSITIVE),
    ("lr-nan", {"lr": float("nan")}, ValueError, r"\blr\b", POSITIVE),
    ("lr-inf", {"lr": float("inf")}, ValueError, r"\blr\b", POSITIVE + "|finite"),
    ("lr-string", {"lr": "0.1"}, TypeError, r"\blr\b", NUMBER),
    ("batch_size-zero", {"batch_size": 0}, ValueError, r"\bbatch_size\b", POSITIVE_INT),
    (
        "batch_size-negative",
        {"batch_size": -4},
        ValueError,
        r"\bbatch_size\b",
        POSITIVE_INT,
    ),
    ("batch_size-float", {"batch_size": 2.5}, TypeError, r"\bbatch_size\b", INTEGER),
    ("batch_size-bool", {"batch_size": True}, TypeError, r"\bbatch_size\b", INTEGER),
    ("epochs-zero", {"epochs": 0}, ValueError, r"\bepochs\b", POSITIVE_INT),
    ("epochs-negative", {"epochs": -1}, ValueError, r"\bepochs\b", POSITIVE_INT),
    ("epochs-float", {"epochs": 1.5}, TypeError, r"\bepochs\b", INTEGER),
    ("seed-negative", {"seed": -1}, ValueError, r"\bseed\b", NON_NEGATIVE),
]
for _id, _kw, _exc, _name, _exp in TRAIN_ROWS:
    row(f"train-{_id}", train_call(**_kw), _exc, _name, _exp, requires=("MLP", "train"))
TRAIN_DATA_ROWS = [
    ("X-width", {"X": XT[:, :2]}, ValueError, r"\bX\b", r"\(N, 3\)"),
    ("X-1d", {"X": XT[:, 0]}, ValueError, r"\bX\b", r"2-D|x\[None, :\]"),
    ("X-nan", {"X": with_value(XT, (7, 2), np.nan)}, ValueError, r"\bX\b", FINITE),
    ("X-empty", {"X": XT[:0], "Y": YT[:0]}, ValueError, r"\bX\b", r"at least one"),
    ("X-strings", {"X": XT.astype(str)}, TypeError, r"\bX\b", NUMERIC),
    ("Y-rows", {"Y": YT[:7]}, ValueError, r"\bY\b", r"\b8\b|\(N"),
    ("Y-cols", {"Y": YT[:, :1]}, ValueError, r"\bY\b", r"\((8|N), 2\)"),
    ("Y-inf", {"Y": with_value(YT, (5, 0), np.inf)}, ValueError, r"\bY\b", FINITE),
]
for _id, _kw, _exc, _name, _exp in TRAIN_DATA_ROWS:
    row(f"train-{_id}", train_call(**_kw), _exc, _name, _exp, requires=("MLP", "train"))
row(
    "train-Y-late-row-bad",  # a NaN in the last minibatch must fail before any step
    train_call(Y=with_value(YT, (7, 1), np.nan), batch_size=2),
    ValueError,
    r"\bY\b",
    FINITE,
    requires=("MLP", "train"),
)
row(
    "train-X-overflows-float32",
    train_call(make=lambda: mlp(dtype=np.float32), X=with_value(XT, (3, 0), 1e300)),
    ValueError,
    r"\bX\b",
    r"float32|finite|range",
    requires=("MLP", "train"),
)
row(
    "train-cross_entropy-target-late-row",
    train_call(
        make=lambda: mlp(output="sigmoid", loss="cross_entropy"),
        Y=with_value(RNG.uniform(0, 1, (8, 2)), (7, 0), 1.5),
        batch_size=2,
    ),
    ValueError,
    r"\bY\b",
    UNIT_RANGE,
    requires=("MLP", "train", "loss:cross_entropy"),
)
XV, YV = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 2))
TRAIN_VAL_ROWS = [
    ("X_val-alone", {"X_val": XV}, ValueError, r"\bY_val\b", r"both"),
    ("Y_val-alone", {"Y_val": YV}, ValueError, r"\bX_val\b", r"both"),
    (
        "X_val-nan",
        {"X_val": with_value(XV, (1, 1), np.nan), "Y_val": YV},
        ValueError,
        r"\bX_val\b",
        FINITE,
    ),
    (
        "X_val-width",
        {"X_val": XV[:, :2], "Y_val": YV},
        ValueError,
        r"\bX_val\b",
        r"\(N, 3\)",
    ),
    (
        "Y_val-cols",
        {"X_val": XV, "Y_val": YV[:, :1]},
        ValueError,
        r"\bY_val\b",
        r"\((4|N), 2\)",
    ),
    (
        "metric-not-callable",
        {"X_val": XV, "Y_val": YV, "metric": 3},
        TypeError,
        r"\bmetric\b",
        r"callable",
    ),
    (
        "callback-not-callable",
        {"callback": "stop"},
        TypeError,
        r"\bcallback\b",
        r"callable",
    ),
    (
        "progress-string",
        {"progress": "yes"},
        TypeError,
        r"\bprogress\b",
        r"True or False|bool",
    ),
]
for _id, _kw, _exc, _name, _exp in TRAIN_VAL_ROWS:
    row(f"train-{_id}", train_call(**_kw), _exc, _name, _exp, requires=("MLP", "train"))
row(
    "train-net-none",
    train_call(make=lambda: None),
    TypeError,
    r"\bnet\b",
    r"network|MLP|params",
    requires=("MLP", "train"),
)
row(
    "train-FastDropoutMLP-lr-zero",
    train_call(make=fast_dropout, lr=0.0),
    ValueError,
    r"\blr\b",
    POSITIVE,
    requires=("FastDropoutMLP", "train"),
)
row(
    "train-softmax-labels-out-of-range",
    train_call(
        make=lambda: mlp((3, 4, 3), output="identity", loss="softmax_cross_entropy"),
        Y=np.array([0, 1, 2, 0, 1, 2, 0, 3]),
    ),
    ValueError,
    r"\bY\b",
    LABELS,
    requires=("MLP", "train", "loss:softmax_cross_entropy"),
)


# --- gradcheck: structure and arguments --------------------------------------
def gradcheck_call(grads=None, params=None, f=None, **kw):
    def setup():
        net = mlp()
        _, g = net.loss_and_grads(X, Y)
        p = net.params if params is None else params(net)
        gs = g if grads is None else grads(g)
        fn = (lambda: net.loss(X, Y)) if f is None else f
        return net, lambda: api("gradcheck")(fn, p, gs, **kw), ()

    return setup


GRADCHECK_ROWS = [
    (
        "fewer-grads",
        {"grads": lambda g: g[:1]},
        ValueError,
        r"\bgrads\b",
        r"one gradient per|\b4\b.*\b2\b",
    ),
    (
        "grads-missing-bias",
        {"grads": lambda g: [g[0], (g[1][0],)]},
        ValueError,
        r"\bgrads\b",
        r"one gradient per|\b4\b.*\b3\b",
    ),
    (
        "more-grads",
        {"grads": lambda g: [*g, g[0]]},
        ValueError,
        r"\bgrads\b",
        r"one gradient per|\b4\b.*\b6\b",
    ),
    (
        "grads-shape",
        {"grads": lambda g: [(g[0][0].T, g[0][1]), g[1]]},
        ValueError,
        r"\bgrads\b",
        r"\(4, 3\)",
    ),
    (
        "grads-swapped",
        {"grads": lambda g: [g[1], g[0]]},
        ValueError,
        r"\bgrads\b",
        r"\(4, 3\)",
    ),
    (
        "grads-not-arrays",
        {"grads": lambda g: [(g[0][0].tolist(), g[0][1]), g[1]]},
        TypeError,
        r"\bgrads\b",
        r"array",
    ),
    ("grads-none", {"grads": lambda g: None}, TypeError, r"\bgrads\b", r"array"),
    (
        "params-int",
        {"params": lambda n: [(W.astype(int), b) for W, b in n.params]},
        TypeError,
        r"\bparams\b",
        r"float",
    ),
    ("eps-zero", {"eps": 0.0}, ValueError, r"\beps\b", POSITIVE),
    ("eps-negative", {"eps": -1e-6}, ValueError, r"\beps\b", POSITIVE),
    ("eps-nan", {"eps": float("nan")}, ValueError, r"\beps\b", POSITIVE),
    ("tol-nan", {"tol": float("nan")}, ValueError, r"\btol\b", POSITIVE),
    ("tol-negative", {"tol": -1.0}, ValueError, r"\btol\b", POSITIVE),
    (
        "directions-negative",
        {"directions": -1},
        ValueError,
        r"\bdirections\b",
        NON_NEGATIVE,
    ),
    ("directions-float", {"directions": 1.5}, TypeError, r"\bdirections\b", INTEGER),
    ("f-not-callable", {"f": 0.0}, TypeError, r"\bf\b", r"callable"),
]
for _id, _kw, _exc, _name, _exp in GRADCHECK_ROWS:
    row(
        f"gradcheck-{_id}",
        gradcheck_call(**_kw),
        _exc,
        _name,
        _exp,
        ("MLP", "gradcheck"),
    )


# --- the test -----------------------------------------------------------------
# Bugs exposed by rows: row id -> what is wrong (the fix is in the issue).
# Rows whose bug was fixed leave this table; it is empty when all are fixed.
KNOWN_BUGS: dict[str, str] = {}


def _param(case: Case):
    case.bug = case.bug or KNOWN_BUGS.get(case.id)
    marks = []
    if case.bug:
        marks.append(pytest.mark.xfail(strict=True, reason=f"BUG: {case.bug}"))
    return pytest.param(case, id=case.id, marks=marks)


assert len({c.id for c in CASES}) == len(CASES), "duplicate row ids"


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_bad_input(case: Case):
    require(*case.requires)
    net, call, args = case.setup()
    before = snapshot(net) if net is not None else None
    args_before = copy.deepcopy(args)
    with pytest.raises(case.exc) as info:
        call()
    message = str(info.value)
    assert re.search(case.name, message), (
        f"message does not name the argument: {message!r}"
    )
    assert re.search(case.expected, message), (
        f"message does not say what was expected: {message!r}"
    )
    if net is not None:
        assert_unchanged(net, before)
    for old, new in zip(args_before, args, strict=True):
        if isinstance(old, np.ndarray) and old.dtype.kind in "biuf":
            assert np.array_equal(old, new, equal_nan=True), "an argument was modified"


def test_table_size():
    """The table covers every kind of bad input the issue lists."""
    assert len(CASES) >= 150
