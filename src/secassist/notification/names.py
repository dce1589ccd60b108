"""Purchaser names as printed in notices → ISO 3166-1 alpha-2 (or ``NATO``).

pycountry's names (short, official, common, and the inverted "Korea, Republic of" forms),
the NATO bodies of the reference data, and a small alias table for the forms the notices
use that ISO does not (Korea, Turkey, Czech Republic, UAE, …). ``TW`` for Taiwan's
purchasing office (TECRO) in all its long forms; ``NATO`` for NATO and its agencies.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import pycountry

from secassist.reference.service import get_reference

ALIASES: dict[str, str] = {
    "korea": "KR",
    "south korea": "KR",
    "rok": "KR",
    "republic of korea": "KR",
    "north korea": "KP",
    "turkey": "TR",
    "turkiye": "TR",
    "republic of turkey": "TR",
    "czech republic": "CZ",
    "uae": "AE",
    "the uae": "AE",
    "emirates": "AE",
    "united kingdom": "GB",
    "great britain": "GB",
    "britain": "GB",
    "uk": "GB",
    "holland": "NL",
    "vietnam": "VN",
    "russia": "RU",
    "iran": "IR",
    "syria": "SY",
    "laos": "LA",
    "moldova": "MD",
    "tanzania": "TZ",
    "venezuela": "VE",
    "bolivia": "BO",
    "brunei": "BN",
    "macedonia": "MK",
    "ivory coast": "CI",
    "cote d'ivoire": "CI",
    "taiwan": "TW",
    "republic of china": "TW",
    "palestine": "PS",
    "kosovo": "XK",
    "eswatini": "SZ",
    "swaziland": "SZ",
    "cape verde": "CV",
    "east timor": "TL",
    "burma": "MM",
    "micronesia": "FM",
    "the bahamas": "BS",
    "the gambia": "GM",
}

# Words that wrap a country name in a notice ("Government of the ...", "Kingdom of ...").
_PREFIXES = re.compile(
    r"^(?:the\s+)?(?:(?:government|kingdom|hashemite kingdom|state|sultanate|emirate|republic|"
    r"federal republic|commonwealth|principality|grand duchy|islamic republic|arab republic|"
    r"democratic socialist republic|socialist republic|people's republic|federative republic|"
    r"united mexican states|ministry of defen[cs]e|armed forces)\s+of\s+(?:the\s+)?)+"
)
_TAIWAN = re.compile(r"\b(?:taipei|tecro|taiwan)\b")
_NATO = re.compile(r"\b(?:nato|north atlantic treaty|nspa|namsa|nahema|nameadsma)\b")


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("’", "'").lower()
    text = re.sub(r"\([^)]*\)", " ", text)  # "(TECRO)", "(ROK)"
    return re.sub(r"[\s.,;:]+", " ", text).strip()


@lru_cache(maxsize=1)
def _index() -> dict[str, str]:
    out: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            value = getattr(c, attr, None)
            if not value:
                continue
            out.setdefault(_fold(value), c.alpha_2)
            if ", " in value:  # "Korea, Republic of" -> "Republic of Korea"
                head, tail = value.split(", ", 1)
                out.setdefault(_fold(f"{tail} {head}"), c.alpha_2)
    ref = get_reference()
    for body in ref.bodies():
        out[_fold(body.name)] = "NATO"
        out[body.code.lower()] = "NATO"
    out.update(ALIASES)
    return out


@lru_cache(maxsize=4096)
def country_code(name: str | None) -> str | None:
    """The ISO alpha-2 code (or ``NATO``) for a purchaser as printed, or None if unknown."""
    if not name:
        return None
    folded = _fold(name)
    if not folded:
        return None
    if _TAIWAN.search(folded):
        return "TW"
    if _NATO.search(folded):
        return "NATO"
    index = _index()
    if folded in index:
        return index[folded]
    stripped = _PREFIXES.sub("", folded).strip()
    if stripped in index:
        return index[stripped]
    if stripped.startswith("the ") and stripped[4:] in index:
        return index[stripped[4:]]
    return None
