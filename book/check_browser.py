#!/usr/bin/env python3
"""Check the built book in a real browser (headless Chromium), offline, the way a reader sees it.

    python book/check_browser.py book/_build/html [--screenshots DIR] [--chromium PATH] [--json]

Serves the HTML folder on 127.0.0.1 (an ephemeral port, python http.server in a thread; every host except
127.0.0.1 resolves to nothing, so a page that needs the network fails). For every page of book/_toc.yml (and
Sphinx's general index when a page links to it) Chromium renders the page at 1280 px; a script injected by
the test server waits until the page, its fonts and MathJax are ready, measures the rendered page and
writes its findings into the DOM, which `--dump-dom` returns. Per page it asserts:

  * the page exists (an HTML file, an <h1> in the rendered DOM);
  * math rendered: as many <mjx-container> elements as Sphinx math nodes, and no MathJax error;
  * no broken images (every <img> is a data: URI or a non-empty local file) and no raster figure shown
    at less than twice its pixel density;
  * no cell shows an error (Traceback, stderr / error output blocks, execution errors);
  * no horizontal clipping: the page is not wider than the window, and no element of the article is wider
    than its container (its content overflows it: a table, a code line, an equation, a long word); every
    collapsed dropdown is opened first;
  * figure text at least 9 px at display size: every glyph of every SVG figure, measured through the
    transforms the browser applies (font size in px = its em box on screen);
  * no raw sympy or Python reprs (`Eq(`, `Limit(`, `And(`, `{'key': …}`) outside source-code cells;
  * no build-machine paths (/tmp/, /work/, /root/, /home/…, site-packages) in text, links or sources;
  * text contrast at least 4.5:1 (WCAG 2) in the light and in the dark theme, for every visible text
    element, every rendered equation and every figure's text colour;
  * index pages are not empty (general index entries; the claims index has a row per claim).

Screenshots of every page at 1280 px (full page) go to DIR (default: `screenshots/` next to the HTML folder,
i.e. book/_build/screenshots), light theme, and dark theme with `--dark-screenshots`.
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
WIDTH = 1280
MIN_FIGURE_TEXT_PX = 9.0
MIN_CONTRAST = 4.5
MAX_SCREENSHOT_HEIGHT = 30000
CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
ERROR_PATTERNS = [
    ("Python traceback", re.compile(r"Traceback \(most recent call last\)")),
    ("stderr output block", re.compile(r'class="[^"]*\boutput\s+stderr\b')),
    ("traceback output block", re.compile(r'class="[^"]*\boutput\s+traceback\b')),
    ("error output block", re.compile(r'class="[^"]*\b(output\s+error|cell_output\s+error|jp-RenderedText[^"]*stderr)\b')),
    ("MathJax error", re.compile(r"<mjx-merror|data-mjx-error")),
    ("notebook execution error", re.compile(r"CellExecutionError|Exception encountered at")),
]

# The in-page measurement (run once the page is ready); returns its findings as a JSON string.
CHECK_JS = r"""
(function () {
  const MIN_PX = %(min_px)s, MIN_CONTRAST = %(min_contrast)s;
  const out = {overflow: [], small_text: [], raw_text: [], paths: [], contrast: {light: [], dark: []},
               figures: [], page_width: 0, window_width: window.innerWidth, height: 0, index_entries: null,
               claims_rows: null, details_opened: 0};
  const article = document.querySelector("article.bd-article") || document.querySelector("main") || document.body;

  function describe(el) {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    const cls = (typeof el.className === "string" ? el.className : "").trim().split(/\s+/).filter(Boolean);
    if (cls.length) s += "." + cls.slice(0, 3).join(".");
    let t = (el.innerText || el.textContent || "").replace(/\s+/g, " ").trim();
    const chars = Array.from(t);
    if (chars.length > 70) t = chars.slice(0, 70).join("") + "…";
    return s + (t ? ` "${t}"` : "");
  }
  function visible(el) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return false;
    const cs = getComputedStyle(el);
    return cs.visibility !== "hidden" && cs.display !== "none" && parseFloat(cs.opacity) > 0;
  }

  // ---- no transitions (a fading block would be measured half transparent); open every collapsed block
  const still = document.createElement("style");
  still.textContent = "*, *::before, *::after { animation: none !important; transition: none !important; }";
  document.head.appendChild(still);
  document.querySelectorAll("details").forEach(d => { if (!d.open) { d.open = true; out.details_opened++; } });
  document.querySelectorAll(".toggle-hidden, .toggle-details__container").forEach(e => e.classList.remove("toggle-hidden"));

  // ---- horizontal clipping
  out.page_width = document.documentElement.scrollWidth;
  function contentRight(el) {
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    return r.right - parseFloat(cs.paddingRight) - parseFloat(cs.borderRightWidth);
  }
  function widest(el) {
    let best = null, right = -Infinity;
    el.querySelectorAll("*").forEach(c => {
      const r = c.getBoundingClientRect();
      if (r.width && r.right > right) { right = r.right; best = c; }
    });
    return best;
  }
  const over = [];
  article.querySelectorAll("*").forEach(el => {
    if (el.closest("svg") && el.tagName.toLowerCase() !== "svg") return;
    if (el.closest("mjx-container, span.math")) return;     // math is measured as a whole below
    const cs = getComputedStyle(el);
    if (cs.display === "inline" || cs.display === "none" || cs.position === "fixed") return;
    if (el.clientWidth === 0) return;
    const excess = el.scrollWidth - el.clientWidth;
    if (excess > 2) over.push([el, excess]);
  });
  const overSet = new Set(over.map(x => x[0]));
  for (const [el, excess] of over) {
    // report the innermost element whose content overflows it (its ancestors overflow because of it)
    let inner = false;
    for (const other of overSet) { if (other !== el && el.contains(other)) { inner = true; break; } }
    if (inner) continue;
    const w = widest(el);
    out.overflow.push(`${describe(el)}: content ${excess} px wider than the element (${el.clientWidth} px)` +
                      (w ? `; widest inside: ${describe(w)}` : ""));
  }
  // equations cannot wrap: each must fit the block that holds it
  article.querySelectorAll("mjx-container").forEach(m => {
    if (!visible(m)) return;
    let box = m.parentElement;
    while (box && getComputedStyle(box).display.startsWith("inline")) box = box.parentElement;
    if (!box) return;
    const inner = m.querySelector("mjx-math") || m;
    const excess = Math.max(m.getBoundingClientRect().right, inner.getBoundingClientRect().right) - contentRight(box);
    if (excess > 2) out.overflow.push(`equation ${describe(m)}: ${Math.round(excess)} px wider than ${describe(box).slice(0, 60)}`);
  });
  const ar = article.getBoundingClientRect();
  article.querySelectorAll("img, svg, table, pre, .sd-card, figure").forEach(el => {
    if (!visible(el) || (el.tagName.toLowerCase() === "svg" && el.closest("mjx-container"))) return;
    const r = el.getBoundingClientRect();
    if (r.right > ar.right + 1.5 || r.left < ar.left - 1.5)
      out.overflow.push(`${describe(el)}: extends ${Math.round(Math.max(r.right - ar.right, ar.left - r.left))} px beyond the article`);
  });

  // ---- figures: glyph size on screen (matplotlib path text: em box = 100 user units of the glyph's frame)
  article.querySelectorAll("svg").forEach((svg, i) => {
    const glyphs = svg.querySelectorAll('g[id*="text_"] use');
    if (!glyphs.length) return;
    let min = Infinity, where = "";
    glyphs.forEach(u => {
      const m = u.getScreenCTM();
      if (!m) return;
      const px = 100 * Math.hypot(m.a, m.b);
      if (px < min) {
        min = px;
        const g = u.closest('g[id*="text_"]');
        const c = g ? Array.from(g.childNodes).find(n => n.nodeType === 8) : null;
        where = c ? c.textContent.trim() : "";
      }
    });
    const fig = svg.closest("figure");
    const name = fig && fig.id ? fig.id : `svg #${i + 1}`;
    const r = svg.getBoundingClientRect();
    out.figures.push({name, min_text_px: Math.round(min * 100) / 100, width_px: Math.round(r.width), smallest: where});
    if (min < MIN_PX) out.small_text.push(`${name}: text "${where}" is ${min.toFixed(1)} px at display size (${Math.round(r.width)} px wide)`);
  });
  article.querySelectorAll("figure img, .cell_output img").forEach(img => {
    const src = img.getAttribute("src") || "";
    if (/\.svg(\?|$)/i.test(src) || src.startsWith("data:image/svg")) return;
    const r = img.getBoundingClientRect();
    if (img.naturalWidth && r.width && img.naturalWidth < 2 * r.width - 1)
      out.small_text.push(`raster image ${src.slice(0, 60)} shown at ${Math.round(r.width)} px from ${img.naturalWidth} px (needs 2x)`);
  });

  // ---- raw reprs and build paths in what a reader sees (source cells excluded)
  const clone = article.cloneNode(true);
  clone.querySelectorAll(".cell_input, div.highlight-python, div.highlight-ipython3, div.highlight-bash, " +
                         "div.literal-block-wrapper, script, style, mjx-assistive-mml").forEach(e => {
    if (!e.closest(".cell_output")) e.remove();
  });
  const hidden = document.createElement("div");
  hidden.style.cssText = "position:absolute;left:-99999px;width:1000px";
  hidden.appendChild(clone);
  document.body.appendChild(hidden);
  const text = clone.innerText || "";
  hidden.remove();
  const rawPat = /\b(Eq|Ne|Le|Ge|Lt|Gt|Limit|And|Or|Rational|Symbol|Piecewise|Derivative|Integer|Float|Mul|Add|Pow)\(/g;
  let m;
  while ((m = rawPat.exec(text)) && out.raw_text.length < 8)
    out.raw_text.push("sympy repr: …" + text.slice(Math.max(0, m.index - 30), m.index + 40).replace(/\s+/g, " ") + "…");
  const dictPat = /\{'[A-Za-z_][A-Za-z0-9_]*':\s/g;
  while ((m = dictPat.exec(text)) && out.raw_text.length < 12)
    out.raw_text.push("Python dict repr: …" + text.slice(Math.max(0, m.index - 20), m.index + 50).replace(/\s+/g, " ") + "…");
  const pathPat = /(\/tmp\/|\/work\/|\/root\/|\/home\/[A-Za-z]|site-packages|\/usr\/lib\/python|[A-Z]:\\Users\\)/g;
  while ((m = pathPat.exec(text)) && out.paths.length < 8)
    out.paths.push("in the text: …" + text.slice(Math.max(0, m.index - 30), m.index + 50).replace(/\s+/g, " ") + "…");
  document.querySelectorAll("[href], [src]").forEach(el => {
    for (const a of ["href", "src"]) {
      const v = el.getAttribute(a);
      if (v && /^(file:|\/tmp\/|\/work\/|\/root\/|\/home\/)/.test(v) && out.paths.length < 12)
        out.paths.push(`in a ${a}: ${v.slice(0, 120)}`);
    }
  });

  // ---- contrast (WCAG 2 relative luminance), light and dark theme
  function parse(c) {
    const m = c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(parseFloat);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  }
  function over_(top, bottom) {
    const a = top.a + bottom.a * (1 - top.a);
    if (a === 0) return {r: 0, g: 0, b: 0, a: 0};
    const f = k => (top[k] * top.a + bottom[k] * bottom.a * (1 - top.a)) / a;
    return {r: f("r"), g: f("g"), b: f("b"), a};
  }
  function background(el) {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
    }
    let bg = parse(getComputedStyle(document.documentElement).backgroundColor) || {r: 255, g: 255, b: 255, a: 1};
    if (bg.a < 1) bg = over_(bg, {r: 255, g: 255, b: 255, a: 1});
    for (let i = layers.length - 1; i >= 0; i--) bg = over_(layers[i], bg);
    return bg;
  }
  function lum(c) {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  }
  function ratio(el) {
    const bg = background(el);
    let fg = parse(getComputedStyle(el).color);
    if (!fg) return 21;
    let op = 1;
    for (let e = el; e; e = e.parentElement) op *= parseFloat(getComputedStyle(e).opacity);
    fg = over_({...fg, a: fg.a * op}, bg);
    const a = lum(fg), b = lum(bg);
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }
  function contrastPass(theme) {
    const found = [], seen = new Set();
    const scope = document.querySelector(".bd-main") || article;
    const items = [];
    scope.querySelectorAll("*").forEach(el => {
      if (el.closest("svg") && el.tagName.toLowerCase() !== "svg") return;
      if (el.closest("mjx-container") && el.tagName.toLowerCase() !== "mjx-container") return;
      const tag = el.tagName.toLowerCase();
      let own = tag === "mjx-container" || (tag === "svg" && el.querySelector('g[id*="text_"]'));
      if (!own) for (const n of el.childNodes) if (n.nodeType === 3 && n.textContent.trim()) { own = true; break; }
      if (own && visible(el)) items.push(el);
    });
    for (const el of items) {
      const r = ratio(el);
      if (r < MIN_CONTRAST) {
        const key = describe(el).slice(0, 60) + r.toFixed(1);
        if (seen.has(key)) continue;
        seen.add(key);
        if (found.length < 12) found.push(`${describe(el)}: contrast ${r.toFixed(2)}:1 (${theme})`);
      }
    }
    return found;
  }
  const html = document.documentElement;
  const savedTheme = html.dataset.theme, savedMode = html.dataset.mode;
  html.dataset.theme = "light"; html.dataset.mode = "light";
  out.contrast.light = contrastPass("light theme");
  html.dataset.theme = "dark"; html.dataset.mode = "dark";
  out.contrast.dark = contrastPass("dark theme");
  html.dataset.theme = savedTheme || "light"; if (savedMode) html.dataset.mode = savedMode;

  // ---- index pages
  if (document.querySelector("table.indextable, .genindex-jumpbox") || /genindex/.test(location.pathname))
    out.index_entries = document.querySelectorAll("table.indextable a, table.genindextable a").length;
  const ct = document.querySelector("table.claims-index");
  if (ct) out.claims_rows = ct.querySelectorAll("tbody tr").length;

  out.height = Math.ceil(Math.max(document.documentElement.scrollHeight, document.body.scrollHeight));
  return JSON.stringify(out);
})()
""" % {"min_px": MIN_FIGURE_TEXT_PX, "min_contrast": MIN_CONTRAST}

# Resolves once the page is ready: after load, its fonts and MathJax's first typeset.
READY_JS = r"""
new Promise(resolve => {
  function ready() {
    const mj = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
    const fonts = document.fonts ? document.fonts.ready : Promise.resolve();
    Promise.all([mj || Promise.resolve(), fonts]).then(() => setTimeout(() => resolve(true), 100),
                                                      () => setTimeout(() => resolve(false), 100));
  }
  if (document.readyState === "complete") ready(); else window.addEventListener("load", ready);
})
"""

SET_THEME_JS = ('(t => {try {localStorage.setItem("mode", t); localStorage.setItem("theme", t);} catch (e) {} '
                'document.documentElement.dataset.theme = t; document.documentElement.dataset.mode = t; '
                'return t;})("%s")')


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
            "--force-device-scale-factor=1", "--remote-debugging-pipe",
            # offline: every host except the local server resolves to nothing
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
            f"--user-data-dir={profile}", f"--window-size={WIDTH},900", "about:blank"]


class BrowserError(RuntimeError):
    pass


class Browser:
    """Headless Chromium driven through the DevTools protocol on a pipe (fd 3 in, fd 4 out; no network port)."""

    def __init__(self, chromium: str, profile: str, timeout: float = 120.0):
        import queue

        self.timeout = timeout
        to_child_r, self._w = os.pipe()
        self._r, from_child_w = os.pipe()

        def child_fds():
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.proc = subprocess.Popen(chromium_args(chromium, profile), stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     preexec_fn=child_fds, close_fds=False)
        os.close(to_child_r)
        os.close(from_child_w)
        self._next = 0
        self._replies: dict[int, "queue.Queue"] = {}
        self._events: "queue.Queue" = queue.Queue()
        self._lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for method in ("Page.enable", "Runtime.enable"):
            self.send(method, session=True)
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": WIDTH, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=True)

    def _read(self):
        buf = b""
        while True:
            try:
                chunk = os.read(self._r, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                for q in list(self._replies.values()):
                    q.put({"error": {"message": "browser closed the pipe"}})
                return
            buf += chunk
            while b"\0" in buf:
                msg, buf = buf.split(b"\0", 1)
                d = json.loads(msg)
                if "id" in d and d["id"] in self._replies:
                    self._replies[d["id"]].put(d)
                else:
                    self._events.put(d)

    def send(self, method: str, params: dict | None = None, *, session: bool = False, timeout: float | None = None):
        import queue

        with self._lock:
            self._next += 1
            mid = self._next
            self._replies[mid] = queue.Queue()
        msg = {"id": mid, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = self.session
        os.write(self._w, json.dumps(msg).encode() + b"\0")
        try:
            reply = self._replies[mid].get(timeout=timeout or self.timeout)
        except queue.Empty:
            raise BrowserError(f"{method}: no answer within {timeout or self.timeout:g} s") from None
        finally:
            self._replies.pop(mid, None)
        if "error" in reply:
            raise BrowserError(f"{method}: {reply['error'].get('message')}")
        return reply.get("result", {})

    def evaluate(self, expression: str, *, timeout: float | None = None):
        r = self.send("Runtime.evaluate", {"expression": expression, "awaitPromise": True, "returnByValue": True},
                      session=True, timeout=timeout)
        if "exceptionDetails" in r:
            ex = r["exceptionDetails"]
            raise BrowserError("script error: " + str(ex.get("exception", {}).get("description") or ex.get("text")))
        return r.get("result", {}).get("value")

    def open(self, url: str):
        """Navigate and wait for the load event, then for fonts and MathJax."""
        import queue

        while not self._events.empty():
            self._events.get_nowait()
        self.send("Page.navigate", {"url": url}, session=True)
        deadline = time.monotonic() + self.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"{url}: no load event within {self.timeout:g} s")
            try:
                ev = self._events.get(timeout=left)
            except queue.Empty:
                continue
            if ev.get("method") == "Page.loadEventFired" and ev.get("sessionId") == self.session:
                break
        self.evaluate(READY_JS)

    def screenshot(self, path: str, height: int):
        import base64

        h = max(600, min(int(height), MAX_SCREENSHOT_HEIGHT))
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": WIDTH, "height": h, "deviceScaleFactor": 1, "mobile": False}, session=True)
        try:
            self.evaluate("new Promise(r => requestAnimationFrame(() => setTimeout(() => r(true), 50)))")
            r = self.send("Page.captureScreenshot", {"format": "png"}, session=True)
        finally:
            self.send("Emulation.setDeviceMetricsOverride",
                      {"width": WIDTH, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=True)
        with open(path, "wb") as fh:
            fh.write(base64.b64decode(r["data"]))
        return path

    def close(self):
        try:
            self.send("Browser.close", timeout=10)
        except (BrowserError, OSError):
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        for fd in (self._w, self._r):
            try:
                os.close(fd)
            except OSError:
                pass


def check_page(name: str, html_dir: str, base: str, browser: Browser, shots: str | None = None,
               dark_screenshot: bool = False) -> dict:
    """Render one page, take its screenshots, apply every check; returns
    {"page", "ok", "problems", "mjx", "math", "images", "figures", "height", "screenshots"}."""
    rel = name + ".html"
    path = os.path.join(html_dir, rel)
    res = {"page": name, "ok": False, "problems": [], "mjx": 0, "math": 0, "images": 0, "figures": [],
           "height": 0, "screenshots": []}
    if not os.path.isfile(path):
        res["problems"].append(f"page missing: {rel}")
        return res
    static = open(path, encoding="utf-8", errors="replace").read()
    res["math"] = len(re.findall(r'class="math\b', static))
    url = urljoin(base, rel)
    try:
        browser.evaluate(SET_THEME_JS % "light")
        browser.open(url)
        dom = browser.evaluate("document.documentElement.outerHTML")
        height = browser.evaluate("Math.ceil(Math.max(document.documentElement.scrollHeight, "
                                  "document.body.scrollHeight))")
        res["height"] = height
        if shots:
            res["screenshots"].append(browser.screenshot(os.path.join(shots, f"{name}.png"), height))
            if dark_screenshot:
                browser.evaluate(SET_THEME_JS % "dark")
                res["screenshots"].append(browser.screenshot(os.path.join(shots, f"{name}-dark.png"), height))
                browser.evaluate(SET_THEME_JS % "light")
        meas = json.loads(browser.evaluate(CHECK_JS))
    except BrowserError as exc:
        res["problems"].append(f"browser: {exc}")
        return res
    parser = _Images()
    parser.feed(dom)
    if parser.h1 == 0 and name != "genindex":
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
    res["figures"] = meas["figures"]
    if meas["page_width"] > meas["window_width"] + 1:
        res["problems"].append(f"page is {meas['page_width']} px wide in a {meas['window_width']} px window")
    res["problems"] += [f"clipped: {p}" for p in meas["overflow"]]
    res["problems"] += [f"figure text too small: {p}" for p in meas["small_text"]]
    res["problems"] += [f"raw text: {p}" for p in meas["raw_text"]]
    res["problems"] += [f"build path {p}" for p in meas["paths"]]
    res["problems"] += [f"low contrast: {p}" for p in meas["contrast"]["light"] + meas["contrast"]["dark"]]
    if name == "genindex" and not meas["index_entries"]:
        res["problems"].append("the general index is linked from the book but has no entries")
    if meas["claims_rows"] is not None:
        res["claims_rows"] = meas["claims_rows"]
        if meas["claims_rows"] == 0:
            res["problems"].append("the claims index table has no rows")
    res["ok"] = not res["problems"]
    return res


def links_to_genindex(html_dir: str, pages: list[str]) -> bool:
    for p in pages:
        f = os.path.join(html_dir, p + ".html")
        if os.path.isfile(f) and 'href="genindex.html"' in open(f, encoding="utf-8", errors="replace").read():
            return True
    return False


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("html", nargs="?", default=os.path.join(HERE, "_build", "html"),
                    help="the built HTML folder (default: book/_build/html)")
    ap.add_argument("--toc", default=os.path.join(HERE, "_toc.yml"), help="table of contents listing the pages")
    ap.add_argument("--screenshots", metavar="DIR",
                    help="where to write one PNG per page (default: screenshots/ beside the HTML folder)")
    ap.add_argument("--no-screenshots", action="store_true", help="skip the screenshots")
    ap.add_argument("--dark-screenshots", action="store_true", help="also write PAGE-dark.png in the dark theme")
    ap.add_argument("--pages", nargs="+", metavar="PAGE", help="check only these pages (default: the table of contents)")
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
    pages = args.pages or toc_pages(args.toc)
    if not args.pages and links_to_genindex(html_dir, pages):
        pages = pages + ["genindex"]
    shots = None if args.no_screenshots else (args.screenshots or os.path.join(os.path.dirname(html_dir), "screenshots"))
    if shots:
        os.makedirs(shots, exist_ok=True)
    server, base = serve(html_dir)
    t0 = time.perf_counter()
    results = []
    try:
        with tempfile.TemporaryDirectory(prefix="metacot-chromium-") as profile:
            browser = Browser(chromium, profile)
            try:
                for name in pages:
                    results.append(check_page(name, html_dir, base, browser, shots, args.dark_screenshots))
            finally:
                browser.close()
    except BrowserError as exc:
        sys.stderr.write(f"error: could not drive Chromium: {exc}\n")
        return 2
    finally:
        server.shutdown()
    ok = all(r["ok"] for r in results)
    shot_files = [f for r in results for f in r["screenshots"]]
    if args.json:
        json.dump({"ok": ok, "pages": results, "screenshots": shot_files,
                   "seconds": round(time.perf_counter() - t0, 1)}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        for r in results:
            status = "ok  " if r["ok"] else "FAIL"
            small = min((f["min_text_px"] for f in r.get("figures", [])), default=None)
            print(f"{status} {r['page']:<20} math {r['mjx']:>4}/{r['math']:<4} figures {len(r.get('figures', [])):>2}"
                  + (f" (smallest text {small:.1f} px)" if small is not None else "")
                  + f", height {r.get('height', 0)} px")
            for p in r["problems"]:
                print(f"       {p[:400]}".encode("utf-8", "replace").decode("utf-8"))
        if shot_files:
            print(f"screenshots: {len(shot_files)} in {shots}")
        npass = sum(r["ok"] for r in results)
        print(f"browser check: {npass} passed, {len(results) - npass} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
