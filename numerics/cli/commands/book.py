"""`metacot book [--out DIR] [--fresh] [--check-browser] [--json]`: build the Jupyter Book in book/.

Runs `jupyter-book build book -W -n --keep-going` (Jupyter Book 1.x, from the `book` extra:
`pip install -e '.[book]'`). Every page is a MyST notebook executed during the build; a failing cell,
any output on stderr, or any Sphinx warning fails the build (exit 1). The HTML lands in
DIR/_build/html (default DIR = book/, i.e. book/_build/html). A build into an empty DIR executes every
page; a rebuild re-executes the pages whose code changed (jupyter-cache in DIR/_build/.jupyter_cache) and,
always, the verification page and the claims index. --fresh removes DIR/_build first (a clean build).
--check-browser then runs book/check_browser.py on the HTML (headless Chromium; screenshots of every page
in DIR/_build/screenshots).
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

from metacot.numerics.cli.helpers import add_json_flag, report
from metacot.numerics.errors import MetacotError


def add_parser(sub):
    """Register this module's subcommands on `sub` (the subparsers of metacot.numerics.cli.main)."""
    p = sub.add_parser("book", help="build the Jupyter Book (every page executed; fails on any cell error)")
    p.add_argument("--out", metavar="DIR", default=None,
                   help="output folder: the HTML goes to DIR/_build/html (default: book/, i.e. book/_build/html)")
    p.add_argument("--book", metavar="DIR", default=None, help="the book's source folder (default: book/ of this "
                                                                 "checkout)")
    p.add_argument("--fresh", action="store_true",
                   help="remove DIR/_build first: a clean build that executes every page")
    p.add_argument("--check-browser", action="store_true",
                   help="afterwards, check the HTML in headless Chromium (book/check_browser.py)")
    add_json_flag(p, '{"html": DIR, "seconds": S, "ok": bool, "browser_check": ...}')
    p.set_defaults(func=cmd_book)


def default_book_dir() -> str:
    """book/ of the repository checkout this package is installed from (the first folder above this file
    that holds book/_config.yml)."""
    here = os.path.dirname(os.path.abspath(__file__))
    d = here
    while os.path.dirname(d) != d:
        d = os.path.dirname(d)
        if os.path.isfile(os.path.join(d, "book", "_config.yml")):
            return os.path.join(d, "book")
    return os.path.normpath(os.path.join(here, "..", "..", "..", "book"))


def jupyter_book_command() -> list[str]:
    """The jupyter-book CLI of this interpreter (the `book` extra); MetacotError if it is not installed."""
    try:
        import jupyter_book  # noqa: F401
    except ImportError:
        raise MetacotError("jupyter-book is not installed: pip install -e '.[book]' (Jupyter Book 1.x)") from None
    import jupyter_book

    major = int(str(getattr(jupyter_book, "__version__", "1")).split(".")[0])
    if major != 1:
        raise MetacotError(f"the book needs Jupyter Book 1.x, found {jupyter_book.__version__}")
    return [sys.executable, "-c", "from jupyter_book.cli.main import main; main()"]


def build_book(book_dir: str, out_dir: str | None = None, *, stream=None, fresh: bool = False) -> tuple[int, str, float]:
    """Build the book; returns (exit code, html folder, seconds). Output of the build goes to `stream`.

    The pages share one verification run (book/booksupport.py), stored in DIR/_build/.metacot."""
    if not os.path.isfile(os.path.join(book_dir, "_config.yml")) or not os.path.isfile(os.path.join(book_dir, "_toc.yml")):
        raise MetacotError(f"not a Jupyter Book folder (no _config.yml/_toc.yml): {book_dir}")
    out = os.path.abspath(out_dir) if out_dir else os.path.abspath(book_dir)
    if os.path.exists(out) and not os.path.isdir(out):
        raise MetacotError(f"--out must be a folder, but {out} is a file")
    jb = jupyter_book_command()
    build = os.path.join(out, "_build")
    if fresh and os.path.isdir(build):
        import shutil

        shutil.rmtree(build)
    os.makedirs(out, exist_ok=True)
    cmd = jb + ["build", os.path.abspath(book_dir), "--path-output", out,
                                    "--builder", "html", "-W", "-n", "--keep-going"]
    env = dict(os.environ)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    env["METACOT_BOOK_CACHE"] = os.path.join(build, ".metacot")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=stream if stream is not None else sys.stderr, stderr=subprocess.STDOUT,
                          env=env, cwd=os.path.abspath(book_dir))
    return proc.returncode, os.path.join(out, "_build", "html"), time.perf_counter() - t0


def cmd_book(args) -> int:
    """`metacot book`: build the Jupyter Book (exit 1 when the build or the browser check fails)."""
    book_dir = os.path.abspath(args.book) if args.book else default_book_dir()
    if not os.path.isdir(book_dir):
        raise MetacotError(f"book folder not found: {book_dir}")
    rc, html, seconds = build_book(book_dir, args.out, fresh=args.fresh)
    result = {"html": html, "seconds": round(seconds, 1), "ok": rc == 0, "exit_code": rc, "browser_check": None}
    if rc == 0 and args.check_browser:
        check = os.path.join(book_dir, "check_browser.py")
        proc = subprocess.run([sys.executable, check, html], stdout=sys.stderr, stderr=subprocess.STDOUT)
        result["browser_check"] = proc.returncode == 0
        if proc.returncode != 0:
            rc = 1
            result["ok"] = False
    report(args, result, lambda r: [f"book {'built' if r['ok'] else 'FAILED'} in {seconds:.0f} s: {html}" + (
        "" if r["browser_check"] is None else f" (browser check {'passed' if r['browser_check'] else 'FAILED'})")])
    return 0 if result["ok"] else 1
