"""Tier 1 and 6 for chapter 5: bplib.fast_dropout.

- the surrogate's gradients against central differences (float64, relative
  error < 1e-7) for both supported losses and depths 1, 2, 3, computed here
  independently of bplib.gradcheck;
- keep_prob = 1 is bplib.MLP with sigmoid units, bit for bit;
- dropout_moments against exact enumeration of the masks;
- Monte Carlo dropout: exact backprop of the sampled network, masks of the
  right frequency, and an average gradient that approaches the surrogate's
  where the two objectives agree (keep_prob near 1);
- a failing Monte Carlo call draws no mask (the bad-input rows themselves are
  in tests/test_bad_input.py); no floating-point warning at extreme inputs.
"""

import numpy as np
import pytest
from helpers import (
    assert_unchanged,
    central,
    numeric_grads,
    rel_error,
    snapshot,
    strict_fp,
)

import bplib

LOSSES = ["squared", "cross_entropy"]
FINITE = "{} contains NaN or infinity; expected finite values"
SIZES = [[5, 3], [5, 4, 3], [6, 5, 4, 3]]


def _problem(sizes, loss, keep_prob=0.6, seed=0, n_rows=4):
    """A network with weights large enough for the variance path to matter."""
    rng = np.random.default_rng(seed)
    net = bplib.FastDropoutMLP(sizes, keep_prob=keep_prob, loss=loss, seed=seed)
    for W, b in net.params:
        W *= 1.5
        b += 0.5 * rng.standard_normal(b.shape)
    X = rng.standard_normal((n_rows, sizes[0]))
    Y = rng.random((n_rows, sizes[-1]))
    if loss == "cross_entropy":
        Y = (Y > 0.5).astype(float)
    return net, X, Y


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: f"depth{len(s) - 1}")
@pytest.mark.parametrize("keep_prob", [0.5, 0.8, [0.9, 0.5, 0.7]], ids=str)
def test_gradients_match_central_differences(loss, sizes, keep_prob):
    if isinstance(keep_prob, list):
        keep_prob = keep_prob[: len(sizes) - 1]
    net, X, Y = _problem(sizes, loss, keep_prob)
    value, grads = net.loss_and_grads(X, Y)
    assert value == net.loss(X, Y)
    numeric = numeric_grads(net, X, Y, eps=1e-5)
    for (dW, db), (nW, nb) in zip(grads, numeric, strict=True):
        assert rel_error(dW, nW) < 1e-7
        assert rel_error(db, nb) < 1e-7


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("sizes", SIZES, ids=lambda s: f"depth{len(s) - 1}")
def test_keep_prob_one_is_plain_backprop_exactly(loss, sizes):
    fast = bplib.FastDropoutMLP(sizes, keep_prob=1.0, loss=loss, seed=7)
    plain = bplib.MLP(sizes, activation="sigmoid", output="sigmoid", loss=loss, seed=7)
    rng = np.random.default_rng(1)
    X = rng.standard_normal((5, sizes[0]))
    Y = (rng.random((5, sizes[-1])) > 0.5).astype(float)
    (lf, gf), (lp, gp) = fast.loss_and_grads(X, Y), plain.loss_and_grads(X, Y)
    assert lf == lp
    assert np.array_equal(fast.forward(X), plain.forward(X))
    assert np.array_equal(fast.forward(X, inference="scaled"), plain.forward(X))
    for (a, b), (c, d) in zip(gf, gp, strict=True):
        assert np.array_equal(a, c) and np.array_equal(b, d)
    # Monte Carlo dropout at keep_prob 1 keeps everything: plain backprop too.
    lm, gm = bplib.mc_dropout_loss_and_grads(fast, X, Y, np.random.default_rng(0))
    assert lm == pytest.approx(lp, rel=1e-15)
    for (a, b), (c, d) in zip(gm, gp, strict=True):
        np.testing.assert_allclose(a, c, rtol=1e-13, atol=1e-16)
        np.testing.assert_allclose(b, d, rtol=1e-13, atol=1e-16)


def test_dropout_moments_match_enumeration():
    rng = np.random.default_rng(2)
    n, p = 6, 0.35
    A = rng.random((3, n))
    W, b = rng.standard_normal((2, n)), rng.standard_normal(2)
    masks = ((np.arange(2**n)[:, None] >> np.arange(n)) & 1).astype(float)
    prob = np.prod(np.where(masks == 1, p, 1 - p), axis=1)
    Z = np.einsum("mj,rj,kj->mrk", masks, A, W) + b  # (masks, rows, units)
    mean = np.einsum("m,mrk->rk", prob, Z)
    var = np.einsum("m,mrk->rk", prob, (Z - mean) ** 2)
    mu, v = bplib.dropout_moments(A, W, b, p)
    np.testing.assert_allclose(mu, mean, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(v, var, rtol=1e-12, atol=1e-14)


def test_gaussian_sigmoid_mean_values_and_checks():
    assert bplib.gaussian_sigmoid_mean(0.3, 0.0) == pytest.approx(
        float(bplib.sigmoid(0.3))
    )
    out = bplib.gaussian_sigmoid_mean(np.array([2.0, -2.0]), 8 / np.pi * 3)  # r = 2
    np.testing.assert_allclose(out, bplib.sigmoid(np.array([1.0, -1.0])), rtol=1e-15)


def test_mc_gradient_is_exact_backprop_of_the_sampled_network():
    """With a fixed mask the sampled network is an ordinary one: check by FD."""
    net, X, Y = _problem([5, 4, 3], "squared", keep_prob=0.5, seed=3)
    seed = 11
    _, grads = bplib.mc_dropout_loss_and_grads(net, X, Y, np.random.default_rng(seed))

    def sampled_loss():
        return bplib.mc_dropout_loss_and_grads(net, X, Y, np.random.default_rng(seed))[
            0
        ]

    eps = 1e-5
    for (W, b), (dW, db) in zip(net.params, grads, strict=True):
        for p, g in ((W, dW), (b, db)):
            assert rel_error(g, central(sampled_loss, p, eps)) < 1e-7


def test_mc_masks_keep_inputs_with_probability_p():
    """The sampled first-layer pre-activation has mean and variance (ch5-mean/var)."""
    net = bplib.FastDropoutMLP([8, 1], keep_prob=0.3, seed=0)
    x = np.linspace(0.2, 1.0, 8)[None, :]
    X = np.repeat(x, 20000, axis=0)
    W, b = net.params[0]
    # With a sigmoid output we recover z = logit(a) of every sample exactly.
    a = bplib.mc_dropout_forward(net, X, np.random.default_rng(5))[:, 0]
    z = np.log(a) - np.log1p(-a)
    mu, v = bplib.dropout_moments(x, W, b, 0.3)
    se = np.sqrt(v[0, 0] / len(z))
    assert abs(z.mean() - mu[0, 0]) < 4 * se
    assert abs(z.var() / v[0, 0] - 1) < 0.05


def test_mc_average_gradient_approaches_surrogate_near_keep_prob_one():
    """Loose statistical check, fixed seed.

    The two gradients estimate different objectives (expected loss vs loss of
    the approximate expected output), whose difference is O(p(1 - p)). With
    keep_prob 0.95 the average of many MC gradients must be close to the
    surrogate's, and much closer than one MC gradient is.
    """
    rng = np.random.default_rng(0)
    net = bplib.FastDropoutMLP([30, 8, 3], keep_prob=0.95, seed=1)
    X, Y = rng.random((40, 30)), rng.random((40, 3))
    _, g_fast = net.loss_and_grads(X, Y)
    g_fast = np.concatenate([np.r_[dW.ravel(), db] for dW, db in g_fast])
    mc_rng = np.random.default_rng(1)
    samples = []
    for _ in range(2000):
        _, g = bplib.mc_dropout_loss_and_grads(net, X, Y, mc_rng)
        samples.append(np.concatenate([np.r_[dW.ravel(), db] for dW, db in g]))
    samples = np.array(samples)
    one = rel_error(samples[0], g_fast)
    avg = rel_error(samples.mean(axis=0), g_fast)
    assert avg < 0.05
    assert avg < one / 3


def test_keep_prob_accepted_forms():
    assert bplib.FastDropoutMLP([4, 3, 2], keep_prob=1).keep_probs == (1.0, 1.0)
    assert bplib.FastDropoutMLP([4, 3, 2], keep_prob=[1.0, 0.5]).keep_probs == (
        1.0,
        0.5,
    )
    assert bplib.FastDropoutMLP(
        [4, 3, 2], keep_prob=np.array([0.8, 0.5])
    ).keep_probs == (
        0.8,
        0.5,
    )


# The bad-input rows of every function are in tests/test_bad_input.py; here,
# that a failing Monte Carlo call draws no mask from the caller's generator.
BAD_X = [
    (np.zeros((3, 5)), np.zeros((3, 2)), "X must have shape (N, 4), got (3, 5)"),
    (np.full((3, 4), np.nan), np.zeros((3, 2)), FINITE.format("X")),
]
BAD_Y = [
    (np.zeros((3, 4)), np.zeros((3, 3)), "Y must have shape (3, 2), got (3, 3)"),
    (np.zeros((3, 4)), np.zeros((2, 2)), "Y must have shape (3, 2), got (2, 2)"),
    (np.zeros((3, 4)), np.full((3, 2), np.inf), FINITE.format("Y")),
]


@pytest.mark.parametrize(
    "call, X, Y, message",
    [(c, *case) for c in ("forward", "loss_and_grads") for case in BAD_X]
    + [("loss_and_grads", *case) for case in BAD_Y],
)
def test_failing_mc_call_draws_no_mask(call, X, Y, message):
    net = bplib.FastDropoutMLP([4, 3, 2], keep_prob=0.5, seed=0)
    before = snapshot(net)
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    calls = {
        "forward": lambda: bplib.mc_dropout_forward(net, X, rng),
        "loss_and_grads": lambda: bplib.mc_dropout_loss_and_grads(net, X, Y, rng),
    }
    with pytest.raises(ValueError) as info:
        calls[call]()
    assert str(info.value) == message
    assert_unchanged(net, before)
    assert rng.bit_generator.state == state  # no masks drawn before the checks


@pytest.mark.parametrize("loss", LOSSES)
def test_extreme_inputs_raise_no_warning(loss):
    net = bplib.FastDropoutMLP([3, 4, 2], keep_prob=0.5, loss=loss, seed=0)
    for W, _ in net.params:
        W *= 100.0
    X = np.array([[1e3, -1e3, 1e3], [-1e4, 1e4, 0.0], [0.0, 0.0, 0.0]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    with strict_fp():
        for inference in ("gaussian", "scaled"):
            assert np.isfinite(net.forward(X, inference=inference)).all()
        value, grads = net.loss_and_grads(X, Y)
        mc_value, mc_grads = bplib.mc_dropout_loss_and_grads(
            net, X, Y, np.random.default_rng(0)
        )
        out = bplib.gaussian_sigmoid_mean(
            np.array([-1e300, 1e300]), np.array([1e300, 0])
        )
    assert np.isfinite(value) and np.isfinite(mc_value)
    for dW, db in grads + mc_grads:
        assert np.isfinite(dW).all() and np.isfinite(db).all()
    assert np.isfinite(out).all()


def test_float32_runs_and_keeps_dtype():
    net = bplib.FastDropoutMLP([4, 3, 2], keep_prob=0.7, dtype=np.float32)
    X = np.random.default_rng(0).random((5, 4))
    Y = np.zeros((5, 2))
    value, grads = net.loss_and_grads(X, Y)
    assert net.forward(X).dtype == np.float32
    assert isinstance(value, float)
    for (W, _), (dW, db) in zip(net.params, grads, strict=True):
        assert dW.dtype == W.dtype == np.float32 and db.dtype == np.float32


def test_public_api_exports():
    import bplib.fast_dropout as fd

    for name in (
        "FastDropoutMLP",
        "dropout_moments",
        "gaussian_sigmoid_mean",
        "mc_dropout_forward",
        "mc_dropout_loss_and_grads",
    ):
        assert getattr(bplib, name) is getattr(fd, name)
        assert name in bplib.__all__
