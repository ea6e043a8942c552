"""Tier 1 (unit) and tier 6 (bad input): bplib.train, minibatch SGD (chapter 6).

What ``train`` promises (``book/06_dynamic_programming.ipynb``, Eqs.
ch6-partition and ch6-sgd-step): each epoch is a fresh random partition of the
samples into batches of ``batch_size`` (the last one holds the remainder), one
update θ ← θ − lr·∇C_batch per batch, in place; bit-for-bit reproducible under
a seed; any object with ``params``, ``loss`` and ``loss_and_grads`` can be
trained; invalid arguments raise ``TypeError``/``ValueError`` naming the
argument, and then nothing is modified.
"""

import copy

import numpy as np
import pytest

import bplib
from bplib.mlp import MLP
from bplib.train import History, accuracy, minibatch_indices, train


def regression_data(n=60, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3))
    Y = np.column_stack([np.sin(X[:, 0]) + 0.5 * X[:, 1], X[:, 2] * X[:, 0]])
    return X, Y


def small_net(dtype=np.float64, seed=1):
    return MLP([3, 8, 2], activation="tanh", output="identity", seed=seed, dtype=dtype)


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
        self._last = grads
        return value, grads


def id_data(n, seed=0):
    rng = np.random.default_rng(seed)
    X = np.column_stack([np.arange(n), rng.standard_normal((n, 2))])
    Y = X[:, 1:] @ np.array([[1.0, -2.0], [0.5, 3.0]]) + 0.25
    return X, Y


# --- behaviour -------------------------------------------------------------------
def test_public_name_is_the_function():
    assert bplib.train is train and bplib.minibatch_indices is minibatch_indices


def test_loss_decreases():
    X, Y = regression_data()
    net = small_net()
    before = net.loss(X, Y)
    hist = train(net, X, Y, lr=0.1, batch_size=8, epochs=40, seed=0)
    after = net.loss(X, Y)
    assert isinstance(hist, History)
    assert len(hist.loss) == 40 and hist.steps == 40 * 8
    assert after < 0.3 * before
    assert hist.loss[-1] < hist.loss[0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_bit_for_bit_reproducible(dtype):
    X, Y = regression_data()
    runs = []
    for _ in range(2):
        net = small_net(dtype)
        hist = train(net, X, Y, lr=0.05, batch_size=7, epochs=5, seed=123)
        runs.append((net.params, hist))
    (p1, h1), (p2, h2) = runs
    assert params_equal(p1, p2)
    assert h1.loss == h2.loss and h1.steps == h2.steps
    assert all(p.dtype == dtype for P in p1 for p in P)


def test_different_seeds_differ():
    X, Y = regression_data()
    nets = [small_net() for _ in range(2)]
    for seed, net in enumerate(nets):
        train(net, X, Y, lr=0.05, batch_size=7, epochs=3, seed=seed)
    assert not params_equal(nets[0].params, nets[1].params)


@pytest.mark.parametrize(("n", "batch_size"), [(20, 5), (23, 5), (7, 1), (9, 50)])
def test_each_sample_once_per_epoch_and_last_partial_batch(n, batch_size):
    X, Y = id_data(n)
    model = LinearModel(3, 2)
    epochs = 3
    hist = train(model, X, Y, lr=0.1, batch_size=batch_size, epochs=epochs, seed=7)
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
        expected = minibatch_indices(n, batch_size, rng)
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
    train(net, X, Y, lr=0.3, batch_size=16, epochs=1, seed=0)
    # The same rows in another order give the same mean up to rounding.
    for (W0, b0), (dW, db), (W, b) in zip(start, grads, net.params, strict=True):
        np.testing.assert_allclose(W, W0 - 0.3 * dW, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(b, b0 - 0.3 * db, rtol=1e-12, atol=1e-14)


def test_gradients_returned_by_the_net_are_not_written_to():
    X, Y = id_data(12)
    model = LinearModel(3, 2)
    train(model, X, Y, lr=0.1, batch_size=5, epochs=1, seed=0)
    dW, db = model._last[0]
    dW0, db0 = model.returned[-1][0]
    assert np.array_equal(dW, dW0) and np.array_equal(db, db0)


def test_duck_typed_model_is_trained():
    X, Y = id_data(40)
    model = LinearModel(3, 2)
    W_id = model.W  # updated in place, not replaced
    hist = train(model, X, Y, lr=0.2, batch_size=8, epochs=60, seed=0)
    assert model.W is W_id and model.params[0][0] is W_id
    assert hist.loss[-1] < 1e-3 * hist.loss[0]
    np.testing.assert_allclose(model.W[:, 1:], [[1.0, 0.5], [-2.0, 3.0]], atol=1e-2)


def test_fast_dropout_mlp_is_trained():
    fd = pytest.importorskip("bplib.fast_dropout")
    X, Y = regression_data()
    Y = 1 / (1 + np.exp(-Y))  # sigmoid outputs in (0, 1)
    net = fd.FastDropoutMLP([3, 8, 2], keep_prob=0.8, loss="squared", seed=0)
    before = net.loss(X, Y)
    hist = train(net, X, Y, lr=0.5, batch_size=10, epochs=30, seed=0)
    assert net.loss(X, Y) < before and len(hist.loss) == 30


def test_validation_metric_and_callback():
    X, Y = regression_data()
    Xv, Yv = regression_data(20, seed=1)
    seen = []

    def callback(epoch, net, history):
        seen.append((epoch, len(history.loss), len(history.val)))
        return epoch == 4  # stop after the fourth epoch

    net = small_net()
    hist = train(
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
    net = MLP(
        [2, 16, 3],
        activation="relu",
        output="identity",
        loss="softmax_cross_entropy",
        seed=0,
    )
    hist = train(
        net,
        X,
        y,
        lr=0.5,
        batch_size=16,
        epochs=40,
        seed=0,
        X_val=X,
        Y_val=y,
        metric=accuracy,
    )
    assert hist.val[-1] > 0.9 and hist.val[-1] == accuracy(net, X, np.eye(3)[y])


def test_progress_bar(capsys):
    pytest.importorskip("tqdm")
    X, Y = regression_data(10)
    train(small_net(), X, Y, lr=0.1, batch_size=5, epochs=2, progress=True)
    assert "epochs" in capsys.readouterr().err
    train(small_net(), X, Y, lr=0.1, batch_size=5, epochs=2)
    assert capsys.readouterr().err == ""  # silent by default


def test_non_finite_loss_raises():
    class Exploding(LinearModel):
        def loss_and_grads(self, X, Y):
            value, grads = super().loss_and_grads(X, Y)
            return (np.inf if len(self.batches) == 3 else value), grads

    X, Y = id_data(20)
    with pytest.raises(FloatingPointError, match="lr"):
        train(Exploding(3, 2), X, Y, lr=0.1, batch_size=5, epochs=2)


def test_minibatch_indices():
    parts = minibatch_indices(11, 4, np.random.default_rng(0))
    assert [len(p) for p in parts] == [4, 4, 3]
    assert np.array_equal(np.sort(np.concatenate(parts)), np.arange(11))
    again = minibatch_indices(11, 4, np.random.default_rng(0))
    assert all(np.array_equal(a, b) for a, b in zip(parts, again, strict=True))
    with pytest.raises(TypeError, match="rng"):
        minibatch_indices(11, 4, 0)
    with pytest.raises(ValueError, match="batch_size"):
        minibatch_indices(11, 0, np.random.default_rng(0))


# --- bad input: the argument is named, nothing is modified ------------------------
X0, Y0 = regression_data(12)
BAD = [
    ({"lr": 0.0}, ValueError, "lr"),
    ({"lr": -1.0}, ValueError, "lr"),
    ({"lr": float("nan")}, ValueError, "lr"),
    ({"lr": "0.1"}, TypeError, "lr"),
    ({"batch_size": 0}, ValueError, "batch_size"),
    ({"batch_size": 2.0}, TypeError, "batch_size"),
    ({"batch_size": True}, TypeError, "batch_size"),
    ({"epochs": 0}, ValueError, "epochs"),
    ({"epochs": 1.5}, TypeError, "epochs"),
    ({"seed": -1}, ValueError, "seed"),
    ({"X": X0[:, 0]}, ValueError, "X"),
    ({"X": X0[:, :2]}, ValueError, "X"),
    ({"Y": Y0[:11]}, ValueError, "Y"),
    ({"Y": Y0[:, :1]}, ValueError, "Y"),
    ({"Y": np.where(np.arange(12)[:, None] == 11, np.nan, Y0)}, ValueError, "Y"),
    ({"X_val": X0}, ValueError, "Y_val"),
    ({"X_val": X0, "Y_val": Y0[:, :1]}, ValueError, "Y_val"),
    ({"X_val": X0, "Y_val": Y0, "metric": 1}, TypeError, "metric"),
    ({"callback": 1}, TypeError, "callback"),
    ({"progress": 1}, TypeError, "progress"),
]


@pytest.mark.parametrize(
    ("kw", "exc", "name"), BAD, ids=[f"{b[2]}-{i}" for i, b in enumerate(BAD)]
)
def test_bad_input(kw, exc, name):
    net = small_net()
    before = copy.deepcopy(net.params)
    args = {"X": X0, "Y": Y0, "lr": 0.1, "batch_size": 4, "epochs": 2, **kw}
    X, Y = args.pop("X"), args.pop("Y")
    X_copy, Y_copy = np.array(X, copy=True), np.array(Y, copy=True)
    with pytest.raises(exc, match=rf"\b{name}\b"):
        train(net, X, Y, **args)
    assert params_equal(before, net.params)
    assert np.array_equal(X, X_copy, equal_nan=True)
    assert np.array_equal(Y, Y_copy, equal_nan=True)


def test_bad_net():
    with pytest.raises(TypeError, match=r"\bnet\b"):
        train(object(), X0, Y0, lr=0.1, batch_size=4, epochs=1)

    class Flat:
        params = [np.zeros((2, 3))]

        def loss_and_grads(self, X, Y):
            raise AssertionError("must not be called")

    with pytest.raises(TypeError, match=r"net\.params"):
        train(Flat(), X0, Y0, lr=0.1, batch_size=4, epochs=1)


def test_gradient_structure_mismatch_modifies_nothing():
    class Wrong(LinearModel):
        def loss_and_grads(self, X, Y):
            value, _ = super().loss_and_grads(X, Y)
            return value, [(np.zeros((1, 1)), np.zeros(2))]

    X, Y = id_data(10)
    model = Wrong(3, 2)
    model.W += 1.0
    before = copy.deepcopy(model.params)
    with pytest.raises(ValueError, match="gradient 0"):
        train(model, X, Y, lr=0.1, batch_size=5, epochs=1)
    assert params_equal(before, model.params)
