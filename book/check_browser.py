#!/usr/bin/env python3
"""Check the built book in a real browser (headless Chromium), offline.

    python book/check_browser.py book/_build/html [--screenshots DIR] [--chromium PATH] [--json]

Serves the HTML folder on 127.0.0.1 (an ephemeral port, python http.server in a thread) and, for every page
of book/_toc.yml, runs `chromium --headless --dump-dom` with a virtual-time budget so that scripts run. Host
resolution is mapped to nothing except 127.0.0.1, so a page that needs the network fails the check.
Asserts, per page:
  * the page exists (HTML file on disk, an <h1> in the rendered DOM);
  * math rendered: when the page has math (Sphinx `class="math` nodes), MathJax produced at least as many
    <mjx-container> elements, and no MathJax error (`mjx-merror`, `data-mjx-error`);
  * no broken images: every <img> src is a data: URI or a file that exists (non-empty) under the HTML folder;
  * no cell shows an error: no `Traceback`, no stderr / traceback / error output blocks.
Takes screenshots of the introduction and of one results chapter (default into DIR = a temporary folder).
Exit status: 0 all pages pass, 1 some check failed, 2 bad usage (e.g. Chromium not found).
"""
from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlparse

HERE = os.path.dirname(os.path.abspath(__file__))
SCREENSHOT_PAGES = ("intro", "hitting")
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ERROR_PATTERNS = [
    ("Python traceback", re.compile(r"Traceback \(most recent call last\)")),
    ("stderr output block", re.compile(r'class="[^"]*\boutput\s+stderr\b')),
    ("traceback output block", re.compile(r'class="[^"]*\boutput\s+traceback\b')),
    ("error output block", re.compile(r'class="[^"]*\b(output\s+error|cell_output\s+error|jp-RenderedText[^"]*stderr)\b')),
    ("MathJax error", re.compile(r"<mjx-merror|data-mjx-error")),
    ("notebook execution error", re.compile(r"CellExecutionError|Exception encountered at")),
]


def toc_pages(toc_path: str) -> list[str]:
    """Document names of _toc.yml (root first), without extensions."""
    try:
        import yaml

        with open(toc_path, encoding="utf-8") as fh:
            toc = yaml.safe_load(fh)
        out = [toc["root"]]

        def walk(items):
            for it in items or []:
                if "file" in it:
                    out.append(it["file"])
                walk(it.get("sections"))

        for part in toc.get("parts", []):
            walk(part.get("chapters"))
        walk(toc.get("chapters"))
    except ImportError:  # no PyYAML: read `root:` and `file:` lines
        text = open(toc_path, encoding="utf-8").read()
        out = re.findall(r"^root:\s*(\S+)", text, re.M) + re.findall(r"file:\s*(\S+)", text)
    return [os.path.splitext(p)[0] for p in out]


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.srcs = []
        self.h1 = 0

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.srcs.append(dict(attrs).get("src") or "")
        elif tag == "h1":
            self.h1 += 1


def find_chromium(explicit: str | None) -> str:
    if explicit:
        if not (os.path.isfile(explicit) and os.access(explicit, os.X_OK)):
            raise SystemExit(f"error: chromium not found at {explicit}")
        return explicit
    for name in CHROMIUM_CANDIDATES:
        p = shutil.which(name)
        if p:
            return p
    if os.path.exists("/usr/bin/chromium"):
        return "/usr/bin/chromium"
    sys.stderr.write("error: headless Chromium not found (Debian: apt-get install -y chromium)\n")
    raise SystemExit(2)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the report readable
        pass


def serve(folder: str):
    """Start a threaded HTTP server for `folder` on 127.0.0.1 (ephemeral port); returns (server, base URL)."""
    handler = functools.partial(_QuietHandler, directory=folder)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def chromium_args(chromium: str, profile: str) -> list[str]:
    return [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-default-apps", "--disable-extensions", "--mute-audio", "--hide-scrollbars",
            # offline: every host except the local server resolves to nothing
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            f"--user-data-dir={profile}", "--virtual-time-budget=10000"]


def run_chromium(args: list[str], timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                          text=True, errors="replace")


def check_page(name: str, html_dir: str, base: str, chromium: str, profile: str) -> dict:
    """Render one page and apply every check; returns {"page", "ok", "problems", "mjx", "math", "images"}."""
    rel = name + ".html"
    path = os.path.join(html_dir, rel)
    res = {"page": name, "ok": False, "problems": [], "mjx": 0, "math": 0, "images": 0}
    if not os.path.isfile(path):
        res["problems"].append(f"page missing: {rel}")
        return res
    static = open(path, encoding="utf-8", errors="replace").read()
    res["math"] = len(re.findall(r'class="math\b', static))
    url = urljoin(base, rel)
    proc = run_chromium(chromium_args(chromium, profile) + ["--dump-dom", url])
    dom = proc.stdout
    if proc.returncode != 0 or "<html" not in dom.lower():
        res["problems"].append(f"chromium failed (exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
        return res
    parser = _Images()
    parser.feed(dom)
    if parser.h1 == 0:
        res["problems"].append("no <h1> in the rendered page")
    res["mjx"] = dom.count("<mjx-container")
    if res["math"] and res["mjx"] < res["math"]:
        res["problems"].append(f"math not rendered: {res['math']} math nodes but {res['mjx']} <mjx-container> elements")
    for label, pat in ERROR_PATTERNS:
        m = pat.search(dom)
        if m:
            a = max(m.start() - 80, 0)
            res["problems"].append(f"{label}: …{dom[a:m.end() + 80]!s}…".replace("\n", " "))
    for src in parser.srcs:
        res["images"] += 1
        if not src:
            res["problems"].append("<img> without src")
            continue
        if src.startswith("data:"):
            if len(src) < 64:
                res["problems"].append(f"empty data: image {src[:40]}")
            continue
        u = urlparse(urljoin(url, src))
        if u.hostname not in ("127.0.0.1", None):
            res["problems"].append(f"image from the network: {src}")
            continue
        local = os.path.join(html_dir, unquote(u.path).lstrip("/"))
        if not os.path.isfile(local) or os.path.getsize(local) == 0:
            res["problems"].append(f"broken image: {src}")
    res["ok"] = not res["problems"]
    return res


def screenshot(name: str, base: str, chromium: str, profile: str, out_dir: str, height: int = 2400) -> str:
    out = os.path.join(out_dir, f"{name}.png")
    proc = run_chromium(chromium_args(chromium, profile) + [f"--window-size=1280,{height}", f"--screenshot={out}",
                                                             urljoin(base, name + ".html")])
    if proc.returncode != 0 or not os.path.isfile(out):
        raise RuntimeError(f"screenshot of {name} failed: {proc.stderr.strip()[-300:]}")
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("html", nargs="?", default=os.path.join(HERE, "_build", "html"),
                    help="the built HTML folder (default: book/_build/html)")
    ap.add_argument("--toc", default=os.path.join(HERE, "_toc.yml"), help="table of contents listing the pages")
    ap.add_argument("--screenshots", metavar="DIR", help="where to write intro.png / hitting.png "
                                                          "(default: a temporary folder, printed)")
    ap.add_argument("--chromium", metavar="PATH", help="the Chromium binary (default: chromium on PATH)")
    ap.add_argument("--json", action="store_true", help="print the per-page results as JSON")
    args = ap.parse_args(argv)
    html_dir = os.path.abspath(args.html)
    if not os.path.isdir(html_dir):
        sys.stderr.write(f"error: not a folder: {html_dir} (build the book first: metacot book)\n")
        return 2
    if not os.path.isfile(args.toc):
        sys.stderr.write(f"error: table of contents not found: {args.toc}\n")
        return 2
    chromium = find_chromium(args.chromium)
    pages = toc_pages(args.toc)
    shots = args.screenshots or tempfile.mkdtemp(prefix="metacot-book-shots-")
    os.makedirs(shots, exist_ok=True)
    server, base = serve(html_dir)
    t0 = time.perf_counter()
    results, shot_files = [], []
    try:
        with tempfile.TemporaryDirectory(prefix="metacot-chromium-") as profile:
            for name in pages:
                results.append(check_page(name, html_dir, base, chromium, profile))
            for name in SCREENSHOT_PAGES:
                if name in pages:
                    try:
                        shot_files.append(screenshot(name, base, chromium, profile, shots))
                    except (RuntimeError, subprocess.TimeoutExpired) as exc:
                        results.append({"page": name, "ok": False, "problems": [str(exc)], "mjx": 0, "math": 0,
                                        "images": 0})
    finally:
        server.shutdown()
    ok = all(r["ok"] for r in results)
    if args.json:
        json.dump({"ok": ok, "pages": results, "screenshots": shot_files,
                   "seconds": round(time.perf_counter() - t0, 1)}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        for r in results:
            status = "ok  " if r["ok"] else "FAIL"
            print(f"{status} {r['page']:<14} math nodes {r['math']:>4}, mjx-container {r['mjx']:>4}, images {r['images']:>3}")
            for p in r["problems"]:
                print(f"       {p[:400]}")
        print(f"screenshots: {', '.join(shot_files)}")
        npass = sum(r["ok"] for r in results)
        print(f"browser check: {npass} passed, {len(results) - npass} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
