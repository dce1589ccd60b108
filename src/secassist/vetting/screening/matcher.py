"""Name and identifier matching against an in-memory index (pure: no database, no I/O).

How a query is scored against one listed name (every step shows in the explanation):

1. Both are normalised (:mod:`.normalize`): transliterated, case and punctuation folded,
   legal forms and honorifics removed, each token in a canonical spelling with a
   phonetic key.
2. Tokens are aligned one to one, best pair first, whatever their order. A pair's
   similarity is the Levenshtein similarity of the canonical spellings, raised to
   ``PHONETIC`` when the phonetic keys agree (Mohammed/Muhammad); an initial matches a
   word that starts with it. In a query of several words, a word the lists do not hold
   within the slips its length allows of a listed word (:func:`typo_of`: one from 5
   letters, two from 10; none in shorter words) pairs at ``TYPO_TOKEN``.
3. Each token weighs by its rarity on the loaded lists (inverse document frequency), so
   sharing "Mohammed" or "Trading" says little and sharing "Kalashnikov" says much.
   ``query_coverage`` is the weighted share of the query explained by the name,
   ``name_coverage`` the share of the name explained by the query; a missing middle name
   costs a little, an unexplained query word costs a lot.
4. A character-level similarity of the joined tokens (in order and sorted) catches split
   and merged words (Abdulrahman / Abdul Rahman) and typos spread over a name.
5. Typing slips are counted on the whole name as written (every word, legal forms and
   titles included, joined in order and sorted): a Damerau–Levenshtein distance
   (a transposition is one slip) within a length-aware allowance — one slip from 5
   letters, two from ``TWO_SLIPS`` letters — scores ``1 - SLIP`` per slip. A slip in a
   short word or in a dropped word ("Compnay", "Shiekh") is caught here, where the
   token view would see an unexplained word.
6. An exact identifier (passport, IMO, registration number...) shared by query and entry is
   decisive: score 1.0.
7. Context (algorithm v4), each step a feature of the explanation, applied to the names
   that come near the threshold only:

   * ``short_name``: a query or listed name of one or two words must match more closely:
     its shortfall from 1.0 counts ``SHORT_1`` / ``SHORT_2`` times; when both sides have
     two words or more and the whole names are within typing slips (step 5 already held
     them to a close match), the extra counts at most as for one slip.
   * ``schema``: an organisation (or vessel, aircraft) query against a listed person, or
     the reverse, costs ``TYPE_PENALTY`` — one shared given name or surname no longer
     passes; an identical full name still does.
   * ``country``: a country of the query on the entry's countries (any role) adds
     ``COUNTRY_AGREE``; a country disagreeing with every listed one costs between
     ``COUNTRY_MIN`` (a distinctive name: front companies relocate, addresses go stale)
     and ``COUNTRY_MIN + COUNTRY_GENERIC`` (a generic name; ``COUNTRY_GENERIC_PERSON``
     for a listed person). ``information`` is how
     distinctive the listed name is: its words' shares of entries, counted on the
     loaded lists themselves. A person's words are counted among all entries (a word in
     ``GENERIC_SHARE`` of them is generic; the mean over its words); any other entry's among
     the organisation, vessel and aircraft entries only (``ORG_GENERIC_SHARE``; half its
     most informative word, half the mean), where ministry, defence, national, army… are common although
     persons make them rare overall.
     A country the query's name itself states (read from the word as written: the
     canonical spelling folds "Norway" to "norvai") in a word the listed name does not hold
     ("Ministry of National Defense of Poland") counts as a query country, with or
     without a country field (organisations only: "Jordan" is also a given name).
     A query that spells the listed name whole (two or more words, every word paired, slips
     aside: :meth:`Index.whole_name_info`) is strong evidence: a disagreeing country costs
     only ``COUNTRY_MIN`` when the name's words together weigh ``WHOLE_NAME_INFO`` or more,
     and holds the match at ``SINGLE_CAP`` when they do not (every word list-common:
     "Ministry of National Defence") unless one of its words is a proper name of the
     listed countries (:meth:`Index.bound_words`: only their entries bear it, as only
     Iran's bear "Pars" or "Kish"); a person's whole name always costs ``COUNTRY_MIN``.
   * ``birth_date`` and ``identifiers``: agreement adds, disagreement subtracts.
   * ``single_word``: a query or listed name of one word (legal forms dropped) that is not
     a near-exact spelling (:func:`near_exact`) of the other side scores at most
     ``SINGLE_CAP`` unless a birth date agrees ("Nammo AS" / NAMO GROUP, "MBDA" / MBADA).
     An aircraft's registration mark is read whole, its prefix included
     (:meth:`Index.mark_close`: EP-IPED / EP-IED).
   * ``one_word_person``: a one-word query against a listed person of several words
     scores at most ``SINGLE_CAP`` unless a birth date agrees: "Leonardo S.p.A." is not
     DIAS DE MENDONCA, Leonardo; nor unless both bear one personal title and the word is
     rare (:meth:`Index.shared_title`: "BARAKZAI, Haji" / BARAKZAI, Haji Khairullah).
   * ``common_words``: against a listed organisation (or, for a one-word query, an entry
     of unknown schema), when the words the query shares with
     the name (pairs at least ``SHARED`` alike) carry less than ``COMMON_SHARE`` of the
     name's information (organisation weights, as above), the match scores at most
     ``SINGLE_CAP`` unless the whole names are within typing slips or a birth date agrees:
     "Iceland Army" shares only "army" with ARMY OF ISLAM, "Philippines Army" only common
     words with the NEW PEOPLE'S ARMY / COMMUNIST PARTY OF THE PHILIPPINES.
   * ``weak_alias``: a name the list marks weak (OFAC's remarks a.k.a.s, UN "Low", FtM
     ``weakAlias``) makes a match only with an agreeing birth date or identifier.

Word boundaries: a query word run together from two listed words, or two query words that
together spell a listed word ("Rosoboron Export" / ROSOBORONEKSPORT), select that name as
a candidate directly, and the joined-form similarity scores it.

Equal scores rank the listed name written closest to the query first.

Candidates come from blocking keys (canonical token, phonetic key, 4-letter prefix and
suffix), so a query scores a few dozen names, not the whole list.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import OSA, DamerauLevenshtein, Levenshtein

from secassist.vetting.screening.entities import ListEntity
from secassist.vetting.screening.normalize import (
    Token,
    is_filler,
    raw_forms,
    romanisable,
    token,
    tokens,
    written_words,
)
from secassist.vetting.screening.parsers.common import country_code, norm_id

ALGORITHM = "secassist-context-v4"
DEFAULT_THRESHOLD = 0.75
PHONETIC = 0.85  # similarity of two spellings that sound alike
INITIAL = 0.75  # "A." against "Ahmed"
FILLER = 0.15  # weight of an unexplained query word that looks like a misspelt legal form
PAIR_FLOOR = 0.55  # below this two tokens are not aligned at all
# A word of a query of several words that the lists do not hold, within the slips its
# length allows of a listed word (one from ONE_SLIP letters, two from TWO_SLIPS), is that
# word mistyped: "Shippuing", "Investmelnt". Without this a 5-letter word with one slip
# scores 0.8 and a name with a slip in each of two words falls below the threshold. A
# one-word query ("Terma A/S" / LERMA) stays with :func:`near_exact`.
TYPO_TOKEN = 0.9
KNOWN_PARTIAL = 0.8  # discount on a loose alignment of a query word that is itself a listed spelling
Q_WEIGHT = 0.75  # query coverage against name coverage
SLIP = 0.1  # cost of one typing slip on the whole name
ONE_SLIP = 5  # letters of the listed name from which one slip is allowed
TWO_SLIPS = 10  # ... and two slips
CANDIDATES = 30  # names fully scored per query
MAX_POSTING = 30_000  # keys more common than this do not select candidates
# SHORT_*, TYPE_PENALTY, COUNTRY_* and WHOLE_NAME_INFO: the best of 300 settings by the
# loss of ``python -m bench.screening_tune`` (seed 20251207), on the benchmark's TUNE split
# only; the bench reports the holdout split. An allied "Ministry of National Defence"
# (every word list-common) is held below the threshold by the whole-name rule, whatever
# these costs.
SHORT_1 = 1.643  # shortfall multiplier for a one-word name
SHORT_2 = 1.311  # ... and a two-word name
TYPE_PENALTY = 0.155  # person against organisation, vessel or aircraft
COUNTRY_AGREE = 0.004
# Disagreeing country, distinctive name. The search's 0.02, lowered on the TUNE split once the
# proper names of states joined the whole-name rule (0.015: three more listed parties found
# with another country, among them two slips in OMRAN SAHEL, and no new false hit; 0.01 and
# 0 found no more).
COUNTRY_MIN = 0.015
COUNTRY_GENERIC = 0.303  # extra for a generic name
# ... for a listed person: persons move and hold other nationalities, and a person's name is
# "generic" on the lists' own counts (common given names), so a disagreeing country costs a
# person little; an organisation's generic name (ministry, army) is tied to its state.
COUNTRY_GENERIC_PERSON = 0.041
GENERIC_SHARE = 0.002  # a word in this share of the entries (or GENERIC_FLOOR entries, if more) is generic
GENERIC_FLOOR = 30
# Organisation names have their own common words (ministry, army, defence, industries): their
# share of all entries is small because persons dominate the lists, so an organisation's
# words are weighed among the organisation (vessel, aircraft) entries only, a word in
# ORG_GENERIC_SHARE of them (or ORG_GENERIC_FLOOR, if more) carrying no information. Set on
# the bench's TUNE split (40,328 organisation entries; floors 30-200, name information as the
# mean, the maximum, or half each over its words): the maximum lets Iran's AEROSPACE
# INDUSTRIES ORGANIZATION match an allied namesake; half each with a floor of 40 keeps the
# allied ministries of defence out with a margin (from 100 they match again).
ORG_GENERIC_SHARE = 0.001
ORG_GENERIC_FLOOR = 40
# A match against a listed organisation whose shared words carry less than this share of the
# listed name's information (organisation weights) scores at most SINGLE_CAP unless the
# whole names are within typing slips: "Iceland Army" / ARMY OF ISLAM shares only "army".
COMMON_SHARE = 0.5
SHARED = 0.8  # two words this alike are one shared word (one slip in five letters)
# A query that spells a listed organisation's name of several words whole (every word,
# slips aside) is strong evidence whatever its country, unless every word of the name is
# list-common: then only the country tells "Ministry of Defence" (gb) from the DPRK's, and
# a disagreeing one holds the match at SINGLE_CAP. A name's words are list-common together
# when the sum of their information among organisations (:meth:`Index.whole_name_info`)
# is below this. Set on the bench's TUNE split, searched from 0.41: the issue's own
# list-common example, Iran's AEROSPACE INDUSTRIES ORGANIZATION, weighs 0.406 (aerospace;
# industries and organization weigh nothing), and an allied namesake must not match it.
WHOLE_NAME_INFO = 0.413
# ... or when one of its words is a proper name of one or two countries on the lists: every
# entry holding it lists only those countries (Iran's Pars, Kish, Ghadir). Such a word is
# common on the lists (so it carries little information) because one state's bodies share
# it, not because any organisation anywhere may bear it, as "ministry" or "army" may: the
# whole name spelt with it names that state's body, whatever country the query gives (a
# front company abroad). Words that name a country ("Korean", "Syria") are not proper names
# of this kind: :meth:`Index.named_countries` reads them as the query's country.
BOUND_COUNTRIES = 2
DATE_AGREE = 0.05
DATE_DISAGREE = 0.2
ID_DISAGREE = 0.05
# A one-word name (legal forms aside) that is not a near-exact spelling of the other side's
# word scores at most this (below the threshold) unless a birth date agrees: one short word
# plus a legal form ("Nammo AS", "MBDA") is otherwise one slip from an unrelated listed word.
SINGLE_CAP = 0.7
# Titles only a person bears (courtesy and religious titles; ranks such as "General" or
# "Major" also begin company names). A one-word query bearing one that the listed person
# also bears, with a rare name, is that person's name with its title, not one shared name.
PERSON_TITLES = frozenset(
    {
        "haji", "hajji", "hadji", "mullah", "mulla", "maulana", "maulvi", "mawlawi", "sheikh",
        "shaykh", "sheik", "shaikh", "imam", "emir", "amir", "mr", "mrs", "ms", "dr",
    }
)  # fmt: skip
TITLED_INFO = 0.5
# An aircraft's registration mark as lists write it: a nationality prefix, a hyphen, the
# aircraft's own letters or digits (ICAO Annex 7): EP-IED, YK-ATA, EX-35011.
MARK = re.compile(r"^[A-Z0-9]{1,3}-[A-Z0-9]{2,6}$", re.IGNORECASE)
CONTEXT_REACH = 0.1  # names this far below the threshold are scored with context
SCHEMA_CLASS = {
    "Person": "person",
    "Organization": "org",
    "Company": "org",
    "PublicBody": "org",
    "Vessel": "vessel",
    "Airplane": "aircraft",
    "Aircraft": "aircraft",
}


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
    """What is screened: names (aliases of one party), and what else is known of it:
    identifiers, FtM schema (``Person``, ``Organization``, ``Vessel``...), countries (ISO
    alpha-2, any case) and birth dates (ISO, a year or year-month will do)."""

    names: list[str]
    identifiers: list[str] = field(default_factory=list)
    schema: str | None = None
    countries: list[str] = field(default_factory=list)
    birth_dates: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class QueryContext:
    """A query's context, normalised once per query."""

    schema: str | None
    countries: frozenset[str]
    birth_dates: tuple[str, ...]
    identifiers: frozenset[str]

    @staticmethod
    def of(q: Query) -> QueryContext:
        ids = frozenset(v for i in q.identifiers if len(v := norm_id(i)) >= 4)
        return QueryContext(
            schema_class(q.schema),
            frozenset(c.strip().lower() for c in q.countries if c.strip()),
            tuple(d.strip()[:10] for d in q.birth_dates if d.strip()),
            ids,
        )


@functools.lru_cache(maxsize=8192)
def named_country(word: str) -> str | None:
    """The country (ISO alpha-2, lower case) a name word spells — ``poland``, ``jordan``,
    ``korea`` — by the territory database the list parsers use; None for any other word
    and for words under four letters (codes and initials are not country names)."""
    return country_code(word) if len(word) >= 4 and word.isalpha() else None


def schema_class(schema: str | None) -> str | None:
    """``person``, ``org``, ``vessel``, ``aircraft``, or None (LegalEntity, unknown: any)."""
    return SCHEMA_CLASS.get(schema or "")


def dates_agree(query: Sequence[str], listed: Sequence[str]) -> bool | None:
    """True when a query date and a listed date agree to the precision both give, False
    when both sides give dates and none agree, None when either gives none."""
    if not query or not listed:
        return None
    return any(a[: min(len(a), len(b))] == b[: min(len(a), len(b))] for a in query for b in listed)


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
    if a.text != a.canon or b.text != b.canon:
        # Folding spellings can also fold a typo away from its word ("azz" → "az").
        sim = max(sim, OSA.normalized_similarity(a.text, b.text))
    if sim >= 0.6 and a.phonetic == b.phonetic and min(la, lb) >= 5 and len(a.phonetic) >= 3:
        sim = max(sim, PHONETIC)
    return sim


def typo_of(q: Token, c: Token) -> bool:
    """Whether query word ``q`` is within the typing slips its length allows of listed word
    ``c``: one from ``ONE_SLIP`` letters, two from ``TWO_SLIPS``; none below (short words
    stay strict). Asked only for a query word the lists do not hold: a listed spelling one
    slip from another (Julien / Julian) is another name, not a typo."""
    n = min(len(q.text), len(c.text))
    allowed = 2 if n >= TWO_SLIPS else 1 if n >= ONE_SLIP else 0
    return allowed > 0 and DamerauLevenshtein.distance(q.text, c.text, score_cutoff=allowed) <= allowed


def near_exact(a: str, b: str) -> bool:
    """Whether two spellings of a one-word name are close enough to be one name: identical
    up to 4 letters; at 5, one slip after the first letter (Sonta / SONATA, not Terma /
    LERMA); at 6, one slip with the same sound (Baykar is not Baskar); from 7, one slip;
    from 10, two. Stricter than :func:`typo_of`: a one-word name ("Terma A/S", "Patria
    Oyj") has no other word to confirm that a slip is a slip.

    The first letter is the one a writer seldom gets wrong (the observation behind
    Winkler's prefix weight in the Jaro-Winkler comparator, Winkler 1990, and Pollock and
    Zamora's study of misspellings, Communications of the ACM 27(4), 1984), so a
    five-letter word that differs there is another word far more often than a slip."""
    if a == b:
        return True
    n = min(len(a), len(b))
    ta, tb = token(a), token(b)
    # A romanisation variant, not a slip: Panya / Pania. In a short word only when no
    # letter is added or dropped (the canonical spelling folds doubled letters: Nammo / NAMO).
    if ta.canon == tb.canon and (n > 5 or len(a) == len(b)):
        return True
    if n < 5:
        return False
    if n == 5:
        return a[0] == b[0] and DamerauLevenshtein.distance(a, b, score_cutoff=1) <= 1
    d = DamerauLevenshtein.distance(a, b, score_cutoff=2)
    if n == 6:
        return d <= 1 and ta.phonetic == tb.phonetic
    return d <= (2 if n >= 10 else 1)


def single_word_close(query: Sequence[Token], name: Sequence[Token]) -> bool:
    """True unless one side is one word that is not a near-exact spelling of a word of the
    other side (or of the other side's words run together)."""
    if len(query) != 1 and len(name) != 1:
        return True
    one, other = (query, name) if len(query) == 1 else (name, query)
    word = one[0].text
    if one[0].numeric:
        return True
    return any(near_exact(word, t.text) for t in other) or near_exact(word, "".join(t.text for t in other))


@functools.lru_cache(maxsize=4096)
def written(name: str) -> str:
    """A name as written, ASCII lower case with its words separated by single spaces."""
    return " ".join(written_words(name))


@dataclass(frozen=True, slots=True)
class NameScore:
    score: float
    features: tuple[Feature, ...]


def _join(toks: Sequence[Token]) -> tuple[str, str]:
    canon = [t.canon for t in toks]
    return "".join(canon), "".join(sorted(canon))


def slips(query_raw: tuple[str, str], forms: Sequence[tuple[str, str]]) -> tuple[int, str] | None:
    """Fewest typing slips between the raw form of a query and one of a listed name's
    written forms (in order, or sorted), with that form; None when more than the form's
    length allows."""
    found: tuple[int, str] | None = None
    for form in forms:
        n = len(form[0])
        allowed = 2 if n >= TWO_SLIPS else 1 if n >= ONE_SLIP else 0
        if not allowed or abs(len(query_raw[0]) - n) > allowed:
            continue
        d = DamerauLevenshtein.distance(query_raw[0], form[0], score_cutoff=allowed)
        if d > allowed:
            d = DamerauLevenshtein.distance(query_raw[1], form[1], score_cutoff=allowed)
        if d <= allowed and (found is None or d < found[0]):
            found = (d, form[0])
    return found


def score_tokens(
    query: Sequence[Token],
    name: Sequence[Token],
    weight: dict[str, float],
    *,
    name_joined: tuple[str, str] | None = None,
    query_joined: tuple[str, str] | None = None,
    memo: Sequence[dict[str, float]] | None = None,
    raw: tuple[tuple[str, str], Sequence[tuple[str, str]]] | None = None,
    explain: bool = True,
) -> NameScore:
    """Score a query's tokens against a listed name's tokens (see the module docstring).
    ``memo`` (one dict per query token, spelling → similarity) saves recomputing pairs
    across the candidates of one query; ``raw`` is the query's and the name's
    :func:`~.normalize.raw_forms` (the name's written forms), for the slip count."""
    if not query or not name:
        return NameScore(0.0, ())
    pairs: list[tuple[float, int, int]] = []
    several = len(query) > 1  # a one-word query has no other word to confirm a slip is a slip
    for i, q in enumerate(query):
        seen = memo[i] if memo is not None else None
        for j, c in enumerate(name):
            if seen is None:
                s = token_similarity(q, c)
            else:
                got = seen.get(c.canon)
                if got is None:
                    got = seen[c.canon] = token_similarity(q, c)
                s = got
            if several and PAIR_FLOOR <= s < TYPO_TOKEN and q.canon not in weight and typo_of(q, c):
                s = TYPO_TOKEN
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
    # A query word that is itself a listed spelling, aligned loosely to another one, is a
    # different name more often than a typo ("Torres" against "Flores").
    aligned = [(s * KNOWN_PARTIAL if wq[i] >= 0 and s < 0.9 else s, i, j) for s, i, j in aligned]
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
    qj = query_joined or _join(query)
    cj = name_joined or _join(name)
    joined = max(
        Levenshtein.normalized_similarity(qj[0], cj[0]),
        Levenshtein.normalized_similarity(qj[1], cj[1]),
    )
    # The joined form only counts when it is close: it is there for split words and
    # scattered typos, and a loose character match says nothing about identity.
    joined_score = joined if joined >= 0.85 and min(len(qj[0]), len(cj[0])) >= 6 else 0.0
    slipped = slips(*raw) if raw is not None else None
    slip_score = 1.0 - SLIP * slipped[0] if slipped is not None else 0.0
    score = max(token_score, joined_score, slip_score)
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
            *(
                ()
                if raw is None
                else (
                    Feature(
                        "typing_slips",
                        round(slip_score, 4),
                        f"{slipped[0]} slips, {raw[0][0]} / {slipped[1]}"
                        if slipped is not None
                        else "more slips than the name's length allows",
                    ),
                )
            ),
        ),
    )


@dataclass(frozen=True, slots=True)
class NameCandidate:
    """A listed name (``name``, of entity ``entity``) a query name scored ``score`` against
    on the name alone."""

    entity: int
    name: int
    query_tokens: tuple[Token, ...]
    query_raw: tuple[str, str]
    query_words: int
    score: float


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
        self.name_raw: list[tuple[tuple[str, str], ...]] = []
        self.spelling_names: dict[str, list[int]] = defaultdict(list)
        self.key_spellings: dict[str, list[str]] = defaultdict(list)
        self.ids: dict[str, list[int]] = defaultdict(list)
        self.weight: dict[str, float] = {}
        self.name_weight: list[float] = []
        self.spelling_token: dict[str, Token] = {}
        self.ent_schema: list[str] = []  # schema class, "" when any
        self.ent_countries: list[list[str]] = []
        self.ent_dates: list[list[str]] = []
        self.ent_has_ids: list[bool] = []
        self.name_weak: list[bool] = []
        self.name_info: list[float] = []  # distinctiveness of the name, 0 (generic) .. 1
        self.org_info: dict[str, float] = {}  # a word's information among organisation entries, 0 .. 1
        self.tok_info: dict[str, float] = {}  # a word's information among all entries, 0 .. 1
        self.word_countries: dict[str, int] = {}  # countries listed by the entries holding a word
        self.joined_names: dict[str, list[int]] = defaultdict(list)
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
            self.ent_schema.append(schema_class(entity.schema) or "")
            self.ent_countries.append([])
            self.ent_dates.append([])
            self.ent_has_ids.append(False)
        for c in entity.countries:
            if c.code not in self.ent_countries[e]:
                self.ent_countries[e].append(c.code)
        for d in entity.birth_dates:
            if d not in self.ent_dates[e]:
                self.ent_dates[e].append(d)
        names = entity.names()
        readable = [n for n in names if romanisable(n)]
        strong = readable or names
        weak = [w for w in entity.weak_aliases if romanisable(w) and w not in strong]
        seen: dict[tuple[str, ...], int] = {}
        for raw in strong + weak:
            toks = tokens(raw)
            key = tuple(t.canon for t in toks)
            if not toks:
                continue
            if key in seen:  # same words: one name, but every written form counts slips
                forms = self.name_raw[seen[key]]
                if raw_forms(raw) not in forms:
                    self.name_raw[seen[key]] = (*forms, raw_forms(raw))
                continue
            n = seen[key] = len(self.name_text)
            self.name_ent.append(e)
            self.name_text.append(raw)
            self.name_toks.append(toks)
            self.name_join.append(_join(toks))
            self.name_raw.append((raw_forms(raw),))
            self.name_weak.append(raw in weak)
            for a, b in itertools.pairwise(toks):
                self.joined_names[a.canon + b.canon].append(n)
            for t in toks:
                self.spelling_token.setdefault(t.canon, t)
                posting = self.spelling_names[t.canon]
                if not posting or posting[-1] != n:
                    posting.append(n)
        for ident in entity.identifiers:
            v = norm_id(ident.value)
            if len(v) >= 4 and e not in self.ids[v]:
                self.ids[v].append(e)
                self.ent_has_ids[e] = True

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
        # Distinctiveness from the lists themselves: in how many entries each of the name's
        # words stands (aliases of one entry count once).
        ents = max(len(self.ent_id), 1)
        generic = max(GENERIC_FLOOR, GENERIC_SHARE * ents)
        holders = {c: {self.name_ent[n] for n in ns} for c, ns in self.spelling_names.items()}
        top_generic = math.log(generic)
        self.tok_info = tok_info = {
            c: max(0.0, min(1.0, math.log(generic / len(es)) / top_generic)) for c, es in holders.items()
        }
        countries = self.ent_countries
        self.word_countries = {c: len({k for e in es for k in countries[e]}) for c, es in holders.items()}
        # Organisation entries have their own common words, counted among them only.
        org_df: dict[str, set[int]] = defaultdict(set)
        for n, toks in enumerate(self.name_toks):
            if self.ent_schema[self.name_ent[n]] not in ("person", ""):
                for t in toks:
                    org_df[t.canon].add(self.name_ent[n])
        orgs = sum(1 for k in self.ent_schema if k not in ("person", ""))
        org_generic = max(ORG_GENERIC_FLOOR, ORG_GENERIC_SHARE * orgs)
        self.org_info = {
            c: max(0.0, min(1.0, math.log(org_generic / len(es)) / math.log(org_generic)))
            for c, es in org_df.items()
        }
        # A person's name is weighed among all entries (the mean over its words); any other
        # among the organisation entries, half by its most informative word, half by the
        # mean: "Ministry of Defence" is generic there whatever its share of all entries,
        # while one distinctive word ("Melli", "Achim") lifts "Melli Bank" part of the way.
        self.name_info = [
            sum(tok_info[t.canon] for t in toks) / len(toks)
            if self.ent_schema[self.name_ent[n]] in ("person", "")
            else (max(org := [self.info(t) for t in toks]) + sum(org) / len(org)) / 2
            for n, toks in enumerate(self.name_toks)
        ]
        self.joined_names = dict(self.joined_names)
        self.spelling_names = dict(self.spelling_names)
        self.key_spellings = dict(self.key_spellings)
        self.ids = dict(self.ids)
        return self

    def info(self, t: Token) -> float:
        """A word's information among the organisation entries, 0 (in a share
        ``ORG_GENERIC_SHARE`` of them or more) .. 1 (in one, or in none: a word the lists do not
        hold tells the names apart)."""
        return self.org_info.get(t.canon, 1.0)

    def common_words(self, qt: Sequence[Token], n: int) -> tuple[float, str]:
        """The share of listed name ``n``'s information (organisation weights, :meth:`info`)
        that the words the query shares with it explain (pairs at least ``SHARED`` alike, each
        counting its similarity: a loose pair such as Iceland/Islam is not a shared word),
        and those words. A match on low-information words only ("army", "ministry") with the
        name's informative word left over says little. A name with no information at all
        (every word common) counts as explained: its country decides."""
        name = self.name_toks[n]
        pairs = sorted(
            (
                (s, i, j)
                for i, q in enumerate(qt)
                for j, c in enumerate(name)
                if (s := token_similarity(q, c)) >= PAIR_FLOOR
            ),
            reverse=True,
        )
        used_q: set[int] = set()
        used_c: set[int] = set()
        got = 0.0
        words: list[str] = []
        for s, i, j in pairs:
            if i not in used_q and j not in used_c:
                used_q.add(i)
                used_c.add(j)
                if s >= SHARED:
                    got += s * self.info(name[j])
                    words.append(name[j].text)
        total = sum(self.info(t) for t in name)
        return (got / total if total > 0 else 1.0), ", ".join(words) or "none"

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

    def candidates(
        self,
        query: Sequence[Token],
        limit: int = CANDIDATES,
        spellings: Sequence[dict[str, float]] | None = None,
    ) -> list[int]:
        """Names sharing a close spelling with the query, most promising first."""
        acc: dict[int, float] = defaultdict(float)
        qsum = sum(self.weight.get(t.canon, 1.0) for t in query) or 1.0
        close = spellings if spellings is not None else [self.spellings(t) for t in query]
        for t, near in zip(query, close, strict=True):
            w = self.weight.get(t.canon, 1.0)
            hit: dict[int, float] = {}
            for c, s in near.items():
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

    def boundary_candidates(self, query: Sequence[Token]) -> list[int]:
        """Names where a word boundary differs: two adjacent query words spelling one listed
        word, or a query word spelling two adjacent listed words."""
        out: list[int] = []
        for a, b in itertools.pairwise(query):
            out.extend(self.spelling_names.get(a.canon + b.canon, ()))
        for t in query:
            out.extend(self.joined_names.get(t.canon, ()))
        return list(dict.fromkeys(out))[:CANDIDATES]

    def whole_name_info(self, qt: Sequence[Token], n: int, query_raw: tuple[str, str] | None) -> float | None:
        """When the query spells listed name ``n`` whole — both of two or more words, every
        word of each side paired one to one with a word of the other at least ``SHARED``
        alike (a typing slip in a long word counts as alike: :func:`typo_of`), or the whole
        names within typing slips — the information of the whole name: the sum over its
        pairs of words (:meth:`info` is a scaled log of a word's share of the entries, so
        the sum is that of the words' shares taken together; a pair is as common as the
        commoner of its spellings, so "organization" / ORGANISATION is common); None when
        it does not."""
        name = self.name_toks[n]
        if len(name) < 2 or len(qt) < 2:
            return None
        pairs = sorted(
            (
                (s, i, j)
                for i, q in enumerate(qt)
                for j, c in enumerate(name)
                if (s := max(token_similarity(q, c), TYPO_TOKEN if typo_of(q, c) else 0.0)) >= SHARED
            ),
            reverse=True,
        )
        used_q: set[int] = set()
        used_c: set[int] = set()
        kept: set[tuple[int, int]] = set()
        for _s, i, j in pairs:
            if i not in used_q and j not in used_c:
                used_q.add(i)
                used_c.add(j)
                kept.add((i, j))
        whole = len(used_q) == len(qt) and len(used_c) == len(name)
        if not whole and (query_raw is None or slips(query_raw, self.name_raw[n]) is None):
            return None
        # Words the slip count pairs but the alignment leaves alone count at their listed weight.
        paired = [min(self.info(qt[i]), self.info(name[j])) for _s, i, j in pairs if (i, j) in kept]
        return sum(paired) + sum(self.info(name[j]) for j in range(len(name)) if j not in used_c)

    def bound_words(self, n: int) -> list[str]:
        """Words of listed name ``n`` that only entries of ``BOUND_COUNTRIES`` countries or
        fewer hold on the loaded lists (and that name no country themselves): proper names
        of those countries' bodies, such as Iran's Pars or Kish."""
        return [
            t.text
            for t in self.name_toks[n]
            if not t.numeric
            and 0 < self.word_countries.get(t.canon, 0) <= BOUND_COUNTRIES
            and named_country(t.text) is None
        ]

    def shared_title(self, q: Query, qt: Sequence[Token], n: int) -> str | None:
        """The personal title (``PERSON_TITLES``) that a one-word query as written and
        listed name ``n`` both bear, when the query's word is rare on the lists (its
        information among all entries, :attr:`tok_info`, at least ``TITLED_INFO``); None
        otherwise. "BARAKZAI, Haji" names a person, as the listed "BARAKZAI, Haji
        Khairullah" does, by a title and a rare name: two things shared, not one given name
        or surname. "Haji Mohammed" shares a common name, and stays held."""
        if len(qt) != 1 or self.tok_info.get(qt[0].canon, 1.0) < TITLED_INFO:
            return None
        listed = set(written_words(self.name_text[n]))
        return next(
            (w for raw in q.names for w in written_words(raw) if w in PERSON_TITLES and w in listed), None
        )

    def mark_close(self, query_raw: tuple[str, str] | None, e: int, n: int) -> bool:
        """Whether listed name ``n`` is an aircraft's registration mark (``EP-IED``: a
        nationality prefix, a hyphen, the aircraft's letters) that the query spells within
        :func:`near_exact` of, prefix included. The prefix is no legal form or stop word
        here but the mark's first letters: read without it, the mark is a 3-letter word
        no slip is allowed in."""
        if query_raw is None or self.ent_schema[e] != "aircraft" or not MARK.match(self.name_text[n]):
            return False
        return near_exact(query_raw[0], self.name_raw[n][0][0])

    def written_closeness(self, q: Query, n: int) -> float:
        """How close listed name ``n`` is, as written, to the nearest of the query's names."""
        if n < 0:
            return 1.0
        listed = written(self.name_text[n])
        return max((Levenshtein.normalized_similarity(written(r), listed) for r in q.names), default=0.0)

    def named_countries(self, qt: Sequence[Token], n: int) -> frozenset[str]:
        """Countries the query's name itself states in words the listed name ``n`` does not
        hold ("Ministry of National Defense *of Poland*", "*Albania* Army"): an
        organisation's name that says its country says it as plainly as a country field."""
        held = {t.canon for t in self.name_toks[n]}
        return frozenset(
            c
            for t in qt
            if t.canon not in held and not t.numeric and (c := named_country(t.text)) is not None
        )

    def context(
        self,
        q: Query,
        ctx: QueryContext,
        e: int,
        n: int,
        qt: Sequence[Token],
        name_score: float,
        qwords: int = 0,
        query_raw: tuple[str, str] | None = None,
    ) -> tuple[float, tuple[Feature, ...]] | None:
        """The score of listed name ``n`` (entity ``e``) for a query whose name scored
        ``name_score``, with what the query's context says (module docstring, step 7);
        None when the name is a weak alias that nothing but the name supports."""
        feats: list[Feature] = []
        score = name_score
        # Words as written (legal forms count): "Hatkaew Company Ltd" is not a one-word name.
        sizes = (max(len(qt), qwords), max(len(self.name_toks[n]), self.name_text[n].count(" ") + 1))
        words = min(sizes)
        # A short query against a longer listed name is already held back by name coverage
        # (and a missing middle name is common): only a one-word side, or two short sides.
        # One word against one word within the slips its length allows (:func:`near_exact`)
        # is held to that already: the whole-name slip count has scored it.
        one_to_one = max(sizes) == 1 and near_exact(qt[0].text, self.name_toks[n][0].text)
        # Two words or more, the whole name within the slips its length allows: the slip
        # count has held the name to a close match already, so being short costs at most
        # what it costs one slip; the full multiplier would ask a two-slip name of ten
        # letters ("OMARN SHEL" / OMRAN SAHEL) for one slip.
        slipped = min(sizes) >= 2 and query_raw is not None and slips(query_raw, self.name_raw[n]) is not None
        if (max(sizes) <= 2 or (words == 1 and max(sizes) <= 3)) and score < 1.0 and not one_to_one:
            factor = SHORT_1 if words == 1 else SHORT_2
            cost = (1.0 - score) * (factor - 1.0)
            detail = f"{words}-word name: a closer match is needed"
            if slipped and cost > SLIP * (factor - 1.0):
                cost = SLIP * (factor - 1.0)
                detail += " (within typing slips: at most one slip's worth)"
            score -= cost
            feats.append(Feature("short_name", round(-cost, 4), detail))
        kind = self.ent_schema[e]
        if ctx.schema and kind and ctx.schema != kind and "person" in (ctx.schema, kind):
            score -= TYPE_PENALTY
            feats.append(Feature("schema", -TYPE_PENALTY, f"a {ctx.schema} query against a listed {kind}"))
        listed = self.ent_countries[e]
        countries = ctx.countries
        named: frozenset[str] = frozenset()
        if listed and "person" not in (kind, ctx.schema):
            named = self.named_countries(qt, n)
            countries = countries | named
        if countries and listed:
            info = self.name_info[n]
            feats.append(
                Feature(
                    "information", round(info, 4), "how distinctive the listed name is on the loaded lists"
                )
            )
            said = ", ".join(sorted(countries)) + (
                f" (named in the query: {', '.join(sorted(named))})" if named else ""
            )
            if countries.intersection(listed):
                score += COUNTRY_AGREE
                feats.append(Feature("country", COUNTRY_AGREE, f"{said} is listed"))
            else:
                generic = COUNTRY_GENERIC_PERSON if kind == "person" else COUNTRY_GENERIC
                whole = ""
                cost = COUNTRY_MIN + generic * (1.0 - info)
                got = self.whole_name_info(qt, n, query_raw) if cost > COUNTRY_MIN else None
                if got is not None:
                    # A person's common given names and surnames already cost little
                    # (COUNTRY_GENERIC_PERSON): the whole name of a person is not list-common.
                    got = 1.0 if kind == "person" else got
                    if got >= WHOLE_NAME_INFO:
                        cost = COUNTRY_MIN
                        whole = f"; the whole name matches, its words together weigh {got:.2f}"
                    elif bound := self.bound_words(n):
                        cost = COUNTRY_MIN
                        whole = (
                            f"; the whole name matches, with {', '.join(bound)}, "
                            "a name only the listed countries' entries bear"
                        )
                    elif score - cost > SINGLE_CAP:
                        # Every word list-common ("Ministry of National Defence"): the name
                        # says nothing the country does not contradict.
                        cost = score - SINGLE_CAP
                        whole = f"; the whole name matches but its words together weigh only {got:.2f}"
                score -= cost
                feats.append(
                    Feature(
                        "country",
                        round(-cost, 4),
                        f"{said} is not among the listed {', '.join(listed)}{whole}",
                    )
                )
        supported = False
        agree = dates_agree(ctx.birth_dates, self.ent_dates[e])
        if agree is True:
            score += DATE_AGREE
            supported = True
            feats.append(Feature("birth_date", DATE_AGREE, "a listed date agrees"))
        elif agree is False:
            score -= DATE_DISAGREE
            feats.append(Feature("birth_date", -DATE_DISAGREE, f"listed: {', '.join(self.ent_dates[e])}"))
        if ctx.identifiers and self.ent_has_ids[e]:
            score -= ID_DISAGREE
            feats.append(Feature("identifiers", -ID_DISAGREE, "the entry lists other identifiers"))
        if (
            score > SINGLE_CAP
            and not supported
            and not single_word_close(qt, self.name_toks[n])
            and not self.mark_close(query_raw, e, n)
        ):
            feats.append(
                Feature("single_word", round(SINGLE_CAP - score, 4), "a one-word name must be spelt exactly")
            )
            score = SINGLE_CAP
        name = self.name_toks[n]
        if (
            score > SINGLE_CAP
            and not supported
            and kind == "person"
            and len(qt) == 1
            and len(name) >= 2
            and not near_exact(qt[0].text, "".join(t.text for t in name))
        ):
            title = self.shared_title(q, qt, n)
            if title is not None:
                feats.append(
                    Feature(
                        "one_word_person",
                        0.0,
                        f"one word against a listed person of {len(name)} words, but both bear "
                        f"the title {title} and the word is rare on the lists",
                    )
                )
            else:
                feats.append(
                    Feature(
                        "one_word_person",
                        round(SINGLE_CAP - score, 4),
                        f"one word against a listed person of {len(name)} words: "
                        "a shared given name or surname is not the person",
                    )
                )
                score = SINGLE_CAP
        if (
            score > SINGLE_CAP
            and not supported
            and kind != "person"
            and (kind != "" or len(qt) == 1)
            and ctx.schema != "person"
            and (query_raw is None or slips(query_raw, self.name_raw[n]) is None)
        ):
            share, shared = self.common_words(qt, n)
            if share < COMMON_SHARE:
                feats.append(
                    Feature(
                        "common_words",
                        round(SINGLE_CAP - score, 4),
                        f"the shared words ({shared}) carry {share:.0%} of the listed name's "
                        "information among organisations",
                    )
                )
                score = SINGLE_CAP
        if self.name_weak[n] and not supported:
            return None
        if self.name_weak[n]:
            feats.append(Feature("weak_alias", 0.0, "a weak alias, supported by the birth date"))
        return max(0.0, min(1.0, score)), tuple(feats)

    def name_scores(self, q: Query, floor: float) -> list[NameCandidate]:
        """Every candidate name of the query's names scoring at least ``floor`` on the name
        alone (steps 1-5), before context: what :meth:`match` applies context to."""
        out: list[NameCandidate] = []
        for raw in q.names:
            qt = tokens(raw)
            if not qt:
                continue
            memo = [self.spellings(t) for t in qt]
            qj = _join(qt)
            qr = raw_forms(raw)
            words = len(raw.split())
            for n in self.boundary_candidates(qt) + self.candidates(qt, spellings=memo):
                ns = score_tokens(
                    qt,
                    self.name_toks[n],
                    self.weight,
                    name_joined=self.name_join[n],
                    query_joined=qj,
                    memo=memo,
                    raw=(qr, self.name_raw[n]),
                    explain=False,
                )
                if ns.score >= floor:
                    out.append(NameCandidate(self.name_ent[n], n, qt, qr, words, ns.score))
        return out

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
        ctx = QueryContext.of(q)
        best: dict[int, tuple[float, int, tuple[Token, ...], tuple[str, str], int]] = {}
        for ident in q.identifiers:
            v = norm_id(ident)
            for e in self.ids.get(v, ()) if len(v) >= 4 else ():
                best[e] = (1.0, -1, (), ("", ""), 0)
        for c in self.name_scores(q, threshold - CONTEXT_REACH):
            e = c.entity
            if e in best and best[e][1] == c.name:
                continue
            got = self.context(q, ctx, e, c.name, c.query_tokens, c.score, c.query_words, c.query_raw)
            if got is None:
                continue
            final = got[0]
            if final >= threshold and (e not in best or final > best[e][0]):
                best[e] = (final, c.name, c.query_tokens, c.query_raw, c.query_words)
        # Equal scores (one airline listed as each of its aircraft's operator) rank the
        # name written closest to the query first, so ``limit`` keeps the nearest spellings.
        ranked = sorted(
            best.items(), key=lambda kv: (-kv[1][0], -self.written_closeness(q, kv[1][1]), kv[0])
        )[:limit]
        out: list[Match] = []
        for e, (score, n, qt, qr, qwords) in ranked:
            feats: tuple[Feature, ...] = ()
            if n < 0:
                matched = self.ent_name[e]
                feats = (
                    Feature("identifier", 1.0, "an identifier of the query is on the list for this entry"),
                )
            else:
                matched = self.name_text[n]
                if explain:
                    scored = score_tokens(
                        qt,
                        self.name_toks[n],
                        self.weight,
                        name_joined=self.name_join[n],
                        raw=(qr, self.name_raw[n]),
                    )
                    got = self.context(q, ctx, e, n, qt, scored.score, qwords, qr)
                    feats = (
                        Feature("matched_name", round(score, 4), matched),
                        Feature("name_score", round(scored.score, 4), "the name alone, before context"),
                        *scored.features,
                        *(got[1] if got else ()),
                    )
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
