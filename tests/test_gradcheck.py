"""Tier 3 (the checker itself): bplib.gradcheck and bplib.relative_error.

gradcheck must accept correct gradients, reject a gradient wrong by only
0.1 % (entry by entry and in the random-direction mode), restore the
parameters bit for bit (also when the loss function raises). Its refusal of
bad arguments is a set of rows of tests/test_bad_input.py.
"""

import numpy as np
import pytest

import bplib


def quadratic(seed=0):
    """f(w, c) = ½‖A w − c‖² + ½ c·c with gradients, two parameter arrays."""
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(7, 4))
    w, c = rng.normal(size=4), rng.normal(size=7)

    def f():
        r = A @ w - c
        return 0.5 * float(r @ r) + 0.5 * float(c @ c)

    def grads():
        r = A @ w - c
        return [A.T @ r, -r + c]

    return f, [w, c], grads


def small_net(seed=0):
    rng = np.random.default_rng(seed)
    net = bplib.MLP([3, 5, 2], activation="tanh", output="sigmoid", seed=seed)
    for _, b in net.params:
        b[:] = rng.normal(scale=0.3, size=b.shape)
    X, Y = rng.normal(size=(4, 3)), rng.uniform(size=(4, 2))
    return net, X, Y


def test_accepts_a_correct_gradient():
    f, params, grads = quadratic()
    report = bplib.gradcheck(f, params, grads())
    assert report.passed and report.max_rel_error < 1e-9
    assert report.names == ["params[0]", "params[1]"]
    assert report.shapes == [(4,), (7,)]
    assert "PASSED" in str(report)


@pytest.mark.parametrize("which", [0, 1])
def test_rejects_a_gradient_wrong_by_a_tenth_of_a_percent(which):
    f, params, grads = quadratic()
    wrong = grads()
    wrong[which] = wrong[which] * 1.001
    report = bplib.gradcheck(f, params, wrong)
    assert not report.passed
    # a gradient scaled by 1 + t has relative error t / (2 + t)
    assert report.rel_errors[which] == pytest.approx(0.001 / 2.001, rel=1e-3)
    assert report.rel_errors[1 - which] < 1e-9
    assert "FAILED" in str(report)


def test_mlp_gradient_accepted_and_tenth_of_a_percent_rejected():
    net, X, Y = small_net()
    _, grads = net.loss_and_grads(X, Y)
    ok = bplib.gradcheck(lambda: net.loss(X, Y), net.params, grads)
    assert ok.passed
    assert ok.names == ["params[0][0]", "params[0][1]", "params[1][0]", "params[1][1]"]
    wrong = [(dW.copy(), db.copy()) for dW, db in grads]
    wrong[0] = (wrong[0][0], wrong[0][1] * 1.001)
    bad = bplib.gradcheck(lambda: net.loss(X, Y), net.params, wrong)
    assert not bad.passed and bad.rel_errors[1] > 1e-4


def test_random_direction_mode():
    net, X, Y = small_net(1)
    _, grads = net.loss_and_grads(X, Y)
    ok = bplib.gradcheck(lambda: net.loss(X, Y), net.params, grads, directions=10)
    assert ok.passed and ok.names == ["directions"] and ok.shapes == [(10,)]
    wrong = [
        (dW * 1.001, db) if i == 1 else (dW, db) for i, (dW, db) in enumerate(grads)
    ]
    bad = bplib.gradcheck(lambda: net.loss(X, Y), net.params, wrong, directions=10)
    assert not bad.passed
    # the same seed draws the same directions
    again = bplib.gradcheck(lambda: net.loss(X, Y), net.params, wrong, directions=10)
    assert again.rel_errors == bad.rel_errors


def test_random_directions_count_function_calls():
    f, params, grads = quadratic()
    calls = []

    def counted():
        calls.append(1)
        return f()

    bplib.gradcheck(counted, params, grads(), directions=5)
    assert len(calls) == 10
    calls.clear()
    bplib.gradcheck(counted, params, grads())
    assert len(calls) == 2 * (4 + 7)


@pytest.mark.parametrize("directions", [0, 3])
def test_parameters_restored_bit_for_bit(directions):
    net, X, Y = small_net(2)
    for W, b in net.params:  # awkward values whose ±eps round-trips are inexact
        W *= np.pi
        b += 1 / 3
    before = [(W.copy(), b.copy()) for W, b in net.params]
    _, grads = net.loss_and_grads(X, Y)
    bplib.gradcheck(lambda: net.loss(X, Y), net.params, grads, directions=directions)
    for (W, b), (W0, b0) in zip(net.params, before, strict=True):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)


@pytest.mark.parametrize("directions", [0, 2])
def test_parameters_restored_when_f_raises(directions):
    f, params, grads = quadratic()
    before = [p.copy() for p in params]
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return f()

    with pytest.raises(RuntimeError, match="boom"):
        bplib.gradcheck(flaky, params, grads(), directions=directions)
    for p, p0 in zip(params, before, strict=True):
        np.testing.assert_array_equal(p, p0)


def test_float32_parameters_cannot_pass():
    net = bplib.MLP([3, 5, 2], activation="tanh", output="sigmoid", dtype=np.float32)
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(4, 3)), rng.uniform(size=(4, 2))
    _, grads = net.loss_and_grads(X, Y)
    assert not bplib.gradcheck(lambda: net.loss(X, Y), net.params, grads).passed


def test_relative_error_properties():
    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    assert bplib.relative_error(a, a) == 0.0
    assert bplib.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert bplib.relative_error(a, np.zeros_like(a)) == 1.0
    assert bplib.relative_error(a, -a) == 1.0
    assert bplib.relative_error(a, b) == pytest.approx(bplib.relative_error(b, a))
    assert bplib.relative_error(1e6 * a, 1e6 * b) == pytest.approx(
        bplib.relative_error(a, b), rel=1e-12
    )
    assert np.isnan(bplib.relative_error(np.array([np.nan]), np.array([1.0])))
    # Different shapes: a row of tests/test_bad_input.py.


def test_report_with_nan_fails_whatever_the_order():
    for errors in ([1e-9, float("nan")], [float("nan"), 1e-9]):
        report = bplib.GradcheckReport(["a", "b"], [(1,), (1,)], errors, 1e-7)
        assert not report.passed
        assert np.isnan(report.max_rel_error)


def test_nan_loss_fails():
    w = np.ones(3)
    report = bplib.gradcheck(lambda: float("nan"), [w], [np.ones(3)])
    assert not report.passed


def test_report_is_defined_in_bplib_gradient_check():
    import bplib.gradient_check as gradient_check

    assert gradient_check.GradcheckReport is bplib.GradcheckReport
    assert gradient_check.gradcheck is bplib.gradcheck
    assert gradient_check.relative_error is bplib.relative_error


# The bad-argument rows of gradcheck are in tests/test_bad_input.py.
