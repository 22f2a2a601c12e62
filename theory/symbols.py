"""Shared sympy symbols with their assumptions (spec 00)."""
import sympy as sp

K = sp.Symbol("K", integer=True, positive=True)          # number of clusters
M = sp.Symbol("M", integer=True, positive=True)          # cluster size
n = sp.Symbol("n", integer=True, positive=True)          # number of states
q = sp.Symbol("q", positive=True)                        # sparse-edge weight
eps = sp.Symbol(r"\varepsilon", positive=True)          # perturbation size ε
eps_max = sp.Symbol(r"\varepsilon_{\max}", positive=True)        # PRM / PPO target sparse mass
c = sp.Symbol("c", positive=True)                        # PPO clip parameter
eta = sp.Symbol("eta", positive=True)                    # step size
N = sp.Symbol("N", integer=True, positive=True)          # number of walkers
T0 = sp.Symbol("T_0", integer=True, positive=True)       # search warm-up window
T = sp.Symbol("T", integer=True, positive=True)          # trajectory length
t = sp.Symbol("t", positive=True)                        # time (steps, or units of 1/ε)
beta = sp.Symbol("beta", real=True)                      # distillation time shift
b = sp.Symbol("b", positive=True)                        # distillation rescaling constant
lam = sp.Symbol("lambda", positive=True)                 # an escape rate λ_k
D = sp.Symbol("D", integer=True, positive=True)          # number of sparse edges every path crosses
m = sp.Symbol("m", integer=True, positive=True)          # number of candidate edges (Sec. 5)
tau = sp.Symbol("tau", positive=True)                    # SQ tolerance
E_tau = sp.Symbol(r"\mathbb{E}[\tau]", positive=True)                # an expected hitting time E[τ]
h_meta = sp.Symbol(r"h^{\mathrm{meta}}", positive=True)              # a meta-chain hitting time

__all__ = ["K", "M", "n", "q", "eps", "eps_max", "c", "eta", "N", "T0", "T", "t", "beta", "b", "lam", "D",
           "m", "tau", "E_tau", "h_meta"]
