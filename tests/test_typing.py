"""The public API is annotated (bplib ships ``py.typed``); ``make lint`` runs mypy.

Every function in ``bplib.__all__``, and every public method of its classes,
annotates each parameter and its return value, so that a user's type checker
and editor see the same contract as the docstrings.
"""

import inspect

import pytest

import bplib


def _callables():
    for name in bplib.__all__:
        obj = getattr(bplib, name)
        if inspect.isclass(obj):
            if "__init__" in vars(obj):
                yield f"{name}.__init__", obj.__init__
            for member, fn in vars(obj).items():
                if not member.startswith("_") and inspect.isfunction(fn):
                    yield f"{name}.{member}", fn
                elif isinstance(fn, property) and fn.fget is not None:
                    yield f"{name}.{member}", fn.fget
        elif callable(obj):
            yield name, obj


CALLABLES = dict(_callables())


def test_there_is_a_public_api_to_check():
    assert len(CALLABLES) >= 40


@pytest.mark.parametrize("name", sorted(CALLABLES))
def test_public_callable_is_annotated(name):
    fn = CALLABLES[name]
    sig = inspect.signature(fn)
    missing = [
        p.name
        for p in sig.parameters.values()
        if p.name != "self" and p.annotation is inspect.Parameter.empty
    ]
    assert not missing, f"{name}: parameters without annotation: {missing}"
    assert sig.return_annotation is not inspect.Signature.empty, (
        f"{name}: no return annotation"
    )
