"""The verdict: whether the evidence answers the question at all, or "not found"."""

from qa.answer.evidence import Evidence, Sentence
from qa.answer.question import analyse
from qa.answer.verdict import found

MODEL = "multilingual-e5-small-q4"


def test_who_is_needs_the_name_in_the_quote():
    # An English "who is" on a Russian text has only the name to go by: a close cosine to a
    # sentence that never names the person is no answer.
    def ev(question: str, text: str) -> Evidence:
        sent = (Sentence(0, len(text), 1.0, 0, 0.0, 0.9),)
        return Evidence(analyse(question), sent, (0,), (0,), (text,), 0.9, True, 0.0)

    assert not found(ev("Who is Ivanov?", "Отчёт подготовил пресс-центр акимата области."), MODEL)
    assert found(
        ev("Who is Bekenov?", "По данным заместителя акима Кайрата БЕКЕНОВА, планы выполнены."), MODEL
    )


def test_across_scripts_the_cosine_needs_the_question_words_found():
    # An English question on Russian text: a cosine that the topic alone reaches is no answer
    # unless the passage holds the question's words (bilingual.shared).
    text = "Комбинат основан в 1943 году на месте посёлка."

    def ev(cosine: float, across: float) -> Evidence:
        sent = (Sentence(0, len(text), 1.0, 0, 0.0, cosine),)
        return Evidence(analyse("Why was the plant built?"), sent, (0,), (0,), (text,), cosine, True, across)

    assert not found(ev(0.78, 0.0), MODEL)
    assert found(ev(0.78, 0.3), MODEL)
    assert found(ev(0.83, 0.0), MODEL)


def test_a_date_asked_of_an_event_needs_the_event_named():
    # "Когда умер Хаттон?" is not answered by the year he published his theory: the passage must
    # name a death, in either language.
    def ev(question: str, text: str, cross: bool = False) -> Evidence:
        sent = (Sentence(0, len(text), 1.0, 0, 0.6, 0.95, typed=True),)
        return Evidence(analyse(question), sent, (0,), (0,), (text,), 0.95, cross, 0.5)

    published, died = (
        "Хаттон опубликовал свою теорию в 1785 году.",
        "Хаттон скончался в 1797 году в Эдинбурге.",
    )
    assert not found(ev("Когда умер Хаттон?", published), MODEL)
    assert found(ev("Когда умер Хаттон?", died), MODEL)
    assert not found(ev("When did Hutton die?", published, cross=True), MODEL)
    assert found(ev("When did Hutton die?", died, cross=True), MODEL)


def test_a_person_asked_of_an_event_needs_the_event_named():
    # "Who invented the Rankine cycle?" is not answered by the engineers of a passage that names no
    # invention.
    def ev(question: str, text: str) -> Evidence:
        sent = (Sentence(0, len(text), 1.0, 0, 0.6, 0.95, typed=True),)
        return Evidence(analyse(question), sent, (0,), (0,), (text,), 0.95, False, 0.0)

    improved = "William Rankine improved the steam engine with Charles Parsons."
    devised = "The cycle was devised by William Rankine in 1859."
    assert not found(ev("Who invented the Rankine cycle?", improved), MODEL)
    assert found(ev("Who invented the Rankine cycle?", devised), MODEL)


def test_a_year_asked_that_the_passage_never_names_is_another_time():
    def ev(text: str) -> Evidence:
        sent = (Sentence(0, len(text), 1.0, 0, 0.6, 0.95, typed=True),)
        return Evidence(
            analyse("С кем сотрудничал Тесла в 1886 году?"), sent, (0,), (0,), (text,), 0.95, False, 0.0
        )

    assert not found(ev("В 1888 году Тесла сотрудничал с Джорджем Вестингаузом."), MODEL)
    assert found(ev("В 1886 году Тесла сотрудничал с Робертом Лейном."), MODEL)
    assert found(
        ev("Тесла сотрудничал с Робертом Лейном и Бенджамином Вейлом."), MODEL
    )  # no year: no other time
