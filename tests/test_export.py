"""Tier 4: bplib/ is exactly what the notebooks export, and drift is caught.

The generated modules must equal what `tools/export.py` writes from the
notebooks' `#| export` cells. The second test edits a generated file and a
notebook in a temporary copy of the repository and expects the check to fail,
naming the notebook and the cell.
"""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPORT = ROOT / "tools" / "export.py"


def _check(root):
    return subprocess.run(
        [sys.executable, str(EXPORT), "--check", "--root", str(root)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_bplib_matches_notebooks():
    result = _check(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def _copy_repo(tmp_path):
    root = tmp_path / "repo"
    for name in ("book", "bplib", "tools"):
        shutil.copytree(
            ROOT / name,
            root / name,
            ignore=shutil.ignore_patterns("_build", "__pycache__"),
        )
    shutil.copy(ROOT / "_toc.yml", root / "_toc.yml")
    assert _check(root).returncode == 0
    return root


def test_check_names_notebook_and_cell_of_a_hand_edit(tmp_path):
    root = _copy_repo(tmp_path)
    module = root / "bplib" / "mlp.py"
    text = module.read_text()
    blocks = list(re.finditer(r"^# %% (.*)$", text, flags=re.M))
    assert blocks, "generated module has no block markers"
    where = blocks[-1].group(1)
    module.write_text(text.rstrip("\n") + "\n# a hand edit\n")

    result = _check(root)
    assert result.returncode == 1
    assert where in result.stdout, result.stdout
    assert "bplib/mlp.py" in result.stdout


def test_check_catches_a_notebook_edit_not_exported(tmp_path):
    root = _copy_repo(tmp_path)
    nb_path = next(
        p
        for p in sorted((root / "book").glob("*.ipynb"))
        if "#| export" in p.read_text()
    )
    nb = json.loads(nb_path.read_text())
    cell = next(
        c
        for c in nb["cells"]
        if c["cell_type"] == "code" and "".join(c["source"]).startswith("#| export")
    )
    cell["source"] = "".join(cell["source"]) + "\n\nNEW_CONSTANT = 1\n"
    nb_path.write_text(json.dumps(nb))

    result = _check(root)
    assert result.returncode == 1
    where = f"{nb_path.relative_to(root).as_posix()}, cell {cell['id']}"
    assert where in result.stdout, result.stdout


def _export(root):
    subprocess.run(
        [sys.executable, str(EXPORT), "--root", str(root)],
        check=True,
        capture_output=True,
    )


def _generated(root):
    return {p.name: p.read_text() for p in sorted((root / "bplib").glob("*.py"))}


def test_a_prose_edit_changes_no_generated_line(tmp_path):
    """Markers name cell ids, not positions: new prose moves nothing."""
    root = _copy_repo(tmp_path)
    before = _generated(root)
    for nb_path in sorted((root / "book").glob("*.ipynb")):
        nb = json.loads(nb_path.read_text())
        prose = {"cell_type": "markdown", "id": "prose000", "metadata": {}}
        nb["cells"].insert(0, {**prose, "source": ["A new first paragraph."]})
        nb_path.write_text(json.dumps(nb))
    _export(root)
    assert _generated(root) == before
    assert _check(root).returncode == 0


def test_generated_modules_have_all_and_one_import_section():
    import ast

    for path in sorted((ROOT / "bplib").glob("*.py")):
        text = path.read_text()
        if not text.startswith("# GENERATED"):
            continue
        tree = ast.parse(text)
        names = [
            t.id
            for n in tree.body
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name)
        ]
        assert "__all__" in names, path.name
        # Every import is at the top: none follows the first function or class.
        first_def = next(
            i
            for i, n in enumerate(tree.body)
            if isinstance(n, (ast.FunctionDef, ast.ClassDef, ast.Assign))
        )
        late = [
            n.lineno
            for n in tree.body[first_def:]
            if isinstance(n, (ast.Import, ast.ImportFrom))
        ]
        assert not late, f"{path.name}: imports after the top at lines {late}"
        module = __import__(f"bplib.{path.stem}", fromlist=["__all__"])
        assert all(hasattr(module, n) for n in module.__all__), path.name


def test_export_writes_then_check_passes(tmp_path):
    root = _copy_repo(tmp_path)
    for path in (root / "bplib").glob("*.py"):
        if path.name != "__init__.py":
            path.unlink()
    assert _check(root).returncode == 1
    _export(root)
    assert _check(root).returncode == 0
