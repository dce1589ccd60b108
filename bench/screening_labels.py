"""Seeded labelled set for screening: name variants of real list entries (positives) and
clearly different names (negatives), split into a tuning part and a held-out part.

Positives take a real entry's name or alias and apply one variant the matcher must catch:
an alias as such, reordered tokens, case and punctuation changes, one or two typos, a
common transliteration (Mohammed/Muhammad, Aleksandr/Alexander, Qaddafi/Gaddafi...), a
missing middle name, a missing or added legal suffix. Entities are split by a hash of their
id: ``part="tune"`` (70 %) and ``part="holdout"`` (30 %), so tuning never sees the held-out
entries. Negatives are synthetic people and companies from name pools of several regions,
drawn so that no listed name holds all their words.
"""

from __future__ import annotations

import csv
import hashlib
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from rapidfuzz import fuzz, process

from secassist.vetting.screening.entities import ListEntity
from secassist.vetting.screening.normalize import tokens

VARIANTS = (
    "alias",
    "reorder",
    "case_punct",
    "typo1",
    "typo2",
    "translit",
    "drop_middle",
    "legal_suffix",
)

# Pairs of spellings seen on the lists for one name.
TRANSLIT: tuple[tuple[str, str], ...] = (
    ("mohammed", "muhammad"), ("mohammad", "mohamed"), ("muhammad", "mohamed"), ("mohamed", "mohammed"),
    ("aleksandr", "alexander"), ("alexander", "aleksandr"), ("aleksei", "alexey"), ("alexei", "aleksey"),
    ("qaddafi", "gaddafi"), ("gadhafi", "qadhafi"), ("qadhafi", "kadhafi"), ("gaddafi", "qaddafi"),
    ("yusuf", "youssef"), ("yousef", "yusuf"), ("hussein", "husayn"), ("husain", "hussein"),
    ("hassan", "hasan"), ("ahmed", "ahmad"), ("ahmad", "ahmed"), ("abdul", "abdel"), ("abdel", "abdul"),
    ("osama", "usama"), ("usama", "osama"), ("omar", "umar"), ("umar", "omar"), ("sergei", "sergey"),
    ("sergey", "sergei"), ("yuri", "yury"), ("yury", "yuri"), ("dmitri", "dmitry"), ("dmitry", "dmitriy"),
    ("andrei", "andrey"), ("andrey", "andrei"), ("nikolai", "nikolay"), ("nikolay", "nikolai"),
    ("mikhail", "michail"), ("evgeny", "yevgeny"), ("yevgeniy", "evgeny"), ("viktor", "victor"),
    ("khalid", "khaled"), ("khaled", "khalid"), ("abu", "abou"), ("ali", "aly"), ("ibrahim", "ebrahim"),
    ("mustafa", "mostafa"), ("mostafa", "mustafa"), ("jamal", "gamal"), ("saeed", "said"), ("said", "saeed"),
    ("kim", "gim"), ("choe", "choi"), ("choi", "choe"), ("jong", "chong"), ("sheikh", "shaikh"),
)  # fmt: skip
# Letter-level transliteration rules (applied to one word when no pair applies).
LETTER_RULES: tuple[tuple[str, str], ...] = (
    ("ks", "x"), ("x", "ks"), ("kh", "h"), ("ou", "u"), ("u", "ou"), ("ee", "i"), ("ph", "f"), ("y", "i"),
    ("i", "y"), ("sh", "sch"), ("j", "dj"), ("q", "k"), ("k", "q"), ("v", "w"), ("w", "v"), ("ff", "f"),
    ("ii", "iy"), ("iy", "ii"), ("ov", "off"), ("ev", "ew"),
)  # fmt: skip
LEGAL = (
    "LLC",
    "LTD",
    "LIMITED",
    "CO., LTD.",
    "INC.",
    "CORP.",
    "JSC",
    "OOO",
    "GMBH",
    "S.A.",
    "COMPANY",
    "PJSC",
    "CO.",
)
_LEGAL_RE = re.compile(
    r"[,\s]+(?:LLC|L\.L\.C\.|LTD\.?|LIMITED|INC\.?|CORP\.?|CORPORATION|JSC|OAO|OOO|PJSC|GMBH|S\.A\.?|S\.A\.S\.?|"
    r"SA|CO\.?|COMPANY|CO\., LTD\.?|PLC|AG|B\.V\.|BV|SRL|S\.R\.L\.)\.?\s*$",
    re.IGNORECASE,
)

FIRST = (
    "James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "David", "Linda", "William", "Elizabeth",
    "Thomas", "Sarah", "Daniel", "Karen", "Matthew", "Nancy", "Anthony", "Lisa", "Mark", "Margaret",
    "Carlos", "Lucia", "Javier", "Carmen", "Alejandro", "Sofia", "Diego", "Valentina", "Fernando", "Isabel",
    "Pierre", "Camille", "Julien", "Chloe", "Lukas", "Hannah", "Stefan", "Katharina", "Giovanni", "Francesca",
    "Kenji", "Yuki", "Haruto", "Sakura", "Wei", "Xiu", "Jun", "Mei", "Arjun", "Priya", "Rahul", "Ananya",
    "Olga", "Ivan", "Tatiana", "Pavel", "Natalia", "Boris", "Svetlana", "Grigori", "Irina", "Oleg",
    "Kwame", "Amara", "Chinedu", "Zanele", "Tendai", "Nia", "Emeka", "Folasade", "Lars", "Ingrid",
)  # fmt: skip
LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor",
    "Thompson", "Moore", "Jackson", "Martin", "Lee", "Harris", "Clark", "Lewis", "Walker", "Hall",
    "Garcia", "Martinez", "Rodriguez", "Lopez", "Gonzalez", "Perez", "Sanchez", "Ramirez", "Torres", "Flores",
    "Dubois", "Lefebvre", "Moreau", "Girard", "Schneider", "Fischer", "Weber", "Becker", "Rossi", "Bianchi",
    "Tanaka", "Suzuki", "Watanabe", "Yamamoto", "Zhang", "Wang", "Liu", "Chen", "Sharma", "Patel", "Gupta",
    "Ivanova", "Smirnov", "Kuznetsova", "Popov", "Sokolova", "Lebedev", "Novikova", "Morozov", "Volkova",
    "Mensah", "Okafor", "Adeyemi", "Dlamini", "Moyo", "Kamau", "Nilsson", "Johansson", "Larsen", "Virtanen",
)  # fmt: skip
ORG_WORDS = (
    "Blue", "River", "Summit", "Harbor", "Pacific", "Northern", "Golden", "Evergreen", "Silver", "Cedar",
    "Maple", "Atlas", "Horizon", "Pioneer", "Sunrise", "Lakeside", "Granite", "Meadow", "Coastal", "Prairie",
    "Bakery", "Logistics", "Textiles", "Dental", "Software", "Furniture", "Vineyards", "Bookstore", "Florist",
    "Plumbing", "Consulting", "Analytics", "Creamery", "Orchards", "Studios", "Outfitters", "Pharmacy",
)  # fmt: skip
ORG_SUFFIX = ("LLC", "Inc.", "GmbH", "Ltd", "S.A.", "B.V.", "AB", "Oy", "S.r.l.", "")


@dataclass(frozen=True)
class Labelled:
    query: str
    list_name: str | None  # None for a negative
    entity_id: str | None
    variant: str
    part: str  # tune | holdout
    source: str  # the listed name it was made from ("" for a negative)
    schema: str | None = None  # context: the query's FtM schema
    country: str | None = None  # context: the query's country (ISO alpha-2)


def part_of(list_name: str, entity_id: str) -> str:
    h = hashlib.sha256(f"{list_name}/{entity_id}".encode()).digest()[0]
    return "holdout" if h < 77 else "tune"  # 77/256 ≈ 30 %


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    op = rng.choice(("sub", "del", "ins", "swap"))
    letters = "abcdefghijklmnopqrstuvwxyz"
    c = rng.choice(letters)
    if word[i].isupper():
        c = c.upper()
    if op == "sub":
        return word[:i] + c + word[i + 1 :]
    if op == "del":
        return word[:i] + word[i + 1 :]
    if op == "ins":
        return word[:i] + c + word[i:]
    return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]


def _words(name: str) -> list[str]:
    return name.replace(",", " ").split()


def _translit(rng: random.Random, name: str) -> str | None:
    words = _words(name)
    hits = [(i, b) for i, w in enumerate(words) for a, b in TRANSLIT if w.lower() == a]
    if hits:
        i, b = rng.choice(hits)
        words[i] = b.upper() if words[i].isupper() else b.capitalize()
        return " ".join(words)
    cands = [(i, a, b) for i, w in enumerate(words) if len(w) >= 4 for a, b in LETTER_RULES if a in w.lower()]
    if not cands:
        return None
    i, a, b = rng.choice(cands)
    low = words[i].lower()
    k = low.find(a)
    new = low[:k] + b + low[k + len(a) :]
    words[i] = new.upper() if words[i].isupper() else new.capitalize()
    return " ".join(words)


def variant(rng: random.Random, kind: str, entity: ListEntity) -> tuple[str, str] | None:
    """``(query, source name)`` for one variant of ``entity``, or None if it does not apply."""
    names = [n for n in entity.names() if len(tokens(n)) >= 1 and n.isascii()]
    if not names:
        return None
    primary = names[0]
    if kind == "alias":
        aliases = [a for a in names[1:] if len(a) >= 4]
        return (rng.choice(aliases), primary) if aliases else None
    src = rng.choice(names)
    words = _words(src)
    if kind == "reorder":
        if len(words) < 2:
            return None
        if "," in src:
            last, _, first = src.partition(",")
            return f"{first.strip()} {last.strip()}", src
        shuffled = words[:]
        while shuffled == words:
            rng.shuffle(shuffled)
        return " ".join(shuffled), src
    if kind == "case_punct":
        text = src.replace(",", "").replace(".", "").replace("-", " ") if rng.random() < 0.5 else src
        style = rng.choice(("lower", "title", "upper", "swap"))
        text = {"lower": text.lower(), "title": text.title(), "upper": text.upper(), "swap": text.swapcase()}[
            style
        ]
        if text == src:
            text = text.lower() if text != text.lower() else text.title()
        return text, src
    if kind in ("typo1", "typo2"):
        long = [i for i, w in enumerate(words) if len(w) >= 4]
        if not long:
            return None
        for _ in range(1 if kind == "typo1" else 2):
            i = rng.choice(long)
            words[i] = _typo(rng, words[i])
        return " ".join(words), src
    if kind == "translit":
        out = _translit(rng, src)
        return (out, src) if out and out != src else None
    if kind == "drop_middle":
        if entity.schema != "Person" or len(words) < 3:
            return None
        if "," in src:  # OFAC "LAST, First Middle": drop a given name after the first
            last, _, given = src.partition(",")
            g = given.split()
            if len(g) < 2:
                return None
            del g[rng.randrange(1, len(g))]
            return f"{last.strip()}, {' '.join(g)}", src
        del words[rng.randrange(1, len(words) - 1)]
        return " ".join(words), src
    if kind == "legal_suffix":
        if entity.schema == "Person":
            return None
        stripped = _LEGAL_RE.sub("", src).strip()
        if stripped != src and len(stripped) >= 4:
            return stripped, src
        return f"{src} {rng.choice(LEGAL)}", src
    raise ValueError(kind)


def positives(
    lists: Iterable[tuple[str, Sequence[ListEntity]]], *, seed: int, per_variant: int
) -> list[Labelled]:
    rng = random.Random(seed)
    pool = [(ln, e) for ln, ents in lists for e in ents]
    out: list[Labelled] = []
    for kind in VARIANTS:
        made = 0
        tries = 0
        while made < per_variant and tries < per_variant * 40:
            tries += 1
            ln, e = rng.choice(pool)
            got = variant(rng, kind, e)
            if got is None or len(tokens(got[0])) == 0:
                continue
            out.append(Labelled(got[0], ln, e.entity_id, kind, part_of(ln, e.entity_id), got[1]))
            made += 1
    return out


def negatives(listed_names: Iterable[str], *, seed: int, count: int) -> list[Labelled]:
    """Synthetic names that are clearly different from every listed name: no listed name
    holds all their words, and none is within a few letters of them (``token_sort_ratio``
    below 80, so "Anthony Chen" is no negative when "ANTHONY CHAN" is listed)."""
    rng = random.Random(seed)
    names = list(listed_names)
    listed = [frozenset(t.canon for t in tokens(n)) for n in names]
    folded = [" ".join(t.canon for t in tokens(n)) for n in names]
    by_word: dict[str, list[int]] = {}
    for i, s in enumerate(listed):
        for w in s:
            by_word.setdefault(w, []).append(i)
    out: list[Labelled] = []
    seen: set[str] = set()
    while len(out) < count:
        if rng.random() < 0.65:
            parts = [rng.choice(FIRST)]
            if rng.random() < 0.3:
                parts.append(rng.choice(FIRST))
            parts.append(rng.choice(LAST))
            name = " ".join(parts) if rng.random() < 0.7 else f"{parts[-1].upper()}, {' '.join(parts[:-1])}"
        else:
            words = rng.sample(ORG_WORDS, rng.choice((2, 3)))
            name = " ".join([*words, rng.choice(ORG_SUFFIX)]).strip()
        if name in seen:
            continue
        toks = {t.canon for t in tokens(name)}
        first = min(toks, key=lambda w: len(by_word.get(w, ())))
        if any(toks <= listed[i] for i in by_word.get(first, ())):
            continue  # a listed name holds every word: not clearly different
        mine = " ".join(t.canon for t in tokens(name))
        if process.extractOne(mine, folded, scorer=fuzz.token_sort_ratio, score_cutoff=80):
            continue
        seen.add(name)
        out.append(Labelled(name, None, None, "negative", "holdout" if rng.random() < 0.3 else "tune", ""))
    return out


def labelled_set(
    lists: Sequence[tuple[str, Sequence[ListEntity]]],
    *,
    seed: int = 5,
    per_variant: int = 250,
    negatives_n: int = 2000,
) -> list[Labelled]:
    names = [n for _ln, ents in lists for e in ents for n in e.names()]
    return positives(lists, seed=seed, per_variant=per_variant) + negatives(
        names, seed=seed + 1, count=negatives_n
    )


# --- hard negatives and context (issue #14) ---------------------------------------------

DATA = Path(__file__).resolve().parent / "data"
# Countries to query a listed party "with another country" from: allies, whose parties an
# office screens every day.
OTHER_COUNTRIES = ("pl", "jp", "it", "kr", "de", "gb", "au", "tr", "fr", "ca")


def _part(key: str) -> str:
    return "holdout" if hashlib.sha256(key.encode()).digest()[0] < 77 else "tune"


def defence_negatives(sipri: Path | None = None) -> list[Labelled]:
    """Hard negatives: allied ministries, armed forces and state defence firms and the largest
    arms producers (``bench/data/defence_negatives.csv``, public names), each with its
    country and schema; plus, when ``sipri`` (the SIPRI trade register CSV) is given, the
    defence ministry of every allied supplier or recipient it names. Split by a hash of the
    name, so a name is in one part only."""
    rows: dict[tuple[str, str], str] = {}
    with (DATA / "defence_negatives.csv").open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            rows[(row["name"], row["country"].lower())] = row["schema"]
    if sipri is not None and sipri.exists():
        allied = {c.lower() for _n, c in rows}
        for name in _sipri_parties(sipri):
            code = _country_code(name)
            if code and code in allied:
                rows.setdefault((f"{name} Ministry of Defence", code), "Organization")
                rows.setdefault((f"Armed Forces of {name}", code), "Organization")
    return [
        Labelled(name, None, None, "defence_negative", _part(f"neg/{name}/{c}"), "", schema, c)
        for (name, c), schema in sorted(rows.items())
    ]


def _sipri_parties(path: Path) -> set[str]:
    names: set[str] = set()
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        lines = fh.read().splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Recipient,Supplier"))
    for row in csv.reader(lines[start + 1 :]):
        for cell in row[:2]:
            name = cell.strip().rstrip("*").strip()
            if name and "(" not in name and "unknown" not in name.lower():
                names.add(name)
    return names


def _country_code(name: str) -> str | None:
    import pycountry

    try:
        return str(pycountry.countries.lookup(name).alpha_2).lower()
    except LookupError:
        return None


def with_context(
    positives_: Sequence[Labelled], lists: Sequence[tuple[str, Sequence[ListEntity]]]
) -> list[Labelled]:
    """The positives whose entry the list gives countries for, queried with its schema and
    its own (first) country, and again with an allied country it is not listed under."""
    by_key = {(ln, e.entity_id): e for ln, ents in lists for e in ents}
    out: list[Labelled] = []
    for lb in positives_:
        e = by_key.get((lb.list_name or "", lb.entity_id or ""))
        if e is None or not e.countries:
            continue
        own = e.countries[0].code
        h = hashlib.sha256(lb.query.encode()).digest()[1]
        other = next(
            c
            for c in OTHER_COUNTRIES[h % len(OTHER_COUNTRIES) :] + OTHER_COUNTRIES
            if c not in {x.code for x in e.countries}
        )
        schema = e.schema if e.schema != "LegalEntity" else None
        out.append(replace(lb, variant="context_own", schema=schema, country=own))
        out.append(replace(lb, variant="context_other", schema=schema, country=other))
    return out
