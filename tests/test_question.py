"""What a question asks for: its kind, the measure, the attribute."""

import pytest

from qa.answer.measures import MONEY, PAY, PEOPLE, kin
from qa.answer.question import DATE, NUMBER, PERSON, analyse


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Сколько предприятий модернизировано?", NUMBER),
        ("В скольких странах продают продукцию?", NUMBER),
        ("How old was Manning when he played Super Bowl 50?", NUMBER),  # the first question word decides
        ("Какая зарплата у рабочих завода?", NUMBER),  # a number asked for by what it measures
        ("What was Tesla's salary at Edison's company?", NUMBER),  # past a possessive
        ("When did Tesla die?", DATE),
        ("В каком году открыли рынок?", DATE),
        ("Кто подвёл итоги совещания?", PERSON),
        ("Who illustrated Luther's Bible?", PERSON),
        ("Which language was the note written in?", None),
        ("Сократили ли кого-нибудь?", None),  # someone, not "who"
        ("Был ли завод когда-нибудь закрыт?", None),
        ("What power does the Senate have?", None),
        ("What temperature does the turbine run at?", NUMBER),  # a measured quantity
        ("Какой скорости достигает поезд?", NUMBER),
        ("How hot does the firebox get?", NUMBER),  # user trial 9: answered on topic alone
        ("Какова общая протяжённость железных дорог?", NUMBER),
        ("What is the temperature of the condenser?", NUMBER),
        ("В какой год открыли мост?", DATE),
        ("What was the Costa v ENEL dispute about?", None),  # a name, not "cost"
        ("Какова ценность этой находки?", None),  # worth, not a price
        ("Где Каролина получила мяч, когда до конца оставалось 4:51?", None),  # a clause, not the question
        ("What does a Turing machine output, when it halts?", None),
        ("А когда открыли мост?", DATE),
    ],
)
def test_question_kinds(question, kind):
    assert analyse(question).kind == kind


def test_a_person_asked_for_in_lower_case_is_named():
    assert analyse("кто такой бекенов").names == analyse("Кто такой Бекенов?").names != frozenset()
    assert analyse("what is photosynthesis").names == frozenset()  # a thing, perhaps no name
    assert analyse("Кто такие гребневики?").names == frozenset()  # a kind of animal


def test_definitions_and_measures():
    assert analyse("Кто такой Бекенов?").define and analyse("What is Internet2?").define
    assert not analyse("What is the population of Melbourne?").define
    assert not analyse("Who was Luther's wife?").define
    assert analyse("Сколько человек живёт в области?").measure == PEOPLE
    assert (
        analyse("How many workers does the plant have?").measure
        == PEOPLE
        == analyse("Сколько сотрудников?").measure
    )
    assert analyse("How much did the tickets cost?").measure == MONEY
    assert analyse("Сколько денег вложат в модернизацию за пять лет?").measure == MONEY  # not the years
    assert analyse("How much money was spent?").measure == MONEY
    assert analyse("How many points did Newton earn?").measure is None  # one earns more than money
    assert kin(analyse("Сколько зарабатывает учитель?").attribute) == PAY  # what is paid, asked by its verb
    assert analyse("How many euros is the company worth?").measure == MONEY
    assert analyse("Сколько стоила программа «Аполлон»?").measure == MONEY  # a cost, not the "сто" of it
    assert analyse("How many times did Aladdin rub the lamp?").measure is None
    assert analyse("How many pounds did BSkyB pay?").measure is None  # pounds: a sum or a weight


@pytest.mark.parametrize(
    ("question", "attribute"),
    [
        ("Сколько детей было у Теслы?", "дет"),
        ("Сколько различных команд довёл до финала Мэннинг?", "команд"),  # past the adjective
        ("Кто директор Актюбинского завода ферросплавов?", "директор"),
        ("Кто был первым председателем биржи?", "председател"),
        ("Кто сейчас директор завода?", "директор"),  # "now" is no role
        ("Who is the CEO of BSkyB?", "ceo"),
        ("Who was Martin Luther's wife?", "wife"),  # asked of Luther, no definition of him
        ("Кто главный тренер команды?", "тренер"),  # past the adjective
        ("Who is the best coach of the Panthers?", "coach"),
        ("Кто изобрёл паровую турбину?", None),  # a verb
        ("Сколько лет прожил Тесла?", None),  # a measure is checked as one
        ("Who invented the steam turbine?", None),
        ("How many Huguenots left France?", None),  # a name is the topic
        ("How many people live in Melbourne?", None),  # a measure is checked as one
        ("Кто такой Бекенов?", None),
        ("What is the salary of the workers?", "salari"),  # a measure named by what is paid
        ("Какой средний доход у жителей?", "доход"),
        ("Какова численность населения Варшавы?", None),  # a population is any count of people
        ("Какова доходность облигаций?", None),  # a yield, not an income
        ("На сколько мест рассчитан стадион?", "мест"),  # a count of seats
        ("What was the price of a ticket?", None),  # a price is any sum of money
        ("на сколько выросла производительность", None),  # by how much: the verb names no attribute
    ],
)
def test_the_attribute_asked_for(question, attribute):
    assert analyse(question).attribute == attribute


@pytest.mark.parametrize(
    ("question", "event"),
    [
        ("Когда умер Хаттон?", "death"),
        ("When did he pass away?", "death"),
        ("When was the plant founded?", "founding"),
        ("Когда была основана группа?", "founding"),
        ("When was the committee established?", None),  # any beginning: too broad to ask one
        ("Где похоронен Лютер?", "burial"),  # a place asked of an event
        ("Where was Luther buried?", "burial"),
        ("Откуда родом Тесла?", "birth"),
        ("В каком городе родился Тесла?", "birth"),
        ("In what country can the rainforest be found?", None),  # "found" of "find"
        ("Where did Tesla live?", None),
        ("Когда приехал Тесла?", None),  # no event of a known kind
        ("Какая основа метода?", None),  # a basis, and no "when" or "where"
        ("Who invented the Rankine cycle?", "invention"),  # a person asked of an event
        ("Кто основал институт?", "founding"),
        ("who won the 2014 state election", "victory"),
        ("В каком году Лютер женился?", "marriage"),
        ("Какое учреждение это заявило?", None),  # an institution: no "when", "where" nor "who"
    ],
)
def test_the_event_a_date_place_or_person_is_asked_of(question, event):
    assert analyse(question).event == event


def test_a_measured_attribute_is_no_definition():
    q = analyse("What was Warsaw's population in 1901?")
    assert (q.kind, q.define, q.measure) == (NUMBER, False, PEOPLE)


def test_a_follow_up_keeps_the_last_measure_unless_it_names_its_own():
    assert analyse("а в 2020 году?", "Сколько человек живёт в городе?").measure == PEOPLE
    # "of them, how many children": 120 детей, not the 5000 человек that PEOPLE would prefer
    assert analyse("а сколько из них детей?", "Сколько человек живёт в городе?").measure is None
    assert analyse("how many convicts?", "How many people were in the settlement?").measure is None
    assert analyse("а до конца года?", "Сколько предприятий модернизировано?").measure is None  # a time frame


def test_a_follow_up_s_own_words_are_kept_apart():
    q = analyse("and in nuclear plants?", "What RPM do turbines run at in Europe?")
    assert q.own == {"nuclear", "plant"} and {"turbin", "europ"} <= q.stems
    assert analyse("What RPM do turbines run at?").own == frozenset()


def test_colloquial_and_inflected_question_words_ask_a_number():
    assert analyse("скока лет было Мэннингу когда он играл").kind == NUMBER
    assert analyse("С каким счётом Бронкос обыграли Стилерс?").kind == NUMBER
    q = analyse("а сколько из них каторжников?", "Сколько человек было в первом поселении?")
    assert (q.attribute, q.measure, q.count) == ("каторжник", None, True)


def test_a_follow_up_with_its_own_question_word_asks_its_own_kind():
    assert analyse("а где он жил?", "Когда умер Тесла?").kind is None
    assert analyse("what about Northumbria?", "When did Newcastle University open?").kind == DATE
    assert analyse("а как насчёт Форда?", "Когда закрылся завод Холден?").kind == DATE
    assert analyse("а что с экспортом?", "Насколько вырос импорт?").kind == NUMBER
    first = "Сколько предприятий модернизировано в 2020 году?"
    for same in (
        "а что в 2021 году?",
        "а как в 2021 году?",
        "а как-то иначе?",
        "and the plant which opened in 2021?",
    ):
        assert analyse(same, first).kind == NUMBER, same


def test_a_quantity_word_after_kakoy_is_a_whole_word():
    assert analyse("Какой вес у турбины?").kind == NUMBER
    for q in (
        "В каком весеннем месяце родился Пушкин?",
        "На каких должностях он работал?",
        "Каким долотом бурили?",
    ):
        assert analyse(q).kind is None, q


def test_a_follow_up_that_says_no_tense_asks_in_its_previous_question_s():
    """User trial 9: "а на какую сумму?" after a question about what was done took the plan's sum."""
    previous = "Сколько предприятий модернизировали в области?"
    assert analyse("Сколько предприятий модернизировали?").past
    assert not analyse("а на какую сумму?").past
    assert analyse("а на какую сумму?", previous).past
    assert not analyse("а до конца года?", previous).past  # a time of its own
    assert not analyse("а сколько будет модернизировано?", previous).past
