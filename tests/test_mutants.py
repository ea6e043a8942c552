"""The mutation tier stays runnable: every curated mutant still applies.

``make mutants`` (tools/mutants.py) applies each realistic mistake to a scratch
copy of bplib and reruns the tests and the notebooks it can reach; that run is
long, so CI makes it after ``make test``. This quick test fails as soon as a
change to the library makes a mutant's code disappear (the table would then
silently test nothing), so the table is updated with the code.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import mutants  # noqa: E402


def test_every_mutant_applies_exactly_once():
    assert mutants.check_mutants() == []


def test_the_table_is_broad():
    assert len(mutants.MUTANTS) >= 20
    modules = {m.module for m in mutants.MUTANTS}
    assert {"activations", "mlp", "losses", "fast_dropout", "training"} <= modules


def test_every_mutant_changes_the_code():
    assert all(m.old != m.new for m in mutants.MUTANTS)
