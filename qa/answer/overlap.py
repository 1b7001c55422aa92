"""How much of a question a sentence holds, word by word: the idf share of the question's stems
found in it (a name however it is spelt), in the very form asked, or translated across scripts.
Stems stand for the measure they name ("сумму" for money), so a question's "инвестиций" is
found in "на общую сумму 400 млрд тенге". evidence.py weighs these beside the vector's cosine."""

from __future__ import annotations

import functools

from ..lexical import forms, name_keys, same_name, tokenize
from .measures import SHARE, kin

# Numbers said in words are found as digits and the reverse ("who caught the two point conversion
# pass" in "a pass to Bennie Fowler for a 2-point conversion", user trial 11). Left out: "one" and
# "один", pronouns as often ("one of the ..."), and "семь", whose stem is also "семья"'s. Fitting
# part: answer precision ru .798 -> .810, near-absent ru .792 -> .811, nothing fell.
_NUMBERS = {
    "2": "two двух двум две двумя двое",
    "3": "three трех трём трем тремя трое",
    "4": "four четыре четырех четырём четырьмя четверо",
    "5": "five пять пяти пятью",
    "6": "six шесть шести",
    "7": "seven",  # "семь" stems as "семья" does
    "8": "eight восемь восьми",
    "9": "nine девять девяти",
    "10": "ten десять десяти",
    "11": "eleven одиннадцать одиннадцати",
    "12": "twelve двенадцать двенадцати",
}


@functools.cache
def _numbers() -> dict[str, str]:
    return {stem: digits for digits, words in _NUMBERS.items() for w in words.split() for stem in tokenize(w)}


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
    """A question word as it is looked for: the measure it names, when it names one, or the digits
    of a number said in words."""
    return f"\0{k}" if (k := kin(stem)) else _numbers().get(stem, stem)


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
