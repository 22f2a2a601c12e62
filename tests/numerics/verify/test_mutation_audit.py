"""The mutation audit (spec 07 rule 1): for every built-in claim, perturbing the statement flips a verdict.

For each part of each claim and each relation of the part's statement, the relation is perturbed
(right side ×(1 + 1e-6), or made stricter by 1e-6·(|rhs| + 1) for inequalities; a part may name its own
mutation — statistical parts name the alternative their power is computed against) and the part's quick
instances are run again: at least one must now fail. The prediction comes only from the statement, so a
part that cannot notice a changed statement does not check it. Refuted claims are audited the other way:
their declared mutation (the corrected statement, or a loosened one) must stop the counterexample from
failing, so the refutation is not a check that fails by construction.
"""
from dataclasses import replace

import pytest

from metacot.numerics.verify.evidence import perturb, relations_of
from metacot.numerics.verify.registry import load_builtin_claims
from metacot.numerics.verify.runner import run_claims


def _audit_cases():
    cases = []
    for c in load_builtin_claims().values():
        for p in c.parts:
            if c.expect == "refuted":
                if c.counterexample.startswith(p.name + "/"):
                    cases.append((c.id, p.name, "declared"))
                continue
            if p.mutation is not None:
                cases.append((c.id, p.name, "declared"))
            else:
                for i in range(len(relations_of(c.part_statement(p)))):
                    cases.append((c.id, p.name, i))
    return cases


def _mutated(claim, part, how):
    st = claim.part_statement(part)
    new_st = part.mutation(st) if how == "declared" else perturb(st, index=how)
    new_part = replace(part, statement=new_st)
    return replace(claim, parts=[new_part])


@pytest.mark.parametrize("claim_id,part_name,how", _audit_cases())
def test_statement_perturbation_flips_a_verdict(claim_id, part_name, how):
    claim = load_builtin_claims()[claim_id]
    part = next(p for p in claim.parts if p.name == part_name)
    rep = run_claims([_mutated(claim, part, how)], quick=True, seed=0)[0]
    verdicts = [r.verdict for r in rep.results]
    if claim.expect == "refuted":
        ce = [r for r in rep.results if r.id == claim.counterexample]
        assert ce and ce[0].verdict == "holds", (
            f"{claim_id}: the declared mutation should make the counterexample hold, got {verdicts}")
    else:
        assert "fails" in verdicts, (
            f"{claim_id} part {part_name}: perturbing relation {how} left every quick instance {set(verdicts)}")


def test_every_claim_is_audited():
    audited = {cid for cid, _, _ in _audit_cases()}
    assert audited == set(load_builtin_claims())
