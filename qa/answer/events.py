"""The events a question may ask a date, a place or a person of: a birth, a death, a founding,
an invention, a victory, a marriage, a burial. question.py notes the event asked; verdict.py
declines when the passage read names no such event (evidence.Evidence.event_missing)."""

from __future__ import annotations

import re

# The events a date or a place is asked of ("Когда умер Хаттон?", "Where was Luther buried?"): the
# words that ask one, and the wider ones that name it in a passage, both in either language and
# matched as written ("могила" and "мог", "род" and "рода" share their stems; "found" is also the
# past of "find"). No year is a death's, no town a burial place, unless the passage names the event.
# Nor is anyone a founder, an inventor or a winner unless it does ("Who invented the Rankine
# cycle?", "Кто основал Институт Упати?", bench/natural): asked of "who" too, with invention and
# victory added, the fitting part's natural absent declined ru .691 -> .702, en .547 -> .587,
# near-absent English on Russian .523 -> .538, Russian on English .417 -> .424, nothing else moved. "victor\w*" would
# name a victory in "Victoria". A marriage likewise ("В каком году Лютер женился?" is not answered by
# "Летом 1521 года Лютер расширил свою критику", user trial 12): natural absent declined ru .702 ->
# .713, nothing else moved. Ownership too ("Who owns the StubHub Center?") declined one more
# natural question but cost XQuAD answers (ru .957 -> .953 answered), and so did asking every
# question of its event (Russian nouns: "учреждение", "на основании", "после ... смерти").
_EVENTS = {
    "birth": (r"родил\w*|рожд[её]н\w*|рождени\w*|родом|born|birth\w*", r"уроженц\w*|уроженк\w*|native"),
    "death": (
        r"умер|умерл\w*|умира\w*|скончал\w*|смерт\w*|погиб\w*|die|died|dies|death|pass(?:ed)? away",
        r"кончин\w*|гибел\w*|убит\w*|уш[её]л из жизни|ушла из жизни|dead|killed|perished",
    ),
    "founding": (
        r"основа[нл]\w*|основани[еяю]|учрежд[её]н\w*|учредил\w*|founded|founding",
        r"основател\w*|созда[нлв]\w*|образован\w*|открыт\w*|открыл\w*|establish\w*|formed|formation|created"
        r"|creation|opened|set up|founder\w*",
    ),
    "invention": (
        r"изобр[её]\w*|придума\w*|invent\w*",
        r"разработ\w*|созда[нлв]\w*|сконструир\w*|патент\w*|developed|devised|designed|created|patent\w*",
    ),
    "victory": (
        r"выиграл\w*|победил\w*|побед\w*|won|win|wins|winner\w*",
        r"чемпион\w*|обыграл\w*|одолел\w*|champion\w*|defeated|beat|victory|victories|victorious",
    ),
    "marriage": (
        r"жени\w*|женат\w*|замуж\w*|marri\w*|wed|wedding",
        r"брак\w*|супруг\w*|венча\w*|wife|husband|spouse",
    ),
    "burial": (
        r"похорон\w*|захоронен\w*|погреб[её]н\w*|buried|burial",
        r"могил\w*|grave|graves|tomb\w*|interred",
    ),
}
_ASKS = {e: re.compile(rf"\b(?:{asks})\b", re.I) for e, (asks, _) in _EVENTS.items()}
_NAMES = {e: re.compile(rf"\b(?:{asks}|{names})\b", re.I) for e, (asks, names) in _EVENTS.items()}


def asked(question: str) -> str | None:
    """The event the question asks of, if any ("Когда умер Хаттон?": a death)."""
    return next((e for e, rx in _ASKS.items() if rx.search(question)), None)


def named(event: str, text: str) -> bool:
    """Does text name the event (a death: "умер", "скончался", "passed away", ...)?"""
    return bool(_NAMES[event].search(text))
