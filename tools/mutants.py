#!/usr/bin/env python3
"""Mutation testing: realistic mistakes in bplib's mathematics, and who catches them.

Each mutant below is a slip a careful person could make while deriving or
coding backprop: a missing transpose, σ′ taken at the wrong layer, a forgotten
λW, the bias gradient as a mean, τ without μ, a Monte Carlo dropout backward
pass that forgets its mask... For each one this script

1. copies the repository to a scratch folder and applies the mutant there, to
   the generated module and to the notebook cell it is exported from (the
   checkout is never touched);
2. runs the unit, property and bad-input tests against it (``pytest -x``): the
   mutant must make at least one test fail;
3. executes, top to bottom, the notebooks the mutant can reach (those listed
   with it, the chapter that derives the formula first) until one of them
   raises: an assert of the book that fails, or another error.

It prints a table and the two kill rates, and exits 1 unless every mutant
fails ``pytest`` and at least 90 % fail a notebook. ``make mutants`` runs it;
CI runs it after ``make test``.

    python tools/mutants.py            # all mutants
    python tools/mutants.py M07 M21    # some of them
    python tools/mutants.py --list     # the table of mutants, without running
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Left out of the scratch copy: what is large, built or not the project's.
SKIP = {".git", ".venv", "_build", "node_modules", "_vendor", ".pytest_cache"}
NOTEBOOK_KILL_RATE = 0.90


@dataclass(frozen=True)
class Mutant:
    id: str
    module: str  # bplib/<module>.py
    old: str  # must occur exactly once in the module
    new: str
    what: str
    notebooks: tuple[str, ...]  # stems under book/, tried in this order


CH1, CH2, CH3, CH4 = (
    "01_vector_chain_rule",
    "02_scalar_expansion",
    "03_softmax_cross_entropy",
    "04_sigmoid_losses",
)
CH5, CH6, CH7, NOTATION = (
    "05_fast_dropout",
    "06_dynamic_programming",
    "07_computation_graph",
    "notation",
)

MUTANTS = [
    Mutant(
        "M01",
        "activations",
        "    return a * (1 - a)",
        "    return sigmoid(a) * (1 - sigmoid(a))",
        "σ′ of the sigmoid evaluated at the activation a instead of at z",
        (CH1, CH4, CH5),
    ),
    Mutant(
        "M02",
        "activations",
        "    return 1 - a * a",
        "    return 1 - a",
        "tanh′ = 1 − a instead of 1 − a²",
        (CH1, CH6),
    ),
    Mutant(
        "M03",
        "activations",
        "    return np.greater(z, 0)",
        "    return np.ones_like(a)",
        "the ReLU's derivative taken as 1 everywhere",
        (CH3, CH1, CH6),
    ),
    Mutant(
        "M04",
        "mlp",
        "Zs[ell] = np.matmul(As[ell - 1], W.T, out=Zs[ell])",
        "Zs[ell] = np.matmul(As[ell - 1], W, out=Zs[ell])",
        "a missing transpose in the forward pass: A W instead of A Wᵀ",
        (CH1, NOTATION),
    ),
    Mutant(
        "M05",
        "mlp",
        "        Zs[ell] += b",
        "        Zs[ell] -= b",
        "the bias subtracted instead of added",
        (CH1, CH6),
    ),
    Mutant(
        "M06",
        "mlp",
        "delta = np.matmul(delta, params[ell - 1][0], out=buffer)",
        "delta = np.matmul(delta, params[ell - 1][0].T, out=buffer)",
        "Wᵀ where the batch recursion needs W (the column form's transpose kept)",
        (CH1, NOTATION),
    ),
    Mutant(
        "M07",
        "mlp",
        "delta *= activations[ell - 2].df(Zs[ell - 1], As[ell - 1])",
        "delta *= activations[ell - 1].df(Zs[ell], As[ell])",
        "σ′ of the layer above in the recursion (an index slip)",
        (CH1, CH6),
    ),
    Mutant(
        "M08",
        "mlp",
        "np.matmul(D.T, As[ell - 1], out=dW)",
        "np.matmul(D.T, As[ell], out=dW)",
        "dW⁽ℓ⁾ from A⁽ℓ⁾ instead of A⁽ℓ⁻¹⁾ (Xiao's last-layer slip)",
        (CH1, NOTATION),
    ),
    Mutant(
        "M09",
        "mlp",
        "np.sum(D, axis=0, out=db)",
        "np.mean(D, axis=0, out=db)",
        "the bias gradient as a mean over the batch instead of a sum",
        (CH1, NOTATION, CH6),
    ),
    Mutant(
        "M10",
        "losses",
        "        return self.grad(A, Y) * act.df(Z, A)",
        "        return self.grad(A, Y)",
        "the output sensitivity without σ′ of the output layer",
        (CH1, CH4),
    ),
    Mutant(
        "M11",
        "losses",
        "    return (A - Y) / len(Y)",
        "    return A - Y",
        "the squared loss's gradient without the 1/N of the mean",
        (CH1, CH6),
    ),
    Mutant(
        "M12",
        "losses",
        '    return 0.5 * float(np.einsum("ij,ij->", R, R)) / len(Y)',
        '    return float(np.einsum("ij,ij->", R, R)) / len(Y)',
        "the squared loss without its ½ (value and gradient disagree)",
        (CH1, NOTATION),
    ),
    Mutant(
        "M13",
        "losses",
        "    S = Z - Z.max(axis=-1, keepdims=True)",
        "    S = Z - Z.min(axis=-1, keepdims=True)",
        "the log-sum-exp shifted by the minimum: overflow for spread logits",
        (CH3,),
    ),
    Mutant(
        "M14",
        "losses",
        "    return (np.exp(log_softmax_rows(Z)) - Y) / len(Z)",
        "    return (Y - np.exp(log_softmax_rows(Z))) / len(Z)",
        "the softmax cross-entropy's Δ with the wrong sign",
        (CH3, CH6),
    ),
    Mutant(
        "M15",
        "losses",
        "        dW += l2 * W",
        "        pass",
        "the L2 penalty's gradient λW forgotten",
        (CH3, CH6),
    ),
    Mutant(
        "M16",
        "losses",
        "        dW += l2 * W",
        "        dW += 2 * l2 * W",
        "the penalty's gradient 2λW, as if the penalty had no ½",
        (CH3, CH6),
    ),
    Mutant(
        "M17",
        "losses",
        "    return (sigmoid(Z) - Y) / len(Z)",
        "    return (Z - Y) / len(Z)",
        "binary cross-entropy's Δ from the logit instead of σ(z)",
        (CH4, CH5),
    ),
    Mutant(
        "M18",
        "fast_dropout",
        "    var = (p * (1 - p)) * (np.square(A_prev) @ np.square(W).T)",
        "    var = p * (np.square(A_prev) @ np.square(W).T)",
        "the dropout variance with p instead of p(1 − p)",
        (CH5,),
    ),
    Mutant(
        "M19",
        "fast_dropout",
        "delta, tau = gamma / r, (-np.pi / 16) * gamma * mu / r**3",
        "delta, tau = gamma / r, (-np.pi / 16) * gamma / r**3",
        "τ = ∂C/∂v without its factor μ",
        (CH5,),
    ),
    Mutant(
        "M20",
        "fast_dropout",
        "A_prev, c = As[ell - 1], 2 * p * (1 - p)",
        "A_prev, c = As[ell - 1], p * (1 - p)",
        "the variance path's ∂v/∂W without the factor 2",
        (CH5,),
    ),
    Mutant(
        "M21",
        "fast_dropout",
        "dA = (delta @ net.params[ell - 1][0]) * Ms[ell - 1]",
        "dA = delta @ net.params[ell - 1][0]",
        "the Monte Carlo dropout backward pass forgetting its mask",
        (CH5,),
    ),
    Mutant(
        "M22",
        "training",
        "total += value * min(batch_size, n - s)",
        "total += value * batch_size",
        "History.loss weighting a partial last batch as a full one",
        (CH6,),
    ),
    Mutant(
        "M23",
        "training",
        "                    lr,\n                    grads,",
        "                    lr / batch_size,\n                    grads,",
        "a step of η/B: the mean's 1/B applied twice",
        (CH6, CH3),
    ),
    Mutant(
        "M24",
        "training",
        "            for s in range(0, n, batch_size):",
        "            for s in range(0, n - batch_size + 1, batch_size):",
        "the remainder of N/B dropped from every epoch",
        (CH6,),
    ),
    Mutant(
        "M25",
        "gradient_check",
        "        g[idx] = (f_plus - f_minus) / (2 * eps)",
        "        g[idx] = (f_plus - f_minus) / eps",
        "the central difference divided by ε instead of 2ε",
        (CH1, CH2),
    ),
    Mutant(
        "M26",
        "graph",
        "parent.grad = term if parent.grad is None else parent.grad + term",
        "parent.grad = term",
        "adjoints overwritten instead of accumulated where a value is reused",
        (CH7,),
    ),
]


def check_mutants(root: Path = ROOT) -> list[str]:
    """Problems with the table: a mutant whose code is not in bplib exactly once."""
    problems = []
    for m in MUTANTS:
        text = (root / "bplib" / f"{m.module}.py").read_text()
        n = text.count(m.old)
        if n != 1:
            problems.append(
                f"{m.id}: found {n} times in bplib/{m.module}.py: {m.old!r}"
            )
        for nb in m.notebooks:
            if not (root / "book" / f"{nb}.ipynb").exists():
                problems.append(f"{m.id}: no notebook book/{nb}.ipynb")
    ids = [m.id for m in MUTANTS]
    if len(set(ids)) != len(ids):
        problems.append("mutant ids are not unique")
    return problems


def _env(work: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(work)
    env["OPENBLAS_NUM_THREADS"] = env.get("OPENBLAS_NUM_THREADS", "1")
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return env


def run_pytest(work: Path) -> str | None:
    """The first failing test's id, or None if the tests pass."""
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        "-m",
        "not browser and not pdf and not slow",
        # The mutated module no longer equals the notebooks' export: that
        # test would catch every mutant for the wrong reason.
        "--ignore=tests/test_export.py",
        "--ignore=tests/test_mutants.py",  # the same, for the table of mutants
        "tests",
    ]
    done = subprocess.run(
        cmd, cwd=work, env=_env(work), capture_output=True, text=True, timeout=900
    )
    if done.returncode == 0:
        return None
    for line in done.stdout.splitlines():
        if line.startswith(("FAILED", "ERROR")):
            return line.split(" - ")[0].split("::", 1)[-1]
    return f"exit {done.returncode}"


def run_notebook(work: Path, stem: str) -> str | None:
    """Execute a notebook of the scratch copy; the error it raised, or None."""
    code = (
        "import sys, nbformat\n"
        "from nbclient import NotebookClient\n"
        "from nbclient.exceptions import CellExecutionError\n"
        f"p = {str(work / 'book' / (stem + '.ipynb'))!r}\n"
        "nb = nbformat.read(p, as_version=4)\n"
        "c = NotebookClient(nb, timeout=600, kernel_name='python3',\n"
        f"    resources={{'metadata': {{'path': {str(work / 'book')!r}}}}})\n"
        "try:\n"
        "    c.execute()\n"
        "except CellExecutionError as e:\n"
        "    print('RAISED', e.ename, str(e.evalue)[:80].replace('\\n', ' '))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=work / "book",
        env=_env(work),
        capture_output=True,
        text=True,
        timeout=1200,
    )
    for line in done.stdout.splitlines():
        if line.startswith("RAISED"):
            return line[len("RAISED ") :]
    if done.returncode:
        return f"exit {done.returncode}: {done.stderr.strip().splitlines()[-1:]}"
    return None


def _scratch_copy(into: Path) -> Path:
    into.mkdir(parents=True)
    for src in ROOT.iterdir():
        if src.name in SKIP:
            continue
        if src.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "artifacts")
            shutil.copytree(src, into / src.name, ignore=ignore)
        else:
            shutil.copy(src, into / src.name)
    return into


def _mutated_files(m: Mutant, work: Path) -> dict[Path, str]:
    """The files the mutant changes, with their mutated text.

    The generated module, and the notebook whose ``#| export`` cell holds the
    same code: a notebook defines its exported functions in its own namespace
    and checks those, so the mistake must be in the cell too.
    """
    path = work / "bplib" / f"{m.module}.py"
    files = {path: path.read_text().replace(m.old, m.new)}
    for nb_path in sorted((work / "book").glob("*.ipynb")):
        nb = json.loads(nb_path.read_text())
        hit = False
        for cell in nb["cells"]:
            src = "".join(cell["source"])
            if cell["cell_type"] == "code" and src.startswith(f"#| export {m.module}"):
                if m.old in src:
                    cell["source"] = src.replace(m.old, m.new)
                    hit = True
        if hit:
            files[nb_path] = json.dumps(nb)
    return files


def try_mutant(m: Mutant, work: Path) -> tuple[str | None, str | None, float]:
    """Apply `m` in the copy `work`, run the tests and notebooks, undo it."""
    mutated = _mutated_files(m, work)
    originals = {path: path.read_text() for path in mutated}
    start = time.perf_counter()
    try:
        for path, text in mutated.items():
            path.write_text(text)
        by_test = run_pytest(work)
        by_notebook = None
        for stem in m.notebooks:
            err = run_notebook(work, stem)
            if err:
                by_notebook = f"{stem}: {err}"
                break
    finally:
        for path, text in originals.items():
            path.write_text(text)
    return by_test, by_notebook, time.perf_counter() - start


def run(mutants: list[Mutant], jobs: int) -> int:
    problems = check_mutants()
    if problems:
        print("The mutant table does not match bplib:", *problems, sep="\n  ")
        return 1
    results: dict[str, tuple] = {}
    with tempfile.TemporaryDirectory(prefix="bplib-mutants-") as tmp:
        # One scratch copy per worker; the workers take mutants from a queue.
        copies = queue.Queue()
        for j in range(jobs):
            copies.put(_scratch_copy(Path(tmp) / str(j)))

        def one(m: Mutant):
            work = copies.get()
            try:
                return m, try_mutant(m, work)
            finally:
                copies.put(work)

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for m, (by_test, by_notebook, seconds) in pool.map(one, mutants):
                results[m.id] = (m, by_test, by_notebook)
                print(
                    f"{m.id} {m.what}\n"
                    f"    pytest:   {by_test or 'SURVIVED'}\n"
                    f"    notebook: {by_notebook or 'SURVIVED'}   ({seconds:.0f} s)",
                    flush=True,
                )
    rows = [results[m.id] for m in mutants]
    n = len(rows)
    killed_t = sum(1 for _, t, _ in rows if t)
    killed_n = sum(1 for _, _, b in rows if b)
    print(
        f"\n{n} mutants: {killed_t} fail pytest ({100 * killed_t / n:.0f} %), "
        f"{killed_n} fail a notebook ({100 * killed_n / n:.0f} %)"
    )
    ok = killed_t == n and killed_n >= NOTEBOOK_KILL_RATE * n
    print("mutation run: " + ("passed" if ok else "FAILED"))
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ids", nargs="*", help="mutant ids to run (default: all)")
    ap.add_argument("--list", action="store_true", help="print the mutants and exit")
    ap.add_argument(
        "--jobs", type=int, default=2, help="mutants run at once (default 2)"
    )
    args = ap.parse_args(argv)
    if args.list:
        for m in MUTANTS:
            print(f"{m.id}  bplib/{m.module}.py  {m.what}")
        return 0
    chosen = [m for m in MUTANTS if not args.ids or m.id in args.ids]
    return run(chosen, max(1, args.jobs))


if __name__ == "__main__":
    sys.exit(main())
