"""Claims pretrain.* (spec 03, paper Sec. 3 Alg. 1, App. D): two-stage pretraining of the softmax model."""
from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from metacot.theory import pretrain_ppo as th

from metacot.numerics.solvers.hitting import hitting_time
from metacot.numerics.algorithms.pretrain import (default_theta, kl_rows, log_softmax_rows, model_chain, row_gd_trajectory, softmax_rows,
                        stationary_law, true_kernel)
from metacot.numerics.families import family_chain
from metacot.numerics.verify.legacy import Claim, InstanceResult, register

PAPER = "Sec. 3, Alg. 1; App. D"


def _eps(params, chain):
    return chain.check_eps(params["eps"])


def _truth(chain, eps):
    P = true_kernel(chain, eps)
    mu = stationary_law(P)
    return P, mu, 1.0 / float(mu.max())


def clean_prune_time(P, mu, eta, theta, t_max=10**7):
    """First GD step t (from W = 0, all n² logits) at which every spurious p̂ < θ ≤ every true p̂."""
    pos = P > 0
    W = np.zeros_like(P)
    emu = eta * mu[:, None]
    for t in range(t_max + 1):
        p = softmax_rows(W)
        if p[~pos].max(initial=0.0) < theta and p[pos].min() >= theta:
            return t, W
        W -= emu * (p - P)
    raise RuntimeError(f"no clean prune within {t_max} steps")


# ----------------------------------------------------------------------------- P1
def _p1_instances(quick):
    inst = [{"kind": "asymptotic", "family": "ring", "K": 3, "M": 3, "eps": "1/100", "scale": 100},
            {"kind": "prune", "family": "ring", "K": 3, "M": 3, "eps": "1/1000"},
            {"kind": "prune", "family": "uniform-escape", "K": 3, "M": 3, "eps": "1/1000"}]
    if not quick:
        inst += [{"kind": "asymptotic", "family": "ring", "K": 2, "M": 2, "eps": "1/1000", "scale": 100},
                 {"kind": "asymptotic", "family": "uniform-escape", "K": 3, "M": 4, "eps": "1/100", "scale": 300},
                 {"kind": "prune", "family": "ring", "K": 2, "M": 2, "eps": "1/10000"},
                 {"kind": "prune", "family": "ring", "K": 3, "M": 5, "eps": "1/10000"},
                 {"kind": "prune", "family": "ring", "K": 5, "M": 3, "eps": "1/1000"},
                 {"kind": "prune", "family": "uniform-escape", "K": 4, "M": 3, "eps": "1/10000"}]
    return inst


def _p1_check(params, seed):
    chain = family_chain(params)
    eps = _eps(params, chain)
    P, mu, eta = _truth(chain, eps)
    pos = P > 0
    dplus = pos.sum(axis=1)
    n = chain.n
    lab = chain.cluster_of
    if params["kind"] == "asymptotic":
        # the source row of cluster 0 (it carries the smallest true entry, so it converges last)
        x = 0
        pmin_x = float(P[x][pos[x]].min())
        t_end = int(math.ceil(params["scale"] / (eta * mu[x] * pmin_x)))
        times = [t_end // 100, t_end // 10, t_end]
        row = [chain.kernel_exact(eps)[x].get(y, Fraction(0)) for y in range(n)] if chain.exact else P[x]
        traj = row_gd_trajectory(row, Fraction(mu[x]), Fraction(eta), times, dps=30)
        y_sp = int(np.flatnonzero(~pos[x])[0])
        ratios = [float(traj[t][y_sp]) * n * eta * mu[x] * t / dplus[x] for t in times]
        err = abs(ratios[-1] - 1.0)
        tol = 0.02
        verdict = "holds" if err <= tol else "fails"
        note = (f"row {x}: d+ = {dplus[x]}, n_x = {n}, eta*mu = {eta * mu[x]:.6g}; ratio p̂·n_x·η·μ·t/d+ at "
                f"t = {times} (η·μ·p_min·t = {params['scale'] / 100:g}, {params['scale'] / 10:g}, {params['scale']}): "
                + ", ".join(f"{r:.6f}" for r in ratios) + " (mpmath, 30 digits)")
        return InstanceResult(params, 1.0, ratios[-1], err, tol, verdict, note)
    # kind "prune": T1 for a clean prune at θ = ε q_min/2 against 2 d₊/(n_x η μ ε q_min) (max over rows)
    theta = default_theta(P)
    T1, _ = clean_prune_time(P, mu, eta, theta)
    pmin = float(P[pos].min())
    pred_rows = 2 * dplus / (n * eta * mu * pmin)
    xs = int(np.argmax(pred_rows))
    s = np.array([int(np.sum(pos[x] & (lab != lab[x]))) for x in range(n)])
    lo = float(np.min((dplus - s) / dplus))
    pred = float(pred_rows.max())
    ratio = T1 / pred
    err = max(lo - ratio, ratio - 1.0, 0.0)
    verdict = "holds" if err == 0 else "fails"
    note = (f"measured T1 = {T1} steps, predicted 2d+/(n_x η μ ε q_min) = {pred:.6g} (row {xs}); "
            f"T1/pred = {ratio:.4f}, band [(d+ - s)/d+, 1] = [{lo:.4f}, 1]")
    return InstanceResult(params, pred, T1, err, 0, verdict, note)


register(Claim(
    id="pretrain.spurious-decay", paper=PAPER, statement=th.spurious_decay_relation,
    instances=_p1_instances, check=_p1_check,
    tolerance=("asymptotic: |ratio − 1| ≤ 0.02 at η·μ·p_min·t = 100 (the o(1) term is the unconverged true "
               "logits, O(log(ημ p_min t)/(ημ p_min t)); mpmath 30 digits, no rounding); prune: T1/T1_pred "
               "must lie in [(d₊ − s)/d₊, 1] exactly (s = sparse pairs of the row)"),
    description="stage-1 GD: spurious p̂_t ~ d₊/(n_x η μ t); clean prune after T1 ≈ 2d₊/(n_x η μ ε q_min) steps",
))


# ----------------------------------------------------------------------------- P2
def slowest_mode_rates(P, mu, eta, mask, W=None):
    """Per row: λ₂ = smallest nonzero eigenvalue of H = diag(p) − p pᵀ on the kept support, and the exact
    local KL decay rate −2 log(1 − η μ(x) λ₂(x)) per step (GD is linear near the optimum).

    With W (the logits at the start of stage 2), λ₂ is taken over the modes the initial error
    log p̂ − log p actually excites (relative projection > 1e-9; float noise is ~1e-16): symmetric rows
    (e.g. equal sparse weights) never excite the antisymmetric modes, since GD preserves the symmetry."""
    lam, rate = [], []
    logp = None if W is None else log_softmax_rows(W, mask)
    for x in range(P.shape[0]):
        p = P[x][mask[x]]
        if p.size < 2:
            lam.append(math.inf)
            rate.append(math.inf)
            continue
        H = np.diag(p) - np.outer(p, p)
        ev, V = np.linalg.eigh(H)
        ev, V = ev[1:], V[:, 1:]  # drop the null direction 1 (H·1 = 0; its float eigenvalue is ~±1e-18)
        keep = np.ones(ev.size, dtype=bool)
        if logp is not None:
            e = logp[x][mask[x]] - np.log(p)
            proj = np.abs(V.T @ e)
            keep &= proj > 1e-9 * max(np.linalg.norm(e), 1e-300)
        if not keep.any():
            lam.append(math.inf)
            rate.append(math.inf)
            continue
        l2 = float(ev[keep].min())
        lam.append(l2)
        rate.append(-2 * math.log1p(-eta * mu[x] * l2))
    return np.array(lam), np.array(rate)


def two_stage_kl_curve(P, mu, eta, theta, T2, T1=None):
    """Stage 1 to a clean prune (or T1 steps), prune at θ, stage 2 for T2 steps; KL after every stage-2 step,
    plus the one-stage (no prune) KL at the same total times."""
    if T1 is None:
        T1, W = clean_prune_time(P, mu, eta, theta)
    else:
        W = np.zeros_like(P)
        for _ in range(T1):
            W -= eta * mu[:, None] * (softmax_rows(W) - P)
    mask = softmax_rows(W) >= theta
    emu = eta * mu[:, None]
    W2, W1 = W.copy(), W.copy()
    kl2, kl1 = [], []
    for _ in range(T2):
        W2 -= np.where(mask, emu * (softmax_rows(W2, mask) - P), 0.0)
        W1 -= emu * (softmax_rows(W1) - P)
        kl2.append(float(np.dot(mu, kl_rows(P, W2, mask))))
        kl1.append(float(np.dot(mu, kl_rows(P, W1))))
    return T1, mask, np.array(kl2), np.array(kl1), W2, W


def _p2_instances(quick):
    inst = [{"family": "ring", "K": 3, "M": 3, "eps": "1/100", "kl_window": [1e-12, 1e-8]}]
    if not quick:
        inst += [{"family": "ring", "K": 3, "M": 3, "eps": "1/1000", "kl_window": [1e-12, 1e-8]},
                 {"family": "uniform-escape", "K": 3, "M": 3, "eps": "1/100", "kl_window": [1e-12, 1e-8]},
                 {"family": "random", "seed": 1, "sizes": [2, 3, 2], "eps": "1/200",
                  "kl_window": [1e-12, 1e-8]}]
    return inst


def _p2_check(params, seed):
    chain = family_chain(params)
    eps = _eps(params, chain)
    P, mu, eta = _truth(chain, eps)
    theta = default_theta(P)
    lam_all, rates_all = slowest_mode_rates(P, mu, eta, P > 0)
    lo_kl, hi_kl = params["kl_window"]
    T2 = int(math.ceil(math.log(1e3 / lo_kl) / float(rates_all.min()))) + 10
    T1, mask, kl2, kl1, _, W_pruned = two_stage_kl_curve(P, mu, eta, theta, T2)
    lam, rates = slowest_mode_rates(P, mu, eta, mask, W_pruned)
    pred = float(rates.min())
    idx = np.flatnonzero((kl2 >= lo_kl) & (kl2 <= hi_kl))
    if idx.size < 10:
        return InstanceResult(params, pred, None, None, 1e-2, "inconclusive",
                              f"only {idx.size} stage-2 steps with KL in the fit window")
    slope = -np.polyfit(idx.astype(float), np.log(kl2[idx]), 1)[0]
    bound = float(th.kl_rate_bound.subs({th.eta: eta, th.mu_min: float(mu.min()), th.p_min: float(P[P > 0].min())}))
    err = abs(slope - pred) / pred
    tol = 1e-2
    verdict = "holds" if (err <= tol and slope >= bound and mask.sum() == (P > 0).sum()) else "fails"
    T2_tol = int(np.flatnonzero(kl2 <= 1e-10)[0]) + 1 if np.any(kl2 <= 1e-10) else None
    note = (f"T1 (clean prune) = {T1}, T2 to KL ≤ 1e-10 = {T2_tol}; fitted rate {slope:.6g}/step vs local rate "
            f"{pred:.6g} (slowest excited mode λ = {lam[int(np.argmin(rates))]:.4g}; slowest mode of all rows "
            f"λ₂ = {lam_all[int(np.argmin(rates_all))]:.4g}); bound 2ημ_min p_min = {bound:.4g}; "
            f"one-stage KL at T1+{T2}: {kl1[-1]:.3g} (·t = {kl1[-1] * (T1 + T2):.3g}; at half time ·t = "
            f"{kl1[T2 // 2] * (T1 + T2 // 2 + 1):.3g}) vs two-stage {kl2[-1]:.3g}")
    return InstanceResult(params, pred, slope, err, tol, verdict, note)


register(Claim(
    id="pretrain.two-stage", paper=PAPER,
    statement=th.two_stage_relation,
    instances=_p2_instances, check=_p2_check,
    tolerance=("fitted log-KL slope within 1% of the exact local rate −2log(1 − ημλ) of the slowest excited "
               "mode over rows "
               "(window KL ∈ [1e-12, 1e-8]: nonlinear terms O(√KL) ≤ 1e-4, float KL evaluated without "
               "cancellation), and ≥ the bound 2ημ_min p_min; the prune must keep exactly the true support"),
    description="after pruning at θ, GD converges linearly (rate ≥ 2ημ_min p_min); one-stage stays at Θ(1/t)",
))


# ----------------------------------------------------------------------------- P3
def _p3_instances(quick):
    inst = [{"family": "ring", "K": 3, "M": 3, "eps": "1/100", "T2": [0, 200, 800, 3000]}]
    if not quick:
        inst += [{"family": "uniform-escape", "K": 3, "M": 3, "eps": "1/1000", "T2": [0, 2000, 8000, 30000]},
                 {"family": "random", "seed": 2, "sizes": [2, 2, 3], "eps": "1/100",
                  "T2": [0, 500, 2000, 8000]}]
    return inst


def _p3_check(params, seed):
    chain = family_chain(params)
    eps = _eps(params, chain)
    P, mu, eta = _truth(chain, eps)
    theta = default_theta(P)
    start, target = chain.start, chain.target
    exact_h = hitting_time(chain, start, target, eps, method="exact")
    T1, W = clean_prune_time(P, mu, eta, theta)
    mask = softmax_rows(W) >= theta
    emu = eta * mu[:, None]
    done = 0
    ratios, deltas = [], []
    for T2 in params["T2"]:
        for _ in range(T2 - done):
            W -= np.where(mask, emu * (softmax_rows(W, mask) - P), 0.0)
        done = T2
        K = softmax_rows(W, mask)
        h = hitting_time(model_chain(K, chain, eps, kind="kernel"), start, target, 0, method="float")
        ratios.append(float(h / float(exact_h)))
        pos = P > 0
        deltas.append(float(np.max(np.abs(np.log(K[pos]) - np.log(P[pos])))))
    err = abs(ratios[-1] - 1)
    tol = 10 * deltas[-1] + 1e-12
    decreasing = all(abs(a - 1) >= abs(b - 1) for a, b in zip(ratios, ratios[1:]))
    verdict = "holds" if (err <= tol and decreasing) else "fails"
    note = (f"T1 = {T1}; E_p̂[τ]/E_p[τ] at T2 = {params['T2']}: " + ", ".join(f"{r:.12g}" for r in ratios)
            + "; max |log p̂ − log p| = " + ", ".join(f"{d:.3g}" for d in deltas)
            + f"; exact E_p[τ] = {float(exact_h):.10g}")
    return InstanceResult(params, 1.0, ratios[-1], err, tol, verdict, note)


register(Claim(
    id="pretrain.recovers-kernel", paper=PAPER,
    statement=th.recovers_kernel_relation,
    instances=_p3_instances, check=_p3_check,
    tolerance=("|E_p̂[τ]/E_p[τ] − 1| ≤ 10·max|log p̂ − log p| (+1e-12 float floor) at the last checkpoint and "
               "monotone along the checkpoints; E[τ] of these metastable chains has relative sensitivity "
               "O(1) to relative entry errors (≈1 through the sparse weights), 10 is a safety factor"),
    description="the pretrained model's hitting time → the true chain's as the training error → 0",
))
