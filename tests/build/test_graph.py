"""graph: components, closure hashes and what reaches a change, table-tested directly."""

from __future__ import annotations

import pytest

from assetpub.graph import closure_hashes, reaching, strongly_connected


@pytest.mark.parametrize(
    "deps, components",
    [
        ({}, []),
        ({"a": []}, [["a"]]),
        ({"a": ["b"], "b": []}, [["b"], ["a"]]),  # what a file references comes first
        ({"a": ["b"], "b": ["a"]}, [["a", "b"]]),  # an @import loop is one component
        ({"a": ["b"], "b": ["c"], "c": ["b"]}, [["b", "c"], ["a"]]),
        ({"a": ["b", "c"], "b": ["d"], "c": ["d"], "d": []}, [["d"], ["b"], ["c"], ["a"]]),
        ({"a": ["a"]}, [["a"]]),  # a file that references itself
        ({"a": ["x"]}, [["x"], ["a"]]),  # a name referenced but not listed
    ],
)
def test_strongly_connected(deps, components):
    assert strongly_connected(deps) == components


def test_components_of_a_deep_chain_need_no_recursion():
    deps = {f"n{i}": [f"n{i + 1}"] for i in range(20_000)}
    deps["n20000"] = ["n0"]  # and one cycle through all of it
    assert strongly_connected(deps) == [sorted(deps)]


def test_closure_hashes_follow_what_a_name_reaches():
    deps = {"app.css": ["base.css"], "base.css": ["img.png"], "img.png": [], "other.css": []}
    own = {name: name.upper() for name in deps}
    before = closure_hashes(deps, own)
    after = closure_hashes(deps, {**own, "img.png": "CHANGED"})
    assert {n for n in deps if before[n] != after[n]} == {"app.css", "base.css", "img.png"}
    assert before == closure_hashes(dict(reversed(list(deps.items()))), own)  # order-independent


def test_a_cycle_shares_one_hash_and_both_change_together():
    deps = {"a.js": ["b.js"], "b.js": ["a.js"]}
    h = closure_hashes(deps, {"a.js": "1", "b.js": "2"})
    assert h["a.js"] == h["b.js"]
    assert closure_hashes(deps, {"a.js": "1", "b.js": "3"})["a.js"] != h["a.js"]


def test_incremental_closure_hashes_equal_a_full_pass():
    deps = {"a": ["b"], "b": ["c"], "c": [], "d": ["c"], "e": []}
    own = dict.fromkeys(deps, "x")
    full = closure_hashes(deps, own)
    changed = {**own, "c": "y"}
    only = reaching(deps, {"c"})
    assert only == {"a", "b", "c", "d"}
    partial = closure_hashes(deps, changed, only=only, known=full)
    assert partial == {n: h for n, h in closure_hashes(deps, changed).items() if n in only}


@pytest.mark.parametrize(
    "deps, targets, reached",
    [
        ({"a": ["b"], "b": []}, {"b"}, {"a", "b"}),
        ({"a": ["b"], "b": []}, {"a"}, {"a"}),
        ({"a": ["b"], "b": ["a"], "c": []}, {"a"}, {"a", "b"}),
        ({}, {"gone"}, {"gone"}),
    ],
)
def test_reaching(deps, targets, reached):
    assert reaching(deps, targets) == reached
