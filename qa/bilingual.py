"""Stage 5b: a word bridge between English and Russian for the lexical side. An English question
about a Russian text (or the reverse) shares no stems with it, so BM25 and word coverage saw only
names and digits; translated through a dictionary, "salary" finds "зарплата" and "население"
finds "population". The bridge (data/enru.tsv.gz) holds stems, made by bench/enru.py from the enru-dict
package (MIT, data/enru-LICENSE)."""

from __future__ import annotations

import gzip
import threading
from collections import defaultdict
from pathlib import Path

from .lexical import cyrillic, tokenize

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
