"""Tier 4, determinism of the book: stored outputs do not depend on BLAS threads.

Notebook outputs are stored by ``make execute`` with the default BLAS thread
count (2 on the 2-core machine). ``make test`` then runs ``pytest --nbval book``
(strict) with ``OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1``.
Matrix products summed in a different order differ in their last bits, so if a
stored output printed digits that depend on the summation order, that run
would fail. The test here checks the premise: those variables do pin numpy's
BLAS to one thread (in a subprocess, as nbval's kernels are).

Checked by hand before a release (three nbval runs is too long for CI): the
whole nbval run passes three times in a row, each in fresh kernels::

    for i in 1 2 3; do
      .venv/bin/pytest --nbval book --nbval-sanitize-with tests/nbval_sanitize.cfg \\
        -p no:cacheprovider || break
    done
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE_THREAD = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def _blas_threads(env: dict) -> int:
    code = (
        "import numpy, threadpoolctl\n"
        "print(max(i['num_threads'] for i in threadpoolctl.threadpool_info()"
        " if i['user_api'] == 'blas'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return int(out.stdout.strip())


def test_thread_variables_reach_numpy_blas():
    """The variables make test's nbval step sets pin numpy's BLAS to one thread."""
    # threadpoolctl comes with scikit-learn, a test dependency.
    assert _blas_threads({**os.environ, **ONE_THREAD}) == 1


def test_make_test_runs_nbval_single_threaded():
    makefile = (ROOT / "Makefile").read_text()
    # the recipe line of the nbval step, joined across its "\\" continuation
    recipe = makefile.replace("\\\n", " ").splitlines()
    nbval = next(line for line in recipe if "pytest --nbval book" in line)
    for name, value in ONE_THREAD.items():
        assert f"{name}={value}" in nbval, f"Makefile's nbval step does not set {name}"
