"""bplib.graph, the reverse-mode engine of chapter 7.

Tier 1 (unit): the backward rule of every operation against central
differences in float64, on non-square shapes, and the accumulation of adjoints
where a node is used twice. Tier 2 (property, hypothesis): random graphs of
random depth, with fan-out, shared nodes and shared weights, against central
differences; the engine against ``MLP.loss_and_grads`` on random
architectures, to 1e-12 relative. Tier 6 (bad input): a cycle, a shape
mismatch, backward before forward and wrong argument types raise
``ValueError``/``TypeError`` with the messages pinned below, and a failing
``forward`` changes no node. Numpy floating-point warnings are errors
(pyproject's filterwarnings, and ``strict_fp`` around every test).

The finite differences are ``helpers.central``, written independently of
bplib; the engine is imported as ``bplib.graph`` (not re-exported at the top
level).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import central, rel_error, strict_fp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bplib import MLP, graph


@pytest.fixture(autouse=True)
def _strict_floating_point():
    with strict_fp():
        yield


def close_to_differences(C, leaves):
    """Engine gradient of scalar node C vs central differences, for each leaf."""
    graph.forward(C)
    graph.backward(C)
    grads = [lf.grad for lf in leaves]
    for lf, g in zip(leaves, grads, strict=True):
        num = central(lambda: float(graph.forward(C)), lf.value)
        assert g.shape == lf.value.shape, lf.name
        assert np.allclose(g, num, rtol=1e-6, atol=1e-8), (
            f"{lf.name}: relative error {rel_error(g, num):.2e}"
        )


# ------------------------------------------------------------ tier 1: unit


def _leaf(name, shape, seed):
    return graph.leaf(name, np.random.default_rng(seed).standard_normal(shape))


OPS = {
    "linear": lambda: (
        ((A := _leaf("A", (4, 3), 1)), (W := _leaf("W", (5, 3), 2)))
        and (graph.linear(A, W), [A, W])
    ),
    "add same shape": lambda: (
        ((U := _leaf("U", (4, 3), 3)), (V := _leaf("V", (4, 3), 4)))
        and (graph.add(U, V), [U, V])
    ),
    "add bias row": lambda: (
        ((U := _leaf("U", (4, 3), 5)), (b := _leaf("b", (3,), 6)))
        and (graph.add(U, b), [U, b])
    ),
    "add column and row": lambda: (
        (
            (c := _leaf("c", (4, 1), 7)),
            (b := _leaf("b", (1, 3), 8)),
        )
        and (graph.add(c, b), [c, b])
    ),
    "sum": lambda: (U := _leaf("U", (2, 5), 9)) and (graph.sum_all(U), [U]),
    "softmax_cross_entropy": lambda: (
        (
            (Z := _leaf("Z", (4, 3), 10)),
            (Y := graph.leaf("Y", np.random.default_rng(11).uniform(0.1, 1, (4, 3)))),
        )
        and (graph.softmax_cross_entropy(Z, Y), [Z, Y])
    ),
    "squared_error": lambda: (
        ((A := _leaf("A", (4, 2), 12)), (Y := _leaf("Y", (4, 2), 13)))
        and (graph.squared_error(A, Y), [A, Y])
    ),
    **{
        kind: (
            lambda kind=kind: (
                (Z := _leaf("Z", (3, 4), 14)) and (graph.activation(Z, kind), [Z])
            )
        )
        for kind in ("sigmoid", "tanh", "relu", "identity")
    },
}


@pytest.mark.parametrize("op", list(OPS))
def test_backward_rule_matches_central_differences(op):
    node, leaves = OPS[op]()
    graph.forward(node)
    R = np.random.default_rng(0).standard_normal(node.value.shape)
    graph.backward(node, adjoint=R)
    grads = [lf.grad for lf in leaves]
    for lf, g in zip(leaves, grads, strict=True):
        num = central(lambda: float(np.sum(R * graph.forward(node))), lf.value)
        assert rel_error(g, num) < 1e-7, (op, lf.name, rel_error(g, num))


def test_softmax_cross_entropy_matches_chapter_3_on_one_hot_targets():
    from bplib.losses import softmax_cross_entropy, softmax_cross_entropy_delta

    rng = np.random.default_rng(3)
    Z_, labels = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    Z, Y = graph.leaf("Z", Z_), graph.leaf("Y", np.eye(4)[labels])
    C = graph.softmax_cross_entropy(Z, Y)
    assert abs(float(graph.forward(C)) - softmax_cross_entropy(Z_, labels)) < 1e-15
    graph.backward(C)
    assert rel_error(Z.grad, softmax_cross_entropy_delta(Z_, labels)) < 1e-15


def test_a_node_used_twice_accumulates():
    x = graph.leaf("x", np.array([[1.0, -2.0, 3.0]]))
    C = graph.sum_all(graph.add(x, x))  # C = 2 Σx
    graph.forward(C)
    graph.backward(C)
    assert np.array_equal(x.grad, np.full((1, 3), 2.0))
    h = graph.activation(x, "tanh")
    C2 = graph.add(graph.sum_all(h), graph.sum_all(graph.add(h, x)))  # h used twice
    close_to_differences(C2, [x])


def test_topological_order_puts_parents_first_and_lists_each_node_once():
    x = _leaf("x", (2, 3), 0)
    h = graph.activation(x, "tanh")
    k = graph.add(h, x)
    C = graph.sum_all(graph.add(k, h))
    order = graph.topological_order(C)
    assert len(order) == len({id(n) for n in order}) == 5
    pos = {id(n): i for i, n in enumerate(order)}
    assert all(pos[id(p)] < pos[id(n)] for n in order for p in n.parents)
    assert order[-1] is C


def test_backward_modifies_no_value_and_forward_uses_the_feed():
    x = _leaf("x", (3, 2), 1)
    W = _leaf("W", (4, 2), 2)
    C = graph.sum_all(graph.activation(graph.linear(x, W), "sigmoid"))
    graph.forward(C)
    before = [n.value.copy() for n in graph.topological_order(C)]
    graph.backward(C)
    after = [n.value for n in graph.topological_order(C)]
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))
    new_x = np.ones((5, 2))
    value = graph.forward(C, feed={"x": new_x})
    assert x.value is new_x  # float64: kept, not copied
    expected = np.sum(1 / (1 + np.exp(-(new_x @ W.value.T))))
    assert abs(float(value) - expected) < 1e-12


# ------------------------------------------------------- tier 2: property


@st.composite
def random_graphs(draw):
    """A random DAG over (N, n) arrays: shared nodes, fan-out, tied weights."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    N, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    inputs = [
        graph.leaf(f"x{i}", rng.standard_normal((N, n)))
        for i in range(draw(st.integers(1, 3)))
    ]
    bias = graph.leaf("b", rng.standard_normal(n))
    weights = [graph.leaf(f"W{i}", rng.standard_normal((n, n)) / 2) for i in range(2)]
    pool = list(inputs)
    for _ in range(draw(st.integers(1, 7))):
        kind = draw(st.sampled_from(["add", "bias", "linear", "tanh", "sigmoid"]))
        a = pool[draw(st.integers(0, len(pool) - 1))]
        if kind == "add":  # may add a node to itself: one node, two uses
            node = graph.add(a, pool[draw(st.integers(0, len(pool) - 1))])
        elif kind == "bias":
            node = graph.add(a, bias)
        elif kind == "linear":  # two weights for up to 7 layers: often tied
            node = graph.linear(a, weights[draw(st.integers(0, 1))])
        else:
            node = graph.activation(a, kind)
        pool.append(node)
    # The cost reads the last node and a few others: more fan-out.
    C = graph.sum_all(graph.activation(pool[-1], "tanh"))
    for j in draw(st.lists(st.integers(0, len(pool) - 1), max_size=3)):
        C = graph.add(C, graph.sum_all(graph.activation(pool[j], "sigmoid")))
    if draw(st.booleans()):
        Y = graph.leaf("Y", np.eye(n)[rng.integers(0, n, N)])
        C = graph.add(C, graph.softmax_cross_entropy(pool[-1], Y))
    return C, [*inputs, bias, *weights]


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_graphs())
def test_random_graphs_agree_with_central_differences(case):
    C, leaves = case
    reached = {id(n) for n in graph.topological_order(C)}
    used = [lf for lf in leaves if id(lf) in reached]
    close_to_differences(C, used)
    # Leaves the cost does not depend on get no adjoint.
    assert all(lf.grad is None for lf in leaves if id(lf) not in reached)


def mlp_graph(net, X_, Y_):
    """The graph of a bplib MLP, built here independently of the chapter."""
    A, pairs = graph.leaf("X", X_), []
    for ell, ((W_, b_), act) in enumerate(
        zip(net.params, net.activations, strict=True), 1
    ):
        W, b = graph.leaf(f"W{ell}", W_), graph.leaf(f"b{ell}", b_)
        Z = graph.add(graph.linear(A, W), b)
        A = graph.activation(Z, act.name)
        pairs.append((W, b))
    Y = graph.leaf("Y", Y_)
    if net.loss_fn.name == "softmax_cross_entropy":
        return graph.softmax_cross_entropy(Z, Y), pairs
    return graph.squared_error(A, Y), pairs


ACTS = ["sigmoid", "tanh", "relu", "identity"]


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=5),
    data=st.data(),
    loss=st.sampled_from(["squared", "softmax_cross_entropy"]),
    n_rows=st.integers(1, 6),
    seed=st.integers(0, 2**16),
)
def test_engine_reproduces_mlp_loss_and_grads(sizes, data, loss, n_rows, seed):
    hidden = data.draw(
        st.lists(
            st.sampled_from(ACTS), min_size=len(sizes) - 2, max_size=len(sizes) - 2
        )
    )
    output = "identity" if loss != "squared" else data.draw(st.sampled_from(ACTS))
    if loss == "softmax_cross_entropy":  # the loss needs two classes or more
        sizes = [*sizes[:-1], max(sizes[-1], 2)]
    net = MLP(sizes, activation=hidden, output=output, loss=loss, seed=seed)
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_rows, sizes[0]))
    if loss == "squared":
        Y = rng.standard_normal((n_rows, sizes[-1]))
    else:
        Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n_rows)]
    C, pairs = mlp_graph(net, X, Y)
    value = float(graph.forward(C))
    graph.backward(C)
    loss_mlp, grads = net.loss_and_grads(X, Y)
    assert rel_error(value, loss_mlp) < 1e-12
    for (W, b), (dW, db) in zip(pairs, grads, strict=True):
        assert rel_error(W.grad, dW) < 1e-12
        assert rel_error(b.grad, db) < 1e-12


# ------------------------------------------------------ tier 6: bad input


def test_a_cycle_is_reported_with_its_nodes():
    u = _leaf("u", (2, 3), 0)
    h = graph.activation(u, "tanh", name="h")
    k = graph.add(h, u, name="k")
    h.parents = (k,)  # k consumes h, and now h consumes k
    for call in (graph.topological_order, graph.forward, graph.backward):
        with pytest.raises(ValueError, match=r"the graph has a cycle: k -> h -> k"):
            call(k)


def test_shape_mismatch_names_the_node_and_the_shapes():
    u = _leaf("u", (2, 3), 0)
    W = _leaf("W", (4, 5), 1)
    with pytest.raises(
        ValueError,
        match=r"node 'uW' = linear\('u' \(2, 3\), 'W' \(4, 5\)\): "
        r"linear needs A \(N, n_in\) and W \(n_out, n_in\), same n_in",
    ):
        graph.forward(graph.linear(u, W, name="uW"))
    with pytest.raises(ValueError, match=r"add needs shapes that numpy can broadcast"):
        graph.forward(graph.add(u, _leaf("v", (3, 2), 2)))
    with pytest.raises(ValueError, match=r"a loss needs predictions and targets"):
        graph.forward(graph.squared_error(u, _leaf("y", (2, 4), 3)))


def test_a_failing_forward_changes_no_node():
    x = _leaf("x", (3, 2), 1)
    W = _leaf("W", (4, 2), 2)
    C = graph.sum_all(graph.linear(x, W))
    graph.forward(C)
    graph.backward(C)
    nodes = graph.topological_order(C)
    values = [n.value for n in nodes]
    grads = [n.grad for n in nodes]
    with pytest.raises(ValueError, match=r"linear needs A"):
        graph.forward(C, feed={"x": np.ones((3, 7))})
    assert all(n.value is v for n, v in zip(nodes, values, strict=True))
    assert all(n.grad is g for n, g in zip(nodes, grads, strict=True))


def test_backward_before_forward():
    u = _leaf("u", (2, 3), 0)
    C = graph.sum_all(graph.activation(u, "sigmoid", name="s"), name="total")
    with pytest.raises(
        ValueError,
        match=r"backward\(\) before forward\(\): node 's' has no value; "
        r"call forward\(\) on 'total' first",
    ):
        graph.backward(C)


def test_backward_needs_a_scalar_or_an_adjoint_of_the_right_shape():
    h = graph.activation(_leaf("u", (2, 3), 0), "tanh", name="h")
    graph.forward(h)
    with pytest.raises(
        ValueError, match=r"output 'h' has shape \(2, 3\); backward\(\) starts"
    ):
        graph.backward(h)
    with pytest.raises(
        ValueError, match=r"adjoint has shape \(3, 2\), expected \(2, 3\)"
    ):
        graph.backward(h, adjoint=np.ones((3, 2)))


def test_leaves_feeds_and_names():
    x = graph.leaf("x")
    C = graph.sum_all(x)
    with pytest.raises(ValueError, match=r"leaf 'x' has no value: give it one"):
        graph.forward(C)
    with pytest.raises(ValueError, match=r"feed names \['z'\], which are not leaves"):
        graph.forward(C, feed={"x": np.ones(2), "z": np.ones(2)})
    twin = graph.add(graph.leaf("a", np.ones(2)), graph.leaf("a", np.ones(2)))
    with pytest.raises(ValueError, match=r"two leaves are named 'a'"):
        graph.forward(twin)


def test_wrong_types_raise_type_error():
    x = _leaf("x", (2, 2), 0)
    with pytest.raises(
        TypeError, match=r"input 0 of add\(\) must be a graph Node, got"
    ):
        graph.add(np.ones((2, 2)), x)
    with pytest.raises(TypeError, match=r"outputs must be a Node or a list of Nodes"):
        graph.forward("C")
    with pytest.raises(TypeError, match=r"name must be a str, got int"):
        graph.leaf(3)
    with pytest.raises(TypeError, match=r"s must be a real numeric array"):
        graph.leaf("s", ["a", "b"])
    with pytest.raises(TypeError, match=r"op must be a graph.Op"):
        graph.apply(np.add, x, x)
    with pytest.raises(ValueError, match=r"kind='softplus' is unknown"):
        graph.activation(x, "softplus")
