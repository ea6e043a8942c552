"""Tier 1 (unit): bplib.MLP's forward pass, losses and backprop (chapter 1).

The gradient of every hidden activation × output activation × loss is checked
against central differences in float64 on non-square layers, at a point whose
ReLU pre-activations stay away from the kink. The losses are the contract's
(DESIGN.md: a missing one fails, it is not left out) plus any other in
``bplib.losses.LOSSES``, each with the output it requires; a loss whose target
format this file does not know fails, so that it gets a target generator here.
"""

import numpy as np
import pytest
from helpers import LOSS_OUTPUT, numeric_grads
from helpers import rel_error as relative_error

import bplib
from bplib.losses import LOSSES
from bplib.mlp import forward

ACTS = ["sigmoid", "tanh", "relu", "identity"]
SIZES = [3, 5, 4, 2]  # no square weight matrix
N = 6


def make_targets(loss_name, n_rows, n_out, rng):
    """Valid targets for the loss (None if this file does not know its format)."""
    if loss_name == "squared":
        return rng.normal(size=(n_rows, n_out))
    if loss_name == "cross_entropy":
        return rng.uniform(0.05, 0.95, size=(n_rows, n_out))
    if loss_name == "softmax_cross_entropy":
        return np.eye(n_out)[rng.integers(0, n_out, size=n_rows)]
    return None


def required_output(loss_name):
    if loss_name in LOSS_OUTPUT:
        return LOSS_OUTPUT[loss_name]
    return LOSSES[loss_name].output


def combos():
    out = []
    for loss_name in sorted(set(LOSS_OUTPUT) | set(LOSSES)):
        need = required_output(loss_name)
        for output in ACTS:
            if need is not None and output != need:
                continue
            for hidden in ACTS:
                out.append(
                    pytest.param(
                        hidden, output, loss_name, id=f"{hidden}-{output}-{loss_name}"
                    )
                )
    return out


def kink_margin(net, X):
    """Smallest |z| over the ReLU layers (inf if there are none)."""
    X = np.asarray(X, dtype=net.dtype)
    _, Zs = forward(net.params, net.activations, X)
    margins = [
        np.abs(Z).min()
        for Z, act in zip(Zs[1:], net.activations, strict=True)
        if act.name == "relu"
    ]
    return min(margins, default=np.inf)


def setup_net(hidden, output, loss_name, l2=0.0, sizes=SIZES, seed=0):
    """A network with random biases and data kept away from ReLU kinks."""
    for attempt in range(50):
        rng = np.random.default_rng([seed, attempt])
        net = bplib.MLP(
            sizes,
            activation=hidden,
            output=output,
            loss=loss_name,
            l2=l2,
            seed=seed + attempt,
        )
        for _, b in net.params:
            b[:] = rng.normal(scale=0.3, size=b.shape)
        X = rng.normal(size=(N, sizes[0]))
        Y = make_targets(loss_name, N, sizes[-1], rng)
        assert Y is not None, f"no target generator for loss {loss_name!r} here"
        if kink_margin(net, X) > 1e-3:
            return net, X, Y
    raise AssertionError("could not find a point away from the ReLU kinks")


@pytest.mark.parametrize("hidden, output, loss_name", combos())
def test_gradients_match_central_differences(hidden, output, loss_name):
    net, X, Y = setup_net(hidden, output, loss_name)
    loss, grads = net.loss_and_grads(X, Y)
    assert loss == pytest.approx(net.loss(X, Y), rel=1e-14)
    numeric = numeric_grads(net, X, Y)
    for layer, ((dW, db), (nW, nb), (W, b)) in enumerate(
        zip(grads, numeric, net.params, strict=True)
    ):
        assert dW.shape == W.shape and db.shape == b.shape
        assert relative_error(dW, nW) < 1e-7, f"dW[{layer}]"
        assert relative_error(db, nb) < 1e-7, f"db[{layer}]"


def test_registry_holds_the_contract_losses():
    for name, output in LOSS_OUTPUT.items():
        assert LOSSES[name].name == name and LOSSES[name].output == output


def test_squared_loss_value_and_output_delta():
    net, X, Y = setup_net("tanh", "sigmoid", "squared")
    A = net.forward(X)
    assert net.loss(X, Y) == pytest.approx(
        0.5 * np.sum((A - Y) ** 2) / len(X), rel=1e-14
    )
    # δ^(L) = (a − y) ⊙ σ'(z) / N for a sigmoid output
    Deltas = net.sensitivities(X, Y)
    np.testing.assert_allclose(Deltas[-1], (A - Y) * A * (1 - A) / len(X), rtol=1e-13)


def test_l2_gradient_and_value():
    lam = 0.3
    net, X, Y = setup_net("tanh", "identity", "squared", l2=lam)
    plain = bplib.MLP(SIZES, activation="tanh", output="identity")
    plain.params = [(W.copy(), b.copy()) for W, b in net.params]
    penalty = 0.5 * lam * sum(np.sum(W**2) for W, _ in net.params)
    assert net.loss(X, Y) == pytest.approx(plain.loss(X, Y) + penalty, rel=1e-13)
    _, grads = net.loss_and_grads(X, Y)
    _, grads0 = plain.loss_and_grads(X, Y)
    numeric = numeric_grads(net, X, Y)
    for (dW, db), (dW0, db0), (nW, nb), (W, _) in zip(
        grads, grads0, numeric, net.params, strict=True
    ):
        assert relative_error(dW, nW) < 1e-7 and relative_error(db, nb) < 1e-7
        np.testing.assert_allclose(dW, dW0 + lam * W, rtol=1e-12, atol=1e-15)
        np.testing.assert_array_equal(db, db0)  # biases are never penalised


def test_float32_forward_agrees_with_float64():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(20, SIZES[0]))
    Y = rng.normal(size=(20, SIZES[-1]))
    for hidden in ACTS:
        n64 = bplib.MLP(SIZES, activation=hidden, seed=2)
        n32 = bplib.MLP(SIZES, activation=hidden, seed=2, dtype=np.float32)
        assert all(
            W.dtype == np.float32 and b.dtype == np.float32 for W, b in n32.params
        )
        out32 = n32.forward(X)
        assert out32.dtype == np.float32
        np.testing.assert_allclose(out32, n64.forward(X), rtol=1e-5, atol=1e-6)
        assert n32.loss(X, Y) == pytest.approx(n64.loss(X, Y), rel=1e-5)
        _, g32 = n32.loss_and_grads(X, Y)
        _, g64 = n64.loss_and_grads(X, Y)
        for p32, p64 in zip(g32, g64, strict=True):
            for a, b in zip(p32, p64, strict=True):
                assert a.dtype == np.float32
                assert relative_error(a.astype(np.float64), b) < 1e-5


def test_per_layer_activation_list():
    net = bplib.MLP(
        [3, 5, 4, 6, 2], activation=["relu", "tanh", "sigmoid"], output="identity"
    )
    assert [a.name for a in net.activations] == ["relu", "tanh", "sigmoid", "identity"]
    assert [W.shape for W, _ in net.params] == [(5, 3), (4, 5), (6, 4), (2, 6)]
    net2, X, Y = setup_net(["relu", "sigmoid"], "tanh", "squared")
    _, grads = net2.loss_and_grads(X, Y)
    for (dW, db), (nW, nb) in zip(grads, numeric_grads(net2, X, Y), strict=True):
        assert relative_error(dW, nW) < 1e-7 and relative_error(db, nb) < 1e-7


def test_relu_layers_use_he_initialisation():
    net = bplib.MLP([400, 300, 2], activation="relu", output="identity", seed=0)
    assert np.std(net.params[0][0]) == pytest.approx(np.sqrt(2 / 400), rel=0.02)
    assert np.std(net.params[1][0]) == pytest.approx(np.sqrt(1 / 300), rel=0.1)
    assert all(np.all(b == 0) for _, b in net.params)


def test_batch_gradient_is_mean_of_per_sample_gradients():
    net, X, Y = setup_net("sigmoid", "identity", "squared")
    _, grads = net.loss_and_grads(X, Y)
    per = [net.loss_and_grads(X[n : n + 1], Y[n : n + 1])[1] for n in range(N)]
    for layer, (dW, db) in enumerate(grads):
        np.testing.assert_allclose(
            dW, np.mean([g[layer][0] for g in per], axis=0), rtol=1e-12, atol=1e-15
        )
        np.testing.assert_allclose(
            db, np.mean([g[layer][1] for g in per], axis=0), rtol=1e-12, atol=1e-15
        )


def test_sensitivities_shapes_and_bias_gradient():
    net, X, Y = setup_net("tanh", "sigmoid", "squared")
    Deltas = net.sensitivities(X, Y)
    _, grads = net.loss_and_grads(X, Y)
    assert [D.shape for D in Deltas] == [(N, n) for n in SIZES[1:]]
    for D, (_, db) in zip(Deltas, grads, strict=True):
        np.testing.assert_allclose(D.sum(axis=0), db, rtol=1e-14, atol=1e-17)


def test_single_layer_network():
    net, X, Y = setup_net("sigmoid", "tanh", "squared", sizes=[4, 3])
    _, grads = net.loss_and_grads(X, Y)
    ((nW, nb),) = numeric_grads(net, X, Y)
    assert (
        relative_error(grads[0][0], nW) < 1e-7
        and relative_error(grads[0][1], nb) < 1e-7
    )


def test_nothing_is_mutated():
    net, X, Y = setup_net("relu", "identity", "squared")
    params = [(W.copy(), b.copy()) for W, b in net.params]
    X0, Y0 = X.copy(), Y.copy()
    net.forward(X)
    net.loss(X, Y)
    net.loss_and_grads(X, Y)
    net.sensitivities(X, Y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)
    for (W, b), (W0, b0) in zip(net.params, params, strict=True):
        np.testing.assert_array_equal(W, W0)
        np.testing.assert_array_equal(b, b0)


def test_seeded_initialisation_is_deterministic():
    a = bplib.MLP(SIZES, seed=7)
    b = bplib.MLP(SIZES, seed=7)
    c = bplib.MLP(SIZES, seed=8)
    for (Wa, _), (Wb, _), (Wc, _) in zip(a.params, b.params, c.params, strict=True):
        np.testing.assert_array_equal(Wa, Wb)
        assert not np.array_equal(Wa, Wc)


def test_extreme_inputs_are_quiet():
    for hidden in ACTS:
        net = bplib.MLP(SIZES, activation=hidden, output="sigmoid", seed=0)
        X = np.full((2, SIZES[0]), 1000.0) * np.array([[1.0], [-1.0]])
        Y = np.zeros((2, SIZES[-1]))
        with np.errstate(over="raise", divide="raise", invalid="raise"):
            loss, grads = net.loss_and_grads(X, Y)
        assert np.isfinite(loss)
        assert all(np.isfinite(g).all() for pair in grads for g in pair)


def test_core_functions_match_the_methods():
    """bplib.mlp's forward, sensitivities and gradients are what MLP uses."""
    from bplib.mlp import gradients, sensitivities

    net, X, Y = setup_net("tanh", "sigmoid", "squared")
    As, Zs = forward(net.params, net.activations, X)
    np.testing.assert_array_equal(As[-1], net.forward(X))
    A = As[-1]
    delta = (A - Y) / len(X) * A * (1 - A)  # Δ⁽ᴸ⁾ of the squared loss, by hand
    deltas = list(sensitivities(net.params, net.activations, As, Zs, delta))
    assert [ell for ell, _ in deltas] == [3, 2, 1]
    for (_, D), D_net in zip(
        sorted(deltas, key=lambda pair: pair[0]), net.sensitivities(X, Y), strict=True
    ):
        np.testing.assert_allclose(D, D_net, rtol=1e-13, atol=1e-16)
    _, grads = net.loss_and_grads(X, Y)
    for (dW, db), (gW, gb) in zip(gradients(As, deltas), grads, strict=True):
        np.testing.assert_allclose(dW, gW, rtol=1e-13, atol=1e-16)
        np.testing.assert_allclose(db, gb, rtol=1e-13, atol=1e-16)


def test_check_data_converts_and_names():
    net = bplib.MLP([3, 4, 3], output="identity", loss="softmax_cross_entropy")
    X, Y = net.check_data([[1, 2, 3], [4, 5, 6]], [2, 0])
    assert X.dtype == np.float64 and X.shape == (2, 3)
    np.testing.assert_array_equal(Y, [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    with pytest.raises(TypeError) as info:
        net.check_data(np.ones((2, 3)), None)
    assert str(info.value) == (
        "Y must be integer class labels (N,) or one-hot (N, 3), got dtype object"
    )
    with pytest.raises(ValueError) as info:
        net.check_data(np.ones((2, 3)), [0, 3], names=("X_val", "Y_val"))
    assert str(info.value) == (
        "Y_val given as 1-D must hold integer class labels in 0..2, "
        "got values from 0 to 3"
    )


def test_invalid_arguments():
    # The full table of bad input is tests/test_bad_input.py.
    cases = [
        (
            lambda: bplib.MLP(SIZES, loss="cubic"),
            ValueError,
            "loss='cubic' is unknown; expected one of 'squared', "
            "'softmax_cross_entropy', 'cross_entropy'",
        ),
        (
            lambda: bplib.MLP(SIZES, activation=["relu"]),
            ValueError,
            "activation lists 1 names but the network has 2 hidden layers; "
            "give one name per hidden layer",
        ),
        (
            lambda: bplib.MLP(SIZES, activation=["relu", "swish"]),
            ValueError,
            "activation[1]='swish' is unknown; expected one of 'sigmoid', 'tanh', "
            "'relu', 'identity'",
        ),
        (
            lambda: bplib.MLP(SIZES).forward(np.ones((2, 4))),
            ValueError,
            "X must have shape (N, 3), got (2, 4)",
        ),
        (
            lambda: bplib.MLP(SIZES, dtype=np.float32).forward(np.full((1, 3), 1e300)),
            ValueError,
            "X has values too large for float32 (largest magnitude 1e+300)",
        ),
    ]
    for call, exc, message in cases:
        with pytest.raises(exc) as info:
            call()
        assert str(info.value) == message


def test_public_api_is_exported():
    import bplib.losses

    for name in bplib.__all__:
        assert hasattr(bplib, name), name
    for name in ["MLP", "gradcheck", "GradcheckReport", "relative_error"]:
        assert name in bplib.__all__
    for name in ["get_activation", "get_loss", "Loss", "Activation"]:
        assert name in bplib.__all__
    for name in ["sigmoid", "tanh", "relu", "identity"]:
        assert name in bplib.__all__
    assert bplib.losses.get_loss("squared").name == "squared"
