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
from helpers import assert_unchanged, central, rel_error, snapshot

import bplib
from bplib.losses import LOSSES


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
    assert np.allclose(bplib.softmax(Z), P, rtol=1e-14)
    assert np.allclose(bplib.log_softmax(Z), np.log(P), rtol=1e-13)
    assert np.allclose(bplib.logsumexp(Z), np.log(E.sum(axis=1)), rtol=1e-14)
    assert np.allclose(bplib.softmax(Z[0]), P[0]) and bplib.logsumexp(Z[0]).shape == ()


def test_softmax_cross_entropy_value_matches_formula():
    E = np.exp(Z)
    P = E / E.sum(axis=1, keepdims=True)
    direct = -np.mean(np.log(P[np.arange(7), LABELS]))
    assert bplib.softmax_cross_entropy(Z, LABELS) == pytest.approx(direct, rel=1e-13)
    assert bplib.softmax_cross_entropy(Z, ONEHOT) == pytest.approx(direct, rel=1e-13)


def test_binary_cross_entropy_value_matches_formula():
    Y = RNG.uniform(size=Z.shape)
    A = 1 / (1 + np.exp(-Z))
    direct = -np.sum(Y * np.log(A) + (1 - Y) * np.log(1 - A)) / len(Z)
    assert bplib.binary_cross_entropy(Z, Y) == pytest.approx(direct, rel=1e-12)
    assert np.allclose(bplib.softplus(Z), np.log1p(np.exp(Z)), rtol=1e-14)


def test_l2_penalty_value_and_gradient():
    params = [
        (RNG.normal(size=(3, 5)), RNG.normal(size=3)),
        (RNG.normal(size=(2, 3)), RNG.normal(size=2)),
    ]
    value, grads = bplib.l2_penalty(params, 0.3)
    assert value == pytest.approx(
        0.15 * sum((W**2).sum() for W, _ in params), rel=1e-14
    )
    for (W, b), (dW, db) in zip(params, grads, strict=True):
        assert np.allclose(dW, 0.3 * W) and db.shape == b.shape and not db.any()


# --- gradients against central differences -----------------------------------


def test_softmax_cross_entropy_delta_central_differences():
    Zc = Z.copy()
    numeric = central(lambda: bplib.softmax_cross_entropy(Zc, LABELS), Zc)
    assert rel_error(bplib.softmax_cross_entropy_delta(Z, LABELS), numeric) < 1e-7


def test_binary_cross_entropy_delta_central_differences():
    Y = RNG.uniform(size=Z.shape)
    Zc = Z.copy()
    numeric = central(lambda: bplib.binary_cross_entropy(Zc, Y), Zc)
    assert rel_error(bplib.binary_cross_entropy_delta(Z, Y), numeric) < 1e-7


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
    net = bplib.MLP(sizes, activation=hidden, output=output, loss=loss, l2=l2, seed=3)
    X = rng.normal(size=(7, 5))
    Y = _targets(loss, rng, 7, 3)
    _, grads = net.loss_and_grads(X, Y)
    for (W, b), (dW, db) in zip(net.params, grads, strict=True):
        for p, g in ((W, dW), (b, db)):
            numeric = central(lambda: net.loss(X, Y), p)
            assert rel_error(g, numeric) < 1e-7


def test_mlp_relu_softmax_away_from_kink():
    rng = np.random.default_rng(8)
    net = bplib.MLP(
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
    assert bplib.get_loss("softmax_cross_entropy") is LOSSES["softmax_cross_entropy"]
    assert LOSSES["softmax_cross_entropy"].output == "identity"
    assert LOSSES["cross_entropy"].output == "sigmoid"
    with pytest.raises(ValueError) as info:
        bplib.MLP([3, 2], output="sigmoid", loss="softmax_cross_entropy")
    assert str(info.value) == (
        "loss='softmax_cross_entropy' needs output='identity', got output='sigmoid'"
    )
    with pytest.raises(ValueError) as info:
        bplib.MLP([3, 2], output="identity", loss="cross_entropy")
    assert str(info.value) == (
        "loss='cross_entropy' needs output='sigmoid', got output='identity'"
    )


def test_a_loss_that_cannot_depend_on_the_parameters_is_refused():
    """Softmax over one unit is 1 whatever its logit: the loss is constantly 0.

    Such a network would train silently and learn nothing (every gradient is
    zero), so the constructor refuses it (issue 12, defect 4).
    """
    message = (
        "loss='softmax_cross_entropy' needs at least 2 output units, got "
        "sizes[-1]=1: with fewer the loss is constant"
    )
    for sizes in ([3, 1], [3, 5, 1]):
        with pytest.raises(ValueError) as info:
            bplib.MLP(sizes, output="identity", loss="softmax_cross_entropy")
        assert str(info.value) == message
    # The loss really is constant there: zero for any logits and labels.
    Z = np.random.default_rng(0).normal(size=(6, 1)) * 100
    assert bplib.softmax_cross_entropy(Z, np.zeros(6, dtype=int)) == 0.0
    # One output unit is fine for the losses that do depend on it.
    bplib.MLP([3, 1], output="sigmoid", loss="cross_entropy")
    bplib.MLP([3, 1], output="identity", loss="squared")


# --- labels ------------------------------------------------------------------


def test_integer_and_onehot_labels_agree():
    net = bplib.MLP([5, 4, 4], activation="tanh", loss="softmax_cross_entropy", seed=0)
    X = RNG.normal(size=(7, 5))
    v1, g1 = net.loss_and_grads(X, LABELS)
    v2, g2 = net.loss_and_grads(X, ONEHOT)
    v3, _ = net.loss_and_grads(X, LABELS.astype(np.float64))
    assert v1 == v2 == v3
    for a, b in zip(g1, g2, strict=True):
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert np.array_equal(bplib.class_targets(LABELS, 4, 7), ONEHOT)
    assert np.array_equal(
        bplib.softmax_cross_entropy_delta(Z, LABELS),
        bplib.softmax_cross_entropy_delta(Z, ONEHOT),
    )


LABELS_0_3 = "Y given as 1-D must hold integer class labels in 0..3, got "
ONE_HOT_0_3 = (
    "Y given as 2-D must be one-hot (entries 0 or 1, exactly one 1 per row); "
    "for class labels pass a 1-D integer array in 0..3"
)


@pytest.mark.parametrize(
    ("Y", "message"),
    [
        (np.array([0, 4, 1, 1, 2, 3, 0]), LABELS_0_3 + "values from 0 to 4"),
        (np.array([0, -1, 1, 1, 2, 3, 0]), LABELS_0_3 + "values from -1 to 3"),
        (np.array([0, 0.5, 1, 1, 2, 3, 0]), LABELS_0_3 + "non-integer values"),
        (
            np.array([0, 1, 2]),
            "Y has 3 labels but there are 7 rows; expected one label per row",
        ),
        (np.full((7, 4), 0.25), ONE_HOT_0_3),
        (2 * np.eye(4)[LABELS], ONE_HOT_0_3),
        (np.eye(5)[LABELS], "Y must have shape (7, 4), got (7, 5)"),
        (
            np.zeros((7, 4, 1)),
            "Y must be integer class labels of shape (N,) or one-hot of shape "
            "(N, 4), got shape (7, 4, 1)",
        ),
    ],
)
def test_bad_labels_same_message_from_network_and_functions(Y, message):
    """The network and the loss functions check labels with the same words."""
    net = bplib.MLP([5, 4], output="identity", loss="softmax_cross_entropy", seed=0)
    before = snapshot(net)
    X = RNG.normal(size=(7, 5))
    for call in (
        lambda: net.loss_and_grads(X, Y),
        lambda: net.loss(X, Y),
        lambda: bplib.softmax_cross_entropy(np.zeros((7, 4)), Y),
        lambda: bplib.softmax_cross_entropy_delta(np.zeros((7, 4)), Y),
        lambda: bplib.class_targets(Y, 4, 7),
    ):
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value) == message
    assert_unchanged(net, before)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            1.5,
            "Y must hold targets in [0, 1] for binary cross-entropy, "
            "got values from 0.5 to 1.5",
        ),
        (
            -0.1,
            "Y must hold targets in [0, 1] for binary cross-entropy, "
            "got values from -0.1 to 0.5",
        ),
    ],
)
def test_bce_targets_outside_unit_interval_raise(bad, message):
    Y = np.full((4, 3), 0.5)
    Y[2, 1] = bad
    net = bplib.MLP([2, 3], output="sigmoid", loss="cross_entropy", seed=0)
    before = snapshot(net)
    for call in (
        lambda: net.loss(np.zeros((4, 2)), Y),
        lambda: net.loss_and_grads(np.zeros((4, 2)), Y),
        lambda: bplib.probability_targets(Y, 3, 4),
        lambda: bplib.binary_cross_entropy(np.zeros((4, 3)), Y),
        lambda: bplib.binary_cross_entropy_delta(np.zeros((4, 3)), Y),
    ):
        with pytest.raises(ValueError) as info:
            call()
        assert str(info.value) == message
    assert_unchanged(net, before)


# --- extremes ----------------------------------------------------------------


def test_softmax_extreme_logits_finite_no_warning(strict):
    Zx = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]])
    P = bplib.softmax(Zx)
    assert np.isfinite(P).all() and np.allclose(P.sum(axis=1), 1.0)
    assert np.allclose(P, [[1, 0, 0], [1 / 3, 1 / 3, 1 / 3], [0.5, 0.5, 0]])
    lab = np.array([2, 0, 0])
    # exact values: logsumexp - z_label
    expected = np.array([2e4, np.log(3), np.log(2)]).mean()
    assert bplib.softmax_cross_entropy(Zx, lab) == pytest.approx(expected, rel=1e-12)
    D = bplib.softmax_cross_entropy_delta(Zx, lab)
    assert np.isfinite(D).all()
    assert (
        np.isfinite(bplib.log_softmax(Zx)).all()
        and np.isfinite(bplib.logsumexp(Zx)).all()
    )


def test_softmax_all_equal_logits(strict):
    for c in (0.0, 1e4, -1e4, 123.456):
        Zx = np.full((3, 5), c)
        assert np.allclose(bplib.softmax(Zx), 0.2)
        assert bplib.softmax_cross_entropy(Zx, [0, 1, 4]) == pytest.approx(
            np.log(5), rel=1e-12
        )
        assert np.allclose(
            bplib.softmax_cross_entropy_delta(Zx, [0, 1, 4]).sum(axis=1),
            0.0,
            atol=1e-15,
        )


def test_bce_at_exactly_saturated_outputs(strict):
    # sigmoid(±1000) is exactly 1 / 0 in float64: the loss must stay finite and
    # equal to its exact value, computed from the logits.
    Zx = np.array([[1000.0, -1000.0, 1000.0, -1000.0, 1e4, -1e4]])
    Y = np.array([[1.0, 0.0, 0.0, 1.0, 0.0, 1.0]])
    value = bplib.binary_cross_entropy(Zx, Y)
    assert value == pytest.approx(1000 + 1000 + 1e4 + 1e4, rel=1e-15)
    D = bplib.binary_cross_entropy_delta(Zx, Y)
    assert np.array_equal(D, [[0.0, 0.0, 1.0, -1.0, 1.0, -1.0]])
    assert np.array_equal(bplib.softplus(np.array([1e4, -1e4])), [1e4, 0.0])


def test_mlp_extreme_inputs_no_warning(strict):
    for loss, output in (
        ("softmax_cross_entropy", "identity"),
        ("cross_entropy", "sigmoid"),
    ):
        net = bplib.MLP([3, 4, 2], activation="relu", output=output, loss=loss, seed=0)
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
    net = bplib.MLP(
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
    assert bplib.softmax(np.zeros((2, 3), np.float32)).dtype == np.float32
