"""Tier 1 (unit): bplib.train, minibatch SGD (chapter 6).

What ``train`` promises (``book/06_dynamic_programming.ipynb``, Eqs.
ch6-partition and ch6-sgd-step): each epoch is a fresh random partition of the
samples into batches of ``batch_size`` (the last one holds the remainder), one
update θ ← θ − lr·∇C_batch per batch, in place; bit-for-bit reproducible under
a seed; any object with ``params``, ``loss`` and ``loss_and_grads`` can be
trained; a callback's true return value stops training; an overflow stops
training with ``FloatingPointError`` and leaves the parameters as they were
before the failing step (all or nothing). The bad-input rows of ``train`` are
in the one table of tests/test_bad_input.py.
"""

import copy
import math
import re

import numpy as np
import pytest

import bplib


def exactly(message):
    """A pattern that matches `message` and nothing else (for pytest.raises)."""
    return "^" + re.escape(message) + "$"


def regression_data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    Y = np.column_stack([np.sin(X[:, 0]) + 0.5 * X[:, 1], X[:, 2] * X[:, 0]])
    return X, Y


def small_net(dtype=np.float64, seed=1):
    return bplib.MLP(
        [3, 8, 2], activation="tanh", output="identity", seed=seed, dtype=dtype
    )


def params_equal(a, b):
    return all(
        p.dtype == q.dtype and np.array_equal(p, q)
        for P, Q in zip(a, b, strict=True)
        for p, q in zip(P, Q, strict=True)
    )


class LinearModel:
    """A duck-typed network: no MLP, just the three members train needs.

    It records the rows it is given, so tests can see the batches. Column 0 of
    X is a sample id that the model multiplies by 0 (its weight is frozen).
    """

    def __init__(self, n_in, n_out):
        self.W = np.zeros((n_out, n_in))
        self.b = np.zeros(n_out)
        self.params = [(self.W, self.b)]
        self.batches = []
        self.returned = []

    def _grad(self, X, Y):
        R = X @ self.W.T + self.b - Y
        dW = R.T @ X / len(X)
        dW[:, 0] = 0.0  # the id column
        return 0.5 * float(np.sum(R * R)) / len(X), [(dW, R.mean(axis=0))]

    def loss(self, X, Y):
        return self._grad(np.asarray(X, float), np.asarray(Y, float))[0]

    def loss_and_grads(self, X, Y):
        self.batches.append(np.asarray(X)[:, 0].astype(int).copy())
        value, grads = self._grad(X, Y)
        self.returned.append(copy.deepcopy(grads))
        self.last = grads
        return value, grads


def id_data(n, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.arange(n), rng.standard_normal((n, 2))])
    Y = X[:, 1:] @ np.array([[1.0, -2.0], [0.5, 3.0]]) + 0.25
    return X, Y


# --- behaviour -------------------------------------------------------------------
def test_public_names_live_in_bplib_training():
    import bplib.training as training

    assert bplib.train is training.train and bplib.History is training.History
    assert bplib.minibatch_indices is training.minibatch_indices
    assert bplib.accuracy is training.accuracy


def test_loss_decreases():
    X, Y = regression_data()
    net = small_net()
    before = net.loss(X, Y)
    hist = bplib.train(net, X, Y, lr=0.1, batch_size=8, epochs=40, seed=0)
    after = net.loss(X, Y)
    assert isinstance(hist, bplib.History)
    assert len(hist.loss) == 40 and hist.steps == 40 * 8
    assert after < 0.3 * before
    assert hist.loss[-1] < hist.loss[0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bit_for_bit_reproducible(dtype):
    X, Y = regression_data()
    runs = []
    for _ in range(2):
        net = small_net(dtype)
        hist = bplib.train(net, X, Y, lr=0.05, batch_size=7, epochs=5, seed=123)
        runs.append((net.params, hist))
    (p1, h1), (p2, h2) = runs
    assert params_equal(p1, p2)
    assert h1.loss == h2.loss and h1.steps == h2.steps
    assert all(p.dtype == dtype for P in p1 for p in P)


def test_different_seeds_differ():
    X, Y = regression_data()
    nets = [small_net() for _ in range(2)]
    for seed, net in enumerate(nets):
        bplib.train(net, X, Y, lr=0.05, batch_size=7, epochs=3, seed=seed)
    assert not params_equal(nets[0].params, nets[1].params)


@pytest.mark.parametrize(("n", "batch_size"), [(20, 5), (23, 5), (7, 1), (9, 50)])
def test_each_sample_once_per_epoch_and_last_partial_batch(n, batch_size):
    X, Y = id_data(n)
    model = LinearModel(3, 2)
    epochs = 3
    hist = bplib.train(
        model, X, Y, lr=0.1, batch_size=batch_size, epochs=epochs, seed=7
    )
    per_epoch = -(-n // batch_size)
    assert hist.steps == len(model.batches) == epochs * per_epoch
    sizes = [batch_size] * (n // batch_size) + (
        [n % batch_size] if n % batch_size else []
    )
    rng = np.random.default_rng(7)
    orders = []
    for e in range(epochs):
        got = model.batches[e * per_epoch : (e + 1) * per_epoch]
        assert [len(b) for b in got] == sizes
        assert np.array_equal(np.sort(np.concatenate(got)), np.arange(n))
        # The batches are exactly minibatch_indices' partition for that epoch.
        expected = bplib.minibatch_indices(n, batch_size, rng)
        assert all(np.array_equal(g, x) for g, x in zip(got, expected, strict=True))
        orders.append(np.concatenate(got))
    if n > 2 and batch_size < n:
        assert not np.array_equal(orders[0], orders[1]), "no fresh partition per epoch"


def test_update_is_plain_sgd_step():
    # One epoch, one full batch: params must equal θ − lr·∇C(θ) exactly.
    X, Y = regression_data(16)
    net = small_net()
    start = copy.deepcopy(net.params)
    _, grads = net.loss_and_grads(X, Y)
    bplib.train(net, X, Y, lr=0.3, batch_size=16, epochs=1, seed=0)
    # The same rows in another order give the same mean up to rounding.
    for (W0, b0), (dW, db), (W, b) in zip(start, grads, net.params, strict=True):
        np.testing.assert_allclose(W, W0 - 0.3 * dW, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(b, b0 - 0.3 * db, rtol=1e-12, atol=1e-14)


def test_gradients_returned_by_the_net_are_not_written_to():
    X, Y = id_data(12)
    model = LinearModel(3, 2)
    bplib.train(model, X, Y, lr=0.1, batch_size=5, epochs=1, seed=0)
    dW, db = model.last[0]
    dW0, db0 = model.returned[-1][0]
    assert np.array_equal(dW, dW0) and np.array_equal(db, db0)


def test_duck_typed_model_is_trained():
    X, Y = id_data(40)
    model = LinearModel(3, 2)
    W_id = model.W  # updated in place, not replaced
    hist = bplib.train(model, X, Y, lr=0.2, batch_size=8, epochs=60, seed=0)
    assert model.W is W_id and model.params[0][0] is W_id
    assert hist.loss[-1] < 1e-3 * hist.loss[0]
    np.testing.assert_allclose(model.W[:, 1:], [[1.0, 0.5], [-2.0, 3.0]], atol=1e-2)


def test_fast_dropout_mlp_is_trained():
    X, Y = regression_data()
    Y = 1 / (1 + np.exp(-Y))  # sigmoid outputs in (0, 1)
    net = bplib.FastDropoutMLP([3, 8, 2], keep_prob=0.8, loss="squared", seed=0)
    before = net.loss(X, Y)
    hist = bplib.train(net, X, Y, lr=0.5, batch_size=10, epochs=30, seed=0)
    assert net.loss(X, Y) < before and len(hist.loss) == 30


def test_validation_metric_and_callback():
    X, Y = regression_data()
    Xv, Yv = regression_data(20, seed=1)
    seen = []

    def callback(epoch, net, history):
        seen.append((epoch, len(history.loss), len(history.val)))
        return epoch == 4  # stop after the fourth epoch

    net = small_net()
    hist = bplib.train(
        net,
        X,
        Y,
        lr=0.05,
        batch_size=10,
        epochs=10,
        seed=0,
        X_val=Xv,
        Y_val=Yv,
        callback=callback,
    )
    assert seen == [(e, e, e) for e in range(1, 5)]
    assert hist.stopped_early and len(hist.loss) == 4
    assert hist.val[-1] == net.loss(Xv, Yv)


def test_accuracy_metric_on_a_classifier():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((90, 2))
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)  # classes 0, 1, 2
    net = bplib.MLP(
        [2, 16, 3],
        activation="relu",
        output="identity",
        loss="softmax_cross_entropy",
        seed=0,
    )
    hist = bplib.train(
        net,
        X,
        y,
        lr=0.5,
        batch_size=16,
        epochs=40,
        seed=0,
        X_val=X,
        Y_val=y,
        metric=bplib.accuracy,
    )
    assert hist.val[-1] > 0.9 and hist.val[-1] == bplib.accuracy(net, X, np.eye(3)[y])


def test_progress_bar(capsys):
    # tqdm is a test dependency (bplib[test] includes the progress extra).
    X, Y = regression_data(10)
    bplib.train(small_net(), X, Y, lr=0.1, batch_size=5, epochs=2, progress=True)
    assert "epochs" in capsys.readouterr().err
    bplib.train(small_net(), X, Y, lr=0.1, batch_size=5, epochs=2)
    assert capsys.readouterr().err == ""  # silent by default


def test_non_finite_loss_raises():
    class Exploding(LinearModel):
        def loss_and_grads(self, X, Y):
            value, grads = super().loss_and_grads(X, Y)
            return (np.inf if len(self.batches) == 3 else value), grads

    X, Y = id_data(20)
    message = (
        "the batch loss or step became non-finite (loss inf) at epoch 1, step 3; "
        "lr=0.1 is probably too large"
    )
    with pytest.raises(FloatingPointError, match=exactly(message)):
        bplib.train(Exploding(3, 2), X, Y, lr=0.1, batch_size=5, epochs=2)


def test_minibatch_indices():
    parts = bplib.minibatch_indices(11, 4, np.random.default_rng(0))
    assert [len(p) for p in parts] == [4, 4, 3]
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(11))
    again = bplib.minibatch_indices(11, 4, np.random.default_rng(0))
    assert all(np.array_equal(a, b) for a, b in zip(parts, again, strict=True))
    # Its bad-input rows are in tests/test_bad_input.py.


# --- a callback's true value stops training (issue 12, defect 1) ---------------
@pytest.mark.parametrize("stop", [True, np.True_, 1, np.int64(2), "stop"], ids=repr)
def test_callback_returning_a_true_value_stops_training(stop):
    """Any true value stops, not only the object True (np.True_ and 1 did not)."""
    X, Y = regression_data(20)
    net = small_net()
    calls = []

    def callback(epoch, net, history):
        calls.append(epoch)
        return stop if epoch == 2 else None

    hist = bplib.train(
        net, X, Y, lr=0.05, batch_size=5, epochs=6, seed=0, callback=callback
    )
    assert calls == [1, 2]
    assert len(hist.loss) == 2 and hist.steps == 2 * 4 and hist.stopped_early


@pytest.mark.parametrize("go_on", [False, np.False_, 0, None, ""], ids=repr)
def test_callback_returning_a_false_value_does_not_stop(go_on):
    X, Y = regression_data(20)
    hist = bplib.train(
        small_net(),
        X,
        Y,
        lr=0.05,
        batch_size=5,
        epochs=3,
        callback=lambda epoch, net, history: go_on,
    )
    assert len(hist.loss) == 3 and not hist.stopped_early


def test_stopped_early_only_when_epochs_remain():
    X, Y = regression_data(20)
    hist = bplib.train(
        small_net(),
        X,
        Y,
        lr=0.05,
        batch_size=5,
        epochs=2,
        callback=lambda epoch, net, history: np.True_,
    )
    assert len(hist.loss) == 1 and hist.stopped_early
    hist = bplib.train(
        small_net(),
        X,
        Y,
        lr=0.05,
        batch_size=5,
        epochs=1,
        callback=lambda epoch, net, history: 1,
    )
    assert len(hist.loss) == 1 and not hist.stopped_early


# --- the update is all or nothing (issue 12, defect 3) --------------------------
class Recorded:
    """A duck-typed network with given parameters and fixed gradients.

    ``seen`` holds a copy of the parameters at every call of
    ``loss_and_grads``: the values each step starts from.
    """

    def __init__(self, params, grads):
        self.params = params
        self.grads = grads
        self.seen = []

    def loss(self, X, Y):
        return 0.0

    def loss_and_grads(self, X, Y):
        self.seen.append(copy.deepcopy(self.params))
        return 0.0, copy.deepcopy(self.grads)


def test_overflow_in_the_update_raises_and_changes_no_parameter():
    """lr·g is finite (1e308) and W − lr·g is too; only b − lr·g overflows.

    Updating array by array would move W and then fail on b: the step must
    change every parameter or none.
    """
    net = Recorded(
        [(np.array([[1.0, 2.0]]), np.array([-1e308]))],
        [(np.array([[1.0, 0.5]]), np.array([1.0]))],
    )
    before = copy.deepcopy(net.params)
    X, Y = np.zeros((4, 2)), np.zeros((4, 1))
    message = (
        "the batch loss or step became non-finite (overflow encountered in add) "
        "at epoch 1, step 1; lr=1e+308 is probably too large"
    )
    with pytest.raises(FloatingPointError) as info:
        bplib.train(net, X, Y, lr=1e308, batch_size=4, epochs=1)
    assert params_equal(before, net.params), "a failing step changed parameters"
    assert str(info.value) == message


def test_overflow_in_a_later_step_keeps_the_previous_step():
    """Step 1 moves b from -0.9e308 to -1.4e308; step 2 would overflow (-1.9e308)."""
    net = Recorded(
        [(np.array([[1.0, 2.0]]), np.array([-0.9e308]))],
        [(np.array([[1e-300, 0.0]]), np.array([0.5]))],
    )
    X, Y = np.zeros((8, 2)), np.zeros((8, 1))
    message = (
        "the batch loss or step became non-finite (overflow encountered in add) "
        "at epoch 1, step 2; lr=1e+308 is probably too large"
    )
    with pytest.raises(FloatingPointError, match=exactly(message)):
        bplib.train(net, X, Y, lr=1e308, batch_size=4, epochs=1)
    assert len(net.seen) == 2
    after_step_1 = net.seen[1]
    assert after_step_1[0][1][0] == -0.9e308 - 0.5e308  # step 1 was taken
    assert params_equal(after_step_1, net.params)


def test_huge_lr_on_an_mlp_never_leaves_non_finite_parameters():
    """Step 1 gives weights near 1e308; step 2's forward pass overflows."""
    X, Y = regression_data(16)
    net = small_net()
    seen = []
    loss_and_grads = net.loss_and_grads

    def recorded(X, Y, **kwargs):  # the parameters each step starts from
        seen.append(copy.deepcopy(net.params))
        return loss_and_grads(X, Y, **kwargs)

    net.loss_and_grads = recorded
    message = (
        "the batch loss or step became non-finite (overflow encountered in matmul) "
        "at epoch 1, step 2; lr=1e+308 is probably too large"
    )
    with pytest.raises(FloatingPointError, match=exactly(message)):
        bplib.train(net, X, Y, lr=1e308, batch_size=4, epochs=3)
    assert len(seen) == 2 and params_equal(seen[1], net.params)
    assert all(np.isfinite(p).all() for pair in net.params for p in pair)


# --- History.loss: batches weighted by their size ---------------------------------
class MeanTarget:
    """loss(X, Y) = mean of Y[:, 0] over the batch, zero gradients.

    The parameters never move, and the epoch loss weighted by batch sizes is
    the mean of Y[:, 0] over all N rows, whatever the partition.
    """

    def __init__(self):
        self.params = [(np.zeros((1, 1)), np.zeros(1))]

    def loss(self, X, Y):
        return float(np.mean(Y[:, 0]))

    def loss_and_grads(self, X, Y):
        return self.loss(X, Y), [(np.zeros((1, 1)), np.zeros(1))]


@pytest.mark.parametrize(("n", "batch_size"), [(10, 4), (10, 3), (7, 6)])
def test_history_loss_weights_a_partial_last_batch_by_its_size(n, batch_size):
    # Distinct powers of two: no partition makes the size-weighted mean equal
    # to a mean weighting the last batch as full, or to the unweighted mean of
    # the batch losses.
    Y = (2.0 ** np.arange(n))[:, None]
    X = np.zeros((n, 1))
    hist = bplib.train(
        MeanTarget(), X, Y, lr=0.1, batch_size=batch_size, epochs=3, seed=5
    )
    expected = math.fsum(Y[:, 0]) / n
    assert hist.loss == pytest.approx([expected] * 3, rel=1e-14)


def test_history_loss_of_an_mlp_is_the_loss_over_all_samples():
    """lr so small that the parameters do not move: the epoch loss is C(X, Y)."""
    X, Y = regression_data(10)
    net = small_net()
    full = net.loss(X, Y)
    batch_losses = []
    hist = bplib.train(net, X, Y, lr=1e-300, batch_size=4, epochs=1, seed=3)
    # Independently: the same partition, each batch's loss times its size.
    for idx in bplib.minibatch_indices(10, 4, np.random.default_rng(3)):
        batch_losses.append(net.loss(X[idx], Y[idx]) * len(idx))
    assert hist.loss[0] == pytest.approx(math.fsum(batch_losses) / 10, rel=1e-13)
    assert hist.loss[0] == pytest.approx(full, rel=1e-13)


# --- a user's metric is called as given ---------------------------------------------
def test_errors_raised_by_a_metric_reach_the_caller_unchanged():
    """train does not rewrite other code's messages (X became X_val before)."""

    def metric(net, X, Y):
        raise ValueError("X must be positive, got (3, 3)")

    X, Y = regression_data(12)
    with pytest.raises(ValueError, match=exactly("X must be positive, got (3, 3)")):
        bplib.train(
            small_net(),
            X,
            Y,
            lr=0.1,
            batch_size=4,
            epochs=1,
            X_val=X,
            Y_val=Y,
            metric=metric,
        )
