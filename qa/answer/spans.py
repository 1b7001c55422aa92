"""What a question asks for and where that sits inside a sentence. A question asks for a
number ("сколько", "how many"), a date ("когда", "when") or a person ("кто", "who"), or defines
an entity ("кто такой X", "what is X"). The typed spans of a sentence (numbers with their
unit, dates, capitalised names) are the candidates; the one nearest the question's own words
is the answer span highlighted inside a verbatim quote. Nothing here is generated."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ..lexical import name_share, question_names, tokenize

NUMBER, DATE, PERSON = "number", "date", "person"

_I = re.I
_KINDS = (
    (
        DATE,
        re.compile(
            r"\b(?:when|what (?:year|date|century|decade|month)|which (?:year|century)|in what year)\b"
            r"|\b(?:когда|какого числа)\b|\bв как(?:ом|ой|ие)\s+(?:году|годах|веке|месяце|день)\b",
            _I,
        ),
    ),
    (
        NUMBER,
        re.compile(
            r"\bhow (?:many|much|old|long|big|large|far|fast|tall|high|heavy|wide|deep|efficient)\b"
            r"|\bwhat (?:percentage|percent|share|proportion|fraction|number|amount|portion)\b"
            r"|\b(?:сколь\w*|насколько)\b|\bна сколько\b"
            r"|\bкак(?:ой|ая|ое|ую|ова|ов|ого|ие)\s+(?:объ[её]м|сумм|дол|процент|численност|размер|ширин|длин"
            r"|высот|площад|вес|возраст|кпд|тираж|бюджет|доход)",
            _I,
        ),
    ),
    (PERSON, re.compile(r"\b(?:who|whom|whose)\b|\b(?:кто|кого|кому|кем|чей|чья|чьё|чьи)\b", _I)),
)
# What a number counts, when the question or the unit after the number says so. A "how many
# people" question is not answered by "400 млрд тенге"; a number with no unit fits any question
# but one asking for money (see fits).
PEOPLE, MONEY, DURATION, SHARE = "people", "money", "duration", "share"
_MEASURES = (
    (
        PEOPLE,
        r"человек|люд(?:и|ей)|жител\w*|населени\w*|численност\w*|people|persons|inhabitants|residents|population",
    ),
    (
        MONEY,
        r"тенге|рубл\w*|доллар\w*|долл\.?|евро|фунт\w*|зарплат\w*|заработн\w*|стоимост\w*|цен[аыуе]|бюджет\w*"
        r"|инвестиц\w*|сумм\w*|dollars?|euros?|pounds|salary|salaries|wages?|price|cost|costs|budget|investments?",
    ),
    (DURATION, r"лет|года?|месяц\w*|дн(?:ей|я)|недел\w*|years?|months?|weeks?|days?|age|возраст\w*|old"),
    (SHARE, r"процент\w*|percent|percentage|per cent|дол[яиюей]|share|proportion"),
)
_SYMBOLS = {MONEY: "[$£€]", SHARE: "%"}  # signs stand next to the digits ("9%", "$5")
_MEASURE_RE = [
    (m, re.compile(rf"(?<!\w)(?:{rx})(?!\w)" + (f"|{_SYMBOLS[m]}" if m in _SYMBOLS else ""), _I))
    for m, rx in _MEASURES
]
# "paid per year", "в год": a rate, not a duration asked for
_RATE = re.compile(r"\b(?:per|a|each|every|в)\s+(?:year|month|week|day|hour|год|месяц|неделю|день|час)\b", _I)
# "Какая зарплата ...?", "What is the population of ...?": a number asked for by what it measures.
_MEASURE_QUESTION = re.compile(
    r"(?:\b(?:как(?:ой|ая|ое|ую|ова|ов)|what(?:'s| is| was| are| were)(?: the)?)\s+(?:\w+\s+){0,2}|^\W*(?:а|и|and)?\s*)"
    r"(?:зарплат|заработн|стоимост|цен[аыуе]|бюджет|доход|населени|численност|возраст|длин[аыуе]|высот[аыуе]"
    r"|ширин[аыуе]|площад|вес[аеу]?\b|salary|wage|price|cost|budget|income|revenue|population|age\b|length"
    r"|height|width|weight)",
    _I,
)
# "Кто такой Бекенов?", "What is Internet2?": a definition, answered where the entity is introduced.
_DEFINE = re.compile(
    r"^\s*(?:(?:кто|что)\s+(?:так(?:ой|ая|ое|ие)|есть)\b|(?:who|what)\s+(?:is|was|are|were)\s+(?!the\b)"
    r"(?=(?:\S+\s+){0,3}\S+\s*\??\s*$))",
    _I,
)

_MONTHS = (
    r"(?:(?-i:January|February|March|April|May|June|July|August|September|October|November|December)"
    r"|январ[ьяе]|феврал[ьяе]|март[ае]?|апрел[ьяе]|ма[йяе]|июн[ьяе]|июл[ьяе]|август[ае]?|сентябр[ьяе]"
    r"|октябр[ьяе]|ноябр[ьяе]|декабр[ьяе])"
)
_YEAR = r"(?:1[0-9]{3}|20[0-9]{2})(?:s|-х|-е)?"
_RANGE = r"(?:\s*(?:–|—|-|по|to|and|и)\s*(?:\d{4}|\d{2}(?!-)))?"
_DATE_RE = re.compile(
    r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}\.\d{1,2}\.\d{4}\b"
    rf"|\b(?:\d{{1,2}}\s+{_MONTHS}(?:\s+{_YEAR})?|{_MONTHS}(?:\s+\d{{1,2}}(?!\d),?)?(?:\s+{_YEAR})?|{_YEAR}{_RANGE})"
    r"(?:\s+(?:года|году|годах|годов|годы|г\.))?"
    r"|\b\d{1,2}(?:st|nd|rd|th)\s+centur(?:y|ies)|\b[XVI]+\s+век(?:е|а)?\b"
    # seasons and days said in words: "Весной в городе открыли библиотеку" answers "когда"
    r"|\b(?:весн(?:ой|а|у|е)|летом|осен(?:ью|ь)|зим(?:ой|а|у)|вчера|сегодня|завтра|spring|summer|autumn|winter"
    r"|yesterday|today|tomorrow)\b",
    _I,
)
# number words, "six-time" and "шестикратный" among them (a "six-time Grammy winner" answers "how many Grammys")
_EN_NUMBERS = (
    r"(?:two|three|four|five|six|seven|eight|nine|ten)-times?|thrice|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|(?:thir|four|fif|six|seven|eigh|nine)teen"
    r"|(?:twen|thir|for|fif|six|seven|eigh|nine)ty|hundreds?|thousands?|millions?|billions?|dozens?|twice"
)
_RU_NUMBERS = (
    r"од(?:ин|на|но|ного|ной|ному|ним)|дв(?:а|е|ух|ум|умя)|тр(?:и|ех|ёх|ем|ём|емя)|четыр(?:е|ех|ёх|ем|ём|ьмя)"
    r"|(?:пят|шест|сем|восем|девят|десят|(?:один|две|три|четыр|пят|шест|сем|восем|девят)надцат|двадцат|тридцат)"
    r"(?:ь|и|ью)|сорок|сорока|(?:пять|шесть|семь|восемь)десят|девяност[оа]|сто|ста|двест[иа]|трист[аа]|тысяч[аиуе]?"
    r"|сотн[яиюе]|дважды|трижды|(?:одно|дву|тр[её]х|четыр[её]х|пяти|шести|семи|восьми|девяти|десяти)кратн\w*"
)
_SCALE = r"(?:тысяч[аиуе]?|тыс\.?|миллион\w*|млн\.?|миллиард\w*|млрд\.?|thousand|million|billion|trillion|bn)"
_NUMBER_RE = re.compile(
    r"\b\d{1,2}:\d{2}\b|[$£€]?(?:\d{1,3}(?:[,\u00a0\u202f ]\d{3})+(?:\.\d+)?|\d+(?:[.,]\d+)?[½¼¾]?)(?:\s*(?:–|—|-|до|to)\s*\d+(?:[.,]\d+)?)?"
    rf"(?:\s*(?:%|процент\w*|percent|per cent))?(?:\s*{_SCALE}\b)?(?:[a-z]{{1,2}}\b)?"
    rf"|\b(?:{_EN_NUMBERS}|{_RU_NUMBERS})\b(?:\s+{_SCALE})?",
    _I,
)
# A number's unit: the next word when it is not a function word ("10 предприятий", "374 companies"),
# and an abbreviation after that ("долларов США").
_UNIT = re.compile(r"\s+([^\W\d_][\w-]*)(\s+[A-ZА-ЯЁ]{2,5}\b)?")
_NAME_WORD = r"[A-ZА-ЯЁ][\w'’-]*\.?"
_PARTICLE = r"(?:de|von|van|der|la|le|du|da|di|dos|фон|де|ван|дер|ла|ле|дю|да|ди)"
_NAME_RE = re.compile(rf"{_NAME_WORD}(?:\s+(?:{_PARTICLE}\s+)?{_NAME_WORD})*")
_ROLE_WORDS = 3  # lowercase words before a name that say who the person is ("заместителя акима области")


@dataclass(frozen=True)
class Question:
    kind: str | None  # NUMBER, DATE, PERSON or None
    define: bool  # "кто такой X" / "what is X": answered where X is introduced
    stems: frozenset[str]  # its content words, stemmed
    measure: str | None = None  # for a NUMBER: PEOPLE, MONEY, DURATION, SHARE when the question says
    attribute: str | None = None  # the stem of what is counted or the role asked for ("детей", "директор")
    names: frozenset[str] = frozenset()  # skeletons of the names it mentions, for text in another script
    count: bool = False  # "how many X", "сколько X": a count of things, answered by no sum or share


# Words that name the same measure in other words: "объем инвестиций" is asked, "на общую сумму
# 400 млрд тенге" answers; "population" and "жителей". A question word of a class is found in a
# sentence holding another word of that class (currency units are no such word: a sum in tenge
# is not a salary).
_KIN = {
    MONEY: "сумма суммы сумму инвестиции инвестиций вложения вложений затраты затрат стоимость бюджет "
    "sum sums investment investments spending cost costs budget funding",
    PEOPLE: "население населения жители жителей численность population inhabitants residents",
}


@functools.cache
def _kin() -> dict[str, str]:
    return {stem: m for m, words in _KIN.items() for w in words.split() for stem in tokenize(w)}


def kin(stem: str) -> str | None:
    """The measure a word names, if it is one of the words that name one (see _KIN)."""
    return _kin().get(stem)


def measure_of(text: str) -> str | None:
    """The measure named first in text ("какой процент жителей" asks for a share)."""
    found = [(hit.start(), m) for m, rx in _MEASURE_RE if (hit := rx.search(text))]
    return min(found)[1] if found else None


def _kind(question: str) -> str | None:
    # The first question word decides: "How old was he when ...?" asks for a number.
    found = [(m.start(), k) for k, rx in _KINDS if (m := rx.search(question))]
    if found:
        return min(found)[1]
    return NUMBER if _MEASURE_QUESTION.search(question) else None


def analyse(question: str, previous: str = "") -> Question:
    """What the question asks for; a follow-up ("а до конца года?") that does not say asks what
    the previous question asked."""
    kind = _kind(question) or (_kind(previous) if previous else None)
    measure = (measure_of(_RATE.sub("", question)) or measure_of(previous)) if kind == NUMBER else None
    stems = frozenset(tokenize(f"{previous} {question}"))
    m = _COUNT.search(question) if kind == NUMBER and measure is None else None
    count = bool(m) and not (m.group(1) and _VERB.search(m.group(1).lower()))
    return Question(
        kind,
        bool(_DEFINE.search(question)),
        stems,
        measure,
        _attribute(question, kind),
        question_names(question),
        count,
    )


# "how many plants", "сколько предприятий": a count of things (not "во сколько обошлась", "сколько
# стоит", "сколько лет"; a verb after "сколько" asks how much).
_COUNT = re.compile(r"\bhow many\b|(?<!во )\bсколько\s+(?!стои|весит|денег|лет|времени|раз\b)(\w+)", _I)
# The attribute asked for: the counted thing ("Сколько детей ...", "How many subscribers ...") or
# the role ("Кто директор ...", "Who is the CEO of ..."), after any adjectives; a capitalised
# word is a name (the topic), a verb ("Кто изобрёл") or a measure ("how many people") no attribute.
_COUNTED = re.compile(r"\b(?:сколько|how many)\s+(\w+)", _I)
_ROLE = re.compile(
    r"^\W*(?:кто\s+(?:(?:был[аио]?|будет|является|стал[аио]?|нынешний|текущий|первым|первый|последним)\s+)*"
    r"|who\s+(?:is|was|are|were)\s+(?:(?:the|a|an|current|first|last)\s+)*)(\w+)",
    _I,
)
_NEXT_WORD = re.compile(r"\s+(\w+)")
_ADJECTIVE = re.compile(r"(?:ых|их|ым|им|ой|ый|ий|ая|ое|ые|ие|ого|его)$")
_VERB = re.compile(r"(?:л|ла|ло|ли|ет|ит|ют|ут|ат|ят|ся|сь)$")


def _attribute(question: str, kind: str | None) -> str | None:
    """The stem of the attribute a NUMBER or PERSON question asks for, if it names one."""
    m = (_COUNTED if kind == NUMBER else _ROLE).search(question) if kind in (NUMBER, PERSON) else None
    while m and kind == NUMBER and _ADJECTIVE.search(m.group(1).lower()):  # "сколько различных команд"
        m = _NEXT_WORD.match(question, m.end())
    if not m or (m.group(1)[:1].isupper() and not m.group(1).isupper()):
        return None
    if (kind == PERSON and _VERB.search(m.group(1).lower())) or measure_of(m.group(1)):
        return None
    stems = tokenize(m.group(1))
    return stems[0] if stems else None


def _stop(word: str) -> bool:
    return not tokenize(word)


def _numbers(text: str, a: int, b: int) -> list[tuple[int, int]]:
    out = []
    for m in _NUMBER_RE.finditer(text, a, b):
        end = m.end()
        u = _UNIT.match(text, end, b)
        if u and not _stop(u.group(1)) and u.group(1)[0].islower():
            end = u.end()
        out.append((m.start(), end))
    return out


def _names(text: str, a: int, b: int) -> list[tuple[int, int]]:
    """Runs of capitalised words. A lone capitalised word that opens a sentence ("Soon",
    "Вскоре") is no name; nor is a capitalised function word ("The", "По") in front of one."""
    starts = {a, *(a + m.end() for m in re.finditer(r"[.!?…]\W*\s+", text[a:b]))}
    out = []
    for m in _NAME_RE.finditer(text, a, b):
        s, e = m.start(), m.end()
        words = m.group().split()
        while words and _stop(words[0]):
            s = text.index(words[1], s + len(words[0])) if len(words) > 1 else e
            words = words[1:]
        if not words or re.fullmatch(_MONTHS, words[0], _I) or (len(words) == 1 and s in starts):
            continue
        out.append((s, e - (text[e - 1] == ".")))
    return out


def candidates(kind: str | None, text: str, a: int = 0, b: int | None = None) -> list[tuple[int, int]]:
    """Spans of text[a:b] that could answer a question of this kind."""
    b = len(text) if b is None else b
    if kind == NUMBER:
        return _numbers(text, a, b)
    if kind == DATE:
        return [m.span() for m in _DATE_RE.finditer(text, a, b)]
    if kind == PERSON:
        return _names(text, a, b)
    return []


def fits(q: Question, text: str, s: int, e: int) -> bool:
    """Could text[s:e], a candidate of q's kind, answer q? Not when it restates the question or
    measures something else (a sum of money for "how many people"); a sum of money must say it
    is one (a bare "4.0" is no amount), other measures may go unsaid ("at 17,786,419")."""
    core = text[s:e]
    if q.kind == NUMBER and (m := _NUMBER_RE.match(text, s, e)):
        core = m.group()  # "три жирафа" answers "сколько жирафов": only the number may not restate
    words = set(tokenize(core))
    if words and words <= q.stems:
        return False
    if q.kind == NUMBER and re.fullmatch(_YEAR, text[s:e]):
        return False  # "сколько учителей" is not answered by "в 2005 году"
    if q.kind == NUMBER and q.measure:
        m = measure_of(text[s:e])
        return m == q.measure or (m is None and q.measure != MONEY)
    if q.count:
        return measure_of(text[s:e]) not in (MONEY, SHARE)  # "how many plants" is no "9%"
    return True


def typed(q: Question, text: str, a: int, b: int) -> bool:
    """Does text[a:b] hold a span of the asked kind that could answer q?"""
    return any(fits(q, text, s, e) for s, e in candidates(q.kind, text, a, b))


def _role(q: Question, text: str, a: int, b: int) -> tuple[int, int] | None:
    """For "кто такой X": X's mention with the role words in front of it ("заместителя акима
    области Кайрата БЕКЕНОВА")."""
    for s, e in _names(text, a, b):
        if not set(tokenize(text[s:e])) & q.stems and not name_share(q.names, text[s:e]):
            continue
        start = s
        for m in reversed(list(re.finditer(r"[^\W\d_]+", text[a:s]))[-_ROLE_WORDS:]):
            gap = text[a + m.end() : start]
            if gap.strip() or _stop(m.group()) or not m.group()[0].islower():
                break
            start = a + m.start()
        return (start, e) if start < s else None
    return None


def answer_span(
    q: Question, text: str, a: int, b: int, focus: tuple[int, int] | None = None
) -> tuple[int, int] | None:
    """The span of text[a:b] that answers q, or None. Among the candidates that could answer
    (see fits), one of the asked measure before one of no stated measure, digits before number
    words, one inside `focus` (the quote's best sentence) before its neighbour,
    then the one nearest the question's own words."""
    if q.define:
        return _role(q, text, a, b)
    spans = [(s, e) for s, e in candidates(q.kind, text, a, b) if fits(q, text, s, e)]
    if not spans:
        return None
    fa, fb = focus or (a, b)
    if q.kind == PERSON and len([x for x in spans if fa <= x[0] and x[1] <= fb] or spans) != 1:
        # Which of several names did it is beyond word positions (57% right on XQuAD dev 0-11,
        # 67% when the sentence names one): only a lone name is marked.
        return None
    hits = [m.start() for m in re.finditer(r"\w+", text[a:b]) if set(tokenize(m.group())) & q.stems]

    def cost(span: tuple[int, int]) -> tuple[bool, bool, bool, int]:
        s, e = span
        near = min((s - a - h if a + h < s else a + h - e for h in hits), default=0)
        weak = not text[s:e][:1].isdigit() and text[s:e][:1] not in "$£€"  # "пять лет" after "400 млрд тенге"
        other = q.measure is not None and measure_of(text[s:e]) != q.measure
        return (other, weak, not (fa <= s and e <= fb), max(near, 0))

    return min(spans, key=cost)
