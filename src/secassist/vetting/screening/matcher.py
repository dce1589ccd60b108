"""Name and identifier matching against an in-memory index (pure: no database, no I/O).

How a query is scored against one listed name (every step shows in the explanation):

1. Both are normalised (:mod:`.normalize`): transliterated, case and punctuation folded,
   legal forms and honorifics removed, each token in a canonical spelling with a
   phonetic key.
2. Tokens are aligned one to one, best pair first, whatever their order. A pair's
   similarity is the Levenshtein similarity of the canonical spellings, raised to
   ``PHONETIC`` when the phonetic keys agree (Mohammed/Muhammad); an initial matches a
   word that starts with it.
3. Each token weighs by its rarity on the loaded lists (inverse document frequency), so
   sharing "Mohammed" or "Trading" says little and sharing "Kalashnikov" says much.
   ``query_coverage`` is the weighted share of the query explained by the name,
   ``name_coverage`` the share of the name explained by the query; a missing middle name
   costs a little, an unexplained query word costs a lot.
4. A character-level similarity of the joined tokens (in order and sorted) catches split
   and merged words (Abdulrahman / Abdul Rahman) and typos spread over a name.
5. An exact identifier (passport, IMO, registration number...) shared by query and entry is
   decisive: score 1.0.

Candidates come from blocking keys (canonical token, phonetic key, 4-letter prefix and
suffix), so a query scores a few dozen names, not the whole list.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA, Levenshtein

from secassist.vetting.screening.entities import ListEntity
from secassist.vetting.screening.normalize import Token, is_filler, romanisable, tokens
from secassist.vetting.screening.parsers.common import norm_id

ALGORITHM = "secassist-name-v1"
DEFAULT_THRESHOLD = 0.80
PHONETIC = 0.85  # similarity of two spellings that sound alike
INITIAL = 0.75  # "A." against "Ahmed"
FILLER = 0.15  # weight of an unexplained query word that looks like a misspelt legal form
PAIR_FLOOR = 0.55  # below this two tokens are not aligned at all
Q_WEIGHT = 0.75  # query coverage against name coverage
CANDIDATES = 60  # names fully scored per query
MAX_POSTING = 30_000  # keys more common than this do not select candidates


@dataclass(frozen=True, slots=True)
class Feature:
    """One line of a match's explanation."""

    name: str
    value: float
    detail: str


@dataclass(frozen=True, slots=True)
class Match:
    """A listed entity that a query matched, with the name that matched and why."""

    list_name: str
    entity_id: str
    name: str
    matched_name: str
    score: float
    features: tuple[Feature, ...]


@dataclass(slots=True)
class Query:
    """What is screened: names (aliases of one party) and optional identifiers."""

    names: list[str]
    identifiers: list[str] = field(default_factory=list)


def token_similarity(a: Token, b: Token) -> float:
    """Similarity of two tokens in [0, 1] (exact for numbers)."""
    if a.canon == b.canon:
        return 1.0
    if a.numeric or b.numeric:
        return 0.0
    la, lb = len(a.canon), len(b.canon)
    if la == 1 or lb == 1:
        # An initial in the query stands for a word; a listed initial explains nothing.
        return INITIAL if la == 1 and a.canon[0] == b.canon[0] else 0.0
    sim = OSA.normalized_similarity(a.canon, b.canon)
    if sim >= 0.6 and a.phonetic == b.phonetic and min(la, lb) >= 5 and len(a.phonetic) >= 3:
        sim = max(sim, PHONETIC)
    return sim


@dataclass(frozen=True, slots=True)
class NameScore:
    score: float
    features: tuple[Feature, ...]


def _join(toks: Sequence[Token]) -> tuple[str, str]:
    canon = [t.canon for t in toks]
    return "".join(canon), "".join(sorted(canon))


def score_tokens(
    query: Sequence[Token],
    name: Sequence[Token],
    weight: dict[str, float],
    *,
    name_joined: tuple[str, str] | None = None,
    explain: bool = True,
) -> NameScore:
    """Score a query's tokens against a listed name's tokens (see the module docstring)."""
    if not query or not name:
        return NameScore(0.0, ())
    pairs: list[tuple[float, int, int]] = []
    for i, q in enumerate(query):
        for j, c in enumerate(name):
            s = token_similarity(q, c)
            if s >= PAIR_FLOOR:
                pairs.append((s, i, j))
    pairs.sort(reverse=True)
    used_q: set[int] = set()
    used_c: set[int] = set()
    aligned: list[tuple[float, int, int]] = []
    for s, i, j in pairs:
        if i not in used_q and j not in used_c:
            used_q.add(i)
            used_c.add(j)
            aligned.append((s, i, j))
    wc = [weight.get(t.canon, 1.0) for t in name]
    wq = [weight.get(t.canon, -1.0) for t in query]
    # A query word unknown to the lists (a typo, or a different name) takes the weight of
    # the listed word it closely matches, else the full weight.
    pq = {i: (wq[i] if wq[i] >= 0 else (wc[j] if s >= 0.8 else 1.0)) for s, i, j in aligned}
    got_q = sum(s * pq[i] for s, i, _j in aligned)
    got_c = sum(s * wc[j] for s, _i, j in aligned)
    miss_q = sum(
        (w if w >= 0 else (FILLER if is_filler(query[i].text) else 1.0))
        for i, w in enumerate(wq)
        if i not in used_q
    )
    miss_c = sum(w for j, w in enumerate(wc) if j not in used_c)
    den_q = sum(pq.values()) + miss_q
    den_c = sum(wc[j] for _s, _i, j in aligned) + miss_c
    cov_q = got_q / den_q if den_q else 0.0
    cov_c = got_c / den_c if den_c else 0.0
    token_score = Q_WEIGHT * cov_q + (1 - Q_WEIGHT) * cov_c
    qj = _join(query)
    cj = name_joined or _join(name)
    joined = max(
        Levenshtein.normalized_similarity(qj[0], cj[0]),
        Levenshtein.normalized_similarity(qj[1], cj[1]),
    )
    # The joined form only counts when it is close: it is there for split words and
    # scattered typos, and a loose character match says nothing about identity.
    joined_score = joined if joined >= 0.85 and min(len(qj[0]), len(cj[0])) >= 6 else 0.0
    score = max(token_score, joined_score)
    if not explain:
        return NameScore(score, ())
    detail = ", ".join(f"{query[i].text}~{name[j].text} {s:.2f}" for s, i, j in aligned) or "none"
    unmatched = [t.text for i, t in enumerate(query) if i not in used_q]
    return NameScore(
        score,
        (
            Feature("token_alignment", round(token_score, 4), detail),
            Feature("query_coverage", round(cov_q, 4), f"unexplained query words: {unmatched or 'none'}"),
            Feature(
                "name_coverage", round(cov_c, 4), f"{len(name) - len(used_c)} listed words not in the query"
            ),
            Feature("joined_similarity", round(joined, 4), f"{qj[0]} / {cj[0]}"),
        ),
    )


class Index:
    """Entities of one or more lists, indexed for fast candidate selection.

    Build with :meth:`add` for each entity, then :meth:`finalize` once; :meth:`match` is
    read-only afterwards (safe to share between threads). Blocking is two-level: a key
    (phonetic, one-letter deletion, prefix, suffix) finds listed spellings of a query
    token, each spelling lists the names holding it.
    """

    def __init__(self) -> None:
        self.ent_list: list[str] = []
        self.ent_id: list[str] = []
        self.ent_name: list[str] = []
        self.name_ent: list[int] = []
        self.name_text: list[str] = []
        self.name_toks: list[tuple[Token, ...]] = []
        self.name_join: list[tuple[str, str]] = []
        self.spelling_names: dict[str, list[int]] = defaultdict(list)
        self.key_spellings: dict[str, list[str]] = defaultdict(list)
        self.ids: dict[str, list[int]] = defaultdict(list)
        self.weight: dict[str, float] = {}
        self.name_weight: list[float] = []
        self.spelling_token: dict[str, Token] = {}
        self._seen: dict[tuple[str, str], int] = {}

    def __len__(self) -> int:
        return len(self.ent_id)

    @property
    def name_count(self) -> int:
        return len(self.name_text)

    def add(self, list_name: str, entity: ListEntity) -> None:
        """Index one entity (an entity already indexed for this list gains the new names)."""
        e = self._seen.get((list_name, entity.entity_id))
        if e is None:
            e = len(self.ent_id)
            self._seen[(list_name, entity.entity_id)] = e
            self.ent_list.append(list_name)
            self.ent_id.append(entity.entity_id)
            self.ent_name.append(entity.name)
        names = entity.names()
        readable = [n for n in names if romanisable(n)]
        seen: set[tuple[str, ...]] = set()
        for raw in readable or names:
            toks = tokens(raw)
            key = tuple(t.canon for t in toks)
            if not toks or key in seen:
                continue
            seen.add(key)
            n = len(self.name_text)
            self.name_ent.append(e)
            self.name_text.append(raw)
            self.name_toks.append(toks)
            self.name_join.append(_join(toks))
            for t in toks:
                self.spelling_token.setdefault(t.canon, t)
                posting = self.spelling_names[t.canon]
                if not posting or posting[-1] != n:
                    posting.append(n)
        for ident in entity.identifiers:
            v = norm_id(ident.value)
            if len(v) >= 4 and e not in self.ids[v]:
                self.ids[v].append(e)

    def finalize(self) -> Index:
        """Compute token weights from document frequencies and the spelling keys; returns ``self``."""
        n = max(self.name_count, 1)
        top = math.log(n + 1)
        self.weight = {
            c: max(0.1, math.log((n + 1) / (len(ns) + 0.5)) / top) for c, ns in self.spelling_names.items()
        }
        self.key_spellings = defaultdict(list)
        for canon, t in self.spelling_token.items():
            for k in t.keys:
                self.key_spellings[k].append(canon)
        self.name_weight = [sum(self.weight[t.canon] for t in toks) or 1.0 for toks in self.name_toks]
        self.spelling_names = dict(self.spelling_names)
        self.key_spellings = dict(self.key_spellings)
        self.ids = dict(self.ids)
        return self

    def extend(self, list_name: str, entities: Iterable[ListEntity]) -> None:
        for e in entities:
            self.add(list_name, e)

    def spellings(self, t: Token) -> dict[str, float]:
        """Listed spellings close to token ``t``, with their similarity to it."""
        out: dict[str, float] = {}
        if t.canon in self.spelling_names:
            out[t.canon] = 1.0
        if len(t.canon) == 1:
            return out
        for k in t.keys:
            for c in self.key_spellings.get(k, ()):
                if c not in out:
                    s = token_similarity(t, self.spelling_token[c])
                    if s >= PAIR_FLOOR:
                        out[c] = s
        return out

    def candidates(self, query: Sequence[Token], limit: int = CANDIDATES) -> list[int]:
        """Names sharing a close spelling with the query, most promising first."""
        acc: dict[int, float] = defaultdict(float)
        qsum = sum(self.weight.get(t.canon, 1.0) for t in query) or 1.0
        for t in query:
            w = self.weight.get(t.canon, 1.0)
            hit: dict[int, float] = {}
            for c, s in self.spellings(t).items():
                ws = w * s * s
                for n in self.spelling_names[c]:
                    if hit.get(n, 0.0) < ws:
                        hit[n] = ws
            for n, ws in hit.items():
                acc[n] += ws
        if len(acc) <= limit:
            return list(acc)
        # Rank as the score will: the share of the query explained, and of the name.
        name_w = self.name_weight
        return heapq.nlargest(
            limit, acc, key=lambda n: acc[n] * (Q_WEIGHT / qsum + (1 - Q_WEIGHT) / name_w[n])
        )

    def match(
        self,
        query: Query | str,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        limit: int = 10,
        explain: bool = True,
    ) -> list[Match]:
        """Entities scoring at least ``threshold``, best first, one match per entity."""
        q = Query(names=[query]) if isinstance(query, str) else query
        best: dict[int, tuple[float, int, tuple[Token, ...]]] = {}
        for ident in q.identifiers:
            v = norm_id(ident)
            for e in self.ids.get(v, ()) if len(v) >= 4 else ():
                best[e] = (1.0, -1, ())
        for raw in q.names:
            qt = tokens(raw)
            if not qt:
                continue
            for n in self.candidates(qt):
                e = self.name_ent[n]
                ns = score_tokens(
                    qt, self.name_toks[n], self.weight, name_joined=self.name_join[n], explain=False
                )
                if ns.score >= threshold and (e not in best or ns.score > best[e][0]):
                    best[e] = (ns.score, n, qt)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
        out: list[Match] = []
        for e, (score, n, qt) in ranked:
            feats: tuple[Feature, ...] = ()
            if n < 0:
                matched = self.ent_name[e]
                feats = (
                    Feature("identifier", 1.0, "an identifier of the query is on the list for this entry"),
                )
            else:
                matched = self.name_text[n]
                if explain:
                    feats = score_tokens(
                        qt, self.name_toks[n], self.weight, name_joined=self.name_join[n]
                    ).features
                    feats = (Feature("matched_name", round(score, 4), matched), *feats)
            out.append(
                Match(self.ent_list[e], self.ent_id[e], self.ent_name[e], matched, round(score, 4), feats)
            )
        return out


def build_index(lists: Iterable[tuple[str, Iterable[ListEntity]]]) -> Index:
    """An :class:`Index` over ``(list_name, entities)`` pairs, finalized."""
    index = Index()
    for name, entities in lists:
        index.extend(name, entities)
    return index.finalize()
