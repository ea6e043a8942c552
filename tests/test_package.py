"""The package's layout: submodules are reachable, no public name hides one.

``bplib.train`` and ``bplib.gradcheck`` are the functions; their modules are
``bplib.training`` and ``bplib.gradient_check`` (issue 12). A public function
named like a submodule made ``import bplib.train as t`` bind the function, so
``t.History`` failed.
"""

import importlib
import pkgutil
import types

import pytest

import bplib

SUBMODULES = sorted(m.name for m in pkgutil.iter_modules(bplib.__path__))


def test_submodules_are_found():
    assert {"training", "gradient_check", "losses", "mlp", "validation"} <= set(
        SUBMODULES
    )


def test_import_training_module_as_alias():
    import bplib.training as t

    assert isinstance(t, types.ModuleType) and t.__name__ == "bplib.training"
    assert t.History is bplib.History and t.train is bplib.train


def test_import_gradient_check_module_as_alias():
    import bplib.gradient_check as g

    assert isinstance(g, types.ModuleType) and g.__name__ == "bplib.gradient_check"
    assert g.GradcheckReport is bplib.GradcheckReport
    assert g.gradcheck is bplib.gradcheck


def test_no_public_name_is_a_submodule_name():
    clashes = sorted(set(bplib.__all__) & set(SUBMODULES))
    assert clashes == [], f"public names that hide a submodule: {clashes}"


@pytest.mark.parametrize("name", SUBMODULES)
def test_import_submodule_as_alias_gives_the_module(name):
    module = importlib.import_module(f"bplib.{name}")
    alias = getattr(bplib, name)  # what `import bplib.<name> as x` binds
    assert alias is module


def test_all_lists_no_module_objects():
    modules = [
        n for n in bplib.__all__ if isinstance(getattr(bplib, n), types.ModuleType)
    ]
    assert modules == []


def test_public_functions_are_the_functions():
    assert callable(bplib.train) and not isinstance(bplib.train, types.ModuleType)
    assert callable(bplib.gradcheck)
    assert not isinstance(bplib.gradcheck, types.ModuleType)
