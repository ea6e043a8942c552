"""The API reference chapter (book/api.md) documents every public name.

A name added to ``bplib.__all__`` without an entry in book/api.md fails here,
before the book is built. An entry is an autodoc directive that documents the
name at its public path, under ``.. py:currentmodule:: bplib``:
``.. autoclass:: MLP``, ``.. autofunction:: gradcheck``, ``.. autodata:: X``;
a public module is documented with ``.. automodule:: bplib.<name>`` or
declared with ``.. py:module:: bplib.<name>``. The strict build (-W -n) then
fails if a documented name has no docstring target or a docstring refers to
an equation or object that does not exist.
"""

import inspect
import re
import types
from pathlib import Path

import pytest

import bplib

API_MD = Path(__file__).resolve().parents[1] / "book" / "api.md"
DIRECTIVE = re.compile(
    r"^\.\. (auto(?:class|function|data|exception)|automodule|py:module)::\s+(\S+)",
    re.MULTILINE,
)


def documented() -> dict[str, str]:
    """Documented name (as written after the directive) -> directive."""
    return {name: kind for kind, name in DIRECTIVE.findall(API_MD.read_text())}


def test_all_is_a_list_of_unique_existing_names():
    assert len(bplib.__all__) == len(set(bplib.__all__)), "duplicates in __all__"
    missing = [n for n in bplib.__all__ if not hasattr(bplib, n)]
    assert not missing, f"bplib.__all__ lists names bplib does not define: {missing}"


@pytest.mark.parametrize("name", bplib.__all__)
def test_public_name_is_documented(name):
    obj = getattr(bplib, name)
    entries = documented()
    if isinstance(obj, types.ModuleType):
        wanted = f"bplib.{name}"
        assert entries.get(wanted) in ("automodule", "py:module"), (
            f"public module bplib.{name} is not documented in book/api.md: add "
            f"'.. automodule:: bplib.{name}' (with :members:) or, if its members "
            f"are documented at the top level, '.. py:module:: bplib.{name}'"
        )
        return
    kind = "autoclass" if inspect.isclass(obj) else "autofunction"
    if not callable(obj):
        kind = "autodata"
    assert name in entries or f"bplib.{name}" in entries, (
        f"bplib.{name} is public (in bplib.__all__) but book/api.md does not "
        f"document it: add '.. {kind}:: {name}' under '.. py:currentmodule:: "
        "bplib' in the section of its chapter"
    )
    assert (obj.__doc__ or "").strip() or kind == "autodata", (
        f"bplib.{name} has no docstring: autodoc would document an empty entry"
    )


def test_no_entry_for_a_name_that_is_not_public():
    """Top-level entries must be public names (catches renames and typos)."""
    stale = []
    for name, kind in documented().items():
        if kind in ("automodule", "py:module"):
            if name != "bplib" and not name.startswith("bplib."):
                stale.append(name)
            continue
        short = name.removeprefix("bplib.")
        if "." not in short and short not in bplib.__all__:
            stale.append(name)
    assert not stale, f"book/api.md documents names not in bplib.__all__: {stale}"
