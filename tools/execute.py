#!/usr/bin/env python3
"""Re-execute notebooks in place, top to bottom, in a fresh kernel each.

Usage::

    python tools/execute.py                  # every notebook in _toc.yml order
    python tools/execute.py book/notation.ipynb ...

Execution counts come out as 1..n and no timing metadata is stored, so a
re-run that changes nothing leaves the files byte-identical. The first failing
cell stops that notebook and the command exits 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from export import notebooks

ROOT = Path(__file__).resolve().parent.parent


def execute(path: Path, timeout: int = 900) -> None:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        record_timing=False,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    nbformat.write(nb, path)


def main(argv: list[str]) -> int:
    paths = [Path(a).resolve() for a in argv] or notebooks(ROOT)
    status = 0
    for path in paths:
        print(f"executing {path.relative_to(ROOT)} ...", flush=True)
        try:
            execute(path)
        except CellExecutionError as exc:
            print(f"FAILED {path.relative_to(ROOT)}:\n{exc}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
