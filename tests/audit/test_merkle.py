"""secassist.audit.merkle against an independent, naive RFC 9162 §2.1 implementation.

The naive side below is the RFC's recursive definitions (MTH, PATH, PROOF/SUBPROOF)
transcribed directly, with no shared code. Every proof secassist builds (plan + evaluate
over a node store filled by ``completed_nodes``) must equal the naive proof and verify;
every single mutation of a proof must be rejected.

A note on wrong sizes and indices: an RFC 9162 proof binds the tree size only through
the root it is checked against (a checkpoint signs size and root together). A proof
checked against the *genuine* root of a mutated size is always rejected. Checked against
the original root, a mutated (index, size) is indistinguishable to any verifier exactly
when it folds the same hashes in the same shape; the naive ``*_shape`` functions compute
that shape, and the tests require rejection whenever the shapes differ and acceptance
(the RFC's documented property) when they coincide.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Sequence
from functools import cache
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from secassist.audit import merkle

MAX = 300
EXHAUSTIVE = 64
DATA = [f"entry {i}".encode() for i in range(MAX + 1)]

# --- the naive side: RFC 9162 §2.1, recursively ------------------------------------------


def _sha(b: bytes) -> bytes:
    return hashlib.sha256(b).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


@cache
def mth(start: int, end: int) -> bytes:
    """MTH(D[start:end]) per §2.1.1."""
    n = end - start
    if n == 0:
        return _sha(b"")
    if n == 1:
        return _sha(b"\x00" + DATA[start])
    k = _k(n)
    return _sha(b"\x01" + mth(start, start + k) + mth(start + k, end))


def naive_path(m: int, start: int, end: int) -> list[bytes]:
    """PATH(m, D[start:end]) per §2.1.3.1."""
    n = end - start
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return [*naive_path(m, start, start + k), mth(start + k, end)]
    return [*naive_path(m - k, start + k, end), mth(start, start + k)]


def naive_subproof(m: int, start: int, end: int, b: bool) -> list[bytes]:
    """SUBPROOF(m, D[start:end], b) per §2.1.4.1."""
    n = end - start
    if m == n:
        return [] if b else [mth(start, end)]
    k = _k(n)
    if m <= k:
        return [*naive_subproof(m, start, start + k, b), mth(start + k, end)]
    return [*naive_subproof(m - k, start + k, end, False), mth(start, start + k)]


def naive_proof(m: int, n: int) -> list[bytes]:
    """PROOF(m, D[n])."""
    return naive_subproof(m, 0, n, True)


def inclusion_shape(m: int, n: int) -> tuple[str, ...] | None:
    """Which side each PATH element is combined on (None: no such proof)."""
    if not 0 <= m < n:
        return None
    if n == 1:
        return ()
    k = _k(n)
    if m < k:
        inner = inclusion_shape(m, k)
        assert inner is not None
        return (*inner, "right")
    inner = inclusion_shape(m - k, n - k)
    assert inner is not None
    return (*inner, "left")


Expr = Any  # "OLD" | int (proof element) | ("H", Expr, Expr)


def consistency_shape(m: int, n: int) -> tuple[Expr, Expr, int] | None:
    """How a verifier rebuilds (old root, new root) from the proof elements, symbolically.

    "OLD" is the old root the verifier is given (used when the old tree is a complete
    left subtree); ints are proof-element positions.
    """
    if not 0 < m <= n:
        return None
    counter = itertools.count()

    def sub(m: int, n: int, b: bool) -> tuple[Expr, Expr]:
        if m == n:
            if b:
                return "OLD", "OLD"
            i = next(counter)
            return i, i
        k = _k(n)
        if m <= k:
            old, new = sub(m, k, b)
            return old, ("H", new, next(counter))
        old, new = sub(m - k, n - k, False)
        i = next(counter)
        return ("H", i, old), ("H", i, new)

    old, new = sub(m, n, True)
    return old, new, next(counter)


# --- the implementation under test, over a node store ------------------------------------

NODES: dict[merkle.Node, bytes] = {}
for _i, _d in enumerate(DATA):
    for _node, _h in merkle.completed_nodes(_i, NODES.__getitem__, merkle.leaf_hash(_d)):
        NODES[_node] = _h


def leaf(i: int) -> bytes:
    return merkle.leaf_hash(DATA[i])


def root(n: int) -> bytes:
    plan = merkle.root_plan(n)
    return merkle.fold([NODES[x] for x in plan])


def inclusion(m: int, n: int) -> list[bytes]:
    ranges = merkle.inclusion_ranges(m, n)
    assert merkle.nodes_for(ranges) <= NODES.keys()
    return merkle.evaluate(ranges, NODES)


def consistency(m: int, n: int) -> list[bytes]:
    ranges = merkle.consistency_ranges(m, n)
    assert merkle.nodes_for(ranges) <= NODES.keys()
    return merkle.evaluate(ranges, NODES)


# --- mutations ------------------------------------------------------------------------------


def flip(h: bytes, bit: int) -> bytes:
    b = bytearray(h)
    b[(bit // 8) % len(b)] ^= 1 << (bit % 8)
    return bytes(b)


EXTRA = _sha(b"not part of any proof")


def list_mutations(proof: Sequence[bytes], bit: int = 0) -> list[tuple[str, list[bytes]]]:
    """Every single mutation of a list of hashes: flipped bit, dropped, added, swapped."""
    p = list(proof)
    out: list[tuple[str, list[bytes]]] = []
    for i in range(len(p)):
        out.append((f"bit flipped in element {i}", [*p[:i], flip(p[i], bit + i), *p[i + 1 :]]))
        out.append((f"element {i} dropped", p[:i] + p[i + 1 :]))
    for i in range(len(p) + 1):
        out.append((f"element added at {i}", [*p[:i], EXTRA, *p[i:]]))
        if i < len(p):
            out.append((f"element {i} duplicated", [*p[: i + 1], p[i], *p[i + 1 :]]))
    for i, j in itertools.combinations(range(len(p)), 2):
        if p[i] != p[j]:
            q = list(p)
            q[i], q[j] = q[j], q[i]
            out.append((f"elements {i} and {j} swapped", q))
    return out


def rejected_inclusion(leaf_h: bytes, m: int, n: int, path: Sequence[bytes], root_h: bytes) -> bool:
    try:
        merkle.verify_inclusion(leaf_h, m, n, path, root_h)
    except merkle.ProofError:
        return True
    return False


def rejected_consistency(m: int, n: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    try:
        merkle.verify_consistency(m, n, old_root, new_root, proof)
    except merkle.ProofError:
        return True
    return False


def check_inclusion(m: int, n: int, bit: int = 0) -> None:
    """The proof of leaf m in a tree of n equals the naive one, verifies, and every
    single mutation is rejected."""
    path = inclusion(m, n)
    assert path == naive_path(m, 0, n), (m, n)
    r, lf = root(n), leaf(m)
    assert r == mth(0, n)
    merkle.verify_inclusion(lf, m, n, path, r)

    for what, mutated in list_mutations(path, bit):
        assert rejected_inclusion(lf, m, n, mutated, r), (m, n, what)
    assert rejected_inclusion(lf, m, n, path, flip(r, bit)), (m, n, "wrong root")
    assert rejected_inclusion(flip(lf, bit), m, n, path, r), (m, n, "wrong leaf")
    if n > 1:
        assert rejected_inclusion(lf, m, n, path, mth(0, n - 1)), (m, n, "root of another size")

    shape = inclusion_shape(m, n)
    for m2, n2 in ((m - 1, n), (m + 1, n), (m, n - 1), (m, n + 1)):
        what = f"claimed index {m2} in size {n2}"
        if 0 < n2 <= MAX:  # against the genuine root of the claimed size: always rejected
            assert rejected_inclusion(lf, m2, n2, path, mth(0, n2)), (m, n, what)
        same_shape = inclusion_shape(m2, n2) == shape
        assert rejected_inclusion(lf, m2, n2, path, r) != same_shape, (m, n, what, same_shape)


def check_consistency(m: int, n: int, bit: int = 0) -> None:
    """The proof from size m to n equals the naive one, verifies, and every single
    mutation is rejected."""
    proof = consistency(m, n)
    assert proof == naive_proof(m, n), (m, n)
    old_r, new_r = root(m), root(n)
    assert (old_r, new_r) == (mth(0, m), mth(0, n))
    merkle.verify_consistency(m, n, old_r, new_r, proof)

    for what, mutated in list_mutations(proof, bit):
        assert rejected_consistency(m, n, old_r, new_r, mutated), (m, n, what)
    assert rejected_consistency(m, n, flip(old_r, bit), new_r, proof), (m, n, "wrong old root")
    assert rejected_consistency(m, n, old_r, flip(new_r, bit), proof), (m, n, "wrong new root")
    assert rejected_consistency(m, n, new_r, old_r, proof) or old_r == new_r, (m, n, "roots swapped")

    shape = consistency_shape(m, n)
    for m2, n2 in ((m - 1, n), (m + 1, n), (m, n - 1), (m, n + 1)):
        what = f"claimed sizes {m2} -> {n2}"
        if 0 < m2 <= n2 <= MAX:  # against the genuine roots of the claimed sizes
            assert rejected_consistency(m2, n2, mth(0, m2), mth(0, n2), proof), (m, n, what)
        same_shape = consistency_shape(m2, n2) == shape
        assert rejected_consistency(m2, n2, old_r, new_r, proof) != same_shape, (m, n, what, same_shape)


# --- the tests ---------------------------------------------------------------------------------


def test_hashing_is_rfc_9162() -> None:
    assert merkle.EMPTY_ROOT == _sha(b"") == mth(0, 0)
    assert merkle.leaf_hash(b"x") == _sha(b"\x00x")
    assert merkle.node_hash(b"a", b"b") == _sha(b"\x01ab")


def test_tree_builder_and_store_roots_equal_naive_mth() -> None:
    builder = merkle.TreeBuilder()
    assert builder.root() == mth(0, 0)
    store: dict[merkle.Node, bytes] = {}
    for i in range(MAX):
        completed = builder.append(leaf(i))
        assert completed == merkle.completed_nodes(i, store.__getitem__, leaf(i))
        store.update(completed)
        assert builder.size == i + 1
        assert builder.root() == mth(0, i + 1) == root(i + 1), i + 1


def test_every_stored_node_is_the_mth_of_its_range() -> None:
    for (level, idx), h in NODES.items():
        assert h == mth(idx << level, (idx + 1) << level)


@pytest.mark.parametrize("n", range(1, EXHAUSTIVE + 1))
def test_every_inclusion_proof_up_to_64_leaves(n: int) -> None:
    for m in range(n):
        check_inclusion(m, n, bit=m * 37 + n)


@pytest.mark.parametrize("n", range(1, EXHAUSTIVE + 1))
def test_every_consistency_proof_up_to_64_leaves(n: int) -> None:
    for m in range(1, n + 1):
        check_consistency(m, n, bit=m * 53 + n)


@st.composite
def index_and_size(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(1, MAX))
    return draw(st.integers(0, n - 1)), n


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    n = draw(st.integers(1, MAX))
    return draw(st.integers(1, n)), n


@settings(max_examples=300, deadline=None)
@given(index_and_size(), st.integers(0, 255))
def test_inclusion_proofs_up_to_300_leaves(mn: tuple[int, int], bit: int) -> None:
    check_inclusion(*mn, bit=bit)


@settings(max_examples=300, deadline=None)
@given(two_sizes(), st.integers(0, 255))
def test_consistency_proofs_up_to_300_leaves(mn: tuple[int, int], bit: int) -> None:
    check_consistency(*mn, bit=bit)


def test_a_proof_binds_the_size_only_through_the_root() -> None:
    """Leaf 0 of 3 and leaf 0 of 4 fold the same two siblings the same way, so the size
    a proof claims means nothing without the root signed with it; `verify-proof` takes
    size and root from the checkpoint for that reason. Most (index, size) pairs share
    their shape with size + 1 — the property is the RFC's, not an implementation gap."""
    path = inclusion(0, 3)
    merkle.verify_inclusion(leaf(0), 0, 4, path, root(3))  # accepted: same shape
    assert rejected_inclusion(leaf(0), 0, 4, path, root(4))  # the size-4 checkpoint's root
    coincident = [
        (m, n)
        for n in range(1, EXHAUSTIVE + 1)
        for m in range(n)
        if inclusion_shape(m, n) == inclusion_shape(m, n + 1)
    ]
    assert (0, 3) in coincident
    assert (2, 3) not in coincident


def test_bad_arguments_are_proof_errors_not_crashes() -> None:
    r = root(5)
    for args in [(-1, 5), (5, 5), (0, 0)]:
        with pytest.raises(merkle.ProofError):
            merkle.verify_inclusion(leaf(0), *args, inclusion(0, 5), r)
    with pytest.raises(merkle.ProofError, match="wrong length"):
        merkle.verify_inclusion(leaf(0), 0, 5, [b"short", *inclusion(0, 5)[1:]], r)
    for m, n in [(0, 5), (6, 5), (-1, 5)]:
        with pytest.raises(merkle.ProofError):
            merkle.verify_consistency(m, n, root(3), r, consistency(3, 5))
    with pytest.raises(merkle.ProofError, match="must be empty"):
        merkle.verify_consistency(5, 5, r, r, [EXTRA])
    with pytest.raises(merkle.ProofError, match="wrong length"):
        merkle.verify_consistency(3, 5, root(3), r, [b"x" * 31])
    with pytest.raises(ValueError, match="not in a tree"):
        merkle.inclusion_ranges(5, 5)
    with pytest.raises(ValueError, match="no consistency proof"):
        merkle.consistency_ranges(0, 5)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=5000).flatmap(
    lambda n: st.tuples(st.just(n), st.lists(st.integers(min_value=0, max_value=n - 1), max_size=40))
))  # fmt: skip
def test_inclusion_ranges_of_many_leaves_equal_one_at_a_time(case: tuple[int, list[int]]) -> None:
    size, indexes = case
    many = merkle.inclusion_ranges_many(indexes, size)
    assert sorted(many) == sorted(set(indexes))
    for index in indexes:
        assert many[index] == merkle.inclusion_ranges(index, size)


def test_inclusion_ranges_of_many_refuse_a_leaf_outside_the_tree() -> None:
    assert merkle.inclusion_ranges_many([], 0) == {}
    with pytest.raises(ValueError, match="leaf index 8 is not in a tree of size 8"):
        merkle.inclusion_ranges_many([0, 8], 8)
