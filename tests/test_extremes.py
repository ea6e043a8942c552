"""Extreme numbers: saturated units, huge logits, very deep and very wide nets.

Every test runs under :func:`helpers.strict_fp`: ``np.errstate(all="raise")``
(overflow, division by zero and invalid values raise ``FloatingPointError``)
with every ``RuntimeWarning`` an error, as in the whole test run
(pyproject ``filterwarnings``). Underflow alone is allowed: at saturation the
correctly rounded answer *is* an underflow to 0 (σ(−1000) = e^−1000 ≈ 1e−434
is below the smallest float64), and numpy ignores underflow by default.

Each test asserts finite losses and gradients and, where a closed form
exists, the exact value (computed independently with Python's ``math``).
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
from helpers import ACTIVATIONS, LOSS_OUTPUT, flat, strict_fp

import bplib

DTYPES = [np.float64, np.float32]
DT_IDS = ["float64", "float32"]


def mlp(sizes, **kw):
    return bplib.MLP(sizes, **kw)


def set_params(net, *pairs):
    """Overwrite the network's parameters in place (W, b per layer)."""
    for (W, b), (W_new, b_new) in zip(net.params, pairs, strict=True):
        W[...] = W_new
        b[...] = b_new


def assert_finite(loss, grads, net):
    assert np.isfinite(loss), f"loss is {loss}"
    for i, ((dW, db), (W, b)) in enumerate(zip(grads, net.params, strict=True)):
        assert dW.shape == W.shape and db.shape == b.shape, f"layer {i}"
        assert np.isfinite(dW).all() and np.isfinite(db).all(), f"layer {i} gradient"


# --- activations at ±1000 -----------------------------------------------------
LIMITS = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_activation_saturates_exactly(name, dtype):
    act = bplib.get_activation(name)
    z = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], dtype=dtype)
    with strict_fp():
        a = act.f(z)
        da = act.prime(z)
    low, high = LIMITS[name]
    assert a.dtype == dtype and da.dtype == dtype
    assert a[0] == low and a[-1] == high, a
    assert np.isfinite(da).all() and da[0] == 0 and da[-1] == 0, da
    assert np.all(np.diff(a) >= 0), "not monotone"


@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_saturated_output_unit_in_a_network(name, dtype):
    """Output z = ±1000: exact limits, finite squared loss, zero-slope gradient."""
    net = mlp([1, 1], output=name, dtype=dtype)
    set_params(net, (np.array([[1.0]]), np.array([0.0])))
    X = np.array([[-1000.0], [1000.0], [-1e4], [1e4]])
    Y = np.array([[0.5], [0.5], [0.0], [0.0]])
    with strict_fp():
        A = net.forward(X)
        loss, grads = net.loss_and_grads(X, Y)
    low, high = LIMITS[name]
    assert A[:, 0].tolist() == [low, high, low, high]
    expected = 0.5 * np.mean((np.array([low, high, low, high]) - Y[:, 0]) ** 2)
    assert loss == pytest.approx(expected, rel=1e-6)
    assert_finite(loss, grads, net)
    assert all(np.array_equal(g, np.zeros_like(g)) for g in flat(grads))


@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
@pytest.mark.parametrize("name", ["sigmoid", "tanh"])
def test_saturated_hidden_layers(name, dtype):
    """Inputs of ±1000 saturate every hidden unit; backprop stays finite."""
    rng = np.random.default_rng(3)
    net = mlp([4, 6, 5, 2], activation=name, dtype=dtype)
    X = rng.choice([-1000.0, 1000.0], size=(7, 4))
    Y = rng.standard_normal((7, 2))
    with strict_fp():
        loss, grads = net.loss_and_grads(X, Y)
    assert_finite(loss, grads, net)


# --- softmax cross-entropy at huge and equal logits ----------------------------
def softmax_ce_reference(Z, labels):
    """Mean CE and dC/dZ from Python floats: log-sum-exp with the max shifted out."""
    loss, dZ = 0.0, []
    for z, y in zip(Z.tolist(), labels, strict=True):
        m = max(z)
        s = math.fsum(math.exp(v - m) for v in z)
        loss += m + math.log(s) - z[y]
        dZ.append([math.exp(v - m) / s - (k == y) for k, v in enumerate(z)])
    return loss / len(Z), np.array(dZ) / len(Z)


SOFTMAX_LOGITS = {
    "pm1e4": [[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [0.0, 0.0, -1e4], [-1e4, -1e4, 1e4]],
    "equal": [[0.0, 0.0, 0.0], [7.5, 7.5, 7.5], [1e4, 1e4, 1e4], [-1e4, -1e4, -1e4]],
}


@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
@pytest.mark.parametrize("targets", ["labels", "one-hot"])
@pytest.mark.parametrize("logits", list(SOFTMAX_LOGITS))
def test_softmax_cross_entropy_extreme_logits(logits, targets, dtype):
    net = mlp([3, 3], output="identity", loss="softmax_cross_entropy", dtype=dtype)
    set_params(net, (np.eye(3), np.zeros(3)))  # Z = X exactly
    X = np.array(SOFTMAX_LOGITS[logits])
    # the least likely class for half the rows: the loss is then ~2e4
    labels = [1, 0, 2, 1]
    Y = np.array(labels) if targets == "labels" else np.eye(3)[labels]
    with strict_fp():
        loss, grads = net.loss_and_grads(X, Y)
        value = net.loss(X, Y)
    assert_finite(loss, grads, net)
    assert value == loss
    ref_loss, ref_dZ = softmax_ce_reference(X, labels)
    # Rounding the logits to the dtype moves them by eps·|z|: the loss and the
    # probabilities cannot be more accurate than that (float32 at 1e4: ~1e-3).
    scale = max(1.0, float(np.abs(X).max()))
    tol = 8 * float(np.finfo(dtype).eps) * scale
    assert loss == pytest.approx(ref_loss, rel=1e-12, abs=tol)
    if logits == "equal":
        assert loss == pytest.approx(math.log(3), rel=1e-12, abs=tol)
    ((dW, db),) = grads
    np.testing.assert_allclose(db, ref_dZ.sum(axis=0), rtol=1e-12, atol=tol)
    np.testing.assert_allclose(dW, ref_dZ.T @ X, rtol=1e-12, atol=tol * scale)


# --- binary cross-entropy at predictions of exactly 0 and 1 --------------------
@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
def test_cross_entropy_at_saturated_predictions(dtype):
    """σ(±1000) is exactly 1 or 0, right and wrong targets: −log 0 never taken."""
    net = mlp([1, 1], output="sigmoid", loss="cross_entropy", dtype=dtype)
    set_params(net, (np.array([[1.0]]), np.array([0.0])))
    z = [1000.0, -1000.0, 1000.0, -1000.0, 40.0, -40.0, 0.0]
    y = [1.0, 0.0, 0.0, 1.0, 0.0, 1.0, 1.0]
    X, Y = np.array(z)[:, None], np.array(y)[:, None]
    with strict_fp():
        A = net.forward(X)
        loss, grads = net.loss_and_grads(X, Y)
    assert A[:4, 0].tolist() == [1.0, 0.0, 1.0, 0.0]  # the predictions are 0 and 1
    assert_finite(loss, grads, net)

    # −[y log σ(z) + (1 − y) log(1 − σ(z))] = softplus(z) − y z, exact in math
    def softplus(v):
        return max(v, 0.0) + math.log1p(math.exp(-abs(v)))

    ref = math.fsum(softplus(v) - t * v for v, t in zip(z, y, strict=True)) / len(z)
    assert loss == pytest.approx(ref, rel=1e-12 if dtype == np.float64 else 1e-6)
    sig = [
        1 / (1 + math.exp(-v)) if v >= 0 else math.exp(v) / (1 + math.exp(v)) for v in z
    ]
    dZ = np.array([(s - t) / len(z) for s, t in zip(sig, y, strict=True)])
    ((dW, db),) = grads
    np.testing.assert_allclose(db, [dZ.sum()], rtol=1e-6)
    np.testing.assert_allclose(dW, [[dZ @ np.array(z)]], rtol=1e-6)


# --- very deep and very wide networks -------------------------------------------
COMBOS = [("squared", out) for out in ACTIVATIONS] + [
    ("cross_entropy", "sigmoid"),
    ("softmax_cross_entropy", "identity"),
]


def targets(loss, rng, n, n_out):
    if loss == "softmax_cross_entropy":
        return rng.integers(0, n_out, n)
    if loss == "cross_entropy":
        return rng.uniform(0, 1, (n, n_out))
    return rng.standard_normal((n, n_out))


@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
@pytest.mark.parametrize("loss,output", COMBOS, ids=[f"{lo}-{o}" for lo, o in COMBOS])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_deep_network(activation, loss, output, dtype):
    """20 layers of width 8: vanishing or exploding signals, never inf/nan."""
    assert LOSS_OUTPUT[loss] in (None, output)
    rng = np.random.default_rng(20)
    net = mlp(
        [8] * 21, activation=activation, output=output, loss=loss, l2=1e-4, dtype=dtype
    )
    X = rng.standard_normal((16, 8))
    Y = targets(loss, rng, 16, 8)
    with strict_fp():
        A = net.forward(X)
        loss_value, grads = net.loss_and_grads(X, Y)
    assert np.isfinite(A).all()
    assert_finite(loss_value, grads, net)
    assert all(g.dtype == dtype for g in flat(grads))


@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
@pytest.mark.parametrize("loss,output", COMBOS, ids=[f"{lo}-{o}" for lo, o in COMBOS])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_wide_network(activation, loss, output, dtype):
    """4096 hidden units, a batch of 3: sums over 4096 terms stay finite."""
    rng = np.random.default_rng(4096)
    net = mlp(
        [16, 4096, 5], activation=activation, output=output, loss=loss, dtype=dtype
    )
    X = rng.standard_normal((3, 16)) * 10
    Y = targets(loss, rng, 3, 5)
    with strict_fp():
        loss_value, grads = net.loss_and_grads(X, Y)
    assert_finite(loss_value, grads, net)


def test_wide_and_deep_relu_float32():
    """Two 4096-wide ReLU layers in float32 with inputs of 1e3."""
    rng = np.random.default_rng(1)
    net = mlp([32, 4096, 4096, 4], activation="relu", dtype=np.float32)
    X = rng.standard_normal((2, 32)) * 1e3
    Y = rng.standard_normal((2, 4))
    with strict_fp():
        loss, grads = net.loss_and_grads(X, Y)
    assert_finite(loss, grads, net)


# --- fast dropout at its extremes ------------------------------------------------
FD_CASES = {
    "inputs-1e3": dict(keep_prob=0.5, scale=1e3, sizes=[4, 6, 3]),
    "keep_prob-1": dict(keep_prob=1.0, scale=1.0, sizes=[4, 6, 3]),
    "keep_prob-1e-3": dict(keep_prob=1e-3, scale=1.0, sizes=[4, 6, 3]),
    "keep_prob-1e-3-inputs-1e3": dict(keep_prob=1e-3, scale=1e3, sizes=[4, 6, 3]),
    "deep": dict(keep_prob=0.5, scale=1.0, sizes=[8] * 21),
    "wide": dict(keep_prob=0.5, scale=10.0, sizes=[16, 4096, 3]),
    "zero-inputs": dict(keep_prob=0.5, scale=0.0, sizes=[4, 6, 3]),
    "cross_entropy-inputs-1e3": dict(
        keep_prob=0.9, scale=1e3, sizes=[4, 6, 3], loss="cross_entropy"
    ),
    "cross_entropy-deep": dict(
        keep_prob=0.5, scale=1.0, sizes=[8] * 21, loss="cross_entropy"
    ),
}


@pytest.mark.parametrize("dtype", DTYPES, ids=DT_IDS)
@pytest.mark.parametrize("case", list(FD_CASES))
def test_fast_dropout_extremes(case, dtype):
    c = FD_CASES[case]
    rng = np.random.default_rng(5)
    loss = c.get("loss", "squared")
    net = bplib.FastDropoutMLP(
        c["sizes"], keep_prob=c["keep_prob"], loss=loss, dtype=dtype
    )
    X = rng.standard_normal((6, c["sizes"][0])) * c["scale"]
    Y = rng.uniform(0, 1, (6, c["sizes"][-1]))
    with strict_fp():
        A = net.forward(X)
        loss, grads = net.loss_and_grads(X, Y)
    assert np.isfinite(A).all() and A.dtype == dtype
    assert_finite(loss, grads, net)


# --- training that diverges -------------------------------------------------------
# train documents that a non-finite batch loss (typically lr too large) raises
# FloatingPointError naming lr, with the parameters left finite. Getting there
# must not pass through numpy overflow/invalid warnings.
DIVERGE = [
    pytest.param(act, loss, id=f"{act}-{loss}")
    for act in ACTIVATIONS
    for loss in ("squared", "softmax_cross_entropy", "cross_entropy")
]


DIVERGED = (
    r"the batch loss or step became non-finite \((loss (inf|nan)|"
    r"(overflow|invalid value|divide by zero) encountered in \w+)\) "
    r"at epoch [1-9]\d*, step [1-9]\d*; lr=1000000\.0 is probably too large"
)


@pytest.mark.parametrize("activation,loss", DIVERGE)
def test_divergent_training_fails_cleanly(activation, loss):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 4))
    Y = targets(loss, rng, 32, 2)
    net = mlp(
        [4, 8, 2],
        activation=activation,
        output=LOSS_OUTPUT[loss] or "identity",
        loss=loss,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            history = bplib.train(net, X, Y, lr=1e6, batch_size=8, epochs=50, seed=0)
        except FloatingPointError as err:
            # Where the run diverges (epoch, step, which operation) varies
            # with the configuration; the rest of the message does not.
            assert re.fullmatch(DIVERGED, str(err)), str(err)
        else:
            assert all(np.isfinite(v) for v in history.loss)
    assert all(np.isfinite(p).all() for p in flat(net.params)), "parameters not finite"
