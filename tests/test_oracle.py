"""Independent oracle: bplib's gradients equal those of HIPS autograd.

Every other gradient test compares bplib with central finite differences (to
about 1e-7) or with bplib's own code. Here an established reverse-mode
automatic-differentiation library computes the same gradients by a different
method, from a model of each network written out below, in this file, from the
definitions in the public contract (DESIGN.md, "Public API", and the
docstrings of ``bplib.MLP`` and ``bplib.FastDropoutMLP``), not by calling any
bplib function. Agreement is required to 1e-10 relative error in float64, for
every parameter array (and 1e-12 for the loss value).

The models (batch-first, rows are samples, Z = A_prev Wᵀ + b):

- activations: sigmoid, tanh, relu (relu′(0) = 0), identity;
- "squared": ½‖a − y‖² per sample, mean over the batch;
- "cross_entropy": binary cross-entropy of the sigmoid outputs a,
  −Σ_k [y_k log a_k + (1 − y_k) log(1 − a_k)] per sample, mean over the batch;
- "softmax_cross_entropy": −Σ_k y_k log softmax(z)_k per sample, mean over
  the batch; y one-hot, or integer labels that the model turns into one-hot;
- L2: λ/2 · Σ_ℓ ‖W⁽ℓ⁾‖², never on biases;
- fast dropout (chapter 5, after Wang and Manning, 2013), per layer ℓ with
  keep probability p: μ = p · A Wᵀ + b, v = p(1 − p) · (A ⊙ A)(W ⊙ W)ᵀ,
  a = σ(μ / √(1 + πv/8)); the loss ("squared" or "cross_entropy") is taken
  of the last layer's a.

The cases form a deterministic grid: for ``MLP`` every hidden activation ×
every output/loss pairing the API allows ("squared" with each of the four
outputs, "cross_entropy" with a sigmoid output, "softmax_cross_entropy" with
an identity output and one-hot or integer-label targets) × with and without
L2, each on several random architectures (depth 1-4, widths 1-7, so shapes are
non-square); plus networks with one activation per hidden layer drawn from all
four. For ``FastDropoutMLP``: both losses × one keep probability for all
layers or one per layer (1.0 included). Weights and biases are drawn at
random (biases nonzero, so their gradients are exercised) and written into
``net.params`` in place. Only the public API is used: ``bplib.MLP``,
``bplib.FastDropoutMLP``, ``net.params``, ``net.loss_and_grads``.

autograd needs no finite differences, so ReLU pre-activations may lie close
to 0; with continuous random data and nonzero biases none is exactly 0.
"""

from __future__ import annotations

import itertools

import autograd.numpy as anp
import numpy as np
import pytest
from autograd import grad
from autograd.scipy.special import logsumexp

import bplib

GRAD_TOL = 1e-10
LOSS_TOL = 1e-12
ACTIVATIONS = ("sigmoid", "tanh", "relu", "identity")
N_ARCHS = 6  # random architectures per grid case


# --- The oracle: the networks written out in autograd.numpy -----------------


def _sigmoid(z):
    # 1/(1 + e^−z) without overflow for any z.
    return 0.5 * (anp.tanh(0.5 * z) + 1.0)


ORACLE_ACT = {
    "sigmoid": _sigmoid,
    "tanh": anp.tanh,
    "relu": lambda z: anp.where(z > 0, z, 0.0),
    "identity": lambda z: z,
}


def _one_hot(Y, n_out):
    Y = np.asarray(Y)
    if Y.ndim == 1:
        return np.eye(n_out)[Y]
    return Y


def _data_loss(loss, Z, A, Y):
    """Mean over the batch of the per-sample loss; Z the logits, A = σ(Z)."""
    n = Z.shape[0]
    if loss == "squared":
        return 0.5 * anp.sum((A - Y) ** 2) / n
    if loss == "cross_entropy":
        return -anp.sum(Y * anp.log(A) + (1 - Y) * anp.log(1 - A)) / n
    if loss == "softmax_cross_entropy":
        log_p = Z - logsumexp(Z, axis=1, keepdims=True)
        return -anp.sum(Y * log_p) / n
    raise AssertionError(loss)


def mlp_oracle(flat, acts, loss, l2, X, Y):
    """C(θ) of an MLP; `flat` = [W1, b1, W2, b2, ...], acts = σ⁽¹⁾..σ⁽ᴸ⁾."""
    A = X
    Z = None
    for layer, act in enumerate(acts):
        W, b = flat[2 * layer], flat[2 * layer + 1]
        Z = anp.dot(A, W.T) + b
        A = ORACLE_ACT[act](Z)
    Y = _one_hot(Y, flat[-1].shape[0])
    penalty = 0.5 * l2 * sum(anp.sum(flat[2 * i] ** 2) for i in range(len(acts)))
    return _data_loss(loss, Z, A, Y) + penalty


def fast_dropout_oracle(flat, keep_probs, loss, X, Y):
    """The fast-dropout surrogate loss; `flat` = [W1, b1, W2, b2, ...]."""
    A = X
    Zt = None
    for layer, p in enumerate(keep_probs):
        W, b = flat[2 * layer], flat[2 * layer + 1]
        mu = p * anp.dot(A, W.T) + b
        v = p * (1 - p) * anp.dot(A * A, (W * W).T)
        Zt = mu / anp.sqrt(1 + np.pi * v / 8)
        A = _sigmoid(Zt)
    return _data_loss(loss, Zt, A, Y)


# --- Random networks and data -------------------------------------------------


def _architecture(rng, n_out_min=1):
    depth = int(rng.integers(1, 5))
    hidden = [int(w) for w in rng.integers(1, 8, size=depth - 1)]
    return [int(rng.integers(1, 7)), *hidden, int(rng.integers(n_out_min, 6))]


def _randomize(net, rng):
    """New random weights and nonzero biases, written into net.params in place."""
    for W, b in net.params:
        W[...] = rng.standard_normal(W.shape) / np.sqrt(W.shape[1])
        b[...] = 0.5 * rng.standard_normal(b.shape)


def _targets(loss, target, rng, n, n_out):
    if loss == "squared":
        return rng.standard_normal((n, n_out))
    if loss == "cross_entropy":
        return rng.uniform(0, 1, (n, n_out))
    labels = rng.integers(0, n_out, size=n)
    return labels if target == "labels" else np.eye(n_out)[labels]


def _rel_error(got, want) -> float:
    """‖got − want‖ / ‖want‖ (the oracle is the reference); 0 if both are 0."""
    got, want = np.ravel(got), np.ravel(want)
    diff = np.linalg.norm(got - want)
    if diff == 0:
        return 0.0
    scale = np.linalg.norm(want)
    return float(diff / scale) if scale else float("inf")


def _compare(net, oracle, X, Y):
    """Max relative error of bplib's loss and gradients against autograd's."""
    flat = [arr.copy() for pair in net.params for arr in pair]
    value, grads = net.loss_and_grads(X, Y)
    want_value = oracle(flat)
    want = grad(oracle)(flat)
    assert len(grads) == len(net.params)
    assert abs(value - want_value) <= LOSS_TOL * abs(want_value), (value, want_value)
    assert abs(net.loss(X, Y) - value) <= LOSS_TOL * abs(want_value)
    worst = 0.0
    for layer, (dW, db) in enumerate(grads):
        W, b = net.params[layer]
        assert dW.shape == W.shape and db.shape == b.shape
        for name, got, ref in (
            ("dW", dW, want[2 * layer]),
            ("db", db, want[2 * layer + 1]),
        ):
            err = _rel_error(got, ref)
            assert err < GRAD_TOL, f"{name} of layer {layer + 1}: rel. error {err:.2e}"
            worst = max(worst, err)
    return worst


# --- MLP ----------------------------------------------------------------------

# (output activation, loss, target form): every pairing the API allows.
PAIRINGS = [
    *[(out, "squared", "dense") for out in ACTIVATIONS],
    ("sigmoid", "cross_entropy", "dense"),
    ("identity", "softmax_cross_entropy", "one-hot"),
    ("identity", "softmax_cross_entropy", "labels"),
]
MLP_CASES = list(itertools.product(ACTIVATIONS, PAIRINGS, (0.0, 0.3)))


def _check_mlp(seed, activation, out, loss, target, l2, sizes):
    rng = np.random.default_rng(seed)
    net = bplib.MLP(
        sizes, activation=activation, output=out, loss=loss, l2=l2, seed=seed
    )
    _randomize(net, rng)
    n = int(rng.integers(1, 9))
    X = rng.standard_normal((n, sizes[0]))
    Y = _targets(loss, target, rng, n, sizes[-1])
    hidden = (
        activation if isinstance(activation, list) else [activation] * (len(sizes) - 2)
    )
    acts = [*hidden, out]

    def oracle(flat):
        return mlp_oracle(flat, acts, loss, l2, X, Y)

    return _compare(net, oracle, X, Y)


@pytest.mark.parametrize(
    "case",
    range(len(MLP_CASES)),
    ids=[f"{h}-{o}-{loss}-{t}-l2={l2}" for h, (o, loss, t), l2 in MLP_CASES],
)
def test_mlp_matches_autograd(case):
    hidden, (out, loss, target), l2 = MLP_CASES[case]
    n_out_min = 2 if loss == "softmax_cross_entropy" else 1
    for k in range(N_ARCHS):
        seed = 1000 * case + k
        rng = np.random.default_rng(seed)
        # The first architecture always has a hidden layer, so `hidden` matters.
        sizes = _architecture(rng, n_out_min) if k else [int(rng.integers(1, 7)), 3, 2]
        _check_mlp(seed, hidden, out, loss, target, l2, sizes)


@pytest.mark.parametrize("seed", range(6))
def test_mlp_per_layer_activations_match_autograd(seed):
    """One activation per hidden layer, drawn from all four, deeper networks."""
    rng = np.random.default_rng(10_000 + seed)
    out, loss, target = PAIRINGS[seed % len(PAIRINGS)]
    sizes = [int(w) for w in rng.integers(2, 7, size=6)]  # 4 hidden layers
    hidden = [str(a) for a in rng.permutation(ACTIVATIONS)]
    _check_mlp(10_000 + seed, hidden, out, loss, target, 0.1 * seed, sizes)


# --- FastDropoutMLP's surrogate -----------------------------------------------


FD_CASES = list(
    itertools.product(("squared", "cross_entropy"), ("0.5", "0.8", "per-layer"))
)


@pytest.mark.parametrize(
    "case", range(len(FD_CASES)), ids=[f"{loss}-p={p}" for loss, p in FD_CASES]
)
def test_fast_dropout_surrogate_matches_autograd(case):
    loss, keep = FD_CASES[case]
    for k in range(N_ARCHS):
        seed = 20_000 + 1000 * case + k
        rng = np.random.default_rng(seed)
        sizes = _architecture(rng)
        n_layers = len(sizes) - 1
        if keep == "per-layer":
            keep_prob = [1.0, *(float(p) for p in rng.uniform(0.2, 0.95, n_layers - 1))]
        else:
            keep_prob = float(keep)
        net = bplib.FastDropoutMLP(sizes, keep_prob=keep_prob, loss=loss, seed=seed)
        _randomize(net, rng)
        n = int(rng.integers(1, 9))
        X = rng.standard_normal((n, sizes[0]))
        Y = _targets(loss, "dense", rng, n, sizes[-1])
        probs = keep_prob if isinstance(keep_prob, list) else [keep_prob] * n_layers

        def oracle(flat, probs=probs, X=X, Y=Y):
            return fast_dropout_oracle(flat, probs, loss, X, Y)

        _compare(net, oracle, X, Y)


def test_oracle_rejects_wrong_gradients():
    """The comparison can fail: a gradient 1e-8 off, or another L2 convention."""
    rng = np.random.default_rng(7)
    l2 = 0.3
    net = bplib.MLP([3, 4, 2], activation="tanh", output="sigmoid", l2=l2)
    _randomize(net, rng)
    X, Y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    acts = ["tanh", "sigmoid"]
    flat = [arr.copy() for pair in net.params for arr in pair]

    def oracle(flat):
        return mlp_oracle(flat, acts, "squared", l2, X, Y)

    def biases_penalised(flat):  # a wrong convention: L2 on the biases too
        return oracle(flat) + 0.5 * l2 * sum(anp.sum(b**2) for b in flat[1::2])

    _, grads = net.loss_and_grads(X, Y)
    want, wrong = grad(oracle)(flat), grad(biases_penalised)(flat)
    assert _rel_error(grads[0][0], want[0]) < GRAD_TOL
    assert _rel_error(grads[0][0] * (1 + 1e-8), want[0]) > GRAD_TOL
    assert _rel_error(grads[0][1], wrong[1]) > GRAD_TOL
