"""Tier 1 and 6: the losses of chapters 3 and 4 (bplib.losses).

- every loss value against its formula written directly here (no bplib math);
- the sensitivity ∂C/∂Z and, through MLP, every parameter gradient against
  central differences in float64 (relative error < 1e-7, non-square shapes);
- integer labels and one-hot targets give identical results;
- extreme inputs (logits ±1e4, sigmoid outputs exactly 0 or 1, all-equal
  logits) give finite, correct values with no floating-point warning;
- bad targets raise ValueError/TypeError naming the argument and the
  expectation, and leave the network untouched.
"""

import warnings

import numpy as np
import pytest

from bplib.losses import (
    LOSSES,
    binary_cross_entropy,
    binary_cross_entropy_delta,
    class_targets,
    get_loss,
    l2_penalty,
    log_softmax,
    logsumexp,
    probability_targets,
    softmax,
    softmax_cross_entropy,
    softmax_cross_entropy_delta,
    softplus,
)
from bplib.mlp import MLP
from tests.helpers import central, rel_error


@pytest.fixture
def strict():
    """Every floating-point problem except underflow raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with np.errstate(all="raise", under="ignore"):
            yield


RNG = np.random.default_rng(20260)
Z = RNG.normal(0, 2, size=(7, 4))
LABELS = np.array([0, 3, 1, 1, 2, 3, 0])
ONEHOT = np.eye(4)[LABELS]


# --- values against direct formulas ------------------------------------------


def test_softmax_and_logs_match_direct_formula():
    E = np.exp(Z)
    P = E / E.sum(axis=1, keepdims=True)
    assert np.allclose(softmax(Z), P, rtol=1e-14)
    assert np.allclose(log_softmax(Z), np.log(P), rtol=1e-13)
    assert np.allclose(logsumexp(Z), np.log(E.sum(axis=1)), rtol=1e-14)
    assert np.allclose(softmax(Z[0]), P[0]) and logsumexp(Z[0]).shape == ()


def test_softmax_cross_entropy_value_matches_formula():
    E = np.exp(Z)
    P = E / E.sum(axis=1, keepdims=True)
    direct = -np.mean(np.log(P[np.arange(7), LABELS]))
    assert softmax_cross_entropy(Z, LABELS) == pytest.approx(direct, rel=1e-13)
    assert softmax_cross_entropy(Z, ONEHOT) == pytest.approx(direct, rel=1e-13)


def test_binary_cross_entropy_value_matches_formula():
    Y = RNG.uniform(size=Z.shape)
    A = 1 / (1 + np.exp(-Z))
    direct = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / len(Z)
    assert binary_cross_entropy(Z, Y) == pytest.approx(direct, rel=1e-12)
    assert np.allclose(softplus(Z), np.log1p(np.exp(Z)), rtol=1e-14)


def test_l2_penalty_value_and_gradient():
    params = [
        (RNG.normal(size=(3, 5)), RNG.normal(size=3)),
        (RNG.normal(size=(2, 3)), RNG.normal(size=2)),
    ]
    value, grads = l2_penalty(params, 0.3)
    assert value == pytest.approx(
        0.15 * sum((W**2).sum() for W, _ in params), rel=1e-14
    )
    for (W, b), (dW, db) in zip(params, grads, strict=True):
        assert np.allclose(dW, 0.3 * W) and db.shape == b.shape and not db.any()


# --- gradients against central differences -----------------------------------


def test_softmax_cross_entropy_delta_central_differences():
    Zc = Z.copy()
    numeric = central(lambda: softmax_cross_entropy(Zc, LABELS), Zc)
    assert rel_error(softmax_cross_entropy_delta(Z, LABELS), numeric) < 1e-7


def test_binary_cross_entropy_delta_central_differences():
    Y = RNG.uniform(size=Z.shape)
    Zc = Z.copy()
    numeric = central(lambda: binary_cross_entropy(Zc, Y), Zc)
    assert rel_error(binary_cross_entropy_delta(Z, Y), numeric) < 1e-7


def _targets(loss, rng, n, n_out):
    if loss == "softmax_cross_entropy":
        return rng.integers(0, n_out, size=n)
    if loss == "cross_entropy":
        return rng.uniform(size=(n, n_out))
    return rng.normal(size=(n, n_out))


@pytest.mark.parametrize(
    ("loss", "output", "hidden"),
    [
        ("softmax_cross_entropy", "identity", "tanh"),
        ("softmax_cross_entropy", "identity", "sigmoid"),
        ("cross_entropy", "sigmoid", "tanh"),
        ("cross_entropy", "sigmoid", "sigmoid"),
        ("squared", "sigmoid", "sigmoid"),
    ],
)
@pytest.mark.parametrize("l2", [0.0, 0.07])
def test_mlp_gradients_central_differences(loss, output, hidden, l2):
    rng = np.random.default_rng(5)
    sizes = [5, 4, 6, 3]
    net = MLP(sizes, activation=hidden, output=output, loss=loss, l2=l2, seed=3)
    X = rng.normal(size=(7, 5))
    Y = _targets(loss, rng, 7, 3)
    _, grads = net.loss_and_grads(X, Y)
    for (W, b), (dW, db) in zip(net.params, grads, strict=True):
        for p, g in ((W, dW), (b, db)):
            numeric = central(lambda: net.loss(X, Y), p)
            assert rel_error(g, numeric) < 1e-7


def test_mlp_relu_softmax_away_from_kink():
    rng = np.random.default_rng(8)
    net = MLP(
        [6, 5, 4],
        activation="relu",
        output="identity",
        loss="softmax_cross_entropy",
        l2=0.01,
        seed=1,
    )
    X = rng.normal(size=(9, 6))
    W, b = net.params[0]
    assert np.abs(X @ W.T + b).min() > 1e-4  # no pre-activation on the kink
    y = rng.integers(0, 4, size=9)
    _, grads = net.loss_and_grads(X, y)
    for (W, b), (dW, db) in zip(net.params, grads, strict=True):
        for p, g in ((W, dW), (b, db)):
            assert rel_error(g, central(lambda: net.loss(X, y), p)) < 1e-7


def test_registry_and_output_requirements():
    assert get_loss("softmax_cross_entropy") is LOSSES["softmax_cross_entropy"]
    assert LOSSES["softmax_cross_entropy"].output == "identity"
    assert LOSSES["cross_entropy"].output == "sigmoid"
    with pytest.raises(ValueError, match="output='identity'"):
        MLP([3, 2], output="sigmoid", loss="softmax_cross_entropy")
    with pytest.raises(ValueError, match="output='sigmoid'"):
        MLP([3, 2], output="identity", loss="cross_entropy")


# --- labels ------------------------------------------------------------------


def test_integer_and_onehot_labels_agree():
    net = MLP([5, 4, 4], activation="tanh", loss="softmax_cross_entropy", seed=0)
    X = RNG.normal(size=(7, 5))
    v1, g1 = net.loss_and_grads(X, LABELS)
    v2, g2 = net.loss_and_grads(X, ONEHOT)
    v3, _ = net.loss_and_grads(X, LABELS.astype(np.float64))
    assert v1 == v2 == v3
    for a, b in zip(g1, g2, strict=True):
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert np.array_equal(class_targets(LABELS, 4, 7), ONEHOT)
    assert np.array_equal(
        softmax_cross_entropy_delta(Z, LABELS), softmax_cross_entropy_delta(Z, ONEHOT)
    )


@pytest.mark.parametrize(
    ("Y", "match"),
    [
        (np.array([0, 4, 1, 1, 2, 3, 0]), r"0\.\.3, got values from 0 to 4"),
        (np.array([0, -1, 1, 1, 2, 3, 0]), r"0\.\.3"),
        (np.array([0, 0.5, 1, 1, 2, 3, 0]), "integer class labels"),
        (np.array([0, 1, 2]), "3 labels but there are 7 rows"),
        (np.full((7, 4), 0.25), "one-hot"),
        (2 * np.eye(4)[LABELS], "one-hot"),
        (np.eye(5)[LABELS], r"shape \(7, 4\)"),
        (np.zeros((7, 4, 1)), "integer class labels of shape"),
    ],
)
def test_bad_labels_raise(Y, match):
    net = MLP([5, 4], output="identity", loss="softmax_cross_entropy", seed=0)
    before = [(W.copy(), b.copy()) for W, b in net.params]
    X = RNG.normal(size=(7, 5))
    with pytest.raises(ValueError, match=match) as info:
        net.loss_and_grads(X, Y)
    assert "Y" in str(info.value)
    with pytest.raises(ValueError, match=match):
        softmax_cross_entropy(np.zeros((7, 4)), Y)
    for (W, b), (W0, b0) in zip(net.params, before, strict=True):
        assert np.array_equal(W, W0) and np.array_equal(b, b0)


def test_non_numeric_labels_raise_type_error():
    with pytest.raises(TypeError, match="Y must be integer class labels"):
        class_targets(np.array(["a", "b"]), 3, 2)


@pytest.mark.parametrize("bad", [1.5, -0.1])
def test_bce_targets_outside_unit_interval_raise(bad):
    Y = np.full((4, 3), 0.5)
    Y[2, 1] = bad
    net = MLP([2, 3], output="sigmoid", loss="cross_entropy", seed=0)
    before = [(W.copy(), b.copy()) for W, b in net.params]
    with pytest.raises(ValueError, match=r"Y must hold targets in \[0, 1\]"):
        net.loss(np.zeros((4, 2)), Y)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        probability_targets(Y, 3, 4)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        binary_cross_entropy(np.zeros((4, 3)), Y)
    for (W, b), (W0, b0) in zip(net.params, before, strict=True):
        assert np.array_equal(W, W0) and np.array_equal(b, b0)


def test_bad_logits_raise():
    with pytest.raises(ValueError, match="NaN or infinity"):
        softmax(np.array([[0.0, np.inf]]))
    with pytest.raises(TypeError, match="Z must be a real numeric array"):
        logsumexp(np.array(["a"]))
    with pytest.raises(ValueError, match="Z must be 2-D"):
        softmax_cross_entropy(np.zeros(3), [0])
    with pytest.raises(TypeError, match="params must be a list"):
        l2_penalty(np.zeros((2, 2)), 0.1)
    with pytest.raises(ValueError, match="l2"):
        l2_penalty([], -1.0)


# --- extremes ----------------------------------------------------------------


def test_softmax_extreme_logits_finite_no_warning(strict):
    Zx = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]])
    P = softmax(Zx)
    assert np.isfinite(P).all() and np.allclose(P.sum(axis=1), 1.0)
    assert np.allclose(P, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0]])
    lab = np.array([2, 0, 0])
    # exact values: logsumexp - z_label
    expected = np.array([2e4, np.log(3), np.log(2)]).mean()
    assert softmax_cross_entropy(Zx, lab) == pytest.approx(expected, rel=1e-12)
    D = softmax_cross_entropy_delta(Zx, lab)
    assert np.isfinite(D).all()
    assert np.isfinite(log_softmax(Zx)).all() and np.isfinite(logsumexp(Zx)).all()


def test_softmax_all_equal_logits(strict):
    for c in (0.0, 1e4, -1e4, 123.456):
        Zx = np.full((3, 5), c)
        assert np.allclose(softmax(Zx), 0.2)
        assert softmax_cross_entropy(Zx, [0, 1, 4]) == pytest.approx(
            np.log(5), rel=1e-12
        )
        assert np.allclose(
            softmax_cross_entropy_delta(Zx, [0, 1, 4]).sum(axis=1), 0.0, atol=1e-15
        )


def test_bce_at_exactly_saturated_outputs(strict):
    # sigmoid(±1000) is exactly 1 / 0 in float64: the loss must stay finite and
    # equal to its exact value, computed from the logits.
    Zx = np.array([[1000.0, -1000.0, 1000.0, -1000.0, 1e4, -1e4]])
    Y = np.array([[1.0, 0.0, 0.0, 1.0, 0.0, 1.0]])
    value = binary_cross_entropy(Zx, Y)
    assert value == pytest.approx(1000 + 1000 + 1e4 + 1e4, rel=1e-15)
    D = binary_cross_entropy_delta(Zx, Y)
    assert np.array_equal(D, [[0.0, 0.0, 1.0, -1.0, 1.0, -1.0]])
    assert np.array_equal(softplus(np.array([1e4, -1e4])), [1e4, 0.0])


def test_mlp_extreme_inputs_no_warning(strict):
    for loss, output in (
        ("softmax_cross_entropy", "identity"),
        ("cross_entropy", "sigmoid"),
    ):
        net = MLP([3, 4, 2], activation="relu", output=output, loss=loss, seed=0)
        net.params = [(W * 1e3, b) for W, b in net.params]
        X = np.array([[1e2, -1e2, 5e1], [-1e2, 1e2, 0.0]])
        Y = (
            np.array([0, 1])
            if loss == "softmax_cross_entropy"
            else np.array([[0.0, 1.0], [1.0, 0.0]])
        )
        value, grads = net.loss_and_grads(X, Y)
        assert np.isfinite(value)
        assert all(np.isfinite(g).all() for pair in grads for g in pair)


def test_float32_supported(strict):
    net = MLP(
        [4, 3, 3],
        activation="tanh",
        loss="softmax_cross_entropy",
        seed=0,
        dtype=np.float32,
    )
    X = RNG.normal(size=(5, 4)).astype(np.float32)
    value, grads = net.loss_and_grads(X, [0, 1, 2, 0, 1])
    assert np.isfinite(value) and all(
        g.dtype == np.float32 for pair in grads for g in pair
    )
    assert softmax(np.zeros((2, 3), np.float32)).dtype == np.float32
