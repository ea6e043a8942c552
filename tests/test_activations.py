"""Tier 1 (unit): the activations of chapter 1 and their derivatives.

Every activation's derivative is compared with central differences in float64
away from the ReLU kink; every activation must stay finite and raise no
floating-point warning at z = ±1000 (numpy RuntimeWarnings are errors in the
test run, and np.errstate makes overflow/invalid/divide raise here too).
"""

import numpy as np
import pytest

import bplib
from bplib.activations import ACTIVATIONS

NAMES = ["sigmoid", "tanh", "relu", "identity"]
STRICT = {"over": "raise", "divide": "raise", "invalid": "raise"}


def _points(seed=0, n=200, low=-6.0, high=6.0):
    z = np.random.default_rng(seed).uniform(low, high, size=n)
    return z[np.abs(z) > 1e-2]  # keep away from the ReLU kink


def test_registry_has_the_contract_names():
    assert set(NAMES) <= set(ACTIVATIONS)
    for name in NAMES:
        act = bplib.get_activation(name)
        assert isinstance(act, bplib.Activation) and act.name == name


@pytest.mark.parametrize("name", NAMES)
def test_derivative_matches_central_differences(name):
    act = bplib.get_activation(name)
    z = _points()
    h = 1e-6
    numeric = (act.f(z + h) - act.f(z - h)) / (2 * h)
    analytic = act.prime(z)
    assert analytic.shape == z.shape
    rel = np.linalg.norm(analytic - numeric) / (
        np.linalg.norm(analytic) + np.linalg.norm(numeric)
    )
    assert rel < 1e-7, f"{name}: relative error {rel:.2e}"


@pytest.mark.parametrize("name", NAMES)
def test_df_from_cached_activation_equals_prime(name):
    act = bplib.get_activation(name)
    z = _points(seed=1).reshape(-1, 1) * np.ones((1, 3))  # any shape works
    np.testing.assert_array_equal(act.df(z, act.f(z)), act.prime(z))


@pytest.mark.parametrize(
    "name, reference",
    [
        ("sigmoid", lambda z: 1 / (1 + np.exp(-z))),
        ("tanh", np.tanh),
        ("relu", lambda z: np.where(z > 0, z, 0.0)),
        ("identity", lambda z: z),
    ],
)
def test_values_match_the_textbook_formulas(name, reference):
    z = _points(seed=2, low=-20, high=20)
    np.testing.assert_allclose(
        bplib.get_activation(name).f(z), reference(z), rtol=1e-14, atol=1e-300
    )


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_finite_and_quiet_at_extremes(name, dtype):
    act = bplib.get_activation(name)
    z = np.array([-1000.0, -745.0, -40.0, 0.0, 40.0, 745.0, 1000.0], dtype=dtype)
    with np.errstate(**STRICT):
        a = act.f(z)
        d = act.prime(z)
    assert a.dtype == dtype and d.dtype == dtype
    assert np.isfinite(a).all() and np.isfinite(d).all()
    limits = {
        "sigmoid": ([0.0, 1.0], [0.0, 0.0]),
        "tanh": ([-1.0, 1.0], [0.0, 0.0]),
        "relu": ([0.0, 1000.0], [0.0, 1.0]),
        "identity": ([-1000.0, 1000.0], [1.0, 1.0]),
    }[name]
    np.testing.assert_array_equal(a[[0, -1]], np.array(limits[0], dtype=dtype))
    np.testing.assert_array_equal(d[[0, -1]], np.array(limits[1], dtype=dtype))


def test_sigmoid_symmetry_and_range():
    z = np.linspace(-50, 50, 1001)
    s = bplib.sigmoid(z)
    np.testing.assert_allclose(s + bplib.sigmoid(-z), 1.0, rtol=0, atol=1e-15)
    assert np.all((s >= 0) & (s <= 1))
    assert bplib.sigmoid(0.0) == 0.5


def test_derivative_bounds():
    z = np.linspace(-10, 10, 2001)
    assert bplib.get_activation("sigmoid").prime(z).max() == pytest.approx(0.25)
    assert bplib.get_activation("tanh").prime(z).max() == pytest.approx(1.0)


def test_relu_derivative_at_the_kink_is_zero():
    assert bplib.get_activation("relu").prime(np.array([0.0]))[0] == 0.0


@pytest.mark.parametrize("name", NAMES)
def test_integer_input_gives_float64_and_input_untouched(name):
    z = np.array([-2, -1, 1, 2])
    z_before = z.copy()
    act = bplib.get_activation(name)
    assert act.f(z).dtype == np.float64 and act.prime(z).dtype == np.float64
    np.testing.assert_array_equal(z, z_before)


@pytest.mark.parametrize("name", NAMES)
def test_no_mutation_of_float_input(name):
    z = _points(seed=3)
    z_before = z.copy()
    act = bplib.get_activation(name)
    act.f(z)
    act.prime(z)
    np.testing.assert_array_equal(z, z_before)


# get_activation's bad arguments are rows of tests/test_bad_input.py.


def test_activation_is_frozen():
    act = bplib.get_activation("tanh")
    with pytest.raises(AttributeError):
        act.name = "other"
