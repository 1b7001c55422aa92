"""How much of a question a sentence holds, word by word: the idf share of the question's stems
found in it (a name however it is spelt), in the very form asked, or translated across scripts.
Stems stand for the measure they name ("сумму" for money), so a question's "инвестиций" is
found in "на общую сумму 400 млрд тенге". evidence.py weighs these beside the vector's cosine."""

from __future__ import annotations

from ..lexical import forms, name_keys, same_name, tokenize
from .measures import SHARE, kin

# A question's name found only by its skeleton (spelt or inflected otherwise: coverage) counts this
# share of its weight. Fitting part: 1 first quotes en .891 -> .894, near-absent en .863 -> .868,
# natural ru .795 -> .811, but natural ru absent declined .769 -> .738; .5 the same en gains,
# natural ru .795 -> .800, nothing fell.
SPELT = 0.5


def coverage(question_stems: dict[str, float], sentence: str, spelt: dict[str, str] | None = None) -> float:
    """Share of the question's idf mass found in the sentence; a name (`spelt`: its stem's
    skeleton) is found however it is spelt or inflected ("Патриотс" in "Пэтриотс", "Дэниел Вудриф"
    in "Дениэла Вудрифа", user trials 9 and 10), at SPELT of its weight."""
    total = sum(question_stems.values())
    if total <= 0:
        return 0.0
    spelt = spelt or {}
    found, keys = stems(sentence), name_keys(sentence) if spelt else set()
    return (
        sum(
            w if s in found else w * SPELT
            for s, w in question_stems.items()
            if s in found or (s in spelt and any(same_name(spelt[s], k) for k in keys))
        )
        / total
    )


def stems(sentence: str) -> set[str]:
    """The sentence's stems, and the measure named by any of them ("сумму" names money) or by
    a per cent sign: a question's "инвестиций" is found in "на общую сумму 400 млрд тенге",
    its "percent" in "на 5%". Fitting part: the per cent sign moved no figure; on the seed,
    "What percent did injuries drop?" was declined."""
    found = set(tokenize(sentence))
    return found | {key(s) for s in found} | ({f"\0{SHARE}"} if "%" in sentence else set())


def key(stem: str) -> str:
    """A question word as it is looked for: the measure it names, when it names one."""
    return f"\0{k}" if (k := kin(stem)) else stem


def exact(question_words: dict[str, float], sentence: str) -> float:
    """Share of the question's idf mass whose very word form is in the sentence."""
    total = sum(question_words.values())
    if total <= 0:
        return 0.0
    found = set(forms(sentence))
    return sum(w for s, w in question_words.items() if s in found) / total


def translated(question_stems: dict[str, float], bridge: dict[str, frozenset[str]], sentence: str) -> float:
    """Share of the question's idf mass whose translation (bilingual.py) is in the sentence."""
    total = sum(question_stems.values())
    if total <= 0:
        return 0.0
    found = stems(sentence)
    return sum(w for s, w in question_stems.items() if bridge.get(s, frozenset()) & found) / total
