"""The Jupyter Book (issues 8, 17): it builds with every page executed, fails on a failing cell, shows every
registered claim as `metacot verify --quick --seed 0` reports it, states each claim as a numbered statement,
and passes the browser check (headless Chromium: no clipping, readable figures and contrast, rendered math).

Markers: `book` (needs the `book` extra: jupyter-book 1.x; builds take minutes) and `browser` (needs
/usr/bin/chromium). Set METACOT_BOOK_HTML=<book/_build/html> to check an already built book instead of
building it again (CI builds once with `metacot book`, then runs these tests on that HTML).
"""
from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BOOK = os.path.join(ROOT, "book")
HAVE_JB = importlib.util.find_spec("jupyter_book") is not None
HAVE_CHROMIUM = os.path.exists("/usr/bin/chromium")
needs_jb = pytest.mark.skipif(not HAVE_JB, reason="jupyter-book not installed (pip install -e '.[book]')")
needs_chromium = pytest.mark.skipif(not HAVE_CHROMIUM, reason="/usr/bin/chromium not present")

FRONT = """---
file_format: mystnb
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""

# figure names each chapter must contain (the figures the issues ask for)
EXPECTED_FIGURES = {
    "intro": ["fig-intro-model"],
    "hitting": ["fig-hitting-loglog", "fig-hitting-escape", "fig-hitting-meta", "fig-hitting-km"],
    "sparse_edge_search": ["fig-search-window", "fig-search-cost", "fig-search-prm", "fig-search-success"],
    "pretraining": ["fig-pretrain-curves", "fig-pretrain-spurious", "fig-pretrain-sgd-samples"],
    "ppo": ["fig-ppo-growth", "fig-ppo-hitting"],
    "distillation": ["fig-distill-flat", "fig-distill-estimation"],
    "lower_bounds": ["fig-lower-sqdim", "fig-lower-learner", "fig-lower-correlation"],
    "numerics": ["fig-numerics-accuracy", "fig-numerics-bench"],
}
CHAPTER_OF_AREA = {"hitting": "hitting", "search": "sparse_edge_search", "pretrain": "pretraining", "ppo": "ppo",
                   "distill": "distillation", "lower": "lower_bounds"}


def _load_checker():
    spec = importlib.util.spec_from_file_location("check_browser", os.path.join(BOOK, "check_browser.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _metacot(*args):
    return subprocess.run([sys.executable, "-m", "metacot", *args], cwd=ROOT, capture_output=True, text=True)


# ---------------------------------------------------------------------------------------------- CLI input
def test_book_command_rejects_a_file_as_out(tmp_path):
    f = tmp_path / "not-a-dir"
    f.write_text("x")
    r = _metacot("book", "--out", str(f))
    assert r.returncode == 2
    assert r.stderr.startswith("error: ") and "folder" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_book_command_rejects_a_folder_without_config(tmp_path):
    r = _metacot("book", "--book", str(tmp_path))
    assert r.returncode == 2
    assert "not a Jupyter Book folder" in r.stderr


def test_toc_lists_every_chapter():
    checker = _load_checker()
    pages = checker.toc_pages(os.path.join(BOOK, "_toc.yml"))
    assert pages == ["intro", "hitting", "sparse_edge_search", "pretraining", "ppo", "distillation", "lower_bounds",
                     "numerics", "extending", "verification", "claims"]
    # Sphinx writes its own search.html / genindex.html: a page with such a name would be overwritten
    assert not set(pages) & {"search", "genindex", "py-modindex", "index"}
    for p in pages:
        assert os.path.isfile(os.path.join(BOOK, p + ".md")), p


def test_every_registered_claim_has_a_numbered_statement_in_its_chapter():
    """Each claim is stated as a numbered prf:theorem / prf:conjecture (label thm-<id>) in its area's chapter,
    and every chapter opens with a Reproduce box for its claims."""
    from metacot.numerics.verify.registry import load_builtin_claims

    labels = {}
    for page in set(CHAPTER_OF_AREA.values()):
        text = open(os.path.join(BOOK, page + ".md"), encoding="utf-8").read()
        for m in re.finditer(r"^:::\{prf:(theorem|conjecture)\}.*\n:label:\s*(thm-[\w.-]+)", text, re.M):
            labels[m.group(2)] = (page, m.group(1))
        area = next(a for a, p in CHAPTER_OF_AREA.items() if p == page)
        head = text[:text.index("## ")]
        assert "Reproduce this chapter" in head and f"metacot verify --claim '{area}.*' --seed 0" in head, page
    for cid, c in load_builtin_claims().items():
        lab = "thm-" + cid.replace(".", "-").lower()
        assert lab in labels, f"{cid}: no numbered statement (:label: {lab}) in the book"
        page, kind = labels[lab]
        assert page == CHAPTER_OF_AREA[cid.split(".")[0]], (cid, page)
        assert kind == ("conjecture" if c.expect == "refuted" else kind), (cid, kind)
        if c.expect == "refuted" and c.corrected:   # a refuted form sits next to its corrected theorem
            assert "thm-" + c.corrected.replace(".", "-").lower() in labels, cid


# ---------------------------------------------------------------------------------------------- builds
def _mini_book(path, cell_source: str):
    """A one-page book with the real _config.yml and one code cell."""
    os.makedirs(path, exist_ok=True)
    for f in ("_config.yml", "references.bib", "booksupport.py"):
        shutil.copy(os.path.join(BOOK, f), path)
    shutil.copytree(os.path.join(BOOK, "_ext"), os.path.join(path, "_ext"))
    with open(os.path.join(path, "_toc.yml"), "w") as fh:
        fh.write("format: jb-book\nroot: intro\n")
    with open(os.path.join(path, "intro.md"), "w") as fh:
        fh.write(FRONT + "\n# Mini\n\nMath $x^2$ {cite}`kim2025metastable`.\n\n```{code-cell} ipython3\n"
                 + cell_source + "\n```\n\n```{bibliography}\n```\n")
    return path


@pytest.mark.book
@needs_jb
def test_a_failing_cell_fails_the_build(tmp_path):
    from metacot.numerics.cli.commands.book import build_book

    with open(tmp_path / "log-ok.txt", "w") as log:
        rc_ok, html, _ = build_book(_mini_book(str(tmp_path / "ok"), "print(1 + 1)"), stream=log)
    assert rc_ok == 0, open(tmp_path / "log-ok.txt").read()[-3000:]
    assert os.path.isfile(os.path.join(html, "intro.html"))
    with open(tmp_path / "log-bad.txt", "w") as log:
        rc_bad, _, _ = build_book(_mini_book(str(tmp_path / "bad"), "1 / 0"), stream=log)
    assert rc_bad != 0
    assert "ZeroDivisionError" in open(tmp_path / "log-bad.txt").read()
    with open(tmp_path / "log-stderr.txt", "w") as log:
        rc_err, _, _ = build_book(_mini_book(str(tmp_path / "stderr"), "import sys; sys.stderr.write('oops\\n')"),
                                  stream=log)
    assert rc_err != 0  # output on stderr is a warning, and warnings are errors


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """The HTML folder of the full book: $METACOT_BOOK_HTML if set, else a fresh build (minutes)."""
    given = os.environ.get("METACOT_BOOK_HTML")
    if given:
        assert os.path.isfile(os.path.join(given, "intro.html")), f"METACOT_BOOK_HTML={given} has no intro.html"
        return given
    if not HAVE_JB:
        pytest.skip("jupyter-book not installed (pip install -e '.[book]')")
    from metacot.numerics.cli.commands.book import build_book

    out = tmp_path_factory.mktemp("book")
    with open(out / "build.log", "w") as log:
        rc, html, seconds = build_book(BOOK, str(out), stream=log)
    assert rc == 0, open(out / "build.log").read()[-5000:]
    return html


@pytest.mark.book
def test_every_page_is_built_and_executed(built_book):
    checker = _load_checker()
    for page in checker.toc_pages(os.path.join(BOOK, "_toc.yml")):
        path = os.path.join(built_book, page + ".html")
        assert os.path.isfile(path), page
        text = open(path, encoding="utf-8").read()
        assert "Traceback (most recent call last)" not in text, page
        assert not re.search(r'class="[^"]*\boutput\s+(stderr|traceback)\b', text), page
        for fig in EXPECTED_FIGURES.get(page, []):
            m = re.search(r'<figure[^>]*id="' + re.escape(fig) + r'".*?</figure>', text, re.S)
            assert m, f"{page}: figure {fig} missing"
            svg = re.search(r'<svg class="metacot-svg".*?</svg>', m.group(0), re.S)
            assert svg, f"{page}: figure {fig} is not an inline SVG figure (booksupport.show)"
            assert len(svg.group(0)) > 5000 and 'id="' in svg.group(0), f"{page}: figure {fig} is empty"
            assert re.search(r"<figcaption>.*\S.*</figcaption>", m.group(0), re.S), f"{page}: {fig} has no caption"
            # the text refers to the figure by number
            assert re.search(r'href="[^"]*#' + re.escape(fig) + r'"', text.replace(m.group(0), "")), \
                f"{page}: figure {fig} is never referenced by number"
    # MathJax is served by the book itself (offline)
    assert os.path.isfile(os.path.join(built_book, "_static", "mathjax", "tex-chtml.js"))
    assert 'src="_static/mathjax/tex-chtml.js"' in open(os.path.join(built_book, "intro.html")).read()


def _embedded_report(html_dir):
    text = open(os.path.join(html_dir, "verification.html"), encoding="utf-8").read()
    m = re.search(r'<script type="application/json" id="verify-report">(.*?)</script>', text, re.S)
    assert m, "verification page has no embedded report"
    return json.loads(m.group(1).replace("<\\/", "</")), text


@pytest.mark.book
def test_verification_page_agrees_with_the_cli(built_book):
    """The verification page shows every registered claim, in registry order, and agrees with
    `metacot verify --quick --seed 0` claim by claim: strongest rung, expectation, verdict and outcome."""
    report, text = _embedded_report(built_book)
    assert report["seed"] == 0 and report["quick"] is True
    r = _metacot("verify", "--quick", "--seed", "0", "--json")
    assert r.returncode in (0, 1), r.stderr[-2000:]
    cli = json.loads(r.stdout)
    assert [c["id"] for c in report["claims"]] == [c["id"] for c in cli["claims"]], \
        "the page must show every registered claim, in registry order"
    for page_c, cli_c in zip(report["claims"], cli["claims"]):
        for key in ("rung", "expect", "verdict", "outcome", "meets_expectation"):
            assert page_c[key] == cli_c[key], (page_c["id"], key, page_c[key], cli_c[key])
        assert [i["id"] for i in page_c["instances"]] == [i["id"] for i in cli_c["instances"]], page_c["id"]
        assert [i["verdict"] for i in page_c["instances"]] == [i["verdict"] for i in cli_c["instances"]], page_c["id"]
        # what the reader sees: the summary row and the claim's entry
        assert f'id="claim-{page_c["id"].replace(".", "-").lower()}"' in text, page_c["id"]
    assert report["summary"] == cli["summary"]
    # refuted statements are explained in the Findings section, with their counterexample
    findings = text[text.index('id="sec-findings"'):]
    for c in report["claims"]:
        if c["expect"] == "refuted":
            assert c["counterexample"] in findings.replace("<wbr>", ""), c["id"]


@pytest.mark.book
def test_claims_index_maps_every_claim(built_book):
    report, _ = _embedded_report(built_book)
    text = open(os.path.join(built_book, "claims.html"), encoding="utf-8").read()
    table = re.search(r'<table[^>]*claims-index.*?</table>', text, re.S)
    assert table, "claims index table missing"
    rows = re.findall(r"<tr.*?</tr>", table.group(0), re.S)[1:]
    assert len(rows) == len(report["claims"])
    by_id = {re.search(r'href="verification.html#claim-([\w-]+)"', row).group(1): row for row in rows}
    for c in report["claims"]:
        row = re.sub(r"<[^>]+>", "", by_id[c["id"].replace(".", "-").lower()])
        assert ("Theorem" in row or "Conjecture" in row), c["id"]
        assert ("metacot refute" if c["expect"] == "refuted" else "metacot verify --claim") in row, c["id"]


# ---------------------------------------------------------------------------------------------- browser
@pytest.mark.browser
@needs_chromium
def test_browser_check_detects_a_broken_page(tmp_path, capsys):
    """The checker must be able to fail: one page per problem it looks for, and a clean page that passes."""
    checker = _load_checker()
    html = tmp_path / "html"
    html.mkdir()
    glyph = ('<svg class="metacot-svg" viewBox="0 0 100 50" style="width: {w}px"><g id="text_1"><!-- tiny -->'
             '<g transform="translate(5 30) scale(0.05 -0.05)"><use href="#g"/></g></g>'
             '<defs><path id="g" d="M 0 0 L 50 70 L 0 70 z"/></defs></svg>')
    page = '<html><head><style>body{{color:#111;background:#fff}}</style></head><body><article class="bd-article" style="width:600px">' \
           '<h1>{name}</h1>{body}</article></body></html>'
    pages = {
        "intro": "<p>fine</p>",
        "bad": '<img src="_images/missing.png"><span class="math notranslate nohighlight">\\(x\\)</span>'
               "<pre>Traceback (most recent call last)</pre>",
        "wide": '<table><tr><td style="white-space:nowrap">' + "x" * 400 + "</td></tr></table>",
        "tinytext": "<figure id='fig-tiny'>" + glyph.format(w=100) + "</figure>",
        "rawsympy": "<div class='cell_output'><pre>Eq(Limit(x, eps, 0), h_meta)</pre></div>",
        "paths": "<p>written to /tmp/metacot-extending-x/counterexample.json</p>",
        "contrast": '<p style="color:#bbbbbb">light grey caption</p>',
    }
    for name, body in pages.items():
        (html / f"{name}.html").write_text(page.format(name=name, body=body))
    (html / "genindex.html").write_text('<html><body><h1>Index</h1><table class="indextable genindextable">'
                                        '</table></body></html>')
    (html / "intro.html").write_text((html / "intro.html").read_text().replace("</body>",
                                                                          '<a href="genindex.html">Index</a></body>'))
    toc = tmp_path / "_toc.yml"
    toc.write_text("format: jb-book\nroot: intro\nchapters:\n" + "".join(f"  - file: {n}\n" for n in pages if n != "intro")
                   + "  - file: absent\n")
    rc = checker.main([str(html), "--toc", str(toc), "--screenshots", str(tmp_path / "shots"), "--json"])
    assert rc == 1
    out = json.loads(capsys.readouterr().out)
    res = {p["page"]: p for p in out["pages"]}
    assert res["intro"]["ok"], res["intro"]["problems"]
    expect = {"bad": ["broken image", "math not rendered", "Python traceback"], "wide": ["clipped"],
              "tinytext": ["figure text too small"], "rawsympy": ["sympy repr"], "paths": ["build path"],
              "contrast": ["low contrast"], "genindex": ["no entries"], "absent": ["page missing"]}
    for name, whats in expect.items():
        got = " | ".join(res[name]["problems"])
        for what in whats:
            assert what in got, (name, what, got)
    # a screenshot of every page that exists, at 1280 px
    assert sorted(os.listdir(tmp_path / "shots")) == sorted(f"{n}.png" for n in list(pages) + ["genindex"])


@pytest.mark.book
@pytest.mark.browser
@needs_chromium
def test_book_renders_in_chromium(built_book, tmp_path, capsys):
    checker = _load_checker()
    rc = checker.main([built_book, "--screenshots", str(tmp_path), "--json"])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0, [p for p in out["pages"] if not p["ok"]]
    pages = {p["page"]: p for p in out["pages"]}
    for name in ("intro", "hitting", "sparse_edge_search", "lower_bounds"):
        assert pages[name]["mjx"] > 0 and pages[name]["figures"], name
    for page in checker.toc_pages(os.path.join(BOOK, "_toc.yml")):
        assert os.path.getsize(tmp_path / f"{page}.png") > 20_000, page
    # every figure is an SVG whose smallest text is measured
    for name in EXPECTED_FIGURES:
        figs = {f["name"]: f for f in pages[name]["figures"]}
        for fig in EXPECTED_FIGURES[name]:
            assert figs[fig]["min_text_px"] >= checker.MIN_FIGURE_TEXT_PX, (name, fig)
