"""Stage 5b: a word bridge between English and Russian for the lexical side. An English question
about a Russian text (or the reverse) shares no stems with it, so BM25 and word coverage saw only
names and digits; translated through a dictionary, "salary" finds "зарплата" and "население"
finds "population". The bridge (data/enru.tsv.gz) holds stems, made by bench/enru.py from the enru-dict
package (MIT, data/enru-LICENSE)."""

from __future__ import annotations

import gzip
import threading
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from .lexical import WORD, cognate_keys, cyrillic, name_keys, same_name, skeleton, tokenize

BRIDGE = Path(__file__).parent / "data" / "enru.tsv.gz"
_LOAD = threading.Lock()  # the first questions of a server arrive together: one reads the file
_tables: tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]] | None = None


def _bridge() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """English stem -> Russian stems, and Russian stem -> English stems (read once, 0.1 s)."""
    global _tables
    if _tables is None:
        with _LOAD:
            if _tables is None:
                _tables = _read()
    return _tables


def _read() -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    en: dict[str, tuple[str, ...]] = {}
    ru: dict[str, list[str]] = defaultdict(list)
    with gzip.open(BRIDGE, "rt", encoding="utf-8") as f:
        for line in f:
            stem, _, words = line.rstrip("\n").partition("\t")
            en[stem] = tuple(words.split())
            for w in en[stem]:
                ru[w].append(stem)
    return en, {w: tuple(stems) for w, stems in ru.items()}


def translations(stem: str) -> tuple[str, ...]:
    """The stems one stem translates to in the other language."""
    en, ru = _bridge()
    return (ru if cyrillic(stem) else en).get(stem, ())


def translate(text: str) -> list[str]:
    """The stems of text's content words in the other language, each once."""
    return list(dict.fromkeys(t for stem in tokenize(text) for t in translations(stem)))


def shared(
    question: str,
    text: str,
    idf: Callable[[str], float],
    names: frozenset[str] = frozenset(),
    found: set[str] | None = None,
    key: Callable[[str], str] = lambda stem: stem,
) -> float:
    """Idf share of the question's words that text holds in either language: as they are,
    translated, as a borrowed word (lexical.cognates), as one of the question's names
    (lexical.name_share: "Лютер" is too short a skeleton for a cognate) or, where `key` gives
    the measure a word names and `found` holds the text's stems and measures, as that measure
    ("invested": "сумму")."""
    words = [(w, t[0]) for w in WORD.findall(question) if (t := tokenize(w))]
    total = sum(idf(s) for _, s in words)
    if total <= 0:
        return 0.0
    found = set(tokenize(text)) if found is None else found
    keys = cognate_keys(text)
    in_text = name_keys(text) if names else set()
    named = {a for a in names if any(same_name(a, f) for f in in_text)}
    return (
        sum(
            idf(s)
            for w, s in words
            if s in found
            or found.intersection(translations(s))
            or ((k := key(s)) != s and k in found)
            or cognate_keys(w) & keys
            or ((sk := skeleton(w)) and any(same_name(sk, a) for a in named))
        )
        / total
    )
