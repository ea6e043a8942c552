#!/usr/bin/env python3
"""Print the whole book to one PDF with headless Chromium: offline, no LaTeX.

Usage (``make pdf`` runs exactly this, after the single-page build)::

    jupyter-book build . --builder singlehtml -W -n --keep-going  # _build/singlehtml
    python tools/pdf.py [--html _build/singlehtml] [--out _build/pdf/bplib.pdf]
                        [--copy-to _build/html]

Steps:

1. Sphinx's ``singlehtml`` builder writes the whole book as one page, at the
   root document's path (``book/intro.html``), but it computes every URL in
   that page (``_static/…``, ``_images/…``, its own ``book/intro.html#…``
   cross-references) as if the page sat at the top of the output folder. So
   the page is copied to where its URLs are right, ``<html>/bplib.html``, with
   the self-references turned into plain ``#anchor`` links (they become links
   inside the PDF). Nothing else is rewritten.
2. That folder is served from a loopback ``http.server`` and opened in the
   same Debian Chromium, with the same offline flags, as the browser test
   (``tests/test_browser.py``): a request to another host fails, and any
   failed request stops the build.
3. After MathJax has typeset every formula (``MathJax.startup.promise``), the
   script fails if any formula has an error (``mjx-merror``, an undefined
   macro) or was left untypeset, or if an image did not load.
4. It switches to print media (``book/_static/print.css``: no navigation,
   sidebars or buttons; a page break before every chapter; wrapped code),
   adds a contents list after the title, opens collapsible admonitions
   (their text is part of the chapter; exercise solutions, ``hide-cell``,
   stay collapsed and are announced by a note), shrinks any display equation
   or table still wider than the column (never clipped), and prints A4 with
   page numbers.
5. It adds bookmarks (the PDF outline) for each document and its sections
   with pypdf, at the pages of the named destinations Chromium wrote for the
   contents list's links. (Chromium's own outline needs a tagged PDF, which
   is four times the size.)
6. The PDF goes to ``--out``; with ``--copy-to`` it is also copied into the
   HTML book, where the introduction links to it (``bplib.pdf``).

Needs Debian's Chromium at /usr/bin/chromium (or ``BPLIB_CHROMIUM``) and
playwright (the Python package only; playwright's browser download is not
used). Exits non-zero with a message on any problem.
"""

from __future__ import annotations

import argparse
import logging
import re
import shutil
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from offline_browser import CHROMIUM, CHROMIUM_ARGS, LOCAL_HOSTS, is_external, serve

ROOT = Path(__file__).resolve().parent.parent
PAGE_NAME = "bplib.html"
TIMEOUT_MS = 120_000
# A4 at 96 px per inch, less print.css's @page side margins (15 mm each): the
# width of the printed column, used to find what is too wide before printing.
COLUMN_PX = round((210 - 2 * 15) / 25.4 * 96)

FOOTER = (
    '<div style="font-size:8px;width:100%;text-align:center;color:#666;">'
    '<span class="pageNumber"></span></div>'
)


class Fail(Exception):
    """A problem that stops the build; the message says what and where."""


def root_document() -> str:
    """The book's root document, from _toc.yml (e.g. ``book/intro``)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    return toc["root"]


def write_print_page(html_dir: Path) -> Path:
    """Copy the single page to the folder its URLs are relative to."""
    root_html = root_document() + ".html"
    source = html_dir / root_html
    if not source.is_file():
        raise Fail(
            f"no single-page book at {source}: run `jupyter-book build . "
            "--builder singlehtml` first (`make pdf` does)"
        )
    text = source.read_text(encoding="utf-8")
    # The page's links to itself: href="book/intro.html#x" -> href="#x".
    text = re.sub(rf'href="{re.escape(root_html)}(#[^"]*)?"', r'href="\1"', text)
    text = text.replace('href=""', 'href="#"')
    # The single-page build writes no search index; the page needs none.
    text = text.replace('<script src="searchindex.js"></script>', "")
    target = html_dir / PAGE_NAME
    target.write_text(text, encoding="utf-8")
    return target


# Run in the page once it has loaded: wait for MathJax and the images, and
# report what went wrong (the same checks as the browser test's).
CHECK_JS = r"""async () => {
    await window.MathJax.startup.promise;
    await document.fonts.ready;
    const imgs = [...document.images];
    for (const img of imgs) img.loading = 'eager';
    await Promise.all(imgs.map(img => img.complete ? null :
        new Promise(ok => { img.addEventListener('load', ok);
                            img.addEventListener('error', ok);
                            setTimeout(ok, 20000); })));
    const bad = [];
    for (const item of window.MathJax.startup.document.math) {
        let error = false;
        item.root.walkTree(node => {
            if (node.isKind('merror') || (node.isKind('mtext')
                    && node.attributes.get('mathcolor') === 'red')) error = true;
        });
        if (error) bad.push(String(item.math).slice(0, 120));
    }
    return {
        typeset: document.querySelectorAll('mjx-container').length,
        merror: document.querySelectorAll('mjx-merror').length,
        bad,
        untypeset: [...document.querySelectorAll('.math')]
            .filter(el => !el.querySelector('mjx-container'))
            .map(el => el.textContent.trim().slice(0, 80)),
        images: imgs.filter(img => !(img.complete && img.naturalWidth > 0))
            .map(img => img.getAttribute('src')),
    };
}"""

# Run under print media at the column's width, just before printing.
PREPARE_JS = r"""() => {
    // A contents list after the book's title: the introduction and every
    // document of the table of contents (the single page marks each with an
    // empty <span id="document-…">), with their sections. Its links also make
    // Chromium write a named destination for each, which the PDF outline uses.
    const text = heading => {
        const clone = heading.cloneNode(true);
        clone.querySelectorAll('a.headerlink, mjx-assistive-mml')
            .forEach(el => el.remove());
        return clone.textContent.replace(/\s+/g, ' ').trim();
    };
    const sections = sec => [...sec.querySelectorAll(':scope > section')]
        .map(s => ({id: s.id, title: text(s.querySelector('h1, h2, h3, h4'))}))
        .filter(s => s.id && s.title);
    const root = document.querySelector('article section');
    const toc = [];
    if (root) toc.push({id: root.id, title: 'Introduction', sections: sections(root)});
    for (const sec of document.querySelectorAll('span[id^="document-"] + section')) {
        const heading = sec.querySelector('h1, h2, h3');
        if (sec.id && heading) {
            toc.push({id: sec.id, title: text(heading), sections: sections(sec)});
        }
    }
    const title = document.querySelector('#jb-print-docs-body h1, h1');
    if (title && toc.length) {
        const link = (id, label) => {
            const a = document.createElement('a');
            a.href = '#' + id;
            a.textContent = label;
            return a;
        };
        const nav = document.createElement('nav');
        nav.className = 'bplib-print-contents';
        const h = document.createElement('p');
        h.textContent = 'Contents';
        const list = document.createElement('ul');
        for (const item of toc) {
            const li = document.createElement('li');
            li.append(link(item.id, item.title));
            if (item.sections.length) {
                const sub = document.createElement('ul');
                for (const s of item.sections) {
                    const sli = document.createElement('li');
                    sli.append(link(s.id, s.title));
                    sub.append(sli);
                }
                li.append(sub);
            }
            list.append(li);
        }
        nav.append(h, list);
        title.after(nav);
    }
    // Collapsible admonitions hold chapter text: open them on paper.
    document.querySelectorAll('details.sd-dropdown, details.toggle-details')
        .forEach(d => { d.open = true; });
    document.querySelectorAll('.toggle-hidden')
        .forEach(el => el.classList.remove('toggle-hidden'));
    // Short blocks are not split across pages (print.css, .bplib-keep): a
    // split leaves a line or an empty box at the foot of a page. Long ones are,
    // or they would leave most of a page blank.
    const blocks = [...document.querySelectorAll(
        'div.cell_input, div.cell_output, .admonition')];
    const short = blocks.filter(el => el.getBoundingClientRect().height < 320);
    short.forEach(el => el.classList.add('bplib-keep'));
    // Shrink what is still wider than the column: display equations (next to
    // their number, which floats right) and tables. CSS zoom scales everything
    // inside, rem-sized text included. A centred equation overflows on both
    // sides, so widths are compared, not scrollWidth.
    const shrunk = [];
    const over = el => {
        if (el.tagName === 'TABLE') {
            return el.getBoundingClientRect().width - el.parentElement.clientWidth;
        }
        const math = el.querySelector('mjx-math') || el;
        const box = el.parentElement;
        const number = box.querySelector(':scope > .eqno');
        const room = box.getBoundingClientRect().width
            - (number ? number.getBoundingClientRect().width + 8 : 0);
        return math.getBoundingClientRect().width - room;
    };
    const width = el => (el.tagName === 'TABLE' ? el
        : el.querySelector('mjx-math') || el).getBoundingClientRect().width;
    const selector = 'mjx-container[display="true"], article table';
    // Measure everything, then zoom: one layout, not one per element.
    const measured = [...document.querySelectorAll(selector)]
        .map(el => [el, over(el), width(el)])
        .filter(([el, excess, w]) => excess > 1 && w > excess);
    for (const [el, excess, w] of measured) {
        const zoom = Math.max(0.5, 0.98 * (w - excess) / w);
        el.style.zoom = zoom.toFixed(3);
        shrunk.push([el.tagName.toLowerCase(), Math.round(100 * zoom),
                     el.textContent.slice(0, 60)]);
    }
    // What is still too wide after shrinking (would be cut at the margin).
    const wide = [...document.querySelectorAll(selector)]
        .filter(el => over(el) > 2)
        .concat([...document.querySelectorAll('article pre')]
            .filter(el => el.scrollWidth > el.clientWidth + 2))
        .map(el => el.tagName.toLowerCase() + ': ' + el.textContent.slice(0, 60));
    return {shrunk, wide, toc};
}"""


def print_pdf(html_dir: Path, out: Path) -> dict:
    if not CHROMIUM.exists():
        raise Fail(
            f"no Chromium at {CHROMIUM}: `make pdf` prints with Debian's chromium "
            "package (`apt-get install chromium`), or BPLIB_CHROMIUM set to one"
        )
    from playwright.sync_api import sync_playwright

    page_path = write_print_page(html_dir)
    external: list[str] = []
    failed: list[str] = []
    errors: list[str] = []
    with serve(html_dir) as base, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            # Laid out for print from the start, at the printed column's width:
            # MathJax typesets once, at the layout that is printed.
            context = browser.new_context(viewport={"width": COLUMN_PX, "height": 900})
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)

            def on_request(request):
                if is_external(request.url):
                    external.append(request.url)

            page.on("request", on_request)
            page.on(
                "requestfailed",
                lambda r: (
                    failed.append(f"{r.url}: {r.failure}")
                    if urlsplit(r.url).hostname in LOCAL_HOSTS
                    else None
                ),
            )
            page.on(
                "response",
                lambda r: (
                    failed.append(f"{r.url}: HTTP {r.status}")
                    if r.status >= 400
                    else None
                ),
            )
            page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
            page.emulate_media(media="print")
            page.goto(base + page_path.name, wait_until="load")
            page.wait_for_function("() => window.MathJax?.startup?.promise")
            math = page.evaluate(CHECK_JS)
            problems = []
            if math["merror"] or math["bad"]:
                problems.append(f"MathJax errors in: {math['bad'][:5]}")
            if math["untypeset"]:
                problems.append(f"math left untypeset: {math['untypeset'][:5]}")
            if not math["typeset"]:
                problems.append("MathJax typeset nothing")
            if math["images"]:
                problems.append(f"images not loaded: {math['images'][:5]}")

            layout = page.evaluate(PREPARE_JS)
            if layout["wide"]:
                problems.append(
                    f"wider than the page even after shrinking: {layout['wide'][:5]}"
                )
            page.wait_for_load_state("networkidle")
            if external:
                problems.append(f"requests to other hosts: {sorted(set(external))}")
            if failed:
                problems.append(f"failed local requests: {failed[:5]}")
            if errors:
                problems.append(f"page errors: {errors[:5]}")
            if problems:
                raise Fail("\n  ".join(["the book cannot be printed:", *problems]))

            out.parent.mkdir(parents=True, exist_ok=True)
            page.pdf(
                path=str(out),
                prefer_css_page_size=True,
                print_background=True,
                display_header_footer=True,
                header_template="<span></span>",
                footer_template=FOOTER,
            )
        finally:
            browser.close()
    return {"typeset": math["typeset"], **layout}


def add_outline(path: Path, toc: list[dict]) -> tuple[int, int]:
    """Bookmarks: each document and its sections, at the page where each starts.

    Chromium writes a named destination for every element a link in the page
    points to; the contents list links to all of these, so each has one.
    Returns (pages, bookmarks).
    """
    from pypdf import PdfReader, PdfWriter

    # pypdf notes that Chromium's trailer undercounts the objects; harmless.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    reader = PdfReader(path)
    dests = reader.named_destinations
    writer = PdfWriter(clone_from=reader)

    def page_of(anchor: str) -> int | None:
        dest = dests.get("/" + anchor) or dests.get(anchor)
        return None if dest is None else reader.get_destination_page_number(dest)

    added = 0
    for item in toc:
        number = page_of(item["id"])
        if number is None:
            raise Fail(
                f"no destination in the PDF for {item['title']!r} (#{item['id']})"
            )
        parent = writer.add_outline_item(title=item["title"], page_number=number)
        added += 1
        for section in item["sections"]:
            number = page_of(section["id"])
            if number is not None:
                writer.add_outline_item(
                    title=section["title"], page_number=number, parent=parent
                )
                added += 1
    writer.page_mode = "/UseOutlines"
    with open(path, "wb") as handle:
        writer.write(handle)
    return len(reader.pages), added


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", type=Path, default=ROOT / "_build" / "singlehtml")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "_build" / "pdf" / "bplib.pdf"
    )
    parser.add_argument(
        "--copy-to",
        type=Path,
        default=None,
        help="also copy the PDF into this built HTML book (e.g. _build/html)",
    )
    args = parser.parse_args(argv)
    start = time.perf_counter()
    try:
        info = print_pdf(args.html.resolve(), args.out.resolve())
    except Fail as exc:
        print(f"tools/pdf.py: {exc}", file=sys.stderr)
        return 1
    try:
        pages, bookmarks = add_outline(args.out.resolve(), info["toc"])
    except Fail as exc:
        print(f"tools/pdf.py: {exc}", file=sys.stderr)
        return 1
    if args.copy_to is not None:
        if not (args.copy_to / "index.html").is_file():
            print(
                f"tools/pdf.py: no built book in {args.copy_to} to copy the PDF into",
                file=sys.stderr,
            )
            return 1
        shutil.copyfile(args.out, args.copy_to / args.out.name)
    size = args.out.stat().st_size / 1e6
    print(
        f"{args.out}: {pages} pages, {size:.1f} MB, {len(info['toc'])} documents "
        f"({bookmarks} bookmarks), {info['typeset']} formulas typeset, "
        f"{len(info['shrunk'])} equations or "
        f"tables shrunk to fit, {time.perf_counter() - start:.0f} s"
        + (f"; copied into {args.copy_to}" if args.copy_to is not None else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
