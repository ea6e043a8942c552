"""Tier 2, properties (hypothesis): random architectures, every valid pairing.

A drawn network has depth 1-6 (weight layers), widths 1-32, hidden activations
(one name, or one per hidden layer) from every activation, and an
output/loss pair allowed by the contract: "squared" with any output,
"cross_entropy" with a sigmoid output, "softmax_cross_entropy" with an
identity output (at least 2 classes; integer or one-hot targets); with and
without L2; an ``MLP`` or a ``FastDropoutMLP`` (whose losses are "squared"
and "cross_entropy"). Every loss and class of the contract is drawn: one
that bplib does not define makes the tests fail.

Properties:

1. the backprop gradient agrees with central differences in float64
   (relative error < 1e-6 on directional derivatives of every parameter
   array: along its own gradient and two random unit directions; see
   NOISE_FLOOR for derivatives below the finite-difference rounding noise);
2. one small step along the negative gradient decreases the loss (Armijo);
3. ``bplib.train`` is bit-for-bit reproducible under a seed;
4. float32 agrees with float64 to float32 precision.

ReLU is not differentiable at 0: examples where a ReLU pre-activation lies
within ``RELU_MARGIN`` of 0 are rejected (``assume``), so that no finite
difference step crosses a kink.

Runs are deterministic: ``derandomize=True`` and no example database. The
number of examples of each property is set in ``SETTINGS`` below; run with
``--hypothesis-show-statistics`` to see them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from helpers import ACTIVATIONS, LOSS_OUTPUT, flat, rel_error
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st

import bplib
from bplib.mlp import forward

MLP_LOSSES = list(LOSS_OUTPUT)
FD_LOSSES = ["squared", "cross_entropy"]
# MLP twice: it has many more activation/output/loss combinations to cover
KINDS = ["MLP", "MLP", "FastDropoutMLP"]

RELU_MARGIN = 1e-3  # |Z| of every ReLU unit, so a step of 1e-5 never crosses 0
EPS = 1e-5  # central-difference step along a unit direction
GRAD_RTOL = 1e-6
# Rounding makes a central difference of C uncertain by about ε·|C|/EPS
# ≈ 2e-11·|C|. A directional derivative far below that (a saturated sigmoid
# gives 1e-7) cannot be measured to 1e-6 relative, so the relative error is
# taken against max(‖analytic‖ + ‖numeric‖, NOISE_FLOOR·max(1, |C|)): a pure
# relative test above 1e-4·|C|, an absolute one (1e-10·|C|, 5x the noise)
# below.
NOISE_FLOOR = 1e-4

SETTINGS = {
    "gradients": 600,
    "descent": 400,
    "train": 100,
    "float32": 400,
}


def profile(name: str):
    return settings(
        max_examples=SETTINGS[name],
        derandomize=True,
        database=None,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )


# --- drawing a network and a batch -------------------------------------------
@dataclass
class Spec:
    kind: str
    sizes: list
    activation: object
    output: str
    loss: str
    l2: float
    keep_prob: float
    seed: int
    n_rows: int
    data_seed: int
    one_hot: bool

    def build(self, dtype=np.float64):
        if self.kind == "FastDropoutMLP":
            return bplib.FastDropoutMLP(
                self.sizes,
                keep_prob=self.keep_prob,
                loss=self.loss,
                seed=self.seed,
                dtype=dtype,
            )
        return bplib.MLP(
            self.sizes,
            activation=self.activation,
            output=self.output,
            loss=self.loss,
            l2=self.l2,
            seed=self.seed,
            dtype=dtype,
        )

    def data(self):
        rng = np.random.default_rng(self.data_seed)
        n, n_in, n_out = self.n_rows, self.sizes[0], self.sizes[-1]
        X = rng.standard_normal((n, n_in))
        if self.loss == "softmax_cross_entropy":
            labels = rng.integers(0, n_out, n)
            Y = np.eye(n_out)[labels] if self.one_hot else labels
        elif self.loss == "cross_entropy":
            Y = rng.uniform(0, 1, (n, n_out))
            if self.one_hot:  # hard 0/1 targets
                Y = np.round(Y)
        else:
            Y = rng.standard_normal((n, n_out))
        return X, Y


@st.composite
def specs(draw, kinds=None, min_rows=1):
    kind = draw(st.sampled_from(kinds or KINDS))
    depth = draw(st.integers(1, 6))
    sizes = draw(st.lists(st.integers(1, 32), min_size=depth + 1, max_size=depth + 1))
    loss = draw(st.sampled_from(FD_LOSSES if kind == "FastDropoutMLP" else MLP_LOSSES))
    if loss == "softmax_cross_entropy":
        sizes[-1] = max(sizes[-1], 2)
    if kind == "FastDropoutMLP":  # sigmoid units throughout
        output = "sigmoid"
    else:
        output = LOSS_OUTPUT[loss] or draw(st.sampled_from(ACTIVATIONS))
    activation = draw(
        st.one_of(
            st.sampled_from(ACTIVATIONS),
            st.lists(
                st.sampled_from(ACTIVATIONS), min_size=depth - 1, max_size=depth - 1
            ),
        )
    )
    return Spec(
        kind=kind,
        sizes=sizes,
        activation=activation,
        output=output,
        loss=loss,
        l2=draw(st.sampled_from([0.0, 1e-3, 0.5])),
        keep_prob=draw(st.sampled_from([1.0, 0.8, 0.5, 0.1])),
        seed=draw(st.integers(0, 2**32 - 1)),
        n_rows=draw(st.integers(min_rows, 8)),
        data_seed=draw(st.integers(0, 2**32 - 1)),
        one_hot=draw(st.booleans()),
    )


def relu_margin(net, X) -> float:
    """Smallest |Z| over ReLU units (inf if none), from bplib.mlp.forward."""
    if not any(a.name == "relu" for a in getattr(net, "activations", [])):
        return np.inf
    _, Zs = forward(net.params, net.activations, np.asarray(X, dtype=net.dtype))
    return min(
        float(np.abs(Z).min())
        for Z, a in zip(Zs[1:], net.activations, strict=True)
        if a.name == "relu"
    )


def describe(spec: Spec) -> None:
    """Record what was drawn (shown by --hypothesis-show-statistics)."""
    event(f"{spec.kind} loss={spec.loss} output={spec.output}")
    widest = ">16" if max(spec.sizes) > 16 else "<=16"
    event(f"depth {len(spec.sizes) - 1}, widest {widest}")
    event("l2 > 0" if spec.l2 else "l2 = 0")


def away_from_kinks(net, X) -> None:
    margin = relu_margin(net, X)
    note(f"ReLU margin {margin:.2e}")
    assume(margin > RELU_MARGIN)


# --- 1. gradients against central differences ---------------------------------
@profile("gradients")
@given(spec=specs(), direction_seed=st.integers(0, 2**32 - 1))
def test_gradients_match_central_differences(spec, direction_seed):
    describe(spec)
    net = spec.build()
    X, Y = spec.data()
    away_from_kinks(net, X)
    X_before, Y_before = X.copy(), Y.copy()
    loss, grads = net.loss_and_grads(X, Y)
    assert np.isfinite(loss)
    assert np.array_equal(X, X_before) and np.array_equal(Y, Y_before), (
        "inputs modified"
    )
    rng = np.random.default_rng(direction_seed)
    for k, (p, g) in enumerate(zip(flat(net.params), flat(grads), strict=True)):
        assert g.shape == p.shape and g.dtype == p.dtype
        directions = [rng.standard_normal(p.shape) for _ in range(2)]
        if np.any(g):
            directions.append(g)
        analytic, numeric = [], []
        for v in directions:
            v = v / np.linalg.norm(v)
            p += EPS * v
            f_plus = net.loss(X, Y)
            p -= 2 * EPS * v
            f_minus = net.loss(X, Y)
            p += EPS * v
            analytic.append(float(np.vdot(g, v)))
            numeric.append((f_plus - f_minus) / (2 * EPS))
        a, n = np.array(analytic), np.array(numeric)
        floor = NOISE_FLOOR * max(1.0, abs(loss))
        err = float(
            np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), floor)
        )
        note(
            f"array {k} {p.shape}: analytic {analytic} numeric {numeric} rel {err:.2e}"
        )
        assert err < GRAD_RTOL, f"params array {k}: relative error {err:.2e}"


# --- 2. one step downhill ------------------------------------------------------
STEP = 1e-5  # length of the step, ‖Δθ‖


@profile("descent")
@given(spec=specs())
def test_small_step_along_negative_gradient_decreases_loss(spec):
    describe(spec)
    net = spec.build()
    X, Y = spec.data()
    away_from_kinks(net, X)
    loss, grads = net.loss_and_grads(X, Y)
    g = flat(grads)
    norm = float(np.sqrt(sum(np.vdot(d, d) for d in g)))
    assume(norm > 1e-6)  # a stationary point has no downhill
    for p, d in zip(flat(net.params), g, strict=True):
        p -= (STEP / norm) * d
    new = net.loss(X, Y)
    note(f"loss {loss!r} -> {new!r}, |g| {norm:.3e}")
    # Armijo: at least half the first-order decrease STEP·‖g‖
    assert new < loss - 0.5 * STEP * norm


# --- 3. training is reproducible -----------------------------------------------
def same(a, b) -> bool:
    """Bit-for-bit equality of nested lists/tuples/dicts/arrays/floats."""
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(same(a[k], b[k]) for k in a)
        )
    if isinstance(a, (list, tuple)):
        return (
            isinstance(b, (list, tuple))
            and len(a) == len(b)
            and all(same(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, float) and isinstance(b, float):
        return np.float64(a).tobytes() == np.float64(b).tobytes()
    if hasattr(a, "__dict__") and hasattr(b, "__dict__"):
        return type(a) is type(b) and same(vars(a), vars(b))
    return a == b


def without_timing(history):
    """The history's fields, less the wall-clock time (which varies by design)."""
    fields = dict(vars(history)) if hasattr(history, "__dict__") else history
    if isinstance(fields, dict):
        fields.pop("seconds", None)
    return fields


@profile("train")
@given(
    spec=specs(min_rows=2),
    dtype=st.sampled_from([np.float64, np.float32]),
    batch_size=st.integers(1, 8),
    epochs=st.integers(1, 3),
    train_seed=st.integers(0, 2**32 - 1),
)
def test_training_is_bit_for_bit_reproducible(
    spec, dtype, batch_size, epochs, train_seed
):
    describe(spec)
    X, Y = spec.data()
    X_before, Y_before = X.copy(), np.array(Y, copy=True)
    runs = []
    for _ in range(2):
        net = spec.build(dtype)
        try:
            history = bplib.train(
                net,
                X,
                Y,
                lr=0.01,
                batch_size=batch_size,
                epochs=epochs,
                seed=train_seed,
            )
            outcome = without_timing(history)
        except (FloatingPointError, RuntimeWarning) as err:
            # A deep linear net can diverge even at lr=0.01; a diverging run
            # must then fail the same way, at the same step, with the same
            # parameters. (Diverging cleanly is tested in test_extremes.py.)
            outcome = (type(err).__name__, str(err))
        runs.append((flat(net.params), outcome))
    (p1, h1), (p2, h2) = runs
    event("diverged" if isinstance(h1, tuple) else "trained")
    assert same(p1, p2), "parameters differ between two runs with the same seeds"
    assert same(h1, h2), "histories differ between two runs with the same seeds"
    assert np.array_equal(X, X_before) and np.array_equal(Y, Y_before), (
        "train modified X or Y"
    )


# --- 4. float32 agrees with float64 -------------------------------------------------
F32_RTOL = 1e-4  # ~ 1000 float32 ulps: rounding accumulated over 6 layers of 32


@profile("float32")
@given(spec=specs())
def test_float32_agrees_with_float64(spec):
    describe(spec)
    net32, net64 = spec.build(np.float32), spec.build(np.float64)
    # same starting point: the float64 network gets the float32 weights exactly
    for p64, p32 in zip(flat(net64.params), flat(net32.params), strict=True):
        assert p32.dtype == np.float32
        p64[...] = p32
    X, Y = spec.data()
    X = X.astype(np.float32).astype(np.float64)
    Y = Y.astype(np.float32).astype(np.float64) if Y.dtype.kind == "f" else Y
    away_from_kinks(net64, X)
    margin32 = relu_margin(net32, X)
    assume(margin32 > RELU_MARGIN)
    A32, A64 = net32.forward(X), net64.forward(X)
    assert A32.dtype == np.float32 and A64.dtype == np.float64
    assert rel_error(A32, A64) < F32_RTOL
    l32, g32 = net32.loss_and_grads(X, Y)
    l64, g64 = net64.loss_and_grads(X, Y)
    note(f"loss float32 {l32!r} float64 {l64!r}")
    assert abs(l32 - l64) <= F32_RTOL * max(abs(l64), 1.0)
    for k, (a, b) in enumerate(zip(flat(g32), flat(g64), strict=True)):
        assert a.dtype == np.float32, f"gradient {k} is {a.dtype}"
        err = rel_error(a, b)
        note(f"gradient array {k}: rel {err:.2e}")
        assert err < F32_RTOL, f"gradient array {k}: float32 vs float64 {err:.2e}"
