#!/usr/bin/env python3
"""Notebook hygiene: what must hold for a committed notebook before nbval runs.

nbval compares only cells that have stored outputs, so a notebook saved
unexecuted would pass it while checking nothing. This finds:

- a code cell that was never executed (no execution count);
- execution counts that are not 1..n in order (not run top to bottom once);
- a stored error output;
- a stored ``<Figure size ...>`` repr or a memory address (``at 0x7f...``),
  which changes between runs and makes nbval flaky.

Usage: ``python tools/nbcheck.py [NOTEBOOK ...]`` (default: every notebook in
book/); exits 1 and lists the problems if there are any.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

UNSTABLE = re.compile(r"<Figure size [^>]*>|at 0x[0-9a-fA-F]{6,}")


def _text(output: dict) -> str:
    parts = [output.get("text", "")]
    parts += [output.get("data", {}).get("text/plain", "")]
    return "".join("".join(p) if isinstance(p, list) else p for p in parts)


def problems(path: Path) -> list[str]:
    """Return the hygiene problems of one notebook, each naming the cell."""
    nb = json.loads(Path(path).read_text())
    found, counts = [], []
    for i, cell in enumerate(nb["cells"], start=1):
        if cell["cell_type"] != "code" or not "".join(cell["source"]).strip():
            continue
        where = f"{path}, cell {i}"
        if cell.get("execution_count") is None:
            found.append(f"{where}: not executed (nbval would compare nothing)")
        else:
            counts.append(cell["execution_count"])
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"{where}: stored error output {out.get('ename')}")
            m = UNSTABLE.search(_text(out))
            if m:
                found.append(f"{where}: unstable output {m.group(0)!r}")
    if counts != list(range(1, len(counts) + 1)):
        found.append(
            f"{path}: execution counts {counts} are not 1..{len(counts)} in order; "
            "re-execute top to bottom (make execute)"
        )
    return found


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parent.parent
    paths = [Path(a) for a in argv] or sorted((root / "book").glob("*.ipynb"))
    found = [p for path in paths for p in problems(path)]
    print("\n".join(found) if found else f"{len(paths)} notebooks are clean")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
