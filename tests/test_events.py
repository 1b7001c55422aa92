"""The events a question asks of, and whether a passage names them."""

from qa.answer.events import asked, named


def test_an_event_is_asked_by_its_verb():
    assert asked("Когда умер Хаттон?") == "death"
    assert asked("Who invented the Rankine cycle?") == "invention"
    assert asked("Где жил Тесла?") is None  # no event of a known kind
    assert asked("In what country can the rainforest be found?") is None  # "found" of "find"


def test_an_event_is_named_in_other_words_and_common_words_name_none():
    assert named("death", "Тесла ушёл из жизни 7 января 1943 года.")
    assert named("founding", "Venom was formed in Newcastle in 1979.")
    assert named("founding", "Рынок Грейнджера был открыт в 1835 году.")
    assert not named("burial", "Суд решил, что он не мог заявлять об этом.")  # "мог", not "могила"
    assert not named("birth", "Он из рода Рюриковичей.")  # "рода", not "родился"
    assert named("invention", "The indicator was developed by Charles Richard.")
    assert named("victory", "The Broncos defeated the Panthers 24–10.")
    assert not named("victory", "Victoria has a written constitution.")  # a name, not a victory
