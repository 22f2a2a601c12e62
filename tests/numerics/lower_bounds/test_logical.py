"""The logical task on chains (numerics/lower_bounds/logical.py): answers, access levels, the L3 pair, the global learner."""
from fractions import Fraction

import pytest
from hypothesis import given, strategies as st

from metacot.numerics.errors import MetacotError
from metacot.numerics.families import ring, uniform_escape
from metacot.numerics.lower_bounds.groups import S3, Z2, default_labels, get_group
from metacot.numerics.lower_bounds.logical import (bayes_error, candidate_task, global_learner, indistinguishable_pair,
                                                   induced_classes, induced_classes_by_level, labelled_family_task,
                                                   local_learner_constant, mask_of, view, view_bytes)


def expected_answer(task):
    """Every X_in → X_out path crosses each true sparse edge exactly once, in candidate order (no edge goes
    back to an earlier cluster), and all other edges are the identity: the answer is Π_{e ∈ E_s} g_e."""
    return task.group.product([g for g, t in zip(task.candidate_labels, task.sparse_mask) if t])


masks = st.lists(st.integers(0, 1), min_size=1, max_size=7)


@given(masks, st.integers(0, 3), st.sampled_from(["z2", "s3"]))
def test_candidate_chain_structure(mask, r, group):
    task = candidate_task(mask, r, group)
    ch = task.chain
    assert ch.K == 1 + sum(mask)
    # E_s of the chain (edges between the given clusters with positive P1) = the true candidates
    assert sorted(ch.sparse_edges()) == sorted(task.sparse_edges)
    assert set(ch.sparse_edges().values()) <= {Fraction(1)}
    # the global learner recomputes the closed classes of P0 and finds the same E_s
    assert global_learner(task).sparse_edges == sorted(task.sparse_edges)
    p = task.direct_path()
    assert task.is_valid_path(p)
    assert task.answer(p) == expected_answer(task)


@given(masks, st.sampled_from(["z2", "s3"]), st.integers(0, 2**31 - 1))
def test_sampled_paths_answers(mask, group, seed):
    task = candidate_task(mask, 1, group)
    paths = task.sample_paths(3, "1/2", seed)
    learner = global_learner(task)
    for p in paths:
        assert task.is_valid_path(p)
        g, mults = learner(p)
        assert g == task.answer(p) == expected_answer(task)
        assert mults == len(p) - 1
    assert paths == task.sample_paths(3, "1/2", seed)  # seeded


@given(st.integers(1, 7), st.data(), st.integers(0, 4), st.sampled_from(["z2", "s3"]))
def test_l3_views_byte_identical(m, data, r, group):
    flip = data.draw(st.integers(0, m - 1))
    base = data.draw(st.lists(st.integers(0, 1), min_size=m, max_size=m))
    A, B, path = indistinguishable_pair(m, flip, r, group, base)
    assert A.sparse_mask[flip] == 1 and B.sparse_mask[flip] == 0
    assert view_bytes(view(A, path, "local", r)) == view_bytes(view(B, path, "local", r))
    assert view_bytes(view(A, path, "path")) == view_bytes(view(B, path, "path"))
    assert A.answer(path) != B.answer(path)
    # one step further the closure edges become visible: the construction is tight
    assert view_bytes(view(A, path, "local", r + 1)) != view_bytes(view(B, path, "local", r + 1))
    assert view_bytes(view(A, path, "global")) != view_bytes(view(B, path, "global"))
    for guess in (True, False):
        f = local_learner_constant(guess)
        out_a, out_b = f(A, view(A, path, "local", r)), f(B, view(B, path, "local", r))
        assert out_a == out_b  # same view, same output ...
        assert (out_a != A.answer(path)) + (out_b != B.answer(path)) >= 1  # ... so wrong on at least one


def test_local_view_contents():
    task = candidate_task([1, 0], r=1, group="s3")
    p = task.direct_path()
    v = view(task, p, "local", 1)
    assert set(p) <= set(v["states"])
    L = 2 * 1 + 5
    # arcs 0..2, offsets 1..L-2 visible, closure states (offsets 0, L-1) not
    assert v["states"] == [k * L + j for k in range(3) for j in range(1, L - 1)]
    e = {(x, y): (p0, p1) for x, y, p0, p1 in v["edges"]}
    src, dst = task.candidates[0]
    assert e[(src, dst)] == ("0", "1")
    assert e[(src, src)] == ("1/2", "-1/2")
    assert view(task, p, "none") == {"level": "none"}
    assert view(task, p, "path") == {"level": "path", "path": p}
    g = view(task, p, "global")
    assert g["sparse_edges"] == [list(task.candidates[0])]
    assert g["labels"] == [[src, dst, list(default_labels(S3, 2)[0].label)]]
    # the global view is the whole model: every state and every edge with its P0 and P1 entries
    assert g["states"] == list(range(task.chain.n))
    n_edges = sum(len(set(a) | set(b)) for a, b in zip(task.chain.row_dicts(0), task.chain.row_dicts(1)))
    assert len(g["edges"]) == n_edges


@pytest.mark.parametrize("m, r", [(1, 0), (3, 1), (4, 2)])
def test_induced_classes_by_level(m, r):
    """Levels (1)–(3) see one view for all 2^m concepts; the global view separates them all; a local view of
    radius r + 1 (beyond the construction) separates them too."""
    by = induced_classes_by_level(m, ["none", "path", "local", "global", ("local", r + 1)], r)
    everything = [list(range(1 << m))]
    assert by["none"] == by["path"] == by["local"] == everything
    assert by["global"] == [[S] for S in range(1 << m)] == by[("local", r + 1)]
    assert induced_classes(m, "local", r) == everything


def test_mask_of_and_candidate_masks():
    assert mask_of(0b101, 4) == [1, 0, 1, 0]
    task = candidate_task(mask_of(6, 3), 1)
    assert task.sparse_mask == (0, 1, 1)


def test_bayes_error_of_views():
    """Uniform over all 2^m tasks: a learner seeing nothing (or the local view) can only guess the parity of the
    direct path (which traverses every candidate): error 1/2 for m ≥ 1; seeing the global view, 0."""
    m = 3
    tasks = [candidate_task(mask_of(S, m), 1) for S in range(1 << m)]
    path = tasks[0].direct_path()
    assert bayes_error(tasks, path, "none") == bayes_error(tasks, path, "local") == Fraction(1, 2)
    assert bayes_error(tasks, path, "global") == 0
    assert bayes_error(tasks[:1], path, "none") == 0
    with pytest.raises(MetacotError):
        bayes_error([], path, "none")
    with pytest.raises(MetacotError):
        induced_classes(13, "none")


@pytest.mark.parametrize("family", [ring(4, 3), uniform_escape(3, 2)])
def test_labelled_family(family):
    task = labelled_family_task(family, "s3", seed=5)
    assert all(not g.is_identity for g in task.labels.values())
    assert sorted(task.labels) == sorted(family.sparse_edges())
    learner = global_learner(task)
    for p in task.sample_paths(5, "1/2", seed=2):
        g, mults = learner(p)
        # independent product along the path
        acc = S3.identity
        for x, y in zip(p[:-1], p[1:]):
            acc = acc * task.labels.get((x, y), S3.identity)
        assert g == acc == task.answer(p) and mults == len(p) - 1


def test_errors():
    task = candidate_task([1, 1], 1, "z2")
    with pytest.raises(MetacotError):
        task.answer([0, 1])
    with pytest.raises(MetacotError):
        candidate_task([], 1)
    with pytest.raises(MetacotError):
        candidate_task([1], -1)
    with pytest.raises(MetacotError):
        candidate_task([1, 0], 1, "z2", labels=[Z2.element(0), Z2.element(1)])
    with pytest.raises(MetacotError):
        indistinguishable_pair(3, 3)
    with pytest.raises(MetacotError):
        task.sample_paths(1, "2", 0)  # eps beyond eps_max = 1
    with pytest.raises(ValueError):
        view(task, task.direct_path(), "telepathy")
    assert get_group("z2") is Z2


def test_global_success_rate_identifies_every_target():
    from metacot.numerics.lower_bounds.logical import global_success_rate

    assert global_success_rate(4) == 1
    assert global_success_rate(5, targets=[0, 31, 7], r=2, group="s3") == 1
    with pytest.raises(MetacotError):
        global_success_rate(3, targets=[])
