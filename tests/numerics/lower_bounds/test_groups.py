"""Finite groups of the logical task (numerics/lower_bounds/groups.py): axioms checked exhaustively and by hypothesis."""
import itertools

import pytest
from hypothesis import given, strategies as st

from metacot.numerics.errors import MetacotError
from metacot.numerics.lower_bounds.groups import S3, Z2, cyclic_group, default_labels, get_group, symmetric_group


def elements(group):
    return st.integers(0, group.order - 1).map(group.element)


def test_orders_and_identity():
    assert (Z2.order, S3.order) == (2, 6)
    assert Z2.identity.label == 0 and S3.identity.label == (0, 1, 2)
    assert Z2.is_abelian() and not S3.is_abelian()


def test_s3_product_is_composition_of_permutations():
    # independent of the Cayley table: compose the tuples directly, (p·q)(i) = p(q(i))
    for p, q in itertools.product(itertools.permutations(range(3)), repeat=2):
        expected = tuple(p[q[i]] for i in range(3))
        assert (S3.element(p) * S3.element(q)).label == expected


def test_z2_is_addition_mod_2():
    for a, b in itertools.product(range(2), repeat=2):
        assert (Z2.element(a) * Z2.element(b)).label == (a + b) % 2


@pytest.mark.parametrize("group", [Z2, S3, cyclic_group(5), symmetric_group(4)])
def test_group_axioms_exhaustive(group):
    E = group.elements()
    e = group.identity
    for a in E:
        assert a * e == a and e * a == a
        assert a * a.inverse() == e and a.inverse() * a == e
        for b in E:
            for c in E:
                assert (a * b) * c == a * (b * c)


@given(st.data())
def test_associativity_and_product_fold(data):
    group = data.draw(st.sampled_from([Z2, S3]))
    xs = data.draw(st.lists(elements(group), max_size=8))
    a, b, c = (data.draw(elements(group)) for _ in range(3))
    assert (a * b) * c == a * (b * c)
    acc = group.identity
    for x in xs:
        acc = acc * x
    assert group.product(xs) == acc
    # inverse of a product reverses the order
    inv = group.product([x.inverse() for x in reversed(xs)])
    assert group.product(xs) * inv == group.identity


def test_equality_and_hashing():
    a, b = S3.element((1, 0, 2)), S3.element((1, 0, 2))
    assert a == b and hash(a) == hash(b) and len({a, b}) == 1
    assert Z2.element(1) != S3.element(1)
    assert S3.element(3) == S3.element(S3.labels[3])


def test_non_commuting_pair_in_s3():
    a, b = S3.element((1, 0, 2)), S3.element((0, 2, 1))
    assert a * b != b * a


def test_default_labels():
    labs = default_labels("s3", 12)
    assert all(not g.is_identity for g in labs)
    assert all(labs[i] * labs[i + 1] != labs[i + 1] * labs[i] for i in range(11))
    assert {g.label for g in labs} == {p for p in S3.labels if p != (0, 1, 2)}
    assert all(g == Z2.element(1) for g in default_labels("z2", 5))


def test_errors():
    with pytest.raises(MetacotError, match="unknown group"):
        get_group("a5")
    with pytest.raises(MetacotError):
        S3.element((0, 1, 3))
    with pytest.raises(MetacotError):
        Z2.element(1) * S3.element(1)
    with pytest.raises(MetacotError):
        cyclic_group(0)
    assert get_group("S3") is S3 and get_group(Z2) is Z2
