"""Tiers 1 and 3 for bplib.scalar_net (chapter 2).

The network of chapter 2 (two single-input hidden units, one output unit with
a bias per input) and its eight hand-derived partials are checked against
three independent references: central finite differences in float64 for
every activation, SymPy's symbolic derivative, and the general MLP's
backpropagation. The operation counts are checked against SymPy (naive) and
against small worked values (backprop, forward). Extreme inputs must not
emit numpy warnings (RuntimeWarnings are errors in the test run); an overflow
raises a clear ValueError. The bad-input rows are in tests/test_bad_input.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from helpers import rel_error, strict_fp

import bplib
import bplib.scalar_net as sn

ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")
EPS = 1e-5


def _away_from_kinks(rng, n, activation, margin=1e-3):
    """Random (x, theta) whose pre-activations stay `margin` away from 0."""
    out = []
    while len(out) < n:
        theta, x = rng.normal(size=8), rng.normal(size=(1, 2))
        t = sn.forward_trace(x, theta, activation)
        if (
            activation != "relu"
            or min(abs(t[k][0]) for k in ("z10", "z11", "z20")) > margin
        ):
            out.append((x, theta))
    return out


def _central(x, theta, activation):
    cols = []
    for i in range(8):
        e = np.zeros(8)
        e[i] = EPS
        up = sn.forward(x, theta + e, activation)
        down = sn.forward(x, theta - e, activation)
        cols.append((up - down) / (2 * EPS))
    return np.stack(cols, axis=1)


# --- tier 1: against independent references ---------------------------------


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_partials_match_central_differences(activation):
    rng = np.random.default_rng(ACTIVATIONS.index(activation))
    for x, theta in _away_from_kinks(rng, 50, activation):
        got = sn.partials(x, theta, activation)
        assert got.shape == (1, 8) and got.dtype == np.float64
        assert rel_error(got, _central(x, theta, activation)) < 1e-7


def test_partials_on_a_batch_are_per_sample():
    rng = np.random.default_rng(1)
    theta, X = rng.normal(size=8), rng.normal(size=(7, 2))
    batch = sn.partials(X, theta, "tanh")
    rows = np.vstack([sn.partials(X[i : i + 1], theta, "tanh") for i in range(7)])
    assert batch.shape == (7, 8)
    np.testing.assert_array_equal(batch, rows)


def _sympy_network():
    x0, x1 = sp.symbols("x0 x1")
    th = sp.symbols("w10 b10 w11 b11 w20_0 w20_1 b20_0 b20_1")
    w10, b10, w11, b11, v0, v1, c0, c1 = th

    def sig(z):
        return 1 / (1 + sp.exp(-z))

    y = sig((v0 * sig(w10 * x0 + b10) + c0) + (v1 * sig(w11 * x1 + b11) + c1))
    return (x0, x1), th, y


def test_partials_match_sympy_numerically():
    (x0, x1), th, y = _sympy_network()
    grad = sp.lambdify((x0, x1, *th), [sp.diff(y, p) for p in th], "math")
    rng = np.random.default_rng(2)
    for _ in range(20):
        theta, x = rng.normal(size=8), rng.normal(size=(1, 2))
        want = np.array(grad(x[0, 0], x[0, 1], *theta))
        assert rel_error(sn.partials(x, theta), want) < 1e-13


def test_source_summary_w10_line_is_wrong_and_ours_is_right():
    """§2.3 of the source prints w20[1] in dy/dw10; the right factor is w20[0]."""
    (x0, x1), th, y = _sympy_network()
    d_w10 = sp.lambdify((x0, x1, *th), sp.diff(y, th[0]), "math")
    rng = np.random.default_rng(3)
    theta, x = rng.normal(size=8), rng.normal(size=(1, 2))
    t = sn.forward_trace(x, theta)
    s = [float(v[0] * (1 - v[0])) for v in (t["y"], t["a10"])]  # σ' = a(1 − a)
    printed = s[0] * theta[5] * s[1] * x[0, 0]
    exact = d_w10(x[0, 0], x[0, 1], *theta)
    assert not np.isclose(printed, exact, rtol=1e-3)
    assert np.isclose(sn.partials(x, theta)[0, 0], exact, rtol=1e-13)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_partials_agree_with_hand_built_mlp(activation):
    """An MLP built here from Eq. (ch2-as-mlp), not by to_mlp, on a batch."""
    rng = np.random.default_rng(4)
    theta, X = rng.normal(size=8), rng.normal(size=(25, 2))
    net = bplib.MLP([2, 2, 1], activation=activation, output=activation)
    net.params = [
        (np.array([[theta[0], 0.0], [0.0, theta[2]]]), np.array([theta[1], theta[3]])),
        (np.array([[theta[4], theta[5]]]), np.array([theta[6] + theta[7]])),
    ]
    y = sn.forward(X, theta, activation)
    np.testing.assert_allclose(net.forward(X)[:, 0], y, rtol=1e-14, atol=0)
    _, grads = net.loss_and_grads(X, y[:, None] - 1.0)  # dC/dy = 1 per sample
    (dW1, db1), (dW2, db2) = grads
    mlp = [dW1[0, 0], db1[0], dW1[1, 1], db1[1], dW2[0, 0], dW2[0, 1], db2[0], db2[0]]
    ours = sn.partials(X, theta, activation).mean(axis=0)
    assert rel_error(ours, mlp) < 1e-12
    assert rel_error(sn.partials_from_mlp_grads(grads), mlp) == 0.0


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_to_mlp_is_the_same_function(activation):
    rng = np.random.default_rng(5)
    theta, X = rng.normal(size=8), rng.normal(size=(9, 2))
    net = sn.to_mlp(theta, activation)
    assert [(W.shape, b.shape) for W, b in net.params] == [
        ((2, 2), (2,)),
        ((1, 2), (1,)),
    ]
    assert net.params[0][0][0, 1] == 0 and net.params[0][0][1, 0] == 0
    np.testing.assert_allclose(
        net.forward(X)[:, 0], sn.forward(X, theta, activation), rtol=1e-14, atol=0
    )


def test_output_biases_enter_only_through_their_sum():
    rng = np.random.default_rng(6)
    theta, X = rng.normal(size=8), rng.normal(size=(20, 2))
    J = sn.partials(X, theta)
    np.testing.assert_array_equal(J[:, 6], J[:, 7])
    assert np.linalg.matrix_rank(J) == 7
    moved = theta + np.array([0, 0, 0, 0, 0, 0, 0.5, -0.5])
    np.testing.assert_allclose(sn.forward(X, moved), sn.forward(X, theta), rtol=1e-15)


def test_relu_derivative_at_the_kink_is_zero():
    theta = np.array([1.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    p = sn.partials(np.zeros((1, 2)), theta, "relu")
    np.testing.assert_array_equal(p, np.zeros((1, 8)))


def test_float32_and_integer_inputs_are_computed_in_float64():
    theta = np.linspace(-1, 1, 8, dtype=np.float32)
    x = np.array([[1, 2]])
    out = sn.partials(x, theta)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, sn.partials(x.astype(float), theta.astype(float)))


# --- operation counts ---------------------------------------------------------


def test_counts_of_the_smallest_fully_connected_net():
    # By hand: δ(2) 1 σ'; dW2 2 mul; δ(1) 2+2 mul, 2 σ'; dW1 4 mul.
    assert sn.count_ops([2, 2, 1], "forward") == sn.OpCount(mul=6, add=6, act=3, dact=0)
    assert sn.count_ops([2, 2, 1], "naive").total == 33
    assert sn.count_ops([2, 2, 1], "backprop") == sn.OpCount(
        mul=10, add=0, act=0, dact=3
    )
    assert sn.count_ops([2, 2, 1]).total == 13  # default method is backprop


@pytest.mark.parametrize("n", [1, 2, 5, 40])
def test_counts_for_one_hidden_layer_are_polynomials(n):
    assert sn.count_ops([n, n, 1], "naive").total == 5 * n * n + 6 * n + 1
    assert sn.count_ops([n, n, 1], "backprop").total == n * n + 4 * n + 1
    assert sn.count_ops([n, n, 1], "forward").total == 2 * n * n + 3 * n + 1


@pytest.mark.parametrize("sizes", [[2, 2, 1], [3, 2, 1], [2, 3, 2, 1]])
def test_naive_count_matches_sympy_sum_over_paths(sizes):
    """Differentiate the inlined net with SymPy, write the result in the forward
    values (z, a as symbols, σ' opaque), expand to the sum over paths, count."""
    sig, dsig = sp.Function("sig"), sp.Function("dsig")
    a = list(sp.symbols(f"x0:{sizes[0]}"))
    params, atom = [], {}
    for ell in range(1, len(sizes)):
        W = sp.symbols(f"W{ell}_0:{sizes[ell]}_0:{sizes[ell - 1]}")
        W = [
            W[j * sizes[ell - 1] : (j + 1) * sizes[ell - 1]] for j in range(sizes[ell])
        ]
        b = sp.symbols(f"b{ell}_0:{sizes[ell]}")
        z = [
            sum(W[j][k] * a[k] for k in range(sizes[ell - 1])) + b[j]
            for j in range(sizes[ell])
        ]
        params += [w for row in W for w in row] + list(b)
        for j, zj in enumerate(z):
            atom[zj], atom[sig(zj)] = sp.Symbol(f"z{ell}{j}"), sp.Symbol(f"a{ell}{j}")
        a = [sig(zj) for zj in z]
    total = 0
    for p in params:
        d = sp.diff(a[0], p).replace(
            lambda e: isinstance(e, sp.Subs), lambda e: dsig(e.point[0])
        )
        d = d.xreplace({**{dsig(k): dsig(v) for k, v in atom.items()}, **atom})
        total += sp.count_ops(sp.expand(d))
    assert sn.count_ops(sizes, "naive").total == total


def test_naive_grows_exponentially_with_depth_backprop_linearly():
    naive = [sn.count_ops([3] * L + [1], "naive").total for L in range(2, 9)]
    bp = [sn.count_ops([3] * L + [1], "backprop").total for L in range(2, 9)]
    assert all(b / a > 2.5 for a, b in zip(naive[2:], naive[3:], strict=False))
    steps = {b - a for a, b in zip(bp[1:], bp[2:], strict=False)}
    assert len(steps) == 1  # a constant cost per added [3 -> 3] layer


# --- tier 6: bad input --------------------------------------------------------
# The bad-argument rows of forward, forward_trace, partials, to_mlp,
# partials_from_mlp_grads and count_ops are in tests/test_bad_input.py.

THETA = np.linspace(-1.0, 1.0, 8)
XS = np.array([[0.5, -0.25], [1.0, 2.0]])


def test_successful_calls_do_not_modify_arguments():
    x, theta = XS.copy(), THETA.copy()
    sn.partials(x, theta, "tanh")
    sn.to_mlp(theta)
    np.testing.assert_array_equal(x, XS)
    np.testing.assert_array_equal(theta, THETA)


# --- extremes -------------------------------------------------------------------


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_saturated_inputs_give_finite_results_without_warnings(activation):
    x = np.array([[1e3, -1e3], [-1e3, 1e3], [0.0, 0.0]])
    theta = np.array([1.0, 0.0, 1.0, 0.0, 1e3, -1e3, 0.5, 0.5])
    with strict_fp():
        y = sn.forward(x, theta, activation)
        p = sn.partials(x, theta, activation)
    assert np.isfinite(y).all() and np.isfinite(p).all()


@pytest.mark.parametrize("func", [sn.forward, sn.partials])
def test_overflow_raises_a_clear_error(func):
    x = np.array([[1e200, 1.0]])
    theta = np.array([1e200, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0])
    with strict_fp(), pytest.raises(ValueError) as info:
        func(x, theta, "identity")
    assert str(info.value) == (
        "x and theta are too large: the forward pass overflowed float64; "
        "expected inputs and parameters whose products stay finite"
    )
