"""Tier 4: notebook hygiene, and proof that the strict nbval run would catch drift.

`make test` runs `pytest --nbval` (strict) over book/ separately; these tests
make sure that run is meaningful: every notebook is executed top to bottom
with stable outputs, and nbval really fails when a stored output is wrong.
"""

import copy
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from nbcheck import problems  # noqa: E402

NOTEBOOKS = sorted((ROOT / "book").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_executed_and_stable(path):
    assert problems(path) == []


def _cell(source, count, outputs):
    return {
        "cell_type": "code",
        "execution_count": count,
        "id": f"c{count}",
        "metadata": {},
        "outputs": outputs,
        "source": source,
    }


def test_hygiene_check_catches_each_defect(tmp_path):
    good = _cell(
        "print(1)", 1, [{"output_type": "stream", "name": "stdout", "text": "1\n"}]
    )
    cases = {
        "not executed": [_cell("x = 1", None, [])],
        "not 1..n": [dict(good, execution_count=2)],
        "error output": [
            _cell(
                "1/0",
                1,
                [
                    {
                        "output_type": "error",
                        "ename": "ZeroDivisionError",
                        "evalue": "",
                        "traceback": [],
                    }
                ],
            )
        ],
        "unstable output": [
            _cell(
                "fig",
                1,
                [
                    {
                        "output_type": "execute_result",
                        "execution_count": 1,
                        "metadata": {},
                        "data": {"text/plain": "<Figure size 640x480 with 1 Axes>"},
                    }
                ],
            )
        ],
    }
    for expected, cells in cases.items():
        nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        path = tmp_path / "bad.ipynb"
        path.write_text(json.dumps(nb))
        found = problems(path)
        assert found, f"hygiene check missed: {expected}"
        assert "cell 1" in found[0] or "counts" in found[0]
    path.write_text(
        json.dumps(
            {"cells": [good], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
        )
    )
    assert problems(path) == []


def _first_text_output(nb):
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stdout":
                return out
    return None


def _nbval(path):
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            str(path),
            "-p",
            "no:cacheprovider",
            "--nbval-sanitize-with",
            str(ROOT / "tests" / "nbval_sanitize.cfg"),
            "-q",
        ],
        cwd=path.parent,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow
def test_nbval_is_strict_about_stored_outputs(tmp_path):
    """A copy of a real notebook passes nbval; the same copy with one stored
    output changed fails it. So the strict run in `make test` compares outputs."""
    source = ROOT / "book" / "notation.ipynb"
    if not source.exists():
        source = NOTEBOOKS[0]
    nb = json.loads(source.read_text())
    assert _first_text_output(nb) is not None, (
        f"{source.name} prints nothing to compare"
    )

    intact = tmp_path / "intact.ipynb"
    intact.write_text(json.dumps(nb))
    ok = _nbval(intact)
    assert ok.returncode == 0, ok.stdout[-3000:]

    tampered_nb = copy.deepcopy(nb)
    out = _first_text_output(tampered_nb)
    text = "".join(out["text"])
    out["text"] = text.replace(text.strip()[-1], "#", 1) if text.strip() else "#\n"
    tampered = tmp_path / "tampered.ipynb"
    tampered.write_text(json.dumps(tampered_nb))
    bad = _nbval(tampered)
    assert bad.returncode != 0, "nbval accepted a changed stored output"
    assert "mismatch" in bad.stdout.lower() or "failed" in bad.stdout.lower()
