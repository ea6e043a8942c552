"""The source ledger (book/ledger.md and book/ledger/*.md) against the sources,
the errata appendix and the chapter notebooks.

The ledger has one table per source. Each row is ``| Where | The source says |
Verdict | Checked in |``:

- *Where* starts with ``l. N`` (or ``l. N–M``), the line of the source file,
  then ``display`` (a ``$$ … $$`` block) or ``text`` (prose), optionally
  ``eq. (k)`` and a note such as ``left``;
- *The source says* holds exact quotes: inline math ``$…$``, code spans, and
  words in typographic quotes “…”;
- *Verdict* starts with one of correct, error, typo, notation, convention;
- *Checked in* holds ``{ref}`text <label>``` and ``{eq}`label``` links.

Checks:

1. every row parses, and every link resolves to a label of the book: a
   ``(label)=`` target for ``{ref}``, a ``$$ … $$ (label)`` equation for
   ``{eq}`` (notebooks and Markdown files under book/);
2. with the source files available (``BPLIB_SOURCES``, default
   ``../shared/seeds`` next to the repository; skipped otherwise): every
   display block of every source has a row, every *display* row lies in a
   block and every *text* row outside one, the counts stated in the ledger's
   summary table and its sentence counting the verdicts are right, every
   quote occurs verbatim at the lines the row cites, and every quote in the
   errata's "What the source says" column occurs verbatim in its source;
3. the errata appendix lists exactly the non-correct rows: each errata row
   cites ``l. N`` lines, every non-correct ledger line is cited by an errata
   row of its chapter with the same kind, and every cited line is a
   non-correct ledger row;
4. the demonstration heuristic, for every *error* and *typo* row. Its first
   link opens a *section*: from the label to the first later markdown cell
   that holds a heading or a label (or to a heading after the label in the
   same cell, other than the heading the label names). Some code cell of that
   section must

   a. contain an ``assert`` (or a ``try`` whose ``else`` raises
      ``AssertionError``, or ``pytest.raises``),
   b. name the literal version (``literal``, ``lit_``, ``_lit``, ``wrong``,
      ``charitable``, ``as printed`` or ``typo`` in code or comments), and
   c. assert a failure: an ``assert`` whose condition has ``not``, ``!=``,
      ``>``, ``>=``, ``is None`` or ``not in``, or the ``try``/``else`` form.

   This is a heuristic: it cannot tell whether the failing assertion really
   concerns the literal value (a tautology passes it). Rows known to fail it
   are listed in ``KNOWN_GAPS`` and marked ``xfail(strict=True)``: they are
   notebook work items, and the strict mark makes the test fail as soon as
   one is fixed, so that the entry is removed.
"""

from __future__ import annotations

import ast
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
LEDGER_PAGE = BOOK / "ledger.md"
LEDGER_DIR = BOOK / "ledger"
ERRATA_DIR = BOOK / "errata"
SEEDS = Path(os.environ.get("BPLIB_SOURCES", ROOT.parent / "shared" / "seeds"))

# ledger fragment -> source file; chapter of a line (Tanaka's section 3, from
# line 97 on, is chapter 5).
SOURCES = {
    "xiao2014": "1-vector-chain-rule_xiao-2014.md",
    "ranganathan2021": "2-scalar-expansion_ranganathan-2021.md",
    "softmaxnotes": "3-softmax-cross-entropy_lecture-notes.md",
    "tanaka2013": "4-5-sigmoid-losses-and-fast-dropout_tanaka-2013.md",
    "dpnotes": "6-dynamic-programming_study-notes.md",
}
TANAKA_SECTION_3 = 97


def chapter_of(source: str, line: int) -> int:
    if source == "tanaka2013":
        return 5 if line >= TANAKA_SECTION_3 else 4
    return {"xiao2014": 1, "ranganathan2021": 2, "softmaxnotes": 3, "dpnotes": 6}[
        source
    ]


VERDICTS = ("correct", "error", "typo", "notation", "convention")
DEMONSTRATED = ("error", "typo")

# Rows whose linked cell fails the demonstration heuristic today: the notebook
# work list. (source, line, label) -> what is missing.
KNOWN_GAPS = {}

LINK = re.compile(r"\{(ref|eq)\}`(?:[^`<]*<)?([\w:.-]+)>?`")
TARGET = re.compile(r"^\(([\w:.-]+)\)=\s*$", re.MULTILINE)
EQ_LABEL = re.compile(r"\$\$\s*\(([\w:.-]+)\)")
HEADING = re.compile(r"^#{1,6}\s", re.MULTILINE)
WHERE = re.compile(r"^l\.\s*(\d+)(?:\s*[–-]\s*(\d+))?,\s*(display|text)\b")
LITERAL_NAME = re.compile(
    r"literal|\blit_|_lit\b|wrong|charitable|as printed|typo", re.IGNORECASE
)


# ---------------------------------------------------------------- parsing


def split_row(line: str) -> list[str]:
    """Cells of a Markdown table row, splitting at unescaped pipes and turning
    ``\\|`` into ``|`` as markdown-it does."""
    cells, current, escaped = [], "", False
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    body = body[:-1] if body.endswith("|") and not body.endswith("\\|") else body
    for ch in body:
        if ch == "|" and not escaped:
            cells.append(current)
            current = ""
        elif ch == "|":
            current = current[:-1] + "|"
        else:
            current += ch
        escaped = ch == "\\"
    cells.append(current)
    return [c.strip() for c in cells]


def table_rows(text: str) -> list[list[str]]:
    rows = []
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = split_row(line)
        if all(re.fullmatch(r":?-{3,}:?", c) for c in cells):
            continue
        rows.append(cells)
    return rows[1:] if rows else rows  # drop the header


@dataclass
class Row:
    source: str
    where: str
    says: str
    verdict: str
    links: list[tuple[str, str]] = field(default_factory=list)
    line: int = 0
    last: int = 0
    kind: str = ""

    @property
    def id(self) -> str:
        return f"{self.source}:{self.where}"

    @property
    def chapter(self) -> int:
        return chapter_of(self.source, self.line)


def ledger_rows() -> list[Row]:
    rows = []
    for stem in SOURCES:
        text = (LEDGER_DIR / f"{stem}.md").read_text(encoding="utf-8")
        for cells in table_rows(text):
            assert len(cells) == 4, f"{stem}: row with {len(cells)} cells: {cells}"
            where, says, verdict_cell, link_cell = cells
            row = Row(stem, where, says, verdict_cell.split()[0].strip("*:—"))
            row.links = LINK.findall(link_cell)
            m = WHERE.match(where)
            if m:
                row.line = int(m.group(1))
                row.last = int(m.group(2) or m.group(1))
                row.kind = m.group(3)
            rows.append(row)
    return rows


ROWS = ledger_rows()


@dataclass
class Label:
    path: Path
    cell: int  # -1 for a Markdown file
    offset: int  # character offset of the label in the cell
    equation: bool


def book_labels() -> dict[str, Label]:
    labels: dict[str, Label] = {}
    for path in sorted(BOOK.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        for i, cell in enumerate(cells):
            if cell["cell_type"] != "markdown":
                continue
            src = "".join(cell["source"])
            for m in TARGET.finditer(src):
                labels[m.group(1)] = Label(path, i, m.start(), False)
            for m in EQ_LABEL.finditer(src):
                labels[m.group(1)] = Label(path, i, m.start(), True)
    for path in sorted(BOOK.rglob("*.md")):
        src = path.read_text(encoding="utf-8")
        for m in TARGET.finditer(src):
            labels.setdefault(m.group(1), Label(path, -1, m.start(), False))
        for m in EQ_LABEL.finditer(src):
            labels.setdefault(m.group(1), Label(path, -1, m.start(), True))
    return labels


LABELS = book_labels()


def display_blocks(text: str) -> list[tuple[int, int]]:
    """(first line, last line) of every ``$$ … $$`` block, 1-based."""
    blocks, start = [], None
    for m in re.finditer(r"\$\$", text):
        line = text.count("\n", 0, m.start()) + 1
        if start is None:
            start = line
        else:
            blocks.append((start, line))
            start = None
    assert start is None, "unbalanced $$"
    return blocks


def seed_text(stem: str) -> str:
    path = SEEDS / SOURCES[stem]
    if not path.is_file():
        pytest.skip(f"source file not found: {path} (set BPLIB_SOURCES)")
    return path.read_text(encoding="utf-8")


def quotes(says: str) -> list[str]:
    """The exact quotes of a cell: math spans, code spans, “…” texts."""
    found = [m.group(1) for m in re.finditer(r"“([^”]*)”", says)]
    rest = re.sub(r"“[^”]*”", " ", says)
    found += [m.group(1) for m in re.finditer(r"`([^`]+)`", rest)]
    rest = re.sub(r"`[^`]+`", " ", rest)
    found += [m.group(1) for m in re.finditer(r"\$([^$]+)\$", rest)]
    return found


def squash(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


# ------------------------------------------------- 1. rows, links


def test_ledger_has_rows_for_every_source():
    assert {r.source for r in ROWS} == set(SOURCES)
    assert (BOOK / "ledger.md").is_file()


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_row_parses_and_links_resolve(row):
    assert row.line, f"{row.id}: 'Where' must start with 'l. N, display|text'"
    assert row.verdict in VERDICTS, f"{row.id}: verdict {row.verdict!r}"
    assert quotes(row.says), f"{row.id}: no exact quote in {row.says!r}"
    assert row.links, f"{row.id}: no link to the book"
    for role, label in row.links:
        assert label in LABELS, f"{row.id}: no label {label!r} in book/"
        wants_eq = role == "eq"
        assert LABELS[label].equation == wants_eq, (
            f"{row.id}: {{{role}}} link to {label!r}, which is "
            + ("an equation label (use {eq})" if LABELS[label].equation else "a target")
        )


# ------------------------------------------------- 2. against the sources


@pytest.mark.parametrize("stem", SOURCES)
def test_every_display_equation_has_a_row(stem):
    text = seed_text(stem)
    blocks = display_blocks(text)
    rows = [r for r in ROWS if r.source == stem]
    covered = set()
    for r in rows:
        inside = [b for b in blocks if b[0] <= r.line and r.last <= b[1]]
        if r.kind == "display":
            assert inside, f"{r.id}: no display block at these lines"
            covered.add(inside[0])
        else:
            assert not inside, f"{r.id}: marked text but inside a display block"
    missing = [b for b in blocks if b not in covered]
    assert not missing, f"{stem}: display blocks without a row, lines {missing}"


def stated_counts() -> dict[str, tuple[int, int, int]]:
    """The summary table of ledger.md: source cite key -> (blocks, display rows,
    text rows)."""
    out = {}
    for cells in table_rows(LEDGER_PAGE.read_text(encoding="utf-8")):
        m = re.search(r"\{cite\}`(\w+)`", cells[0])
        if m and len(cells) == 5:
            out[m.group(1)] = tuple(int(c) for c in cells[2:5])
    return out


def test_stated_counts():
    counts = stated_counts()
    assert set(counts) == set(SOURCES)
    for stem, (blocks, n_display, n_text) in counts.items():
        rows = [r for r in ROWS if r.source == stem]
        assert n_display == sum(r.kind == "display" for r in rows), stem
        assert n_text == sum(r.kind == "text" for r in rows), stem
        if (SEEDS / SOURCES[stem]).is_file():
            assert blocks == len(display_blocks(seed_text(stem))), stem
    assert sum(c[0] for c in counts.values()) == 103  # issue 14: 103 in all
    page = squash(LEDGER_PAGE.read_text(encoding="utf-8"))
    m = re.search(
        r"Of the (\d+) rows, (\d+) are \*correct\*, (\d+) \*error\*, (\d+) \*typo\*, "
        r"(\d+) \*notation\* and (\d+) \*convention\*",
        page,
    )
    assert m, "ledger.md: the sentence counting the verdicts is missing"
    stated = [int(g) for g in m.groups()]
    actual = [len(ROWS)] + [sum(r.verdict == v for r in ROWS) for v in VERDICTS]
    assert stated == actual, f"ledger.md states {stated}, the tables have {actual}"


@pytest.mark.parametrize("row", ROWS, ids=lambda r: r.id)
def test_quotes_are_exact(row):
    lines = seed_text(row.source).splitlines()
    first, last = row.line, row.last
    if row.kind == "display":  # the whole block the row points into
        for a, b in display_blocks("\n".join(lines)):
            if a <= row.line <= b:
                first, last = a, b
    cited = squash(" ".join(lines[first - 1 : last]))
    for q in quotes(row.says):
        assert squash(q) in cited, f"{row.id}: {q!r} is not at l. {first}-{last}"


# ------------------------------------------------- 3. errata


def errata_rows() -> list[tuple[int, list[int], str, str]]:
    """(chapter, cited lines, kind, location text) of every errata row; the
    location cites each source line as ``l. N``."""
    out = []
    for path in sorted(ERRATA_DIR.glob("ch*.md")):
        chapter = int(path.stem[2:])
        for cells in table_rows(path.read_text(encoding="utf-8")):
            lines = [int(n) for n in re.findall(r"\bl\.\s*(\d+)", cells[0])]
            out.append((chapter, sorted(set(lines)), cells[3].strip(), cells[0]))
    return out


def test_errata_are_the_non_correct_rows():
    errata = errata_rows()
    problems = []
    for chapter, lines, kind, where in errata:
        if not lines:
            problems.append(f"ch{chapter}: errata row {where!r} cites no 'l. N'")
        if kind not in VERDICTS[1:]:
            problems.append(f"ch{chapter}: errata row {where!r} has kind {kind!r}")
        for n in lines:
            match = [
                r
                for r in ROWS
                if r.chapter == chapter and r.line <= n <= r.last and r.verdict == kind
            ]
            if not match:
                problems.append(
                    f"ch{chapter}: errata row {where!r} cites l. {n}, which has no "
                    f"ledger row of kind {kind}"
                )
    for r in ROWS:
        if r.verdict == "correct":
            continue
        if not any(
            c == r.chapter and k == r.verdict and any(r.line <= n <= r.last for n in ls)
            for c, ls, k, _ in errata
        ):
            problems.append(
                f"{r.id} ({r.verdict}) is in no errata row of ch{r.chapter}"
            )
    assert not problems, "\n".join(problems)


CHAPTER_SOURCE = {1: "xiao2014", 2: "ranganathan2021", 3: "softmaxnotes"}
CHAPTER_SOURCE.update({4: "tanaka2013", 5: "tanaka2013", 6: "dpnotes"})


@pytest.mark.parametrize("chapter", range(1, 7))
def test_errata_quotes_are_exact(chapter):
    """Column 2 of the errata ("What the source says") quotes the source: every
    math span, code span and “…” text occurs verbatim in the source file."""
    text = squash(seed_text(CHAPTER_SOURCE[chapter]))
    path = ERRATA_DIR / f"ch{chapter}.md"
    bad = [
        q
        for cells in table_rows(path.read_text(encoding="utf-8"))
        for q in quotes(cells[1])
        if squash(q) not in text
    ]
    assert not bad, f"{path.name}: not in the source: {bad}"


# ------------------------------------------------- 4. demonstrations


def section_code_cells(label: Label) -> list[str]:
    """Code cells from the label to the next heading or label (see the docstring)."""
    cells = json.loads(label.path.read_text(encoding="utf-8"))["cells"]
    first = "".join(cells[label.cell]["source"])
    after = (
        first[label.offset :].split("\n", 1)[1] if "\n" in first[label.offset :] else ""
    )
    if not label.equation:  # a target labels the heading right after it
        after = re.sub(r"^\s*#{1,6}\s[^\n]*", "", after, count=1)
    if HEADING.search(after):
        return []
    code = []
    for cell in cells[label.cell + 1 :]:
        src = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            if HEADING.search(src) or TARGET.search(src):
                break
            continue
        if cell["cell_type"] == "code":
            code.append(src)
    return code


def _asserts_failure(tree: ast.AST) -> bool:
    """An assert that something differs or fails (a, c of the docstring), a
    try whose else raises, or a pytest.raises."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert):
            for sub in ast.walk(node.test):
                if isinstance(sub, ast.UnaryOp) and isinstance(sub.op, ast.Not):
                    return True
                if isinstance(sub, ast.Compare):
                    for op, right in zip(sub.ops, sub.comparators, strict=True):
                        if isinstance(op, ast.NotEq | ast.Gt | ast.GtE | ast.NotIn):
                            return True
                        if (
                            isinstance(op, ast.Is)
                            and isinstance(right, ast.Constant)
                            and right.value is None
                        ):
                            return True
        if isinstance(node, ast.Try) and any(
            isinstance(n, ast.Raise) for s in node.orelse for n in ast.walk(s)
        ):
            return True
        if isinstance(node, ast.Attribute) and node.attr == "raises":
            return True
    return False


def demonstrates_literal(src: str) -> bool:
    body = "\n".join(
        line for line in src.splitlines() if not line.lstrip().startswith(("%", "!"))
    )
    try:
        tree = ast.parse(body)
    except SyntaxError:
        return False
    return bool(LITERAL_NAME.search(src)) and _asserts_failure(tree)


DEMO_ROWS = [r for r in ROWS if r.verdict in DEMONSTRATED and r.links]


def _demo_param(row: Row):
    key = (row.source, row.line, row.links[0][1])
    marks = []
    if key in KNOWN_GAPS:
        marks = [pytest.mark.xfail(reason=KNOWN_GAPS[key], strict=True)]
    return pytest.param(row, id=row.id, marks=marks)


@pytest.mark.parametrize("row", [_demo_param(r) for r in DEMO_ROWS])
def test_error_rows_demonstrate_the_literal_version(row):
    label = LABELS.get(row.links[0][1])
    assert label is not None and label.cell >= 0, f"{row.id}: not a notebook label"
    cells = section_code_cells(label)
    assert any(demonstrates_literal(src) for src in cells), (
        f"{row.id} ({row.verdict}): no code cell after {row.links[0][1]!r} computes "
        "the literal version and asserts that it fails"
    )


def test_known_gaps_are_rows():
    keys = {(r.source, r.line, r.links[0][1]) for r in DEMO_ROWS}
    assert set(KNOWN_GAPS) <= keys, set(KNOWN_GAPS) - keys
