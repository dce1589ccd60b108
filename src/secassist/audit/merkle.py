"""Merkle tree hashing, inclusion and consistency proofs per RFC 9162 §2.1 (pure, no I/O).

The tree is addressed by *perfect subtrees*: node ``(level, index)`` covers leaves
``[index * 2**level, (index + 1) * 2**level)``. Only those nodes are ever stored, so
every hash the RFC needs — the root of any size, each element of a proof — is a fold of
at most ``log2(n)`` stored nodes. Proof construction first *plans* which nodes it needs
(:func:`inclusion_plan`, :func:`consistency_plan`), so a store can fetch them in one
query, then *evaluates* the plan with those hashes.
"""

from __future__ import annotations

import bisect
import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
HASH_SIZE = 32

Node = tuple[int, int]  # (level, index)
Range = tuple[int, int]  # [start, end)


class ProofError(ValueError):
    """A proof that does not verify; the message says why."""


def leaf_hash(data: bytes) -> bytes:
    """RFC 9162 §2.1.1: HASH(0x00 || leaf)."""
    return hashlib.sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 §2.1.1: HASH(0x01 || left || right)."""
    return hashlib.sha256(NODE_PREFIX + left + right).digest()


EMPTY_ROOT = hashlib.sha256(b"").digest()


def largest_power_of_two_below(n: int) -> int:
    """k such that k < n <= 2k (RFC 9162's split point); n must be > 1."""
    if n < 2:
        raise ValueError("split needs n > 1")
    return 1 << ((n - 1).bit_length() - 1)


def decompose(start: int, end: int) -> list[Node]:
    """The perfect subtrees whose left-to-right fold gives MTH(D[start:end]).

    ``start`` must be aligned to the subtree sizes that RFC 9162's recursion produces,
    which holds for every range the proof algorithms ask for.
    """
    nodes: list[Node] = []
    while start < end:
        size = end - start
        level = size.bit_length() - 1  # largest power of two <= size
        if start % (1 << level):
            raise ValueError(f"range [{start}, {end}) is not aligned")
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def fold(hashes: Sequence[bytes]) -> bytes:
    """Combine decreasing perfect subtrees right to left: H(n1, H(n2, ... H(nj-1, nj)))."""
    if not hashes:
        return EMPTY_ROOT
    acc = hashes[-1]
    for h in reversed(hashes[:-1]):
        acc = node_hash(h, acc)
    return acc


def root_plan(size: int) -> list[Node]:
    """The stored nodes whose fold is the root of a tree of ``size`` leaves."""
    return decompose(0, size)


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """RFC 9162 §2.1.3.1 PATH(m, D[n]) as the ranges whose hashes form the path, leaf-up."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    out: list[Range] = []
    start, end, m = 0, size, index
    while end - start > 1:
        k = largest_power_of_two_below(end - start)
        if m < k:
            out.append((start + k, end))
            end = start + k
        else:
            out.append((start, start + k))
            start, m = start + k, m - k
    out.reverse()
    return out


def inclusion_ranges_many(indexes: Iterable[int], size: int) -> dict[int, list[Range]]:
    """:func:`inclusion_ranges` of each of ``indexes`` in one walk down the tree: the proofs
    of one tree share their upper levels (a trace's hundred proofs in a tree of 10^7
    leaves), so each subtree the indexes fall in is split once for all of them."""
    wanted = sorted(set(indexes))
    for index in wanted:
        if not 0 <= index < size:
            raise ValueError(f"leaf index {index} is not in a tree of size {size}")
    paths: dict[int, list[Range]] = {index: [] for index in wanted}
    # (start, end, the wanted indexes in [start, end) as a slice lo:hi of ``wanted``)
    stack = [(0, size, 0, len(wanted))] if wanted else []
    while stack:
        start, end, lo, hi = stack.pop()
        if end - start < 2:
            continue
        mid = start + (1 << ((end - start - 1).bit_length() - 1))  # largest_power_of_two_below
        cut = bisect.bisect_left(wanted, mid, lo, hi)
        if lo < cut:  # indexes on the left are proved with the right subtree's hash
            right = (mid, end)
            for index in wanted[lo:cut]:
                paths[index].append(right)
            stack.append((start, mid, lo, cut))
        if cut < hi:
            left = (start, mid)
            for index in wanted[cut:hi]:
                paths[index].append(left)
            stack.append((mid, end, cut, hi))
    for path in paths.values():
        path.reverse()  # leaf-up, as inclusion_ranges gives it
    return paths


def consistency_ranges(old: int, new: int) -> list[Range]:
    """RFC 9162 §2.1.4.1 PROOF(m, D[n]) as ranges, in proof order."""
    if not 0 < old <= new:
        raise ValueError(f"no consistency proof from size {old} to {new}")
    out: list[Range] = []

    def sub(m: int, start: int, end: int, complete: bool) -> None:
        n = end - start
        if m == n:
            if not complete:
                out.append((start, end))
            return
        k = largest_power_of_two_below(n)
        if m <= k:
            sub(m, start, start + k, complete)
            out.append((start + k, end))
        else:
            sub(m - k, start + k, end, False)
            out.append((start, start + k))

    sub(old, 0, new, True)
    return out


def nodes_for(ranges: Iterable[Range]) -> set[Node]:
    """Every stored node needed to evaluate ``ranges``."""
    needed: set[Node] = set()
    for start, end in ranges:
        needed.update(decompose(start, end))
    return needed


def evaluate(ranges: Sequence[Range], nodes: Mapping[Node, bytes]) -> list[bytes]:
    """The hash of each range (MTH of its leaves), folded from ``nodes``."""
    return [fold([nodes[n] for n in decompose(s, e)]) for s, e in ranges]


def _require_hash(value: bytes, what: str) -> None:
    # Every hash is a SHA-256 output: without this an empty leaf hash "proves" itself
    # against an empty root in a tree of one (the comparison at the end is all that runs).
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} must be exactly {HASH_SIZE} bytes, not {len(value)}")


def verify_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> None:
    """RFC 9162 §2.1.3.2; raises ProofError unless ``path`` proves ``leaf`` at ``index``.
    The leaf hash, the root and every path element must be exactly 32 bytes."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _require_hash(leaf, "leaf hash")
    _require_hash(root, "root hash")
    if any(len(h) != HASH_SIZE for h in path):
        raise ProofError(f"proof element of the wrong length (each must be exactly {HASH_SIZE} bytes)")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ProofError("proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("proof is shorter than the tree is deep")
    if r != root:
        raise ProofError("computed root does not match")


def verify_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """RFC 9162 §2.1.4.2; raises ProofError unless ``proof`` links the two roots. Both
    roots and every proof element must be exactly 32 bytes."""
    if old < 1 or old > new:
        raise ProofError(f"no consistency proof from size {old} to {new}")
    _require_hash(old_root, "old root hash")
    _require_hash(new_root, "new root hash")
    if any(len(h) != HASH_SIZE for h in proof):
        raise ProofError(f"proof element of the wrong length (each must be exactly {HASH_SIZE} bytes)")
    if old == new:
        if proof:
            raise ProofError("a proof between equal sizes must be empty")
        if old_root != new_root:
            raise ProofError("roots of equal sizes differ")
        return
    path = list(proof)
    if old & (old - 1) == 0:  # old is a power of two: its root starts the path
        path.insert(0, old_root)
    if not path:
        raise ProofError("empty consistency proof")
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("proof is longer than needed")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("proof is shorter than needed")
    if fr != old_root:
        raise ProofError("proof does not reproduce the old root")
    if sr != new_root:
        raise ProofError("proof does not reproduce the new root")


def completed_nodes(index: int, get: Callable[[Node], bytes], leaf: bytes) -> list[tuple[Node, bytes]]:
    """Nodes completed by appending leaf ``index``: the leaf, then each parent it closes.

    ``get`` returns an already stored node (the left siblings on the right edge).
    """
    out: list[tuple[Node, bytes]] = [((0, index), leaf)]
    level, i, h = 0, index, leaf
    while i & 1:
        left = get((level, i - 1))
        h = node_hash(left, h)
        level, i = level + 1, i >> 1
        out.append(((level, i), h))
    return out


def right_edge(index: int) -> list[Node]:
    """The stored left siblings that appending leaf ``index`` combines with (the nodes
    :func:`completed_nodes` asks ``get`` for)."""
    out: list[Node] = []
    level, i = 0, index
    while i & 1:
        out.append((level, i - 1))
        level, i = level + 1, i >> 1
    return out


class TreeBuilder:
    """Streaming tree of RFC 9162 hashes, O(log n) memory; used by `audit verify`."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, bytes]] = []  # (level, hash) of the right edge
        self.size = 0

    def append(self, leaf: bytes) -> list[tuple[Node, bytes]]:
        """Append a leaf hash; returns the nodes it completes (as :func:`completed_nodes`)."""
        nodes: list[tuple[Node, bytes]] = [((0, self.size), leaf)]
        level, h, i = 0, leaf, self.size
        while self._stack and self._stack[-1][0] == level:
            _, left = self._stack.pop()
            h = node_hash(left, h)
            level, i = level + 1, i >> 1
            nodes.append(((level, i), h))
        self._stack.append((level, h))
        self.size += 1
        return nodes

    def root(self) -> bytes:
        """Root hash of the leaves appended so far."""
        return fold([h for _, h in self._stack])
