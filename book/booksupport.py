"""Helpers shared by the book's pages (imported by the notebook cells; cells run with cwd = book/).

Only presentation lives here: the figure style (inline SVG in the theme's colours), rendering sympy
statements, the shared verification report and the tables built from it. Every number shown is computed
by metacot during the build.

The verification report is `metacot verify --quick --seed 0` run through the public API
(:func:`metacot.numerics.verify.runner.run_claims`, :func:`metacot.numerics.verify.report.report_json`),
once per build: the first page that needs it computes it and stores it in the build folder, keyed by a hash
of metacot's source files, so every page shows the same run.
"""
from __future__ import annotations

import glob
import hashlib
import html
import io
import json
import math
import os
import re
import time

import matplotlib

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
import sympy as sp  # noqa: E402
from IPython.display import HTML, Markdown, display  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
_T0 = time.perf_counter()

# --------------------------------------------------------------------------------------------- figures
# Figures are inline SVG. Colours are drawn with sentinel values that `show` replaces by CSS variables
# (book/_static/metacot.css), so text and axes take the theme's text colour and every series has a light-
# and a dark-theme shade. Text is drawn as paths (no font needed by the reader's browser).
FG = "#010101"          # text, axes, ticks  -> currentColor (the theme's text colour)
GRID = "#bcbcbd"        # grid lines         -> var(--mc-grid)
BAND = "#9c9c9d"        # shaded bands       -> var(--mc-band) (used with alpha)
COLORS = {              # series colours     -> var(--mc-<name>)
    "measured": "#1f77b4",
    "predicted": "#d62728",
    "reference": "#7f7f7f",
    "second": "#2ca02c",
    "third": "#9467bd",
    "fourth": "#ff7f0e",
    "fifth": "#8c564b",
}
_CSS_VARS = {FG: "currentColor", "#000000": "currentColor", GRID: "var(--mc-grid)", BAND: "var(--mc-band)",
             **{v: f"var(--mc-{k})" for k, v in COLORS.items()}}
_CYCLE = ["measured", "second", "fourth", "third", "predicted", "fifth"]

WIDTH_1 = 6.0           # inches: one panel (≈ 580 px at 1:1, inside the 690 px text column at 1280 px)
WIDTH_2 = 6.9           # inches: two panels side by side (≈ 660 px, shown at 1:1)
_FIG_COUNTER = [0]


def setup_style() -> None:
    """One figure style for the whole book: fonts ≥ 9 pt at display size, theme colours, no frames."""
    plt.rcParams.update({
        "figure.figsize": (WIDTH_1, 3.6),
        "figure.dpi": 96,
        "svg.fonttype": "path",
        "svg.hashsalt": "metacot",
        "font.size": 11,
        "axes.titlesize": 11,
        "axes.labelsize": 11,
        "xtick.labelsize": 10.5,
        "ytick.labelsize": 10.5,
        "legend.fontsize": 10.5,
        "legend.frameon": False,
        "legend.handlelength": 1.8,
        "axes.grid": True,
        "grid.color": GRID,
        "grid.linewidth": 0.6,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.edgecolor": FG,
        "axes.labelcolor": FG,
        "axes.titlecolor": FG,
        "text.color": FG,
        "xtick.color": FG,
        "ytick.color": FG,
        "patch.edgecolor": FG,
        "lines.linewidth": 1.5,
        "lines.markersize": 6,
        "axes.prop_cycle": matplotlib.cycler(color=[COLORS[k] for k in _CYCLE]),
        "figure.facecolor": "none",
        "axes.facecolor": "none",
        "savefig.facecolor": "none",
        "savefig.transparent": True,
        "mathtext.fontset": "dejavusans",
    })


def panels(n: int = 1, height: float | None = None, **kw):
    """A figure with ``n`` ≤ 2 panels side by side at the book's widths; returns (fig, axes)."""
    if n not in (1, 2):
        raise ValueError("at most two panels per row (issue 17): stack further panels in a second figure")
    width = WIDTH_1 if n == 1 else WIDTH_2
    fig, axes = plt.subplots(1, n, figsize=(width, height or (3.6 if n == 1 else 3.2)), **kw)
    return fig, axes


def _display_points(ax):
    """Display coordinates of what an axes shows as data: line vertices (and points along each segment),
    scatter points, error bars and histogram bars."""
    import numpy as np
    from matplotlib.collections import LineCollection, PathCollection
    from matplotlib.container import BarContainer

    pts = []

    def along(xy):
        xy = np.asarray(xy, dtype=float)
        xy = xy[np.isfinite(xy).all(axis=1)]
        if len(xy) < 2:
            return xy
        out = [xy]
        for k in range(1, 12):
            out.append(xy[:-1] + (xy[1:] - xy[:-1]) * (k / 12))
        return np.vstack(out)

    for line in ax.lines:
        if not line.get_visible() or len(line.get_xydata()) == 0:
            continue
        xy = line.get_transform().transform(line.get_xydata())
        pts.append(along(xy) if line.get_linestyle() not in ("None", "none", "", " ") else xy)
    for coll in ax.collections:
        if isinstance(coll, LineCollection):
            for seg in coll.get_segments():
                if len(seg):
                    pts.append(along(coll.get_transform().transform(seg)))
        elif isinstance(coll, PathCollection) and len(coll.get_offsets()):
            pts.append(coll.get_offset_transform().transform(coll.get_offsets()))
    for cont in ax.containers:
        if isinstance(cont, BarContainer):
            for bar in cont.patches:
                bb = bar.get_window_extent()
                pts.append(np.array([[bb.x0, bb.y1], [(bb.x0 + bb.x1) / 2, bb.y1], [bb.x1, bb.y1]]))
    return np.vstack(pts) if pts else np.zeros((0, 2))


def legend_problems(fig) -> list[str]:
    """What a legend or a text label inside the axes covers: plotted data (lines, markers, error bars,
    bars) or another label (issue 17: legends that cover nothing); and tick labels that overlap."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    out = []
    for i, ax in enumerate(fig.axes):
        pts = _display_points(ax)
        boxes = []
        leg = ax.get_legend()
        if leg is not None and leg.get_visible():
            boxes.append(("legend", leg.get_window_extent(renderer)))
        for t in ax.texts:
            if t.get_visible() and t.get_text().strip():
                boxes.append((f"label {t.get_text()!r}", t.get_window_extent(renderer)))
        for name, bb in boxes:
            inside = ((pts[:, 0] > bb.x0 + 1) & (pts[:, 0] < bb.x1 - 1) & (pts[:, 1] > bb.y0 + 1) & (pts[:, 1] < bb.y1 - 1))
            if inside.any():
                out.append(f"axes {i + 1}: the {name} covers {int(inside.sum())} plotted point(s)")
        for a in range(len(boxes)):
            for b in range(a + 1, len(boxes)):
                if boxes[a][1].overlaps(boxes[b][1]):
                    out.append(f"axes {i + 1}: the {boxes[a][0]} overlaps the {boxes[b][0]}")
        for name, labels in (("x", ax.get_xticklabels()), ("y", ax.get_yticklabels())):
            shown = [t for t in labels if t.get_visible() and t.get_text().strip()]
            ext = [t.get_window_extent(renderer) for t in shown]
            for a in range(len(ext)):
                for b in range(a + 1, len(ext)):
                    if ext[a].overlaps(ext[b]):
                        out.append(f"axes {i + 1}: {name} tick labels {shown[a].get_text()!r} and "
                                   f"{shown[b].get_text()!r} overlap")
    return out


def show(fig, *, alt: str = "", check: bool = True) -> None:
    """Display ``fig`` as inline SVG drawn in the theme's colours, and close it. Raises ValueError when a
    legend or a label covers data (see :func:`legend_problems`)."""
    if check:
        if not fig.legends and not fig.get_constrained_layout():
            fig.tight_layout()
        problems = legend_problems(fig)
        if problems:
            plt.close(fig)
            raise ValueError("figure: " + "; ".join(problems))
    _FIG_COUNTER[0] += 1
    prefix = f"f{os.getpid() % 10000}x{_FIG_COUNTER[0]}-"
    if not fig.legends and not fig.get_constrained_layout():
        fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", pad_inches=0.04)
    plt.close(fig)
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    # ids unique on the page: several figures share glyph and clip-path names
    svg = re.sub(r'id="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', svg)
    svg = re.sub(r'(xlink:href|href)="#([^"]+)"', lambda m: f'{m.group(1)}="#{prefix}{m.group(2)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", svg)
    for color, var in _CSS_VARS.items():
        svg = re.sub(re.escape(color) + r"(?![0-9a-fA-F])", var, svg, flags=re.I)
    m = re.search(r'<svg[^>]*\bwidth="([\d.]+)pt"[^>]*\bheight="([\d.]+)pt"', svg)
    w_px = float(m.group(1)) * 4 / 3 if m else 640.0
    svg = re.sub(r'(<svg[^>]*?)\s+width="[\d.]+pt"\s+height="[\d.]+pt"', r"\1", svg, count=1)
    label = html.escape(alt or "figure", quote=True)
    svg = svg.replace("<svg ", f'<svg class="metacot-svg" role="img" aria-label="{label}" '
                               f'style="width: min(100%, {w_px:.0f}px)" ', 1)
    display(HTML(f'<div class="metacot-figure">{svg}</div>'))


def legend_below(fig, axes, ncol: int = 2, **kw):
    """One legend for ``axes`` (an axes or a list), below the figure: it covers nothing."""
    axs = axes if isinstance(axes, (list, tuple)) else [axes]
    handles, labels = [], []
    for ax in axs:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels and not lab.startswith("_"):
                handles.append(h)
                labels.append(lab)
    fig.tight_layout()
    return fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=ncol, **kw)


def log_ticks(ax, values, axis: str = "x", labels=None) -> None:
    """Ticks of a log axis exactly at the measured ``values``, labelled as plain numbers (or ``labels``)."""
    from matplotlib.ticker import FixedFormatter, FixedLocator, NullFormatter, NullLocator

    a = ax.xaxis if axis == "x" else ax.yaxis
    vals = list(values)
    a.set_major_locator(FixedLocator(vals))
    a.set_major_formatter(FixedFormatter(labels if labels is not None else [f"{v:g}" for v in vals]))
    a.set_minor_locator(NullLocator())
    a.set_minor_formatter(NullFormatter())


plain_log_ticks = log_ticks


def decade_ticks(ax, exponents, axis: str = "x", every: int = 1) -> None:
    """Ticks at 10^e for the measured exponents ``e`` (every ``every``-th labelled), as $10^{e}$."""
    from matplotlib.ticker import FixedFormatter, FixedLocator, NullFormatter, NullLocator

    a = ax.xaxis if axis == "x" else ax.yaxis
    ex = list(exponents)
    shown = ex[::every]
    a.set_major_locator(FixedLocator([10.0 ** e for e in shown]))
    a.set_major_formatter(FixedFormatter([f"$10^{{{e}}}$" for e in shown]))
    a.set_minor_locator(FixedLocator([10.0 ** e for e in ex if e not in shown]))
    a.set_minor_formatter(NullFormatter())
    if not ex:
        a.set_minor_locator(NullLocator())


# --------------------------------------------------------------------------------------------- math
def tex(expr) -> str:
    """LaTeX of a sympy expression or relation (ε written as \\varepsilon)."""
    s = sp.latex(expr) if isinstance(expr, sp.Basic) else str(expr)
    return re.sub(r"\\epsilon(?![a-zA-Z])", r"\\varepsilon", s)


_REL_TEX = {"==": "=", "<=": r"\leq", ">=": r"\geq", "<": "<", ">": ">", "!=": r"\neq"}


def _broken(expr, limit: int) -> list[str]:
    """LaTeX of ``expr`` as lines of about ``limit`` characters, broken at the terms of a sum (also of a sum
    inside a product); an unbreakable piece stays whole."""
    s = tex(expr)
    if len(s) <= limit:
        return [s]
    if isinstance(expr, sp.Add):
        lines, cur = [], ""
        for i, term in enumerate(expr.as_ordered_terms()):
            neg = term.could_extract_minus_sign()
            sign = "- " if neg else ("+ " if i else "")
            sub = _broken(-term if neg else term, limit)
            if len(sub) > 1:                      # a long product: its own lines
                if cur:
                    lines.append(cur)
                lines += [sign + sub[0]] + sub[1:-1]
                cur = sub[-1]
                continue
            piece = sign + sub[0]
            if cur and len(cur) + len(piece) > limit:
                lines.append(cur)
                cur = piece
            else:
                cur = f"{cur} {piece}".strip()
        lines.append(cur)
        return lines
    if isinstance(expr, sp.Mul):
        factors = list(expr.as_ordered_factors())
        adds = [f for f in factors if isinstance(f, sp.Add)]
        if not adds:
            return [s]
        big = max(adds, key=lambda f: len(tex(f)))
        rest = [f for f in factors if f is not big]
        inner = _broken(big, limit)
        if len(inner) == 1:
            return [s]
        prefix = tex(sp.Mul(*rest, evaluate=False)) if rest else ""
        prefix = {"1": "", "-1": "-"}.get(prefix, prefix)
        inner[0] = f"{prefix} \\Bigl( {inner[0]}"
        inner[-1] = f"{inner[-1]} \\Bigr)"
        return inner
    return [s]


def tex_relation(rel, limit: int = 70) -> str:
    """LaTeX of one relation ``lhs REL rhs``; a long right side is broken over aligned lines."""
    if not isinstance(rel, sp.core.relational.Relational):
        return tex(rel)
    whole = tex(rel)
    if len(whole) <= limit + 10:
        return whole
    lhs, op = tex(rel.lhs), _REL_TEX.get(rel.rel_op, rel.rel_op)
    lines = _broken(rel.rhs, limit)
    if len(lines) == 1:
        return whole
    body = f"{lhs} &{op} {lines[0]}" + "".join(f" \\\\ &\\qquad {{}} {ln}" for ln in lines[1:])
    return f"\\begin{{aligned}} {body} \\end{{aligned}}"


def conjuncts(expr) -> list:
    """The relations of a statement (the arguments of an And, or the statement itself)."""
    return list(expr.args) if isinstance(expr, sp.And) else [expr]


def math_html(latex: str, display_mode: bool = True) -> str:
    """HTML that MathJax renders (Sphinx processes elements of class "math")."""
    body = html.escape(latex, quote=False)
    if display_mode:
        return f'<div class="math notranslate nohighlight">\\[{body}\\]</div>'
    return f'<span class="math notranslate nohighlight">\\({body}\\)</span>'


def show_math(expr, lhs: str | None = None, rel: str = "=") -> None:
    """Display a sympy expression (or relation) as display math, optionally as ``lhs rel expr``."""
    t = tex(expr)
    display(HTML(math_html(f"{lhs} {rel} {t}" if lhs else t)))


def md(text: str) -> None:
    """Display MyST markdown (cross-references, roles and math are resolved by the book build); the cell
    needs ``mystnb: markdown_format: myst`` in its metadata."""
    display(Markdown(text))


# --------------------------------------------------------------------------------------------- values
def short(v, digits: int = 7) -> str:
    """A reported value (typed JSON) in a short readable form: rationals exact when short, else a
    decimal; intervals as [lo, hi]; estimates as mean ± se; symbolic values as text."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, int):
        s = str(v)
        return s if len(s) <= 15 else f"{float(v):.{digits}g}"
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return str(v)
        return f"{v:.{digits}g}"
    if isinstance(v, dict):
        if "lo" in v and "hi" in v:
            return _interval(str(v["lo"]), str(v["hi"]))
        if "mean" in v:
            return f"{short(_num(v['mean']), 6)} ± {short(_num(v['se']), 3)} (n = {v.get('n', '?')})"
        if "value" in v:
            return f"{short(_num(v['value']), digits)} ± {short(_num(v['error']), 2)}"
        return ", ".join(f"{k} = {short(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(short(x, digits) for x in v) + "]"
    s = str(v)
    if re.fullmatch(r"-?\d+/\d+", s):
        if len(s) <= 17:
            return s
        p, q = s.split("/")
        return _decimal(p, q, digits) + "…"
    if re.fullmatch(r"-?\d+", s):
        return s if len(s) <= 15 else _decimal(s, "1", digits)
    try:
        f = float(s)
        if not re.fullmatch(r"-?[\d.]+(e-?\d+)?", s) or len(s) > digits + 6:
            return f"{f:.{digits}g}"
    except ValueError:
        pass
    return s


def _interval(lo: str, hi: str) -> str:
    """[lo, hi] with just enough significant digits for the two ends to differ (at least 6)."""
    import decimal

    a, b = decimal.Decimal(lo), decimal.Decimal(hi)
    for d in range(6, 21):
        x, y = f"{a:.{d}g}", f"{b:.{d}g}"
        if x != y or a == b:
            return f"[{x}, {y}]"
    return f"[{lo}, {hi}]"


def _decimal(p: str, q: str, digits: int) -> str:
    """p/q (decimal digit strings of any length) to ``digits`` significant digits."""
    import decimal

    with decimal.localcontext() as ctx:
        ctx.prec = digits
        ctx.Emax, ctx.Emin = 10 ** 9, -10 ** 9
        v = +(decimal.Decimal(p) / decimal.Decimal(q))
    t = f"{v:.{digits}g}" if abs(v.adjusted()) < 300 else f"{v:.{digits - 1}e}"
    return t


def _num(x):
    if isinstance(x, str):
        try:
            if "/" in x:
                p, q = x.split("/")
                return float(_decimal(p, q, 17))
            return float(x)
        except (ValueError, OverflowError):
            return x
    return x


def fmt(x, digits: int = 6) -> str:
    """Short display form of a Python value: exact rationals as p/q (a decimal when long), floats to
    ``digits`` significant digits."""
    from fractions import Fraction

    if x is None:
        return "—"
    if isinstance(x, Fraction):
        return short(f"{x.numerator}/{x.denominator}" if x.denominator != 1 else str(x.numerator), digits)
    if isinstance(x, bool):
        return str(x).lower()
    if isinstance(x, int):
        return short(x, digits)
    if isinstance(x, sp.Basic) and x.is_Rational:
        return fmt(Fraction(int(x.p), int(x.q)), digits)
    try:
        return f"{float(x):.{digits}g}"
    except (TypeError, ValueError):
        return str(x)


def html_table(header, rows, caption: str | None = None, classes: str = "metacot-table") -> None:
    """Display an HTML table in the theme's colours. Cells are escaped text (numbers formatted with
    :func:`fmt`) unless they are ``("raw", html)``; ``("math", latex)`` renders math."""
    def cell(v):
        if isinstance(v, tuple) and len(v) == 2 and v[0] == "raw":
            return v[1]
        if isinstance(v, tuple) and len(v) == 2 and v[0] == "math":
            return math_html(v[1], display_mode=False)
        return html.escape(v if isinstance(v, str) else fmt(v))

    out = [f'<table class="{classes}">']
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr></thead><tbody>")
    for r in rows:
        out.append("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>")
    out.append("</tbody></table>")
    display(HTML("".join(out)))


def params_text(p: dict) -> str:
    return ", ".join(f"{k} = {short(v)}" for k, v in p.items()) or "—"


# --------------------------------------------------------------------------------------------- report
def _source_hash() -> str:
    import metacot
    import metacot.numerics
    import metacot.theory

    h = hashlib.sha256()
    with open(os.path.abspath(__file__), "rb") as fh:       # the report's display fields come from here
        h.update(fh.read())
    for pkg in (metacot, metacot.theory, metacot.numerics):
        base = os.path.dirname(pkg.__file__)
        for f in sorted(glob.glob(os.path.join(base, "**", "*.py"), recursive=True)):
            if pkg is metacot and (os.sep + "theory" + os.sep in f or os.sep + "numerics" + os.sep in f):
                continue
            h.update(os.path.relpath(f, base).encode())
            with open(f, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()[:16]


def _cache_dir() -> str:
    return os.environ.get("METACOT_BOOK_CACHE") or os.path.join(HERE, "_build", ".metacot")


_REPORT: dict | None = None


def report() -> dict:
    """The JSON report of ``metacot verify --quick --seed 0`` (every registered claim), with the LaTeX of
    each statement's relations and of symbolic instance values added for display; computed once per build."""
    global _REPORT
    if _REPORT is not None:
        return _REPORT
    path = os.path.join(_cache_dir(), f"verify-quick-seed0-{_source_hash()}.json")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    import fcntl

    with open(path + ".lock", "w") as lock:          # pages executed in parallel wait for one run
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.isfile(path):
            _write_report(path)
    with open(path, encoding="utf-8") as fh:
        _REPORT = json.load(fh)
    return _REPORT


def _write_report(path: str) -> None:
    from metacot.numerics.verify.registry import load_builtin_claims, select
    from metacot.numerics.verify.report import report_json
    from metacot.numerics.verify.runner import run_claims

    load_builtin_claims()
    claims = select(None)
    t0 = time.perf_counter()
    reports = run_claims(claims, quick=True, seed=0, jobs=min(2, os.cpu_count() or 1))
    seconds = time.perf_counter() - t0
    rep = report_json(reports, seed=0, quick=True)
    for cj, r in zip(rep["claims"], reports):
        cj["relations_tex"] = [tex_relation(x) for x in conjuncts(r.claim.statement)]
        cj["description"] = r.claim.description
        for pj, p in zip(cj["parts"], r.claim.parts):
            if p.statement is not None and p.statement != r.claim.statement:
                pj["relations_tex"] = [tex_relation(x) for x in conjuncts(p.statement)]
        for ij, res in zip(cj["instances"], r.results):
            for key in ("predicted", "measured"):
                v = getattr(res, key)
                if isinstance(v, sp.Basic) and not isinstance(v, (sp.Rational, sp.Float)):
                    ij[key + "_tex"] = tex(v)
    rep["book"] = {"seconds": round(seconds, 1), "instances": sum(len(r.results) for r in reports)}
    tmp = path + f".{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(rep, fh)
    os.replace(tmp, path)


def claim(cid: str) -> dict:
    """One claim of the report (KeyError naming the known ids when it is not registered)."""
    for c in report()["claims"]:
        if c["id"] == cid:
            return c
    raise KeyError(f"claim {cid!r} is not registered; registered: {', '.join(c['id'] for c in report()['claims'])}")


def anchor(cid: str) -> str:
    """Label of a claim's entry on the verification page."""
    return "claim-" + cid.replace(".", "-").lower()


def theorem_label(cid: str) -> str:
    """Label of the numbered statement of a claim in its chapter."""
    return "thm-" + cid.replace(".", "-").lower()


def rung_badge(rung: str | None, *, markdown: bool = True) -> str:
    """Badge of an evidence rung (inline HTML; the same in MyST markdown and in raw HTML)."""
    r = rung or "no evidence"
    return f'<span class="mc-badge mc-rung-{html.escape(r.replace(" ", "-"))}">{html.escape(r)}</span>'


def outcome_badge(outcome: str, *, markdown: bool = True) -> str:
    """Badge of a claim's outcome: holds, refuted (as expected), FAILS, NOT REFUTED, inconclusive."""
    kind = {"holds": "good", "refuted (as expected)": "found", "FAILS": "bad", "NOT REFUTED": "bad",
            "inconclusive": "unsure"}.get(outcome, "unsure")
    return f'<span class="mc-badge mc-outcome mc-{kind}">{html.escape(outcome)}</span>'


def verdict_badge(verdict: str) -> str:
    """Badge of one instance's verdict."""
    kind = {"holds": "good", "fails": "bad", "inconclusive": "unsure"}.get(verdict, "unsure")
    return f'<span class="mc-badge mc-outcome mc-{kind}">{html.escape(verdict)}</span>'


def _counts(c: dict) -> tuple[int, int]:
    want = "holds" if c["expect"] == "holds" else "fails"
    return sum(i["verdict"] == want for i in c["instances"]), len(c["instances"])


def status(cid: str) -> None:
    """The status line under a claim's numbered statement: rung, expectation, outcome, link to the evidence.
    (Cell metadata: ``mystnb: markdown_format: myst``.)"""
    c = claim(cid)
    good, n = _counts(c)
    expect = "expected to hold" if c["expect"] == "holds" else "expected to be refuted"
    what = "instances hold" if c["expect"] == "holds" else "instances refute it"
    line = (f"Checked as claim `{cid}` ({c['paper']}): {rung_badge(c['rung'])} {outcome_badge(c['outcome'])} "
            f"{expect}; {good} of {n} quick {what} — {{ref}}`evidence <{anchor(cid)}>`.")
    display(Markdown(f'<div class="claim-status">\n\n{line}\n\n</div>'))


def statement(cid: str) -> None:
    """The claim's sympy statement, rendered (one line per relation of a conjunction)."""
    c = claim(cid)
    display(HTML('<div class="claim-statement">' + "".join(math_html(t) for t in c["relations_tex"]) + "</div>"))


def finding(cid: str, corrected_label: str | None = None) -> None:
    """The counterexample of a refuted claim: the instance, what was measured, what the refuted statement
    predicts, and what the corrected claim predicts on the same instance when it has one."""
    c = claim(cid)
    ce = next((i for i in c["instances"] if i["id"] == c.get("counterexample")), None)
    rows = []
    if ce is None:
        raise KeyError(f"{cid}: counterexample {c.get('counterexample')!r} is not among its quick instances")
    cor = None
    if c.get("corrected"):
        cc = claim(c["corrected"])
        cor = next((i for i in cc["instances"] if i["params"] == ce["params"]), None)
    rows.append(("instance", f"<code>{_breakable(ce['id'])}</code>"))
    rows.append(("measured", _val_html(ce, "measured")))
    rows.append(("refuted statement predicts", f"{_val_html(ce, 'predicted')} &nbsp;(relation "
                                               f"{html.escape(ce['relation'] or '')}: {verdict_badge(ce['verdict'])})"))
    if cor is not None:
        rows.append(("corrected form predicts", f"{_val_html(cor, 'predicted')} &nbsp;(relation "
                                                f"{html.escape(cor['relation'] or '')}: {verdict_badge(cor['verdict'])},"
                                                f" claim <code>{html.escape(c['corrected'])}</code>)"))
    rows.append(("why", html.escape(c.get("reason") or "")))
    if ce.get("note"):
        rows.append(("note", html.escape(ce["note"])))
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{v}</td></tr>" for k, v in rows)
    display(HTML(f'<table class="metacot-table finding-table"><tbody>{body}</tbody></table>'))


def _breakable(s: str) -> str:
    """HTML of an instance id that may wrap after its separators (never mid-word)."""
    return re.sub(r"([,/;=])", r"\1<wbr>", html.escape(s))


def _val_html(inst: dict, key: str) -> str:
    if inst.get(key + "_tex"):
        return math_html(inst[key + "_tex"], display_mode=False)
    return html.escape(short(inst.get(key)))


def chapter_claims(prefix: str) -> list[dict]:
    return [c for c in report()["claims"] if c["id"].startswith(prefix + ".")]


def elapsed() -> str:
    """Seconds since this page's kernel imported booksupport."""
    return f"{time.perf_counter() - _T0:.1f} s"


# --------------------------------------------------------------------------------------------- book index
AREA_CHAPTER = {"hitting": "hitting", "search": "sparse_edge_search", "pretrain": "pretraining", "ppo": "ppo",
                "distill": "distillation", "lower": "lower_bounds"}
AREA_TESTS = {
    "hitting": ["tests/numerics/solvers/test_hitting.py", "tests/numerics/solvers/test_meta_chain.py"],
    "search": ["tests/numerics/algorithms/test_search.py"],
    "pretrain": ["tests/numerics/algorithms/test_pretrain.py"],
    "ppo": ["tests/numerics/algorithms/test_ppo.py"],
    "distill": ["tests/numerics/algorithms/test_distill.py"],
    "lower": ["tests/numerics/lower_bounds/test_sq.py", "tests/numerics/lower_bounds/test_logical.py"],
}
MUTATION_AUDIT = "tests/numerics/verify/test_mutation_audit.py"


def book_index() -> dict:
    """What the book's sources contain: numbered statements {label: page}, figures {name: (page, claims)}
    (a figure cell names the claims it illustrates in a comment line ``# claims: id, id``)."""
    thms, figs = {}, {}
    for f in sorted(glob.glob(os.path.join(HERE, "*.md"))):
        page = os.path.splitext(os.path.basename(f))[0]
        text = open(f, encoding="utf-8").read()
        for m in re.finditer(r"^:label:\s*(thm-[\w.-]+)\s*$", text, re.M):
            thms[m.group(1)] = page
        for cell in re.findall(r"```\{code-cell\}.*?```", text, re.S):
            m = re.search(r"name:\s*(fig-[\w-]+)", cell)
            if m:
                cl = re.search(r"^#\s*claims:\s*(.+)$", cell, re.M)
                figs[m.group(1)] = (page, [c.strip() for c in cl.group(1).split(",")] if cl else [])
    return {"theorems": thms, "figures": figs}


def tests_for(cid: str) -> list[str]:
    """Test files that exercise a claim: its area's numerics tests, tests naming the claim, the audit."""
    area = cid.split(".")[0]
    out = list(AREA_TESTS.get(area, []))
    for f in sorted(glob.glob(os.path.join(ROOT, "tests", "**", "test_*.py"), recursive=True)):
        rel = os.path.relpath(f, ROOT).replace(os.sep, "/")
        if rel in out or rel == MUTATION_AUDIT or rel.startswith("tests/book/"):
            continue
        try:
            if f'"{cid}"' in open(f, encoding="utf-8").read():
                out.append(rel)
        except OSError:
            pass
    return out + [MUTATION_AUDIT]


def thm_ref(cid: str, idx: dict | None = None) -> str:
    """MyST cross-reference to the claim's numbered statement ('—' when the book has none)."""
    idx = idx or book_index()
    lab = theorem_label(cid)
    return f"{{prf:ref}}`{lab}`" if lab in idx["theorems"] else "—"


def reproduce_command(c: dict) -> str:
    return f"metacot refute {c['id']}" if c["expect"] == "refuted" else f"metacot verify --claim {c['id']} --seed 0"


# --------------------------------------------------------------------------------------------- verification page
def _md_cell(s: str) -> str:
    """Plain text as MyST markdown: every markup character escaped, on one line."""
    return re.sub(r"([\\`*_{}\[\]<>()#+!|$~^&])", r"\\\1", " ".join(str(s).split()))


def verification_summary() -> None:
    """One row per claim: link to its entry, numbered statement, strongest rung, expectation, outcome."""
    rep, idx = report(), book_index()
    s = rep["summary"]
    rungs = ", ".join(f"{n} {r}" for r, n in s["strongest_rung"].items() if n)
    lines = [f"**{s['claims']} claims**, {s['meet_expectation']} meet their expectation: {s['hold']} hold, "
             f"{s['refuted_as_expected']} are refuted as expected, {s['fail']} fail, {s['not_refuted']} are no longer "
             f"refuted, {s['inconclusive']} are inconclusive. Strongest evidence per claim: {rungs}. The last column counts the "
             f"quick instances that support the outcome (they hold; for a refuted statement, they refute it).", "",
             "```{list-table}", ":header-rows: 1", ":class: verification-summary", ":widths: 28 15 14 12 18 13", "",
             "* - claim", "  - statement", "  - evidence", "  - expected", "  - outcome", "  - instances"]
    for c in rep["claims"]:
        good, n = _counts(c)
        lines += [f"* - {{ref}}`{c['id']} <{anchor(c['id'])}>`", f"  - {thm_ref(c['id'], idx)}",
                  f"  - {rung_badge(c['rung'])}", f"  - {c['expect']}", f"  - {outcome_badge(c['outcome'])}",
                  f"  - {good}/{n}"]
    lines.append("```")
    display(Markdown("\n".join(lines)))


def _value_cell(inst: dict, key: str) -> str:
    t = inst.get(key + "_tex")
    if t and len(t) <= 60:
        return math_html(t, display_mode=False)
    v = inst.get(key)
    if t or (isinstance(v, str) and not re.fullmatch(r"[-\d./e+]+", v)):
        return f"<code>{_breakable(str(v))}</code>"
    return html.escape(short(v))


def _slack_cell(inst: dict) -> str:
    v = inst.get("slack")
    if isinstance(v, str) and not re.fullmatch(r"[-\d./e+]+", v):
        return "—"                     # symbolic (proved parts): the relation is decided symbolically
    return html.escape(short(v, 3))


def _tolerance_cell(inst: dict, part: dict | None) -> str:
    tol = inst.get("tolerance")
    if tol in (0, "0", None):
        return "exact" if inst.get("rung") not in ("statistical",) else (part or {}).get("confidence") or "—"
    rel = " (relative)" if part and part.get("relative") else ""
    return html.escape(short(tol, 3)) + rel


def _is_symbolic(inst: dict, key: str) -> bool:
    v = inst.get(key)
    return bool(inst.get(key + "_tex")) or (isinstance(v, str) and not re.fullmatch(r"[-+\d./e]+", v))


def _symbolic_block(inst: dict, key: str) -> str:
    t = inst.get(key + "_tex")
    if t and len(t) <= 220:
        return math_html(t)
    return f'<code class="symbolic">{_breakable(str(inst.get(key)))}</code>'


REL_SYMBOL = {"==": "=", "<=": "≤", ">=": "≥", "<": "<", ">": ">"}


def instances_table(c: dict) -> str:
    """One row per instance (id and rung, measured, relation, predicted, slack, tolerance, verdict); symbolic
    values (proved parts) and notes get full-width rows below their instance."""
    parts = {p["name"]: p for p in c["parts"]}
    rows = []
    for i in c["instances"]:
        note = (i.get("note") or "").strip()
        sym = _is_symbolic(i, "measured") or _is_symbolic(i, "predicted")
        rel = REL_SYMBOL.get(i.get("relation") or "", i.get("relation") or "—")
        cls = " ".join(x for x in (i["verdict"], "has-more" if (note or sym) else "") if x)
        meas = "symbolic ↓" if sym else _value_cell(i, "measured")
        pred = "symbolic ↓" if sym else _value_cell(i, "predicted")
        rows.append(
            f'<tr class="{cls}"><td class="iid"><code>{_breakable(i["id"])}</code> '
            f'{rung_badge(i.get("rung"), markdown=False)}</td>'
            f'<td>{meas}</td><td class="rel">{html.escape(rel)}</td><td>{pred}</td>'
            f'<td>{_slack_cell(i)}</td><td>{_tolerance_cell(i, parts.get(i.get("part")))}</td>'
            f'<td>{verdict_badge(i["verdict"])}</td></tr>')
        if sym:
            more = "has-more" if note else ""
            rows.append(f'<tr class="symbolic {more}"><td colspan="7"><div class="sym-label">measured</div>'
                        f'{_symbolic_block(i, "measured")}<div class="sym-label">predicted ({html.escape(rel)})</div>'
                        f'{_symbolic_block(i, "predicted")}</td></tr>')
        if note:
            rows.append(f'<tr class="note"><td colspan="7">note: {html.escape(note)}</td></tr>')
    cols = "".join(f'<col style="width: {w}%">' for w in (29, 17, 4, 17, 9, 13, 11))
    head = "".join(f"<th>{h}</th>" for h in ("instance · rung", "measured", "", "predicted", "slack", "tolerance",
                                                 "verdict"))
    return (f'<table class="metacot-table instances"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>'
            f'<tbody>' + "".join(rows) + "</tbody></table>")


def verification_details() -> None:
    """Every claim: statement as math, what it sharpens, its parts with their tolerances and justifications,
    every instance (id, measured, relation, predicted, slack, tolerance, verdict) and every note in full."""
    rep, idx = report(), book_index()
    out = []
    area = None
    for c in rep["claims"]:
        a = c["id"].split(".")[0]
        if a != area:
            area = a
            chap = AREA_CHAPTER.get(a)
            out.append(f"### `{a}.*` — {{doc}}`{chap}`" if chap else f"### `{a}.*`")
            out.append("")
        good, n = _counts(c)
        out.append(f"({anchor(c['id'])})=")
        out.append(f":::{{dropdown}} `{c['id']}` {rung_badge(c['rung'])} {outcome_badge(c['outcome'])}")
        out.append(":class-container: claim-entry")
        out.append("")
        head = [f"**Paper:** {_md_cell(c['paper'])}.", f"**Numbered statement:** {thm_ref(c['id'], idx)}.",
                f"**Expected:** {c['expect']}; **outcome:** {c['outcome']} ({good} of {n} quick instances "
                f"{'hold' if c['expect'] == 'holds' else 'refute it'})."]
        if c["expect"] == "refuted":
            head.append(f"**Why it is false:** {_md_cell(c.get('reason') or '')} **Counterexample:** "
                        f"`{c.get('counterexample')}`." + (
                            f" **Corrected form:** {{ref}}`{c['corrected']} <{anchor(c['corrected'])}>`."
                            if c.get("corrected") else ""))
        out.append(" ".join(head))
        out.append("")
        if c.get("description"):
            out.append(_md_cell(c["description"]))
            out.append("")
        out.append("Statement (as checked):")
        out.append("")
        out.append('<div class="claim-statement">' + "".join(math_html(t) for t in c["relations_tex"]) + "</div>")
        out.append("")
        plines = []
        for p in c["parts"]:
            tol = p.get("tolerance")
            tol_s = "exact (tolerance 0)" if tol in (0, "0", None) else \
                f"tolerance {short(tol, 3)}{' (relative)' if p.get('relative') else ' (absolute)'}"
            if p["rung"] == "statistical":
                tol_s = f"confidence {p.get('confidence')}"
            rel = " checks the relation(s) below;" if p.get("relations_tex") else " checks the statement;"
            just = f" {_md_cell(p['justification'])}" if p.get("justification") else ""
            plines.append(f"- part `{p['name']}` ({p['rung']}):{rel} {tol_s}.{just}")
            if p.get("relations_tex"):
                plines.append("")
                plines.append('  <div class="claim-statement part">' + "".join(math_html(t) for t in p["relations_tex"])
                              + "</div>")
                plines.append("")
        out.append("Parts:")
        out.append("")
        out += plines
        out.append("")
        out.append(instances_table(c))
        out.append("")
        out.append(":::")
        out.append("")
    display(Markdown("\n".join(out)))


def findings() -> None:
    """The refuted statements: each with its reason, counterexample and corrected form."""
    rep, idx = report(), book_index()
    found = [c for c in rep["claims"] if c["expect"] == "refuted"]
    if not found:
        display(Markdown("No statement is registered as refuted."))
        return
    out = []
    for c in found:
        ce = next((i for i in c["instances"] if i["id"] == c.get("counterexample")), None)
        cor = None
        if c.get("corrected"):
            cc = next((x for x in rep["claims"] if x["id"] == c["corrected"]), None)
            cor = next((i for i in (cc or {}).get("instances", []) if ce and i["params"] == ce["params"]), None)
        out.append(f"**{{ref}}`{c['id']} <{anchor(c['id'])}>`** ({thm_ref(c['id'], idx)}) — "
                   f"{outcome_badge(c['outcome'])} — {_md_cell(c.get('reason') or '')}")
        out.append("")
        out.append('<div class="claim-statement">' + "".join(math_html(t) for t in c["relations_tex"]) + "</div>")
        out.append("")
        if ce is not None:
            rows = [("counterexample", f"<code>{_breakable(ce['id'])}</code>"),
                    ("measured", _value_cell(ce, "measured")),
                    ("the refuted statement predicts", _value_cell(ce, "predicted") + " " + verdict_badge(ce["verdict"]))]
            if cor is not None:
                rows.append(("the corrected form predicts", _value_cell(cor, "predicted") + " " + verdict_badge(cor["verdict"])))
            if ce.get("note"):
                rows.append(("note", html.escape(ce["note"])))
            out.append('<table class="metacot-table finding-table"><tbody>' + "".join(
                f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows) + "</tbody></table>")
            out.append("")
        if c.get("corrected"):
            out.append(f"Corrected form: {{ref}}`{c['corrected']} <{anchor(c['corrected'])}>` "
                       f"({thm_ref(c['corrected'], idx)}).")
            out.append("")
    display(Markdown("\n".join(out)))


def embedded_report() -> None:
    """The report as JSON inside the page (<script id="verify-report">), for tools and tests."""
    payload = json.dumps(report()).replace("</", "<\\/")
    display(HTML(f'<script type="application/json" id="verify-report">{payload}</script>'))


def claims_index() -> None:
    """Claim id → paper section → numbered statement (chapter) → figures → tests → reproduce command."""
    rep, idx = report(), book_index()
    figs_of: dict[str, list[str]] = {}
    for name, (page, cids) in idx["figures"].items():
        for cid in cids:
            figs_of.setdefault(cid, []).append(name)
    out = ["```{list-table}", ":header-rows: 1", ":class: claims-index", ":widths: 33 18 13 36", "",
           "* - claim · reproduce", "  - paper", "  - in this book", "  - tests (tests/numerics/…)"]
    order = list(AREA_CHAPTER)
    for c in sorted(rep["claims"], key=lambda c: order.index(c["id"].split(".")[0]) if c["id"].split(".")[0] in order
                    else len(order)):
        where = "<br>".join([thm_ref(c["id"], idx)] + [f"{{numref}}`{f}`" for f in figs_of.get(c["id"], [])])
        tests = "<br>".join(f"`{t.replace('tests/numerics/', '')}`" for t in tests_for(c["id"]) if t != MUTATION_AUDIT)
        out += [f"* - {{ref}}`{c['id']} <{anchor(c['id'])}>`<br>`{reproduce_command(c)}`",
                f"  - {_md_cell(c['paper'])}", f"  - {where}", f"  - {tests or '—'}"]
    out.append("```")
    display(Markdown("\n".join(out)))
