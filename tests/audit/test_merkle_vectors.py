"""secassist.audit.merkle against public vectors: the RFC 6962 test tree of eight leaves
(the vectors Certificate Transparency and transparency-dev/merkle check their verifiers
with: roots of every size, inclusion and consistency proofs) and the corrupted-proof
probes of transparency-dev/merkle ``proof/verify_test.go`` (Apache-2.0), rewritten here:
each good proof is mutated — wrong index or size, wrong or empty leaf and roots, garbage
before or after, a flipped bit in each element, an element removed or inserted — and
every mutation must be refused.

Every hash the verifier takes is exactly 32 bytes: an empty (or short, or long) leaf
hash or root is refused before any folding, so an empty leaf "proving" itself against an
empty root in a tree of one cannot pass (issue #16).

Deliberate difference from transparency-dev: a consistency proof from size 0 is refused
here (the log never proves from an empty tree; a witness starts from its first checkpoint).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest

from secassist.audit import checkpoint as cp
from secassist.audit import merkle, standalone
from secassist.audit.canonical import canonical
from secassist.audit.errors import ProofInvalidError


def h(text: str) -> bytes:
    raw = bytes.fromhex(text)
    assert len(raw) in (0, 1, 2, 4, 8, 16, 32)
    return raw


SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")
EMPTY_TREE_HASH = h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")

# The RFC 6962 test tree: its eight leaves and the root of each prefix (size 1..8).
LEAVES = [
    h(""),
    h("00"),
    h("10"),
    h("2021"),
    h("3031"),
    h("40414243"),
    h("5051525354555657"),
    h("606162636465666768696a6b6c6d6e6f"),
]
ROOTS = [
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# (leaf number, 1-based as in the vectors; tree size; proof)
INCLUSION = [
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (3, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        2,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (1, 1, []),
]

# (old size, new size, proof)
CONSISTENCY = [
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (1, 1, []),
]


def _flip(proof: Sequence[bytes], i: int, mask: int) -> list[bytes]:
    out = list(proof)
    out[i] = bytes([out[i][0] ^ mask]) + out[i][1:]
    return out


def _refuses_inclusion(leaf: bytes, index: int, size: int, path: Sequence[bytes], root: bytes) -> bool:
    try:
        merkle.verify_inclusion(leaf, index, size, path, root)
    except merkle.ProofError:
        return True
    return False


def _refuses_consistency(old: int, new: int, r1: bytes, r2: bytes, proof: Sequence[bytes]) -> bool:
    try:
        merkle.verify_consistency(old, new, r1, r2, proof)
    except merkle.ProofError:
        return True
    return False


def _built_path(index: int, size: int) -> list[bytes]:
    tree, nodes = merkle.TreeBuilder(), {}
    for leaf in LEAVES[:size]:
        nodes.update(tree.append(merkle.leaf_hash(leaf)))
    return merkle.evaluate(merkle.inclusion_ranges(index, size), nodes)


def _built_consistency(old: int, new: int) -> list[bytes]:
    tree, nodes = merkle.TreeBuilder(), {}
    for leaf in LEAVES[:new]:
        nodes.update(tree.append(merkle.leaf_hash(leaf)))
    return merkle.evaluate(merkle.consistency_ranges(old, new), nodes)


def test_the_tree_builder_reproduces_the_rfc6962_roots() -> None:
    tree = merkle.TreeBuilder()
    for leaf, root in zip(LEAVES, ROOTS, strict=True):
        tree.append(merkle.leaf_hash(leaf))
        assert tree.root() == root
    assert merkle.EMPTY_ROOT == EMPTY_TREE_HASH


@pytest.mark.parametrize(("leaf", "size", "proof"), INCLUSION, ids=lambda v: str(v)[:12])
def test_rfc6962_inclusion_vectors_verify_and_every_corruption_is_refused(
    leaf: int, size: int, proof: list[bytes]
) -> None:
    index, root, lh = leaf - 1, ROOTS[size - 1], merkle.leaf_hash(LEAVES[leaf - 1])
    merkle.verify_inclusion(lh, index, size, proof, root)
    assert _built_path(index, size) == proof  # our own proof construction agrees
    probes: dict[str, tuple[bytes, int, int, list[bytes], bytes]] = {
        "leafIndex - 1": (lh, index - 1, size, proof, root),
        "leafIndex + 1": (lh, index + 1, size, proof, root),
        "leafIndex ^ 2": (lh, index ^ 2, size, proof, root),
        "treeSize * 2": (lh, index, size * 2, proof, root),
        "treeSize / 2": (lh, index, size // 2, proof, root),
        "wrong leaf": (b"WrongLeaf", index, size, proof, root),
        "empty leaf": (b"", index, size, proof, root),
        "empty root": (lh, index, size, proof, EMPTY_TREE_HASH),
        "random root": (lh, index, size, proof, SOME_HASH),
        "zero-length root": (lh, index, size, proof, b""),
        "trailing garbage": (lh, index, size, [*proof, b""], root),
        "trailing root": (lh, index, size, [*proof, root], root),
        "preceding garbage": (lh, index, size, [b"", *proof], root),
        "preceding root": (lh, index, size, [root, *proof], root),
    }
    for i in range(len(proof)):
        probes[f"modified proof[{i}] bit 3"] = (lh, index, size, _flip(proof, i, 8), root)
    if proof:
        probes["removed component"] = (lh, index, size, proof[:-1], root)
    if len(proof) > 1:
        probes["inserted component"] = (lh, index, size, [proof[0], SOME_HASH, *proof[1:]], root)
    accepted = [name for name, p in probes.items() if not _refuses_inclusion(*p)]
    assert accepted == []


def test_a_single_entry_tree_needs_real_hashes() -> None:
    """transparency-dev TestVerifyInclusionSingleEntry: root == leaf hash, empty proof."""
    lh = hashlib.sha256(b"\x00data").digest()
    merkle.verify_inclusion(lh, 0, 1, [], lh)
    for leaf, root in [(lh, b""), (b"", lh), (b"", b"")]:
        with pytest.raises(merkle.ProofError, match="32 bytes"):
            merkle.verify_inclusion(leaf, 0, 1, [], root)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1)])
def test_bad_positions_and_hashes_are_refused(index: int, size: int) -> None:
    """transparency-dev TestVerifyInclusion probes: none of these may verify."""
    assert _refuses_inclusion(SOME_HASH, index, size, [], b"")
    assert _refuses_inclusion(b"", index, size, [], EMPTY_TREE_HASH)
    assert _refuses_inclusion(SOME_HASH, index, size, [], EMPTY_TREE_HASH)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY, ids=lambda v: str(v)[:12])
def test_rfc6962_consistency_vectors_verify_and_every_corruption_is_refused(
    old: int, new: int, proof: list[bytes]
) -> None:
    r1, r2 = ROOTS[old - 1], ROOTS[new - 1]
    merkle.verify_consistency(old, new, r1, r2, proof)
    if not proof:
        return
    assert _built_consistency(old, new) == proof  # our own proof construction agrees
    probes: dict[str, tuple[int, int, bytes, bytes, list[bytes]]] = {
        "size1 - 1": (old - 1, new, r1, r2, proof),
        "size1 + 1": (old + 1, new, r1, r2, proof),
        "size1 ^ 2": (old ^ 2, new, r1, r2, proof),
        "size2 * 2": (old, new * 2, r1, r2, proof),
        "size2 / 2": (old, new // 2, r1, r2, proof),
        "wrong root1": (old, new, b"WrongRoot", r2, proof),
        "wrong root2": (old, new, r1, b"WrongRoot", proof),
        "empty root1": (old, new, b"", r2, proof),
        "empty root2": (old, new, r1, b"", proof),
        "swapped roots": (old, new, r2, r1, proof),
        "empty proof": (old, new, r1, r2, []),
        "trailing garbage": (old, new, r1, r2, [*proof, b""]),
        "trailing root1": (old, new, r1, r2, [*proof, r1]),
        "trailing root2": (old, new, r1, r2, [*proof, r2]),
        "preceding garbage": (old, new, r1, r2, [b"", *proof]),
        "preceding root1": (old, new, r1, r2, [r1, *proof]),
        "preceding root2": (old, new, r1, r2, [r2, *proof]),
        "preceding proof[0]": (old, new, r1, r2, [proof[0], *proof]),
        "truncated proof": (old, new, r1, r2, proof[:-1]),
    }
    for i in range(len(proof)):
        probes[f"modified proof[{i}] bit 4"] = (old, new, r1, r2, _flip(proof, i, 16))
    accepted = [name for name, p in probes.items() if not _refuses_consistency(*p)]
    assert accepted == []


@pytest.mark.parametrize(
    ("old", "new", "r1", "r2", "proof", "ok"),
    [
        # Equal sizes: the roots must be equal, 32 bytes each, and the proof empty.
        (1, 1, ROOTS[0], ROOTS[1], [], False),
        (1, 1, ROOTS[1], ROOTS[1], [], True),
        (1, 1, b"don't care 2", b"don't care 2", [], False),
        (1, 1, b"", b"", [], False),
        (1, 1, EMPTY_TREE_HASH, EMPTY_TREE_HASH, [EMPTY_TREE_HASH], False),
        # Time travel to the past, and from the empty tree (refused here; see the docstring).
        (1, 0, ROOTS[0], ROOTS[1], [], False),
        (2, 1, ROOTS[1], ROOTS[0], [], False),
        (0, 0, EMPTY_TREE_HASH, EMPTY_TREE_HASH, [], False),
        (0, 1, EMPTY_TREE_HASH, ROOTS[0], [], False),
        # Different sizes need a proof.
        (1, 2, ROOTS[0], ROOTS[1], [], False),
    ],
)
def test_consistency_edge_cases(
    old: int, new: int, r1: bytes, r2: bytes, proof: list[bytes], ok: bool
) -> None:
    assert _refuses_consistency(old, new, r1, r2, proof) is not ok


# --- the offline verifier (`secassist audit verify-proof`) --------------------------------------


def _note(root: bytes, size: int = 1) -> cp.Checkpoint:
    """A checkpoint as cp.verify returns it (its signature is checked before, elsewhere)."""
    return cp.Checkpoint("test/log", size, root, "2026-03-01T12:00:00Z", "k", b"\0" * 4, b"", "")


def _inclusion_doc(entry: dict[str, object], leaf_hex: str, root_hex: str | None) -> dict[str, object]:
    doc: dict[str, object] = {
        "type": "inclusion",
        "leaf_index": 0,
        "tree_size": 1,
        "leaf_hash": leaf_hex,
        "path": [],
        "entry": entry,
    }
    if root_hex is not None:
        doc["root_hash"] = root_hex
    return doc


def test_the_offline_verifier_refuses_empty_leaf_and_root_hashes() -> None:
    entry: dict[str, object] = {"seq": 0, "tag": "test:entry:made"}
    leaf = merkle.leaf_hash(canonical(entry))
    good = _inclusion_doc(entry, leaf.hex(), leaf.hex())
    assert standalone.verify_inclusion_document(good, _note(leaf)).startswith("entry 0 ")
    for doc, note in [
        (_inclusion_doc(entry, "", ""), _note(leaf)),
        (_inclusion_doc(entry, leaf.hex(), ""), _note(leaf)),
        (_inclusion_doc(entry, leaf.hex(), None), _note(b"")),
        (_inclusion_doc(entry, leaf.hex()[:-2], None), _note(leaf)),
    ]:
        with pytest.raises(ProofInvalidError, match=r"32-byte|32 bytes"):
            standalone.verify_inclusion_document(doc, note)
