"""Chain files: JSON and .npz round trips, malformed files."""
import json
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given

from metacot import ChainError, ring
from metacot.numerics.io import chain_from_json, chain_to_json, load_chain, save_chain
from strategies import chains


@given(chains())
def test_json_round_trip_is_exact(chain):
    d = json.loads(json.dumps(chain_to_json(chain)))
    back = chain_from_json(d)
    assert back.exact
    assert back.row_dicts(0) == chain.row_dicts(0)
    assert back.row_dicts(1) == chain.row_dicts(1)
    assert back.clusters == chain.clusters
    assert (back.start, back.target) == (chain.start, chain.target)


def test_json_entries_rational_decimal_and_numbers(tmp_path):
    p = tmp_path / "c.json"
    p.write_text(json.dumps({"n": 2, "P0": [[0, 0, "0.25"], [0, 1, "3/4"], [1, 1, 1]],
                             "P1": [[1, 1, "-1/2"], [1, 0, "0.5"]]}))
    c = load_chain(p)
    assert c.exact and c.row_dicts(0)[0] == {0: F(1, 4), 1: F(3, 4)}
    assert c.eps_max == 2
    p.write_text(json.dumps({"n": 2, "P0": [[0, 0, 0.25], [0, 1, 0.75], [1, 1, 1]]}))
    assert not load_chain(p).exact  # a JSON float makes the chain float


def test_npz_round_trip(tmp_path):
    c = ring(3, 2, 1)
    p = tmp_path / "c.npz"
    save_chain(c, p)
    back = load_chain(p)
    assert not back.exact
    np.testing.assert_array_equal(back.dense(0), c.dense(0))  # 1/2 and 1/4 are exact in binary
    np.testing.assert_array_equal(back.dense(1), c.dense(1))


@pytest.mark.parametrize("text, message", [
    ("{not json", "malformed JSON"),
    ('{"P0": []}', "missing the key 'n'"),
    ('{"n": 2, "P0": [[0, 0, 1], [1, 1, 1]], "Q": []}', "unknown key"),
    ('{"n": 2, "P0": [[0, 0, NaN], [1, 1, 1]]}', "NaN is not a valid number"),
    ('{"n": 2, "P0": {"a": 1}}', "list of"),
    ('[1, 2]', "must be an object"),
    ('{"n": 2, "P0": [[0, 0, "1/2"], [1, 1, 1]]}', "row 0 of P0 sums to 1/2"),
    ('{"n": 2, "P0": [[0, 0, 1], [1, 1, 1]], "clusters": [[0], [5]]}', "out of range"),
    # guard rails, checked before anything of the declared size is built
    ('{"n": 1000000000000, "P0": [[0, 0, "1"]]}', "declares 1000000000000 states but P0 lists 1 entry"),
    ('{"n": 3, "P0": [[0, 0, 1.0], [1, 1, 1.0]]}', "declares 3 states but P0 lists 2 entries"),
    ('{"n": 2, "P0": [[0, 0, "1e-100000000"], [0, 1, "1"], [1, 1, "1"]]}', "limit 10000"),
    ('{"n": 2, "P0": [[0, 0, "1/%s"], [1, 1, "1"]]}' % ("7" * 10001), "10001 digits"),
    ("[" * 100000 + "]" * 100000, "nested too deeply|malformed"),
])
def test_malformed_files(tmp_path, text, message):
    p = tmp_path / "bad.json"
    p.write_text(text)
    with pytest.raises(ChainError, match=message):
        load_chain(p)


def test_missing_file_and_bad_npz(tmp_path):
    with pytest.raises(ChainError, match="not found"):
        load_chain(tmp_path / "nope.json")
    p = tmp_path / "bad.npz"
    p.write_bytes(b"garbage")
    with pytest.raises(ChainError, match="not a .npz archive") as info:
        load_chain(p)
    assert "pickle" not in str(info.value)
    q = tmp_path / "nan.npz"
    np.savez(q, P0=np.array([[np.nan, 1.0], [0.0, 1.0]]), P1=np.zeros((2, 2)))
    with pytest.raises(ChainError, match="not finite"):
        load_chain(q)


def test_long_exact_entries_load(tmp_path):
    """A 5000-digit rational (beyond Python's default 4300-digit int parsing limit) loads exactly."""
    q = "7" * 5000
    p = tmp_path / "long.json"
    p.write_text(json.dumps({"n": 1, "P0": [[0, 0, f"{q}/{q}"]]}))
    assert load_chain(p).row_dicts(0) == [{0: F(1)}]


def test_npz_shapes_and_types(tmp_path):
    cases = {"empty": ({"P0": np.zeros((0, 0)), "P1": np.zeros((0, 0))}, "empty"),
             "vector": ({"P0": np.ones(3)}, "square 2-D"),
             "mismatch": ({"P0": np.eye(2), "P1": np.zeros((3, 3))}, "P1 has shape"),
             "strings": ({"P0": np.array([["a", "b"], ["c", "d"]])}, "not real numbers"),
             "objects": ({"P0": np.array([[1, None], [0, 1]], dtype=object)}, "Python objects|not a .npz"),
             "negative": ({"P0": np.array([[-0.5, 1.5], [0.0, 1.0]])}, r"P0\[0,0\] = -0.5 is negative")}
    for name, (arrays, message) in cases.items():
        p = tmp_path / f"{name}.npz"
        np.savez(p, **arrays, allow_pickle=True) if name == "objects" else np.savez(p, **arrays)
        with pytest.raises(ChainError, match=message):
            load_chain(p)
    single = tmp_path / "single.npz"
    with open(single, "wb") as fh:
        np.save(fh, np.eye(2))
    with pytest.raises(ChainError, match="single .npy array"):
        load_chain(single)


def test_folder_is_not_a_chain_file(tmp_path):
    with pytest.raises(ChainError, match="is a folder"):
        load_chain(tmp_path)


def test_npz_save_is_size_limited(tmp_path):
    from metacot.numerics.errors import LimitError

    with pytest.raises(LimitError, match="n <= 5000"):
        save_chain(ring(2, 2501, 1, exact=False), tmp_path / "big.npz")
    assert not (tmp_path / "big.npz").exists()
