"""Helpers shared by the book's pages (imported by the notebook cells; cells run with cwd = book/).

Only presentation lives here: figure style, rendering sympy statements and claim tables.
Every number shown is computed by `numerics` during the build.
"""
from __future__ import annotations

import html
import time
from fractions import Fraction

import matplotlib.pyplot as plt  # noqa: E402  (inline backend inside the kernel)
import sympy as sp  # noqa: E402
from IPython.display import HTML, Math, display  # noqa: E402

from metacot.numerics.numbers import format_number  # noqa: E402

_T0 = time.perf_counter()

COLORS = {"measured": "#1f77b4", "predicted": "#d62728", "reference": "#7f7f7f", "second": "#2ca02c",
          "third": "#9467bd", "fourth": "#ff7f0e"}


def setup_style() -> None:
    """One figure style for the whole book (PNG, 110 dpi, light grid)."""
    plt.rcParams.update({
        "figure.figsize": (6.4, 4.0),
        "figure.dpi": 110,
        "savefig.dpi": 110,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
        "font.size": 12,
        "legend.fontsize": 10,
        "axes.titlesize": 12,
    })


def show_math(expr, lhs: str | None = None, rel: str = "=") -> None:
    """Render a sympy expression (or relation) as display math, optionally as `lhs rel expr` (LaTeX lhs/rel)."""
    tex = sp.latex(expr)
    display(Math(f"{lhs} {rel} {tex}" if lhs else tex))


def show_claim_statement(claim_id: str) -> None:
    """Render a registered claim's sympy statement, its paper reference and tolerance justification."""
    from metacot.numerics.verify.registry import load_builtin_claims

    claim = load_builtin_claims()[claim_id]
    st = claim.statement
    tex = sp.latex(st) if isinstance(st, sp.Basic) else html.escape(str(st))
    display(HTML(f'<p class="claim-head"><code>{html.escape(claim.id)}</code> &mdash; '
                 f'{html.escape(claim.paper)}</p>'))
    display(Math(tex))
    if claim.description:
        display(HTML(f'<p class="claim-desc">{html.escape(claim.description)}</p>'))


def fmt(x, digits: int = 6) -> str:
    """Short display form: exact rationals as p/q (abbreviated when long), floats to `digits`."""
    if x is None:
        return "–"
    if isinstance(x, Fraction):
        s = format_number(x)
        if len(s) <= 24:
            return s
        return f"{s[:10]}…({float(x):.{digits}g})"
    if isinstance(x, (int,)) and not isinstance(x, bool):
        return str(x)
    try:
        return f"{float(x):.{digits}g}"
    except (TypeError, ValueError):
        return html.escape(str(x))


def html_table(header, rows, caption: str | None = None, classes: str = "metacot-table") -> None:
    """Display a plain HTML table (cells are escaped unless they are tuples ('raw', html))."""
    def cell(v):
        if isinstance(v, tuple) and len(v) == 2 and v[0] == "raw":
            return v[1]
        return html.escape(v if isinstance(v, str) else fmt(v))

    out = [f'<table class="{classes}">']
    if caption:
        out.append(f"<caption>{html.escape(caption)}</caption>")
    out.append("<thead><tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in header) + "</tr></thead><tbody>")
    for r in rows:
        out.append("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in r) + "</tr>")
    out.append("</tbody></table>")
    display(HTML("".join(out)))


def verdict_badge(verdict: str) -> tuple:
    """('raw', html) badge for a verdict (classes verdict-holds / verdict-fails / verdict-inconclusive)."""
    v = html.escape(verdict)
    return ("raw", f'<span class="verdict verdict-{v}">{v}</span>')


def elapsed() -> str:
    """Seconds since this page's kernel imported booksupport (printed at the end of each page)."""
    return f"{time.perf_counter() - _T0:.1f} s"


def plain_log_ticks(ax, values, axis: str = "x") -> None:
    """Label a log axis with the plotted values as plain numbers (no 3×10^0 clutter, no minor labels)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

    a = ax.xaxis if axis == "x" else ax.yaxis
    a.set_major_locator(FixedLocator(list(values)))
    a.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    a.set_minor_locator(NullLocator())
    a.set_minor_formatter(NullFormatter())


def claim_verdicts(pattern: str) -> None:
    """Run the claims matching `pattern` on their quick instances (seed 0, as `metacot verify --quick`) and
    show one row per claim: verdict, instances held, and the note of the first instance that does not hold."""
    from metacot.numerics.verify.registry import load_builtin_claims, select
    from metacot.numerics.verify.runner import run_claims

    load_builtin_claims()
    reports = run_claims(select([pattern]), quick=True, seed=0)
    rows = []
    for r in reports:
        bad = [x for x in r.results if x.verdict != "holds"]
        note = ""
        if bad:
            note = f"{params_text(bad[0].params)}: {bad[0].note}" if bad[0].note else params_text(bad[0].params)
        anchor = "claim-" + r.claim.id.replace(".", "-")
        rows.append([("raw", f'<a href="verification.html#{anchor}"><code>{html.escape(r.claim.id)}</code></a>'),
                     verdict_badge(r.verdict), f"{len(r.results) - len(bad)}/{len(r.results)}",
                     note[:400] + ("…" if len(note) > 400 else "")])
    html_table(["claim", "verdict", "instances holding", "first instance that does not hold"], rows,
               caption=f"claims {pattern}: quick instances, seed 0 (full table: Verification status)")


def params_text(p: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in p.items())
