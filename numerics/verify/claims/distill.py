"""Claims distill.* (spec 04, paper Sec. 4, Alg. 4): meta-chain distillation.

Monte Carlo checks use z = 4 standard errors (two-sided normal confidence 99.994%); every other
check is exact rational arithmetic. Instance kinds:
  exact-meta    — the distilled chain built from the exact per-step meta kernel q∘^ε = ε r (exact);
  learned-limit — built from p_ε, the almost-sure T → ∞ limit of the fitted kernel at this ε (exact);
  estimated     — built from simulated CoT data of finite length T (Monte Carlo, seeded).
"""
from __future__ import annotations

import math
import time
from fractions import Fraction

import numpy as np
import sympy as sp

from metacot.theory import distillation as th
from metacot.theory.symbols import K as K_sym, M as M_sym, b as b_sym, eps as eps_sym, q as q_sym

from metacot.numerics.chain import row_rescaled_chain
from metacot.numerics.algorithms.distill import (Labelling, cluster_pair, distilled_model, exact_meta_kernel, fit_meta_kernel, generate_data,
                       stationary_label_kernel)
from metacot.numerics.errors import InsufficientDataError
from metacot.numerics.solvers.hitting import hitting_time
from metacot.numerics.solvers.reduction import hitting_reduction
from metacot.numerics.solvers.meta_chain import escape_rates, jump_chain, jump_hitting_times, meta_hitting_times, meta_rates
from metacot.numerics.numbers import format_number
from metacot.numerics.families import family_chain
from metacot.numerics.verify.legacy import Claim, InstanceResult, register

PAPER = "Sec. 4, Alg. 4"
Z = 4.0  # Monte Carlo z-score: two-sided normal confidence 99.994%


# ----------------------------------------------------------------------------- shared helpers
def equal_rates_counterexample():
    """4 states, clusters {0}, {1,2}, {3}; block {1,2} uniform (doubly stochastic); sparse edges
    0→1, 1→0, 2→3, 3→0 of weight 1. All λ_k = 1, so the (1 + 1/b) bound of D3 has no slack at ε → 0."""
    h = Fraction(1, 2)
    return row_rescaled_chain([[[1]], [[h, h], [h, h]], [[1]]], {(0, 1): 1, (1, 0): 1, (2, 3): 1, (3, 0): 1},
                              start=0, target=3, name="equal-rates-4")


def instance_chain(params):
    """The chain named by an instance's params (metacot.numerics.families.family_chain, plus the "equal-rates-4" counterexample)."""
    if params.get("family") == "equal-rates-4":
        return equal_rates_counterexample()
    return family_chain(params)


def _decades(lo, hi):
    return [Fraction(1, 10 ** d) for d in range(lo, hi + 1)]


def _jump_hitting_se(J, escapes, k_in, k_out):
    """Delta-method standard error of ĥ^jump(k_in → k_out) when row k of Ĵ is a multinomial frequency
    of escapes[k] escapes: Var ≈ Σ_k G(k_in,k)² Var_{l∼J(k,·)}[h(l)] / n_k, G = expected visits
    (state reduction with cost 1 at k only, metacot.numerics.solvers.reduction.hitting_reduction)."""
    K = len(J)
    Jf = [[float(v) for v in row] for row in J]
    others = [k for k in range(K) if k != k_out]
    idx = {k: i for i, k in enumerate(others)}
    rows = [{idx[l]: Jf[k][l] for l in others if l != k and Jf[k][l] > 0} for k in others]
    exit_mass = [Jf[k][k_out] for k in others]
    h = dict(zip(others, hitting_reduction(rows, exit_mass, [1.0] * len(others))))
    h[k_out] = 0.0
    var = 0.0
    for k in others:
        G = hitting_reduction(rows, exit_mass, [1.0 if m == k else 0.0 for m in others])[idx[k_in]]
        m1 = sum(Jf[k][l] * h[l] for l in range(K))
        m2 = sum(Jf[k][l] * h[l] ** 2 for l in range(K))
        var += G * G * max(m2 - m1 * m1, 0.0) / escapes[k]
    return math.sqrt(var)


# ============================================================================= D1 escape-preserved
def _d1_instances(quick):
    inst = [{"kind": "symbolic", "rows": 3},
            {"kind": "identity", "family": "uniform-escape", "K": 3, "M": 2, "eps": "1/100", "T": 20000, "walkers": 8},
            # 400 walkers: pooled SE(Ĵ) ≈ 1.0% of J^ε, so (4 + 3.09)·SE < 10% (200 walkers: ≈ 1.4%, 10%)
            {"kind": "convergence", "family": "uniform-escape", "K": 3, "M": 2, "eps": "1/100", "T": 15000,
             "walkers": 400},
            {"kind": "convergence", "family": "uniform-escape", "K": 3, "M": 2, "eps": "1/100", "T": 60000,
             "walkers": 200}]
    if not quick:
        inst += [{"kind": "symbolic", "rows": 4},
                 {"kind": "identity", "family": "random", "seed": 7, "sizes": [2, 3, 2], "eps": "1/100",
                  "T": 20000, "walkers": 8},
                 {"kind": "convergence", "family": "uniform-escape", "K": 3, "M": 2, "eps": "1/100", "T": 240000,
                  "walkers": 200},
                 # 800 walkers: the smallest J^ε entries (1/3, 0.38) have pooled SE ≈ 1.2% (200 walkers: 2.5%)
                 {"kind": "convergence", "family": "random", "seed": 3, "sizes": [2, 2, 3], "extra": 3,
                  "eps": "1/100", "T": 20000, "walkers": 800},
                 {"kind": "convergence", "family": "random", "seed": 3, "sizes": [2, 2, 3], "extra": 3,
                  "eps": "1/100", "T": 80000, "walkers": 200}]
    return inst


def _d1_check(params, seed):
    kind = params["kind"]
    if kind == "symbolic":
        res = th.escape_identity_residual(params["rows"])
        ok = all(r == 0 for r in res)
        return InstanceResult(params, 0, [str(r) for r in res], 0, 0, "holds" if ok else "fails",
                              "sympy: q⁺(k,l)/(1 − q⁺(k,k)) − q(k,l)/(1 − q(k,k)) for a generic softmax row "
                              "with off-diagonal logits shifted by β")
    chain = instance_chain(params)
    eps = chain.check_eps(params["eps"])
    data = generate_data(chain, eps, params["T"], seed=seed, walkers=params["walkers"], start="stationary",
                         keep_per_walker=(kind == "convergence"))
    if kind == "identity":
        fit = fit_meta_kernel(data.counts)
        before = fit.escape_law()
        scales = {"1": Fraction(1), "2": Fraction(2), "1000": Fraction(1000), "10^12": Fraction(10 ** 12)}
        worst = Fraction(0)
        for label, w in scales.items():
            after = distilled_model(fit.probs, scale=w).escape_law()
            worst = max(worst, max(abs(a - c) for ra, rc in zip(after, before) for a, c in zip(ra, rc)))
        auto = distilled_model(fit.probs, beta="auto", b=10)
        worst = max(worst, max(abs(a - c) for ra, rc in zip(auto.escape_law(), before) for a, c in zip(ra, rc)))
        return InstanceResult(params, Fraction(0), worst, worst, Fraction(0), "holds" if worst == 0 else "fails",
                              f"exact Fractions on the fitted kernel (escapes per cluster {fit.escapes}); "
                              "e^β ∈ {1, 2, 1000, 10^12, auto b=10}: max |Ĵ⁺ − Ĵ| over all entries")
    # convergence: (a) RMS of Ĵ − J over walkers vs the binomial prediction (conditional on escape counts);
    # (b) the pooled escape law Σ_w n_w(k,l)/Σ_w esc_w(k) vs its exact T → ∞ limit J^ε (the prediction itself)
    J = jump_chain(chain)
    p, mass = stationary_label_kernel(chain, eps)
    Jeps = [[Fraction(0) if l == k else p[k][l] / (1 - p[k][k]) for l in range(chain.K)] for k in range(chain.K)]
    entries = [(k, l) for k in range(chain.K) for l in range(chain.K) if l != k and 0 < Jeps[k][l] < 1]
    if not entries:
        raise ValueError("convergence instances need a chain whose jump chain is not deterministic")
    per = data.per_walker
    esc = per.sum(axis=2) - np.einsum("wkk->wk", per)                      # (W, K) escapes per walker
    if (esc == 0).any():
        return InstanceResult(params, None, None, None, None, "inconclusive",
                              f"insufficient data: {int((esc == 0).any(axis=1).sum())} walker(s) saw no escape "
                              "from some cluster")
    se2, pred2 = [], []
    for k, l in entries:
        Jhat = per[:, k, l] / esc[:, k]
        se2.append((Jhat - float(J[k][l])) ** 2)
        je = float(Jeps[k][l])
        pred2.append(je * (1 - je) / esc[:, k] + (je - float(J[k][l])) ** 2)
    measured = math.sqrt(float(np.mean(se2)))
    predicted = math.sqrt(float(np.mean(pred2)))
    err = abs(measured / predicted - 1)
    tol = 0.2
    z_max, z_at = _pooled_escape_z(per, esc, Jeps, entries)
    floor = max(abs(float(Jeps[k][l] - J[k][l])) for k in range(chain.K) for l in range(chain.K))
    mean_esc = float(esc.mean())
    ok = err <= tol and z_max <= Z
    return InstanceResult(params, {"rms": predicted, "rms_ratio_tol": tol, "pooled_z_tol": Z},
                          {"rms": measured, "rms_ratio_dev": err, "pooled_z": z_max},
                          max(err / tol, z_max / Z), 1, "holds" if ok else "fails",
                          f"(a) RMS(Ĵ − J) over {per.shape[0]} walkers × {len(entries)} entries: {measured:.5g} vs "
                          f"prediction √(J^ε(1−J^ε)/n_k + (J^ε − J)²) = {predicted:.5g} (|ratio − 1| = {err:.3g} ≤ "
                          f"{tol}); mean escapes per cluster per walker {mean_esc:.1f} (error ∝ T^(-1/2)); as T → ∞ "
                          f"it tends to the exact ε-bias max|J^ε − J| = {floor:.3g}, which is O(ε). (b) pooled Ĵ vs "
                          f"exact J^ε: max |z| = {z_max:.3g} at {z_at} (≤ {Z:g}; walker-level SE). error = "
                          "max(|ratio − 1|/0.2, |z|/4), tolerance 1")


def _pooled_escape_z(per, esc, Jeps, entries):
    """max over entries of |Ĵ_pool(k,l) − J^ε(k,l)| / SE, Ĵ_pool = Σ_w n_w(k,l) / Σ_w esc_w(k) (ratio estimator
    over W independent walkers); SE² = W/(W−1)·Σ_w (n_w(k,l) − Ĵ_pool·esc_w(k))² / (Σ_w esc_w(k))² (the
    walker-level, i.e. cluster-robust, delta-method variance: it assumes only that walkers are independent, not
    that successive escapes of one walker are). Returns (max |z|, (k, l) where attained)."""
    W = per.shape[0]
    best, at = 0.0, None
    for k, l in entries:
        n = per[:, k, l].astype(float)
        e = esc[:, k].astype(float)
        jhat = n.sum() / e.sum()
        se = math.sqrt(float(np.sum((n - jhat * e) ** 2)) * W / (W - 1)) / e.sum()
        z = abs(jhat - float(Jeps[k][l])) / se if se > 0 else (0.0 if jhat == float(Jeps[k][l]) else math.inf)
        if z >= best:
            best, at = float(z), (k, l)
    return best, at


register(Claim(
    id="distill.escape-preserved",
    paper=PAPER,
    statement=th.escape_preserved,
    instances=_d1_instances,
    check=_d1_check,
    tolerance="identity: exact (sympy and Fractions, tolerance 0). convergence: (a) |RMS/prediction − 1| ≤ 0.2 — "
              "the mean square over ≥ 200 walkers has relative sampling error ≈ √(2/200) = 10%, so the RMS ≈ 5%; "
              "4σ (99.994%) = 20% (this rate check alone resolves only ≈ 15% errors in J^ε); (b) the pooled escape "
              "law Ĵ within 4 walker-level standard errors (99.994%) of its exact T → ∞ limit J^ε for every entry: "
              "(4 + 3.09)·SE ≤ 10% of J^ε on every convergence instance (≥ 99.9% power against a 10% error in "
              "J^ε; measured max SE/J^ε: 1.1% at T = 15000 × 400 walkers, 0.8% at 60000 × 200, 1.2% for the random "
              "chain at 20000 × 800 and 80000 × 200).",
    description="Rescaling Z⁺ = Z + β(11ᵀ − I) leaves the escape law q̂(k,l)/(1 − q̂(k,k)) unchanged for every β "
                "(exact); the estimated escape law converges to the jump chain J at rate T^(-1/2) up to an O(ε) bias.",
    module=__name__, tags=("distill", "monte-carlo")))


# ============================================================================= D2 per-step-meta
def _d2_instances(quick):
    inst = [{"family": "ring", "K": 3, "M": 3, "eps": "1/100", "T": 45000, "walkers": 200}]
    if not quick:
        inst += [{"family": "uniform-escape", "K": 3, "M": 2, "eps": "1/100", "T": 60000, "walkers": 200},
                 {"family": "random", "seed": 3, "sizes": [2, 2, 3], "extra": 3, "eps": "1/100", "T": 60000,
                  "walkers": 200},
                 {"family": "ring", "K": 3, "M": 3, "eps": "1/1000", "T": 450000, "walkers": 100}]
    return inst


def _d2_check(params, seed):
    chain = instance_chain(params)
    eps = chain.check_eps(params["eps"])
    T, W = params["T"], params["walkers"]
    r = meta_rates(chain)
    p, mass = stationary_label_kernel(chain, eps)
    p10, _ = stationary_label_kernel(chain, eps / 10)
    data = generate_data(chain, eps, T, seed=seed, walkers=W, start="stationary", keep_per_walker=True)
    per = data.per_walker
    occ = per.sum(axis=2)                                                     # (W, K) N_k per walker
    if (occ == 0).any():
        return InstanceResult(params, None, None, None, None, "inconclusive",
                              "insufficient data: some walker never visited some cluster")
    worst_z, worst_spread, worst_bias_ratio = 0.0, 0.0, 0.0
    detail = []
    for k in range(chain.K):
        for l in range(chain.K):
            if l == k or r[k][l] == 0:
                continue
            er = eps * r[k][l]
            # mean: pooled estimate vs the exact T → ∞ limit p_ε(k,l); relative SE = 1/√(expected pooled count)
            pooled = per[:, k, l].sum() / occ[:, k].sum()
            z = abs(pooled - float(p[k][l])) * math.sqrt(occ[:, k].sum() * float(p[k][l])) / float(p[k][l])
            worst_z = max(worst_z, float(z))
            # O(ε): exact relative bias of p_ε against ε r must shrink ~10× when ε does
            bias = abs(p[k][l] / er - 1)
            bias10 = abs(p10[k][l] / (eps / 10 * r[k][l]) - 1)
            if bias > 0:
                worst_bias_ratio = max(worst_bias_ratio, float(bias10 / bias))
            # spread: per-walker relative standard deviation vs 1/√(T π(C_k) ε r(k,l))
            rel = (per[:, k, l] / occ[:, k]) / float(er)
            pred = 1 / math.sqrt(T * float(mass[k]) * float(er))
            dev = abs(float(np.std(rel, ddof=1)) / pred - 1)
            worst_spread = max(worst_spread, dev)
            detail.append(f"({k},{l}): pooled/(εr) = {pooled / float(er):.4f}, spread {np.std(rel, ddof=1):.4f} vs "
                          f"{pred:.4f}, exact bias p_ε/(εr) − 1 = {float(p[k][l] / er - 1):.3g}")
    ok = worst_z <= Z and worst_spread <= 0.25 and worst_bias_ratio <= 0.2
    return InstanceResult(params, {"z": Z, "spread": 0.25, "bias_shrink": 0.2},
                          {"z": worst_z, "spread": worst_spread, "bias_shrink": worst_bias_ratio},
                          worst_spread, 0.25, "holds" if ok else "fails",
                          "; ".join(detail) + f". {W} walkers × T = {T} from the stationary law")


register(Claim(
    id="distill.per-step-meta",
    paper=PAPER,
    statement=th.per_step_meta_statement,
    instances=_d2_instances,
    check=_d2_check,
    tolerance="mean: pooled q̂(k,l) within 4 standard errors (99.994%) of the exact T → ∞ limit p_ε(k,l), whose "
              "relative bias against ε r(k,l) must shrink by ≥ 5× when ε shrinks 10× (O(ε)). spread: |sd/prediction − "
              "1| ≤ 0.25 — a sample sd from ≥ 100 walkers has relative error ≤ 1/√(2·99) ≈ 7% (4σ ≈ 28%, we allow "
              "25% with 200 walkers, 4σ = 20%, leaving 5% for the O(1/√count) terms the formula drops).",
    description="q̂(k,l) estimates ε r(k,l)(1 + O(ε)) with relative standard error 1/√(T π(C_k) ε r(k,l)).",
    module=__name__, tags=("distill", "monte-carlo")))


# ============================================================================= D3 order-K
def _limit_kernel(chain, b):
    """ε → 0 limit of the auto-rescaled exact meta kernel: stay 1/(1 + a_k), move a_k J(k,l)/(1 + a_k),
    a_k = b λ_k / λ_min."""
    lam = escape_rates(chain)
    J = jump_chain(chain)
    lmin = min(lam)
    out = []
    for k in range(chain.K):
        a = b * lam[k] / lmin
        out.append([1 / (1 + a) if l == k else a * J[k][l] / (1 + a) for l in range(chain.K)])
    return out


def _d3_instances(quick):
    inst = [{"kind": "exact-meta", "family": "ring", "K": 5, "M": 4, "b": "10"},
            {"kind": "exact-meta", "family": "uniform-escape", "K": 4, "M": 3, "b": "1"},
            {"kind": "exact-meta", "family": "random", "seed": 11, "sizes": [2, 3, 1, 2], "b": "10"},
            {"kind": "learned-limit", "family": "ring", "K": 5, "M": 4, "b": "10", "eps": "1/100"},
            {"kind": "learned-limit", "family": "equal-rates-4", "b": "1", "eps": "1/100"},
            {"kind": "estimated", "family": "ring", "K": 4, "M": 3, "b": "10", "eps": "1/100", "T": 60000,
             "walkers": 20}]
    if not quick:
        inst += [{"kind": "exact-meta", "family": "ring", "K": 8, "M": 16, "q": "1/2", "b": "1"},
                 {"kind": "exact-meta", "family": "equal-rates-4", "b": "1"},
                 {"kind": "learned-limit", "family": "equal-rates-4", "b": "10", "eps": "1/1000000000000"},
                 {"kind": "learned-limit", "family": "random", "seed": 11, "sizes": [2, 3, 1, 2], "b": "10",
                  "eps": "1/1000"},
                 {"kind": "learned-limit", "family": "uniform-escape", "K": 4, "M": 3, "b": "10", "eps": "1/100"},
                 {"kind": "estimated", "family": "uniform-escape", "K": 3, "M": 2, "b": "10", "eps": "1/100",
                  "T": 60000, "walkers": 40},
                 {"kind": "estimated", "family": "ring", "K": 4, "M": 3, "b": "1", "eps": "1/1000", "T": 200000,
                  "walkers": 20}]
    return inst


def _d3_check(params, seed):
    chain = instance_chain(params)
    b = Fraction(params["b"])
    lab = Labelling.from_chain(chain)
    k_in, k_out = cluster_pair(chain, lab)
    h_jump = jump_hitting_times(chain)[k_in][k_out]
    bound = (1 + 1 / b) * h_jump
    kind = params["kind"]
    if kind == "exact-meta":
        grid = [e for e in _decades(2, 12) if e <= chain.eps_max]
        values = [distilled_model(exact_meta_kernel(chain, e), beta="auto", b=b, k_in=k_in,
                                  k_out=k_out).expected_steps() for e in grid]
        limit = distilled_model(_limit_kernel(chain, b), k_in=k_in, k_out=k_out).expected_steps()
        ok = all(v <= limit for v in values) and limit <= bound
        note = (f"E_dist over ε = 1e-2..1e-12 rises monotonically to its ε → 0 limit {format_number(limit)} "
                f"(≈ {float(limit):.6g}); bound (1 + 1/b)·h^jump = {format_number(bound)}")
        if params["family"] == "ring":
            closed = [Fraction(str(th.ring_distilled_steps.subs({K_sym: params["K"], M_sym: params["M"],
                                                                   q_sym: sp.Rational(str(params.get("q", 1))),
                                                                   b_sym: sp.Rational(str(b)),
                                                                   eps_sym: sp.Rational(e.numerator, e.denominator)})))
                      for e in grid]
            ok = ok and closed == values
            note += "; equals the ring closed form (K−1)(1 + (1 − εq/M)/b) exactly at every ε"
        mono = all(a <= c for a, c in zip(values, values[1:]))
        ok = ok and mono
        return InstanceResult(params, bound, max(values), bound - max(values), 0, "holds" if ok else "fails", note)
    eps = chain.check_eps(params["eps"])
    if kind == "learned-limit":
        p, _ = stationary_label_kernel(chain, eps)
        model = distilled_model(p, beta="auto", b=b, k_in=k_in, k_out=k_out)
        E = model.expected_steps()
        own = (1 + 1 / b) * model.jump_steps()
        ok = E <= bound
        if params["family"] == "equal-rates-4":
            closed = Fraction(str(th.counterexample_steps.subs({eps_sym: sp.Rational(eps.numerator, eps.denominator),
                                                                 b_sym: sp.Rational(b.numerator, b.denominator)})))
            if closed != E:
                return InstanceResult(params, closed, E, E - closed, 0, "fails",
                                      "the learned-limit kernel disagrees with the hand-derived closed form")
        note = (f"T → ∞ limit of the fitted kernel at ε = {format_number(eps)}: E_dist = {format_number(E)} "
                f"(≈ {float(E):.10g}) vs (1 + 1/b)·h^jump = {format_number(bound)}; against the model's own jump "
                f"chain (1 + 1/b)·ĥ^jump = {float(own):.10g} it holds ({E <= own}). "
                + ("" if ok else "COUNTEREXAMPLE: the learned escape law J^ε differs from J by O(ε) and the "
                   "(1 + 1/b) bound has no slack when all λ_k are equal"
                   + (" (closed form E_dist = 4/(1 − ε) + 4/b > 4(1 + 1/b) for every ε, b)"
                      if params["family"] == "equal-rates-4" else "")))
        return InstanceResult(params, bound, E, E - bound, 0, "holds" if ok else "fails", note)
    # estimated from finite data
    data = generate_data(chain, eps, params["T"], seed=seed, walkers=params["walkers"], start=chain.start)
    fit = fit_meta_kernel(data.counts)
    try:
        model = distilled_model(fit.probs, beta="auto", b=b, k_in=k_in, k_out=k_out)
        E = model.expected_steps()
        hj_hat = model.jump_steps()
        Jhat = fit.escape_law()
    except InsufficientDataError as exc:
        return InstanceResult(params, bound, None, None, None, "inconclusive", str(exc))
    se = _jump_hitting_se(Jhat, fit.escapes, k_in, k_out)
    allowance = (1 + 1 / b) * (h_jump + Fraction(Z * se))
    own_ok = E <= (1 + 1 / b) * hj_hat
    ok = own_ok and E <= allowance
    return InstanceResult(params, bound, E, float(E - bound), float(allowance - bound),
                          "holds" if ok else "fails",
                          f"exact on the fitted kernel: E_dist = {float(E):.10g}, (1 + 1/b)·ĥ^jump = "
                          f"{float((1 + 1 / b) * hj_hat):.10g} (holds: {own_ok}); literal ratio E_dist/((1 + 1/b) "
                          f"h^jump) = {float(E / bound):.6f}; sampling allowance 4·SE(ĥ^jump) = {Z * se:.3g} "
                          f"(delta method, escapes {fit.escapes})")


register(Claim(
    id="distill.order-K",
    paper=PAPER,
    statement=th.order_K_bound,
    instances=_d3_instances,
    check=_d3_check,
    tolerance="exact-meta and learned-limit: exact rational comparison (tolerance 0). estimated: E_dist ≤ "
              "(1 + 1/b)·ĥ^jump exactly (the model's own jump chain), and ≤ (1 + 1/b)(h^jump + 4·SE(ĥ^jump)) with the "
              "delta-method SE of the estimated jump chain (99.994%).",
    description="With e^β = b/(ε min λ), the distilled chain reaches the target cluster in ≤ (1 + 1/b)·h^jump "
                "expected steps, independently of ε. Holds exactly for the exact meta kernel; FAILS by O(ε) for the "
                "kernel the algorithm actually learns (T → ∞ limit p_ε) when the λ_k are equal.",
    module=__name__, tags=("distill",)))


# ============================================================================= D4 timescale
def _d4_instances(quick):
    inst = [{"kind": "exact-meta", "family": "ring", "K": 5, "M": 4},
            {"kind": "exact-meta", "family": "random", "seed": 11, "sizes": [2, 3, 1, 2]},
            {"kind": "learned-limit", "family": "ring", "K": 3, "M": 3},
            {"kind": "estimated", "family": "ring", "K": 3, "M": 3, "eps": "1/100", "T": 30000, "walkers": 200}]
    if not quick:
        inst += [{"kind": "learned-limit", "family": "random", "seed": 11, "sizes": [2, 3, 1, 2]},
                 {"kind": "learned-limit", "family": "equal-rates-4"},
                 {"kind": "exact-meta", "family": "uniform-escape", "K": 4, "M": 3},
                 {"kind": "estimated", "family": "random", "seed": 3, "sizes": [2, 2, 3], "extra": 3,
                  "eps": "1/100", "T": 40000, "walkers": 200}]
    return inst


def _d4_check(params, seed):
    chain = instance_chain(params)
    lab = Labelling.from_chain(chain)
    k_in, k_out = cluster_pair(chain, lab)
    h = meta_hitting_times(chain)[k_in][k_out]
    kind = params["kind"]
    if kind == "exact-meta":
        grid = [e for e in _decades(2, 12) if e <= chain.eps_max]
        worst = max(abs(e * distilled_model(exact_meta_kernel(chain, e), k_in=k_in, k_out=k_out).expected_steps() - h)
                    for e in grid)
        return InstanceResult(params, h, h + worst, worst, Fraction(0), "holds" if worst == 0 else "fails",
                              "β = 0 on q∘^ε: max over ε = 1e-2..1e-12 of |ε·E_dist − h^meta| (exact)")
    if kind == "learned-limit":
        grid = [e for e in _decades(2, 10) if e <= chain.eps_max]
        errs, orig = [], []
        for e in grid:
            p, _ = stationary_label_kernel(chain, e)
            E = distilled_model(p, k_in=k_in, k_out=k_out).expected_steps()
            errs.append(abs(e * E / h - 1))
        for e in (grid[0], grid[-1]):
            orig.append(float(e * hitting_time(chain, chain.start, chain.target, e) / h - 1))
        decreasing = all(a >= c for a, c in zip(errs, errs[1:]))
        ok = decreasing and errs[-1] <= Fraction(1, 10 ** 8)
        return InstanceResult(params, h, float(h * (1 + errs[-1])), float(errs[-1]), 1e-8, "holds" if ok else "fails",
                              "β = 0 on the T → ∞ learned kernel p_ε: relative error of ε·E_dist against h^meta at "
                              "ε = 1e-2..1e-10: " + ", ".join(f"{float(x):.3g}" for x in errs)
                              + f" (monotone: {decreasing}); the original chain's ε·E[τ]/h^meta − 1 = "
                              f"{orig[0]:.3g} at 1e-2, {orig[1]:.3g} at 1e-10")
    eps = chain.check_eps(params["eps"])
    W, B = params["walkers"], 20
    data = generate_data(chain, eps, params["T"], seed=seed, walkers=W, start="stationary", keep_per_walker=True)
    p, _ = stationary_label_kernel(chain, eps)
    bias = abs(eps * distilled_model(p, k_in=k_in, k_out=k_out).expected_steps() - h)
    # the bias allowance is measured against h itself, so it must be shown to be the O(ε) bias: it has to
    # shrink ≥ 5× at ε/10 (otherwise any error in h would be absorbed into the tolerance)
    p10, _ = stationary_label_kernel(chain, eps / 10)
    bias10 = abs(eps / 10 * distilled_model(p10, k_in=k_in, k_out=k_out).expected_steps() - h)
    bias_shrinks = 5 * bias10 <= bias
    try:
        batch = []
        for chunk in np.array_split(data.per_walker, B):
            fitb = fit_meta_kernel(chunk.sum(axis=0))
            batch.append(float(eps * distilled_model(fitb.probs, k_in=k_in, k_out=k_out).expected_steps()))
        fit = fit_meta_kernel(data.counts)
        measured = float(eps * distilled_model(fit.probs, k_in=k_in, k_out=k_out).expected_steps())
    except InsufficientDataError as exc:
        return InstanceResult(params, h, None, None, None, "inconclusive", str(exc))
    se = float(np.std(batch, ddof=1) / math.sqrt(B))
    tol = Z * se + float(bias)
    err = abs(measured - float(h))
    return InstanceResult(params, h, measured, err, tol, "holds" if err <= tol and bias_shrinks else "fails",
                          f"β = 0 on the kernel fitted to {W} walkers × T = {params['T']}: batch-means SE {se:.3g} "
                          f"({B} batches), exact O(ε) bias |ε·E_dist(p_ε) − h^meta| = {float(bias):.3g}, "
                          f"at ε/10: {float(bias10):.3g} (must shrink ≥ 5×: {bias_shrinks})")


register(Claim(
    id="distill.timescale",
    paper=PAPER,
    statement=th.timescale_relation,
    instances=_d4_instances,
    check=_d4_check,
    tolerance="exact-meta: exact equality ε·E_dist = h^meta at every ε. learned-limit: relative error monotone "
              "decreasing and ≤ 1e-8 at ε = 1e-10 (it is O(ε)). estimated: |ε·E_dist − h^meta| ≤ 4·SE "
              "(batch means, 99.994%) + the exact O(ε) bias |ε·E_dist(p_ε) − h^meta| of the T → ∞ limit, which must "
              "shrink ≥ 5× at ε/10 (so the allowance cannot absorb an error in h^meta).",
    description="Without rescaling (β = 0) the distilled chain keeps the original timescale: ε·E_dist → h^meta.",
    module=__name__, tags=("distill", "monte-carlo")))


# ============================================================================= D5 compression
def _d5_instances(quick):
    inst = [{"kind": "parameters", "family": "ring", "K": 5, "M": 4},
            {"kind": "sampling", "family": "ring", "K": 5, "M": 4, "eps": "1/1000000", "b": "10", "walkers": 4000}]
    if not quick:
        inst += [{"kind": "parameters", "family": "uniform-escape", "K": 7, "M": 9},
                 {"kind": "sampling", "family": "ring", "K": 8, "M": 16, "eps": "1/1000000000000", "b": "1",
                  "walkers": 4000},
                 {"kind": "sampling", "family": "random", "seed": 11, "sizes": [2, 3, 1, 2],
                  "eps": "1/1000000", "b": "10", "walkers": 4000}]
    return inst


def _d5_check(params, seed):
    chain = instance_chain(params)
    lab = Labelling.from_chain(chain)
    k_in, k_out = cluster_pair(chain, lab)
    if params["kind"] == "parameters":
        model = distilled_model(exact_meta_kernel(chain, Fraction(1, 100)), k_in=k_in, k_out=k_out)
        ratio = Fraction(chain.n ** 2, model.n_parameters)
        predicted = Fraction(str(th.compression_factor.subs({K_sym: params["K"], M_sym: params["M"]})))
        return InstanceResult(params, predicted, ratio, abs(ratio - predicted), Fraction(0),
                              "holds" if ratio == predicted else "fails",
                              f"n² = {chain.n ** 2} logits → K² = {model.n_parameters}")
    eps = chain.check_eps(params["eps"])
    b = Fraction(params["b"])
    model = distilled_model(exact_meta_kernel(chain, eps), beta="auto", b=b, k_in=k_in, k_out=k_out)
    E = model.expected_steps()
    t0 = time.perf_counter()
    steps = model.sample_steps_to_target(params["walkers"], seed).astype(float)
    secs = time.perf_counter() - t0
    mean, se = float(steps.mean()), float(steps.std(ddof=1) / math.sqrt(steps.size))
    original = hitting_time(chain, chain.start, chain.target, eps)
    h_jump = jump_hitting_times(chain)[k_in][k_out]
    err = abs(mean - float(E))
    ok = err <= Z * se and E <= (1 + 1 / b) * h_jump
    return InstanceResult(params, E, mean, err, Z * se, "holds" if ok else "fails",
                          f"{params['walkers']} samples from the distilled model (b = {b}) in {secs:.2f} s; mean steps "
                          f"to the target cluster {mean:.4f} vs exact {float(E):.6f} (≤ (1 + 1/b)·h^jump = "
                          f"{float((1 + 1 / b) * h_jump):.4g}, i.e. O(K)); the original chain needs E[τ] = "
                          f"{float(original):.6g} steps: speedup {float(original / E):.4g}")


register(Claim(
    id="distill.compression",
    paper=PAPER,
    statement=th.compression_relation,
    instances=_d5_instances,
    check=_d5_check,
    tolerance="parameters: exact (n²/K² = M²). sampling: Monte Carlo mean of the distilled model's steps within 4 "
              "standard errors (99.994%) of its exact expected steps, which must be ≤ (1 + 1/b)·h^jump (O(K)).",
    description="The distilled model has K² instead of n² parameters (factor M²) and samples an answer in O(K) steps "
                "instead of Θ(KM/ε).",
    module=__name__, tags=("distill", "monte-carlo")))
