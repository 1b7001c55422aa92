"""What a question may ask of a text's header rather than its sentences: the photo credit and the
dateline that chunking.py splits off the first sentence. evidence.py reads them only for such a
question ("Кто предоставил фото?", "Когда опубликована эта статья?"); otherwise they are no answer."""

from __future__ import annotations

import functools
import re

from ..chunking import boilerplate, credit, dateline
from ..lexical import tokenize
from .question import DATE, Question

# A question about a photo or a source ("Кто предоставил фото?", user trial 10) reads the credit
# line split off the first sentence. Fitting part: natural ru first quotes .800 -> .805 (that
# question, marked wrong: "Актюбинской"), nothing else moved.
_CREDIT_ASKED = re.compile(r"\b(?:фото\w*|снимк\w*|снимок|photo\w*|picture\w*|image\w*|credit\w*)", re.I)
# A question about when the text itself came out ("Когда опубликована эта статья?", "When was the
# article published?", user trial 11) reads the dateline split off the first sentence, and quotes
# it first: no sentence of the text says when the text was published.
_TEXT = r"(?:стать\w*|новост\w*|заметк\w*|материал\w*|публикаци\w*|article|story|news|post|piece|report)"
_OUT = r"(?:опубликова\w*|вышл\w*|вышел|написа\w*|датирова\w*|published|written|posted|dated|came out)"
_PUBLISHED = re.compile(
    rf"\b{_OUT}\b.*\b{_TEXT}|\b{_TEXT}\b.*\b{_OUT}|дат\w*\s+(?:публикаци|выход)\w*|publication date|date of publication",
    re.I,
)
# Such a question that names nothing else ("Когда опубликована эта статья?") has no topic for a
# cosine to meet: the dateline of the document read answers it.
_OF_THE_TEXT = """когда какого числа дата опубликована опубликован опубликовали вышла вышел написана эта этот эту
данная статья статьи новость новости заметка материал публикация публикации when what which date was
were is this the article story news post piece report published written posted dated came out publication"""


def asks_credit(question: str) -> bool:
    return bool(_CREDIT_ASKED.search(question))


def asks_date(q: Question, question: str) -> bool:
    """Does the question ask when the text itself came out?"""
    return q.kind == DATE and bool(_PUBLISHED.search(question))


def only_date(question: str) -> bool:
    """Does it ask that and name nothing else ("Когда опубликована эта статья?")?"""
    return set(tokenize(question)) <= _of_the_text()


@functools.cache
def _of_the_text() -> frozenset[str]:
    return frozenset(tokenize(_OF_THE_TEXT))


def readable(segment: str, credited: bool, dated: bool = False) -> bool:
    """May this segment answer: a sentence, or a credit or dateline asked for?"""
    return not boilerplate(segment) or (credited and credit(segment)) or (dated and dateline(segment))
