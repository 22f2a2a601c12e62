"""The Jupyter Book (issue 8): it builds with every page executed, fails on a failing cell, shows the
verification table of the registry, and renders in headless Chromium.

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

# figure names each chapter must contain (the figures the issue asks for)
EXPECTED_FIGURES = {
    "intro": ["fig-intro-model"],
    "hitting": ["fig-hitting-loglog", "fig-hitting-escape", "fig-hitting-meta", "fig-hitting-km"],
    "sparse_edge_search": ["fig-search-window", "fig-search-cost", "fig-search-prm"],
    "pretraining": ["fig-pretrain-curves"],
    "ppo": ["fig-ppo-growth", "fig-ppo-hitting"],
    "distillation": ["fig-distill-flat", "fig-distill-estimation"],
    "lower_bounds": ["fig-lower-sqdim", "fig-lower-learner", "fig-lower-correlation"],
    "numerics": ["fig-numerics-accuracy"],
}


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
                     "numerics", "extending", "verification"]
    # Sphinx writes its own search.html / genindex.html: a page with such a name would be overwritten
    assert not set(pages) & {"search", "genindex", "py-modindex", "index"}
    for p in pages:
        if p != "extending":  # chapter 8 is written by its own task
            assert os.path.isfile(os.path.join(BOOK, p + ".md")), p


# ---------------------------------------------------------------------------------------------- builds
def _mini_book(path, cell_source: str):
    """A one-page book with the real _config.yml and one code cell."""
    os.makedirs(path, exist_ok=True)
    for f in ("_config.yml", "references.bib", "booksupport.py"):
        shutil.copy(os.path.join(BOOK, f), path)
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
            src = re.search(r'<img[^>]*src="([^"]+)"', m.group(0))
            assert src, f"{page}: figure {fig} has no image"
            img = os.path.join(built_book, src.group(1))
            assert os.path.getsize(img) > 5000, f"{page}: figure {fig} image is empty"
            assert re.search(r"<figcaption>.*\S.*</figcaption>", m.group(0), re.S), f"{page}: {fig} has no caption"
    # MathJax is served by the book itself (offline)
    assert os.path.isfile(os.path.join(built_book, "_static", "mathjax", "tex-chtml.js"))
    assert 'src="_static/mathjax/tex-chtml.js"' in open(os.path.join(built_book, "intro.html")).read()


def _embedded_report(html_dir):
    text = open(os.path.join(html_dir, "verification.html"), encoding="utf-8").read()
    m = re.search(r'<script type="application/json" id="verify-report">(.*?)</script>', text, re.S)
    assert m, "verification page has no embedded report"
    return json.loads(m.group(1).replace("<\\/", "</")), text


@pytest.mark.book
def test_verification_table_matches_the_registry(built_book):
    from metacot.numerics.verify.registry import load_builtin_claims, select
    from metacot.numerics.verify.runner import run_claims

    report, text = _embedded_report(built_book)
    ids = [c["id"] for c in report["claims"]]
    assert ids == [c.id for c in select(None)], "the page must show every registered claim, in registry order"
    assert report["seed"] == 0 and report["quick"] is True
    for c in report["claims"]:
        assert f'id="claim-{c["id"].replace(".", "-")}"' in text
    # the same numbers as `metacot verify --quick --seed 0`: rerun the deterministic exact claims here
    load_builtin_claims()
    again = run_claims(select(["hitting.leading-order", "lower.sq-dimension", "ppo.geometric-growth"]),
                       quick=True, seed=0)
    shown = {c["id"]: c for c in report["claims"]}
    for rep in again:
        j = rep.to_json()
        assert j["verdict"] == shown[j["id"]]["verdict"], j["id"]
        for a, b in zip(j["instances"], shown[j["id"]]["instances"]):
            assert (a["params"], a["predicted"], a["measured"], a["verdict"]) == \
                   (b["params"], b["predicted"], b["measured"], b["verdict"]), j["id"]
    counts = {v: sum(c["verdict"] == v for c in report["claims"]) for v in ("holds", "fails", "inconclusive")}
    assert report["summary"] == counts


# ---------------------------------------------------------------------------------------------- browser
@pytest.mark.browser
@needs_chromium
def test_browser_check_detects_a_broken_page(tmp_path, capsys):
    """The checker must be able to fail: a page with a broken image, a traceback and unrendered math."""
    checker = _load_checker()
    html = tmp_path / "html"
    html.mkdir()
    (html / "intro.html").write_text('<html><body><h1>ok</h1><p>fine</p></body></html>')
    (html / "bad.html").write_text('<html><body><h1>bad</h1><img src="_images/missing.png">'
                                   '<span class="math notranslate nohighlight">\\(x\\)</span>'
                                   '<pre>Traceback (most recent call last)</pre></body></html>')
    toc = tmp_path / "_toc.yml"
    toc.write_text("format: jb-book\nroot: intro\nchapters:\n  - file: bad\n  - file: absent\n")
    rc = checker.main([str(html), "--toc", str(toc), "--screenshots", str(tmp_path / "shots"), "--json"])
    assert rc == 1
    pages = {p["page"]: p for p in json.loads(capsys.readouterr().out)["pages"]}
    assert pages["intro"]["ok"]
    bad = " | ".join(pages["bad"]["problems"])
    for what in ("broken image", "math not rendered", "Python traceback"):
        assert what in bad, (what, bad)
    assert "page missing" in " ".join(pages["absent"]["problems"])


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
        assert pages[name]["mjx"] > 0 and pages[name]["images"] > 0, name
    for shot in ("intro.png", "hitting.png"):
        assert os.path.getsize(tmp_path / shot) > 20_000
