"""Tier 1 and 6 for chapter 5: bplib.fast_dropout.

- the surrogate's gradients against central differences (float64, relative
  error < 1e-7) for both supported losses and depths 1, 2, 3, computed here
  independently of bplib.gradcheck;
- keep_prob = 1 is bplib.MLP with sigmoid units, bit for bit;
- dropout_moments against exact enumeration of the masks;
- Monte Carlo dropout: exact backprop of the sampled network, masks of the
  right frequency, and an average gradient that approaches the surrogate's
  where the two objectives agree (keep_prob near 1);
- bad input: clear ValueError/TypeError naming the argument, nothing
  modified by a failing call, no floating-point warning at extreme inputs.
"""

import numpy as np
import pytest

from tests.helpers import (
    assert_unchanged,
    central,
    has_loss,
    numeric_grads,
    rel_error,
    snapshot,
    strict_fp,
)

fd = pytest.importorskip("bplib.fast_dropout")
FastDropoutMLP = fd.FastDropoutMLP

LOSSES = ["squared", pytest.param("cross_entropy", id="cross_entropy")]
SIZES = [[5, 3], [5, 4, 3], [6, 5, 4, 3]]


def _skip_unregistered(loss):
    if loss == "cross_entropy" and not has_loss("cross_entropy"):
        pytest.skip("loss 'cross_entropy' not exported yet")


def _problem(sizes, loss, keep_prob=0.6, seed=0, n_rows=4):
    """A network with weights large enough for the variance path to matter."""
    rng = np.random.default_rng(seed)
    net = FastDropoutMLP(sizes, keep_prob=keep_prob, loss=loss, seed=seed)
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
    _skip_unregistered(loss)
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
    _skip_unregistered(loss)
    from bplib.mlp import MLP

    fast = FastDropoutMLP(sizes, keep_prob=1.0, loss=loss, seed=7)
    plain = MLP(sizes, activation="sigmoid", output="sigmoid", loss=loss, seed=7)
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
    lm, gm = fd.mc_dropout_loss_and_grads(fast, X, Y, np.random.default_rng(0))
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
    mu, v = fd.dropout_moments(A, W, b, p)
    np.testing.assert_allclose(mu, mean, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(v, var, rtol=1e-12, atol=1e-14)


def test_gaussian_sigmoid_mean_values_and_checks():
    from bplib.activations import sigmoid

    assert fd.gaussian_sigmoid_mean(0.3, 0.0) == pytest.approx(float(sigmoid(0.3)))
    out = fd.gaussian_sigmoid_mean(np.array([2.0, -2.0]), 8 / np.pi * 3)  # r = 2
    np.testing.assert_allclose(out, sigmoid(np.array([1.0, -1.0])), rtol=1e-15)
    with pytest.raises(ValueError, match="var"):
        fd.gaussian_sigmoid_mean(0.0, -1.0)
    with pytest.raises(ValueError, match="broadcast"):
        fd.gaussian_sigmoid_mean(np.zeros(3), np.ones(2))
    with pytest.raises(TypeError, match="mu"):
        fd.gaussian_sigmoid_mean("a", 1.0)


def test_mc_gradient_is_exact_backprop_of_the_sampled_network():
    """With a fixed mask the sampled network is an ordinary one: check by FD."""
    net, X, Y = _problem([5, 4, 3], "squared", keep_prob=0.5, seed=3)
    seed = 11
    _, grads = fd.mc_dropout_loss_and_grads(net, X, Y, np.random.default_rng(seed))

    def sampled_loss():
        return fd.mc_dropout_loss_and_grads(net, X, Y, np.random.default_rng(seed))[0]

    eps = 1e-5
    for (W, b), (dW, db) in zip(net.params, grads, strict=True):
        for p, g in ((W, dW), (b, db)):
            assert rel_error(g, central(sampled_loss, p, eps)) < 1e-7


def test_mc_masks_keep_inputs_with_probability_p():
    """The sampled first-layer pre-activation has mean and variance (ch5-mean/var)."""
    net = FastDropoutMLP([8, 1], keep_prob=0.3, seed=0)
    x = np.linspace(0.2, 1.0, 8)[None, :]
    X = np.repeat(x, 20000, axis=0)
    W, b = net.params[0]
    # With a sigmoid output we recover z = logit(a) of every sample exactly.
    a = fd.mc_dropout_forward(net, X, np.random.default_rng(5))[:, 0]
    z = np.log(a) - np.log1p(-a)
    mu, v = fd.dropout_moments(x, W, b, 0.3)
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
    net = FastDropoutMLP([30, 8, 3], keep_prob=0.95, seed=1)
    X, Y = rng.random((40, 30)), rng.random((40, 3))
    _, g_fast = net.loss_and_grads(X, Y)
    g_fast = np.concatenate([np.r_[dW.ravel(), db] for dW, db in g_fast])
    mc_rng = np.random.default_rng(1)
    samples = []
    for _ in range(2000):
        _, g = fd.mc_dropout_loss_and_grads(net, X, Y, mc_rng)
        samples.append(np.concatenate([np.r_[dW.ravel(), db] for dW, db in g]))
    samples = np.array(samples)
    one = rel_error(samples[0], g_fast)
    avg = rel_error(samples.mean(axis=0), g_fast)
    assert avg < 0.05
    assert avg < one / 3


@pytest.mark.parametrize(
    "keep_prob, exc, match",
    [
        (0, ValueError, "keep_prob"),
        (0.0, ValueError, "keep_prob"),
        (1.0001, ValueError, "keep_prob"),
        (-0.5, ValueError, "keep_prob"),
        (float("nan"), ValueError, "keep_prob"),
        (float("inf"), ValueError, "keep_prob"),
        ("0.5", TypeError, "keep_prob"),
        (True, TypeError, "keep_prob"),
        (None, TypeError, "keep_prob"),
        ([0.5], ValueError, "keep_prob lists 1"),
        ([0.5, 1.2], ValueError, r"keep_prob\[1\]"),
    ],
)
def test_keep_prob_validation(keep_prob, exc, match):
    with pytest.raises(exc, match=match):
        FastDropoutMLP([4, 3, 2], keep_prob=keep_prob)


def test_keep_prob_accepted_forms():
    assert FastDropoutMLP([4, 3, 2], keep_prob=1).keep_probs == (1.0, 1.0)
    assert FastDropoutMLP([4, 3, 2], keep_prob=[1.0, 0.5]).keep_probs == (1.0, 0.5)
    assert FastDropoutMLP([4, 3, 2], keep_prob=np.array([0.8, 0.5])).keep_probs == (
        0.8,
        0.5,
    )


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"loss": "softmax_cross_entropy"}, ValueError, "loss"),
        ({"loss": "hinge"}, ValueError, "loss"),
        ({"loss": 3}, TypeError, "loss"),
        ({"sizes": [4]}, ValueError, "sizes"),
        ({"sizes": [4, 0]}, ValueError, r"sizes\[1\]"),
        ({"dtype": np.int32}, ValueError, "dtype"),
    ],
)
def test_constructor_validation(kwargs, exc, match):
    args = {"sizes": [4, 3, 2], **kwargs}
    with pytest.raises(exc, match=match):
        FastDropoutMLP(**args)


BAD_X = [
    (np.zeros((3, 5)), np.zeros((3, 2)), "X must have shape"),
    (np.zeros(4), np.zeros((1, 2)), "X must be 2-D"),
    (np.full((3, 4), np.nan), np.zeros((3, 2)), "X contains NaN"),
]
BAD_Y = [
    (np.zeros((3, 4)), np.zeros((3, 3)), "Y must have shape"),
    (np.zeros((3, 4)), np.zeros((2, 2)), "Y must have shape"),
]
WITH_X = ["forward", "mc_forward"]
WITH_XY = ["loss", "loss_and_grads", "mc_loss_and_grads"]


@pytest.mark.parametrize(
    "call, X, Y, match",
    [(c, *case) for c in WITH_X + WITH_XY for case in BAD_X]
    + [(c, *case) for c in WITH_XY for case in BAD_Y],
)
def test_bad_input_names_argument_and_modifies_nothing(call, X, Y, match):
    net = FastDropoutMLP([4, 3, 2], keep_prob=0.5, seed=0)
    before = snapshot(net)
    rng = np.random.default_rng(0)
    state = rng.bit_generator.state
    calls = {
        "forward": lambda: net.forward(X),
        "loss": lambda: net.loss(X, Y),
        "loss_and_grads": lambda: net.loss_and_grads(X, Y),
        "mc_forward": lambda: fd.mc_dropout_forward(net, X, rng),
        "mc_loss_and_grads": lambda: fd.mc_dropout_loss_and_grads(net, X, Y, rng),
    }
    with pytest.raises(ValueError, match=match):
        calls[call]()
    assert_unchanged(net, before)
    assert rng.bit_generator.state == state  # no masks drawn before the checks


def test_bad_inference_and_rng_and_net():
    net = FastDropoutMLP([4, 3, 2])
    X, Y = np.zeros((2, 4)), np.zeros((2, 2))
    with pytest.raises(ValueError, match="inference"):
        net.forward(X, inference="mc")
    with pytest.raises(TypeError, match="rng"):
        fd.mc_dropout_loss_and_grads(net, X, Y, 0)
    with pytest.raises(TypeError, match="rng"):
        fd.mc_dropout_forward(net, X, np.random.RandomState(0))
    with pytest.raises(TypeError, match="net"):
        fd.mc_dropout_forward(object(), X, np.random.default_rng(0))


@pytest.mark.parametrize("loss", LOSSES)
def test_extreme_inputs_raise_no_warning(loss):
    _skip_unregistered(loss)
    net = FastDropoutMLP([3, 4, 2], keep_prob=0.5, loss=loss, seed=0)
    for W, _ in net.params:
        W *= 100.0
    X = np.array([[1e3, -1e3, 1e3], [-1e4, 1e4, 0.0], [0.0, 0.0, 0.0]])
    Y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    with strict_fp():
        for inference in ("gaussian", "scaled"):
            assert np.isfinite(net.forward(X, inference=inference)).all()
        value, grads = net.loss_and_grads(X, Y)
        mc_value, mc_grads = fd.mc_dropout_loss_and_grads(
            net, X, Y, np.random.default_rng(0)
        )
        out = fd.gaussian_sigmoid_mean(np.array([-1e300, 1e300]), np.array([1e300, 0]))
    assert np.isfinite(value) and np.isfinite(mc_value)
    for dW, db in grads + mc_grads:
        assert np.isfinite(dW).all() and np.isfinite(db).all()
    assert np.isfinite(out).all()


def test_float32_runs_and_keeps_dtype():
    net = FastDropoutMLP([4, 3, 2], keep_prob=0.7, dtype=np.float32)
    X = np.random.default_rng(0).random((5, 4))
    Y = np.zeros((5, 2))
    value, grads = net.loss_and_grads(X, Y)
    assert net.forward(X).dtype == np.float32
    assert isinstance(value, float)
    for (W, _), (dW, db) in zip(net.params, grads, strict=True):
        assert dW.dtype == W.dtype == np.float32 and db.dtype == np.float32


def test_public_api_exports():
    import bplib

    for name in (
        "FastDropoutMLP",
        "dropout_moments",
        "gaussian_sigmoid_mean",
        "mc_dropout_forward",
        "mc_dropout_loss_and_grads",
    ):
        assert getattr(bplib, name) is getattr(fd, name)
        assert name in bplib.__all__


@pytest.mark.parametrize(
    "args, exc, match",
    [
        ((np.zeros((2, 3)), np.zeros((4, 2)), np.zeros(4), 0.5), ValueError, "A_prev"),
        ((np.zeros((2, 3)), np.zeros((4, 3)), np.zeros(3), 0.5), ValueError, "b must"),
        (
            (np.zeros((2, 3)), np.zeros(3), np.zeros(1), 0.5),
            ValueError,
            "W must be 2-D",
        ),
        (
            (np.zeros((2, 3)), np.zeros((4, 3)), np.zeros(4), 0.0),
            ValueError,
            "keep_prob",
        ),
        (
            (np.zeros((2, 3)), np.zeros((4, 3)), np.zeros(4), "1"),
            TypeError,
            "keep_prob",
        ),
    ],
)
def test_dropout_moments_validation(args, exc, match):
    with pytest.raises(exc, match=match):
        fd.dropout_moments(*args)
