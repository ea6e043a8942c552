"""Tier 5: the whole book as one PDF (``make pdf``, ``tools/pdf.py``).

Run by ``make test`` right after ``make pdf``, as ``pytest -m pdf`` with
``BPLIB_REQUIRE_PDF=1``: there a missing PDF fails. The unit run
(``-m "not browser and not pdf"``) leaves this file out; run on its own
without the PDF (``pytest tests/test_pdf.py``) it skips, saying how to build
it. The PDF is ``_build/pdf/bplib.pdf``, or the file in ``BPLIB_PDF``.

It reads the PDF's text with pypdf and checks that

- the page count is plausible for the number of documents in ``_toc.yml``;
- every document of ``_toc.yml`` is in it under its title (the notebook's or
  page's first heading), numbered as in the HTML where its part is numbered,
  and starts a new page (print.css breaks the page before each one);
- no raw TeX is left in the text outside code (a control word such as
  ``\\frac``, ``\\mathbf``, ``\\begin``, ``\\ell``, or ``\\(``, ``\\[``, ``$$``):
  MathJax typeset every formula before the page was printed, and no
  formula's source was mangled by the Markdown around it;
- the equation numbers are there: ``(1.1)``, and every number the single-page
  HTML shows, when that build is present;
- it holds at least as many images as the single-page HTML has figures;
- it was copied into the HTML book, where the introduction links to it.
"""

from __future__ import annotations

import functools
import json
import os
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.pdf

ROOT = Path(__file__).resolve().parents[1]
PDF = Path(os.environ.get("BPLIB_PDF", ROOT / "_build" / "pdf" / "bplib.pdf"))
SINGLE_PAGE = ROOT / "_build" / "singlehtml" / "bplib.html"
HTML_COPY = ROOT / "_build" / "html" / "bplib.pdf"
# TeX left in the text: a control word (\frac, \mathbf, \begin, \ell …), a
# math delimiter \( \[ or $$. Prose never has a backslash; code may (a
# matplotlib label), and code is not checked.
RAW_TEX = re.compile(r"\\(?:[A-Za-z]+|[()\[\]])|\$\$")


def toc_documents() -> list[tuple[str, int | None]]:
    """(document, chapter number or None) in reading order, from _toc.yml."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    docs: list[tuple[str, int | None]] = [(toc["root"], None)]
    number = 0
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            if part.get("numbered"):
                number += 1
                docs.append((chapter["file"], number))
            else:
                docs.append((chapter["file"], None))
    return docs


def first_heading(doc: str) -> str:
    """The document's title: the first level-1 heading of the page or notebook."""
    path = next(
        (
            ROOT / f"{doc}{ext}"
            for ext in (".ipynb", ".md")
            if (ROOT / f"{doc}{ext}").is_file()
        ),
        None,
    )
    assert path is not None, f"{doc} in _toc.yml has no .ipynb or .md file"
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = "\n".join(
            "".join(c["source"]) for c in cells if c["cell_type"] == "markdown"
        )
    else:
        text = path.read_text(encoding="utf-8")
    match = re.search(r"^# +(.+?)\s*$", text, re.MULTILINE)
    assert match, f"{path.relative_to(ROOT)} has no '# title' heading"
    return match.group(1)


def squeeze(text: str) -> str:
    """Letters and digits only, lower case: a line break, a hyphenation, a
    ligature (ﬁ) or a font's spacing in the PDF's text does not matter."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\W_]+", "", text).lower()


def title_key(title: str) -> str:
    """A heading's source as it reads in the PDF's text: no markup, no math
    (MathJax's glyphs carry no extractable text)."""
    title = re.sub(r"\$[^$]*\$", "", title)
    return squeeze(title.replace("`", ""))


@functools.cache
def pdf_text() -> tuple[list[str], list[str], int]:
    """(text of each page, its text outside code, number of images)."""
    if not PDF.is_file():
        message = (
            f"no PDF at {PDF}: build it with `make pdf` (`make test` does, before "
            "this test), or set BPLIB_PDF to a PDF of the book"
        )
        if os.environ.get("BPLIB_REQUIRE_PDF"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from pypdf import PdfReader

    reader = PdfReader(PDF)
    pages, prose = [], []
    for page in reader.pages:
        outside_code: list[str] = []

        def visit(text, cm, tm, font, size, outside_code=outside_code):
            # Code (inputs, outputs, inline literals) is set in a monospace font.
            if "Mono" not in str((font or {}).get("/BaseFont", "")):
                outside_code.append(text)

        pages.append(page.extract_text(visitor_text=visit) or "")
        prose.append("".join(outside_code))
    return pages, prose, len(image_objects(reader))


def image_objects(reader) -> set[int]:
    """The distinct images the PDF draws (read from the pages' resources;
    pypdf's ``page.images`` decodes every image and is much slower)."""
    images: set[int] = set()
    forms: set[int] = set()

    def walk(resources):
        xobjects = (resources or {}).get("/XObject")
        for ref in (xobjects.get_object() if xobjects else {}).values():
            obj = ref.get_object()
            key = getattr(ref, "idnum", id(obj))
            if obj.get("/Subtype") == "/Image":
                images.add(key)
            elif obj.get("/Subtype") == "/Form" and key not in forms:
                forms.add(key)
                walk(obj.get("/Resources"))

    for page in reader.pages:
        walk(page.get("/Resources"))
    return images


def test_page_count_is_plausible():
    pages, _, _ = pdf_text()
    documents = len(toc_documents())
    assert 5 * documents <= len(pages) <= 60 * documents, (
        f"{len(pages)} pages for {documents} documents in _toc.yml"
    )


@pytest.mark.parametrize("doc,number", toc_documents())
def test_document_is_in_the_pdf_on_a_new_page(doc, number):
    pages, prose, _ = pdf_text()
    key = title_key(first_heading(doc))
    if number is not None:
        key = f"{number}{key}"  # numbered as in the HTML: "1. The vector chain rule…"
    starts = [i for i, text in enumerate(prose) if squeeze(text).startswith(key)]
    anywhere = [i for i, text in enumerate(pages) if key in squeeze(text)]
    assert anywhere, f"{doc}: title {first_heading(doc)!r} (as {key!r}) not in the PDF"
    if doc != toc_documents()[0][0]:  # the root's title is on the title page
        assert starts, (
            f"{doc}: its title is on page {anywhere[0] + 1} but starts no page "
            "(print.css breaks the page before every document)"
        )


def test_no_raw_tex_outside_code():
    _, prose, _ = pdf_text()
    found = []
    for number, text in enumerate(prose, start=1):
        match = RAW_TEX.search(text)
        if match:
            at = match.start()
            found.append(
                f"page {number}: {match.group(0)!r} in "
                f"…{text[max(0, at - 60) : at + 60]!r}…"
            )
    assert not found, "raw TeX in the PDF's text:\n" + "\n".join(found[:20])


def test_equation_numbers():
    pages, _, _ = pdf_text()
    text = "\n".join(pages)
    assert "(1.1)" in text, "no equation number (1.1) in the PDF"
    if SINGLE_PAGE.is_file():
        html = SINGLE_PAGE.read_text(encoding="utf-8")
        numbers = re.findall(r'class="eqno">(\([^<]*\))', html)
        missing = sorted(set(numbers) - set(re.findall(r"\(\d+(?:\.\d+)*\)", text)))
        assert not missing, (
            f"equation numbers of the HTML missing from the PDF: {missing}"
        )


def test_figures():
    _, _, images = pdf_text()
    assert images > 0, "no images in the PDF"
    if SINGLE_PAGE.is_file():
        html = SINGLE_PAGE.read_text(encoding="utf-8")
        figures = len(set(re.findall(r'<img[^>]+src="(_images/[^"]+)"', html)))
        assert images >= figures, f"{images} images in the PDF, {figures} in the HTML"


def test_pdf_is_in_the_html_book():
    pdf_text()  # skips or fails as above when there is no PDF
    intro = ROOT / "_build" / "html" / "book" / "intro.html"
    if not intro.is_file():
        pytest.skip("no built HTML book to look for the PDF in")
    assert HTML_COPY.is_file(), f"{HTML_COPY} missing: `make pdf` copies it there"
    assert HTML_COPY.read_bytes() == PDF.read_bytes(), f"{HTML_COPY} is not {PDF}"
    assert 'href="../bplib.pdf"' in intro.read_text(encoding="utf-8"), (
        "the introduction does not link to the PDF"
    )
