"""The Python examples in README.md and the introduction run as printed."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", ROOT / "book" / "intro.md"]


def _python_blocks(path):
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


@pytest.mark.parametrize("path", DOCS, ids=lambda p: p.name)
def test_python_examples_run(path):
    blocks = _python_blocks(path)
    assert blocks, f"{path.name} has no python example"
    for code in blocks:
        exec(compile(code, str(path), "exec"), {})
