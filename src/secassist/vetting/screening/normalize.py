"""Name normalisation for screening (pure): script transliteration, case and punctuation,
legal forms, honorifics, and a canonical spelling of each token that folds the common
romanisation variants (Mohammed/Muhammad, Aleksandr/Alexander, Qaddafi/Gaddafi).

Transliteration of non-Latin scripts is ICU's, through ``normality``; legal forms are
``rigour``'s org-type database (``Limited Liability Company`` → ``llc``, then removed, so
``Zala Aero LLC`` and ``OOO Zala Aero`` compare as ``zala aero``); honorifics are
``rigour``'s person prefixes plus the titles common on the lists (sheikh, haji, mullah).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from normality import ascii_text
from rapidfuzz.distance import OSA
from rigour.names import remove_org_types, remove_person_prefixes, replace_org_types_compare
from rigour.text import metaphone

# Words that carry no identity, dropped while another token remains.
STOPWORDS = frozenset({"the", "of", "and", "for", "a", "an", "und", "et", "y", "in", "on", "to", "aka"})
HONORIFICS = frozenset(
    {
        "mr", "mrs", "ms", "miss", "dr", "prof", "sir", "dame", "lord", "lady", "sheikh", "shaykh",
        "sheik", "shaikh", "haji", "hajji", "hadji", "mullah", "mulla", "maulana", "maulvi", "mawlawi",
        "imam", "emir", "amir", "general", "gen", "colonel", "col", "major", "maj", "captain", "capt",
        "brigadier", "brig", "professor", "doctor", "engineer", "eng",
        "lieutenant", "lt", "admiral", "adm", "commander", "cdr", "sgt", "sergeant",
    }
)  # fmt: skip

# Legal-form words (English, and the romanised Russian forms rigour only knows as whole
# phrases): dropped wherever they stand, so reordering or a missing suffix costs nothing.
LEGAL_WORDS = frozenset(
    {
        "llc", "ltd", "ltda", "limited", "liability", "inc", "incorporated", "corp", "corporation", "co",
        "company", "cia", "sa", "sas", "sarl", "srl", "spa", "sl", "gmbh", "ag", "kg", "bv", "nv", "plc",
        "llp", "lp", "pvt", "pte", "pty", "jsc", "ojsc", "cjsc", "pjsc", "ooo", "oao", "zao", "ao",
        "pao", "tov", "fze", "fzco", "fzc", "joint", "stock", "jointstock", "private", "public", "open",
        "closed", "societe", "anonyme", "obshchestvo", "obschestvo", "ogranichennoi", "ogranichennoy",
        "otvetstvennostyu", "otvetstvennostiu", "otvetstvennostju", "aktsionernoe", "aktsionernoye",
        "aktsionernoy", "aktsionernaya", "aktsionerne", "tovarystvo", "publichne", "cv", "rl", "sapi",
        "sab", "zakrytoe", "otkrytoe", "publichnoe", "ob", "s", "bhd", "sdn", "tbk", "ab", "oy", "as",
        "aps", "asa", "kft", "zrt", "sro",
    }
)  # fmt: skip
_LONG_LEGAL = tuple(w for w in LEGAL_WORDS if len(w) >= 6)

# Romanisation variants folded into one spelling, applied in order to an ASCII token.
_LITERAL: tuple[tuple[str, str], ...] = (
    ("sch", "sh"), ("tch", "ch"), ("ph", "f"), ("ck", "k"), ("x", "ks"), ("q", "k"), ("kh", "h"),
    ("gh", "g"), ("dh", "d"), ("th", "t"), ("dj", "j"), ("ou", "u"), ("oo", "u"), ("ee", "i"),
    ("y", "i"), ("w", "v"),
)  # fmt: skip
_SOFT_C = re.compile(r"c(?=[ei])")
_HARD_C = re.compile(r"c(?!h)")
_DOUBLE = re.compile(r"(.)\1+")
_APOSTROPHES = re.compile(r"['’‘`ʼʻ´]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


@dataclass(frozen=True, slots=True)
class Token:
    """One name token: as written (ASCII), canonical spelling, phonetic key, and the
    blocking keys the index files it under."""

    text: str
    canon: str
    phonetic: str
    numeric: bool
    keys: tuple[str, ...]


def _blocking_keys(canon: str, phonetic: str, numeric: bool, raw: str = "") -> tuple[str, ...]:
    """Keys under which the index files a token's spelling, to find it again from a
    variant: phonetic key, each one-letter deletion (any single typo shares one), and the
    4-letter prefix and suffix."""
    if numeric or len(canon) < 3:
        return ()
    keys = {"d" + canon}
    if len(raw) <= 12 and raw != canon:
        keys.add("d" + raw)
        keys.update("d" + raw[:i] + raw[i + 1 :] for i in range(len(raw)))
    if len(phonetic) >= 2:
        keys.add("p" + phonetic)
    if len(canon) <= 12:
        keys.update("d" + canon[:i] + canon[i + 1 :] for i in range(len(canon)))
    if len(canon) >= 6:
        keys.add("a" + canon[:4])
        keys.add("z" + canon[-4:])
    return tuple(keys)


def canonical(text: str) -> str:
    """The canonical spelling of an ASCII lower-case word."""
    canon = text
    for old, new in _LITERAL:
        if old in canon:
            canon = canon.replace(old, new)
    if "c" in canon:
        canon = _HARD_C.sub("k", _SOFT_C.sub("s", canon))
    return _DOUBLE.sub(r"\1", canon)


@lru_cache(maxsize=200_000)
def token(text: str) -> Token:
    """The :class:`Token` for an ASCII lower-case word (cached: lists repeat words a lot)."""
    if not text.isalpha():
        return Token(text, text, text, True, _blocking_keys(text, text, True))
    if len(text) <= 4 and not any(v in text for v in "aeiouy"):
        return Token(text, text, text, False, _blocking_keys(text, text, False))  # an acronym
    canon = canonical(text)
    phonetic = metaphone(text) or canon
    return Token(text, canon, phonetic, False, _blocking_keys(canon, phonetic, False, text))


def to_ascii(name: str) -> str:
    """Latin letters without accents; other scripts transliterated by ICU."""
    if name.isascii():
        return name
    folded = unicodedata.normalize("NFKD", name)
    stripped = "".join(ch for ch in folded if not unicodedata.combining(ch))
    if stripped.isascii():
        return stripped
    return ascii_text(name) or ""


@lru_cache(maxsize=100_000)
def _clean(name: str) -> str:
    text = _APOSTROPHES.sub("", to_ascii(name).lower()).strip()
    if not text:
        return ""
    # Legal forms: first to rigour's compare form (so every spelling of one form is one
    # word), then removed; kept when nothing else would remain.
    compare = replace_org_types_compare(text)
    without = remove_org_types(compare).strip()
    text = _NON_ALNUM.sub(" ", without or compare).strip()
    unprefixed = remove_person_prefixes(text).strip()
    return unprefixed or text


@lru_cache(maxsize=50_000)
def is_legal_word(word: str) -> bool:
    """A legal-form word, also when misspelt by one letter (``limqted``)."""
    if word in LEGAL_WORDS:
        return True
    if len(word) < 6:
        return False
    return any(
        abs(len(w) - len(word)) <= 1 and OSA.distance(w, word, score_cutoff=1) <= 1 for w in _LONG_LEGAL
    )


def _merge_initials(words: list[str]) -> list[str]:
    """``m m e`` (from ``M.M.E.``) → ``mme``: a run of single letters is one acronym."""
    out: list[str] = []
    run: list[str] = []
    for w in [*words, ""]:
        if len(w) == 1:
            run.append(w)
            continue
        if len(run) >= 2:
            out.append("".join(run))
        else:
            out.extend(run)
        run = []
        if w:
            out.append(w)
    return out


@lru_cache(maxsize=50_000)
def is_filler(word: str) -> bool:
    """A word within one letter of a legal-form word or stop word (``comapny``, ``ltta``):
    weighs little when nothing on the list explains it."""
    if is_legal_word(word) or word in STOPWORDS or word in HONORIFICS:
        return True
    if len(word) < 3:
        return False
    pool = _FILLERS_BY_LEN
    if len(word) >= 6:  # a long word takes two slips ("ilmted", "corpobratin")
        return any(
            OSA.distance(w, word, score_cutoff=2) <= 2
            for n in range(max(7, len(word) - 2), len(word) + 3)
            for w in pool.get(n, ())
        ) or any(
            OSA.distance(w, word, score_cutoff=1) <= 1
            for n in (len(word) - 1, len(word))
            for w in pool.get(n, ())
        )
    return any(
        OSA.distance(w, word, score_cutoff=1) <= 1
        for n in (len(word) - 1, len(word), len(word) + 1)
        for w in pool.get(n, ())
    )


def written_words(name: str) -> list[str]:
    """Every word of the name as written: ASCII, lower case, punctuation as word breaks,
    nothing dropped."""
    return _NON_ALNUM.sub(" ", _APOSTROPHES.sub("", to_ascii(name).lower())).split()


@lru_cache(maxsize=100_000)
def raw_forms(name: str) -> tuple[str, str]:
    """Every word of the name as written (:func:`written_words`), joined in order and in
    sorted order: what a typist's slips are counted on."""
    words = written_words(name)
    return "".join(words), "".join(sorted(words))


def tokens(name: str) -> tuple[Token, ...]:
    """The name's tokens; stop words, honorifics and legal-form words dropped (unless
    nothing else would be left)."""
    words = _merge_initials(_clean(name).split())
    kept = [w for w in words if w not in STOPWORDS and w not in HONORIFICS]
    kept = [w for w in kept if not is_legal_word(w)] or kept
    return tuple(token(w) for w in (kept or words))


# Generic words of organisation names: a misspelt one unknown to the lists weighs little.
GENERIC_WORDS = frozenset(
    {
        "society", "association", "foundation", "organization", "organisation", "trading", "international",
        "industries", "industrial", "group", "holding", "holdings", "enterprise", "enterprises", "services",
        "shipping", "general", "import", "export", "investment", "development", "commercial", "bank",
    }
)  # fmt: skip
_FILLERS_BY_LEN: dict[int, list[str]] = {}
for _w in LEGAL_WORDS | STOPWORDS | HONORIFICS | GENERIC_WORDS:
    if len(_w) >= 3:
        _FILLERS_BY_LEN.setdefault(len(_w), []).append(_w)

_NON_LATIN_SCRIPTS = ("ARABIC", "HEBREW", "CJK", "HANGUL", "HIRAGANA", "KATAKANA", "THAI", "DEVANAGARI")


def romanisable(name: str) -> bool:
    """False for names in scripts whose transliteration loses the vowels or the reading
    (Arabic, Hebrew, CJK...): such a name is indexed only when the entity has no other."""
    for ch in name:
        if ord(ch) > 0x24F and ch.isalpha():
            label = unicodedata.name(ch, "")
            if label.startswith(_NON_LATIN_SCRIPTS):
                return False
    return True
