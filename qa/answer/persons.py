"""Who answers "who" (spans.py asks for the PERSON kind): which runs of capitalised words
(kinds.names) can be the person a question asks for, which may be marked as the answer, and the
role that says who a named person is, for "кто такой X"."""

from __future__ import annotations

import re

from ..bilingual import translations
from ..lexical import WORD, name_share, romanised, same_name, skeleton, tokenize
from .kinds import names
from .question import Question

_I = re.I

# Capitalised words that name no person: an acronym of two to four capitals (full-caps surnames are
# mostly longer, "САПАРБАЕВ"; three-letter ones, "КИМ", are lost) or a Latin one of any length standing
# alone (English texts seldom write a surname in capitals, and then mostly after a first name, "Kairat
# BEKENOV", which is a run of two: "PSPACE" answered "Who first proposed the P versus NP problem?",
# user trial 7; fitting part, natural en absent declined .733 -> .767, nothing else moved), an
# ordinal ("Второй мировой войны"), a name in Russian quotes or opening or closing on a company's legal form (ТОО «Восход-Oriel», "Acme
# Inc"). Fitting part, answer precision ru .786 -> .795, en .747 -> .759,
# en-on-ru .545 -> .569; natural ru absent declined .600 -> .733 (.600 with acronyms alone);
# answered en-on-ru .960 -> .957.
_ACRONYM = re.compile(r"[A-ZА-ЯЁ]{2,4}|[A-Z]{5,}")
_ORDINAL = re.compile(
    r"(?:перв|втор|четв[её]рт|пят|шест|седьм|восьм|девят|десят)(?:ый|ой|ая|ое|ые|ого|ому|ым|ом|ых|ыми|ую)"
    r"|трет(?:ий|ь(?:я|е|и|его|ему|ей|им|ем|их|ими|ю))|first|second|third|fourth|fifth|sixth|seventh|eighth"
    r"|ninth|tenth",
    re.I,
)
# An ordinal opening a run is no part of a name ("Первая Варшавская фондовая биржа" answered "Кто
# основал Варшавскую фондовую биржу?", user trial 9), nor is a lone letter ("машина Тьюринга M"
# answered "Кто придумал машину Тьюринга?"). Fitting part: natural ru absent declined .755 -> .792,
# nothing else moved.
_LEADING_ORDINAL = re.compile(rf"(?:{_ORDINAL.pattern})\s+", re.I)
_LETTER = re.compile(r"[^\W\d_]\.?")
_ORGANISATION = re.compile(r"^(?:ТОО|АО|ООО|ОАО|ЗАО|ПАО)\b|\b(?:Inc|Ltd|LLC|Corp|GmbH)\.?$")
_QUOTED = re.compile(r"[«„]\s*$")  # «Восход-Oriel»: Russian texts quote company names
# English capitalised words that name a people, a faith or a place or institution, not a person:
# a nationality alone ("Polish", "European"), a run holding an institution's or a place's head word
# ("Supplemental Nutrition Assistance Program", "Port Phillip", "World War II"). They mark no answer
# to "who", but a sentence holding one still holds a name (fitting part, as a rule for both: first
# quotes en .885 -> .879, natural en .800 -> .771). Marks only, answer precision en / near-absent
# en .759/.741 -> .768/.755, hits and every other figure unchanged; Russian place adjectives
# ("Актюбинской области") too: ru precision .795 -> .798 but en-on-ru .569 -> .561, left out.
_PEOPLES = re.compile(
    r"(?:Polish|German|French|English|British|American|European|Russian|Italian|Spanish|Dutch|Chinese|Japanese"
    r"|Australian|Canadian|Irish|Scottish|Welsh|Jewish|Catholic|Protestant|Christian|Muslim|Islamic|Soviet|Roman"
    r"|Greek|Latin|Danish|Swedish|Norwegian|Austrian|Swiss|Belgian|Portuguese|Indian|African|Asian|Arab"
    r"|Arabic|Persian|Turkish|Ottoman|Egyptian|Mexican|Brazilian|Korean|Israeli|Iranian|Iraqi|Hungarian|Czech"
    r"|Ukrainian|Lutheran|Calvinist|Anglican|Orthodox|Byzantine|Mongol|Mongolian|Scandinavian|Western|Eastern"
    r"|Northern|Southern|Central|Nordic|Hindu|Buddhist)"
)
_PLACE_HEAD = re.compile(  # not those that are also surnames: Church, Hall, Day, Park, Bay, Court, Post, Lake ...
    r"\b(?:War|Wars|Program|Programme|Act|Port|River|Street|Avenue|Road|University|College|School|Institute"
    r"|Cathedral|Party|Company|Corporation|Exchange|Council|Parliament|Congress|Senate|Ministry|Department"
    r"|Association|Society|Museum|Islands?|Mountains|Sea|Ocean|Valley|Station|Airport|Stadium|Bowl|League|Cup"
    r"|Championship|Award|Prize|Empire|Kingdom|Republic|States|City|County|Province|Region|Territory|District"
    r"|Government|Army|Navy|Revolution|Treaty|Agreement|Convention|Conference|Festival|Palace|Square|Hospital"
    r"|Library|Center|Centre|Foundation|Union|Organization|Organisation|Committee|Commission|Agency|Network"
    r"|Project|Bible|Times|Journal)\b"
)
# An event is no person ("World War II" answered "Who founded the Warsaw Stock Exchange?", user trial
# 9; no fitting-part figure moved). Taking every institution's and place's head word (_PLACE_HEAD)
# for no person cost first quotes en .891 -> .885, English on Russian .823 -> .817.
_EVENT = re.compile(r"\b(?:War|Wars|Revolution|Uprising|Crusades?|Olympics)\b")
_ROLE_WORDS = 3  # lowercase words before a name that say who the person is ("заместителя акима области")
# or, with none there, the words of its clause after it and a copula ("Гийом Фарель был учеником Лефевра";
# user trial 8). Fitting part: natural ru answer-span hits .303 -> .312, nothing else moved.
_ROLE_AFTER = re.compile(
    r"\s+(?:—|–|-|(?P<ru>был|была|было|были|является|являлся|являлась|стал|стала)|is|was|are|were|became)"
    r"(?:\s+(?:the|a|an))?(?P<first>\s+[^\W\d_][\w'’-]*)"
    r"(?:\s+(?!(?:и|а|но|and|but|which|who|that|котор\w*)\b)[^\W\d_][\w'’-]*){0,7}",
    _I,
)
# What follows the copula is a role when it is a noun phrase: in Russian one in the instrumental
# ("был учеником", "стал немецким богословом"), not a place or a state ("был в Москве", "был рождён");
# in English no preposition or participle ("was born in", "was arrested").
_INSTRUMENTAL = re.compile(r"\w+(?:ом|ем|ём|ой|ей|ою|ею|ью|ами|ями|ым|им)", _I)
_PARTICIPLE = re.compile(r"\w+ed|born|not", _I)
# A post under the one asked for: "Кто аким области?" is not answered by "заместителя акима области
# Кайрата БЕКЕНОВА" (the seed: "Who is the akim of Aktobe region?" quoted it), "Who is the director?"
# not by "Deputy Director John Smith" or "Ivanov, deputy director", "Кто президент?" not by
# "вице-президент". The post word counts only right before the role asked ("assistant professor"
# is no post under a founder). No figure of the fitting or the held-back part moved.
_UNDER = re.compile(r"(?:заместител\w*|замдиректор\w*|помощник\w*|вице|deputy|vice|assistant)$", _I)
_CLAUSE = re.compile(r"[.;!?]\s")  # the words in front of a name stay within its clause
_AFTER_NAME = re.compile(r",\s*(?:[^\W\d_][\w-]*\s+){0,2}[^\W\d_][\w-]*")  # "Ivanov, deputy director"
_LETTERS = re.compile(r"[^\W\d_]+")


def fits(q: Question, text: str, s: int, e: int) -> bool:
    """Could the capitalised run text[s:e] be the person q asks for?"""
    while (m := _LEADING_ORDINAL.match(text, s, e)) and m.end() < e:
        s = m.end()  # "Первая Варшавская фондовая биржа": what follows the ordinal decides
    core = text[s:e]
    if (
        _ACRONYM.fullmatch(core)
        or _ORDINAL.fullmatch(core)
        or _LETTER.fullmatch(core)
        or _ORGANISATION.search(core)
        or _QUOTED.search(text, max(0, s - 3), s)
        or _EVENT.search(core)
    ):
        return False  # "ВФБ", ТОО «Энергосистема», "Второй мировой", "World War II": no person
    if q.names and _restates(q.names, core):
        return False  # "Теслы" for "Who were Tesla's partners?": the question's own name, in another script
    return not (q.attribute and _under(q, text, s, e))


def _under(q: Question, text: str, s: int, e: int) -> bool:
    """Does the name text[s:e] hold a post under the role asked for (a deputy's, an assistant's):
    a post word right before the role, in the name's clause up to it or in the three words after
    a comma behind it, when the question does not ask for that post?"""
    a = max((m.end() for m in _CLAUSE.finditer(text, max(0, s - 120), s)), default=max(0, s - 120))
    after = _AFTER_NAME.match(text, e)
    words = _LETTERS.findall(text, a, after.end() if after else e)
    asked = q.stems | q.translated
    return any(
        _UNDER.match(w) and not set(tokenize(w)) & asked and any(_is_role(q, x) for x in words[i + 1 : i + 3])
        for i, w in enumerate(words)
    )


def _is_role(q: Question, word: str) -> bool:
    """Is word the role the question asks for, in either script ("акима" for "akim", "директора"
    for "director")?"""
    stems, role = tokenize(word), q.attribute or ""
    if not stems or len(role) < 2:  # "аким" stems to "ак"
        return False
    stem = stems[0]
    return (
        stem.startswith(role)
        or (len(stem) >= 3 and role.startswith(stem))
        or stem in translations(role)
        or romanised(word).startswith(role)
    )


def marks(span: str) -> bool:
    """May a fitting name be marked as the answer? Not a people, a place or an institution."""
    return not (_PEOPLES.fullmatch(span) or _PLACE_HEAD.search(span))


def role(q: Question, text: str, a: int, b: int) -> tuple[int, int] | None:
    """For "кто такой X": X's mention with the role words in front of it ("заместителя акима
    области Кайрата БЕКЕНОВА") or after it ("Гийом Фарель был учеником Лефевра")."""
    for s, e in names(text, a, b):
        if not set(tokenize(text[s:e])) & q.stems and not name_share(q.names, text[s:e]):
            continue
        start = s
        for m in reversed(list(_LETTERS.finditer(text[a:s]))[-_ROLE_WORDS:]):
            gap = text[a + m.end() : start]
            if gap.strip() or not tokenize(m.group()) or not m.group()[0].islower():
                break
            start = a + m.start()
        if start < s:
            return start, e
        after = _ROLE_AFTER.match(text, e, b)
        first = after.group("first").strip() if after else ""
        if not (
            after
            and tokenize(first)
            and (_INSTRUMENTAL.fullmatch(first) if after.group("ru") else not _PARTICIPLE.fullmatch(first))
        ):
            return None
        words = list(_LETTERS.finditer(text, after.start(), after.end()))
        while words and not tokenize(words[-1].group()):  # "the last Prime Minister of the": to "Minister"
            words.pop()
        return (s, words[-1].end()) if words else None
    return None


def _restates(names: frozenset[str], span: str) -> bool:
    """Is every word of the span one of the question's names (skeletons, any script)?"""
    # "" for "Анна", "Pat": too short to tell; a lone letter is no name ("машина Тьюринга M")
    keys = [skeleton(w) for w in WORD.findall(span) if tokenize(w) and len(w) > 1]
    return bool(keys) and all(k and any(same_name(k, n) for n in names) for k in keys)
