"""What a number measures (measures.py): the words and units that name each measure."""

import pytest

from qa.answer.measures import AREA, LENGTH, MASS, MONEY, PEOPLE, SHARE, asked_measure, kin, measure_of


@pytest.mark.parametrize(
    ("text", "measure"),
    [
        ("162 584 mln EUR", MONEY),
        ("1,2 тыс. руб.", MONEY),
        ("30 миллионов фунтов стерлингов", MONEY),
        ("10 тыс. человек", PEOPLE),
        ("9%", SHARE),
        ("4 kg", MASS),
        ("1,5 гигатонн", MASS),  # a prefix is still the unit
        ("1.5 gigatons", MASS),
        ("324 m", LENGTH),
        ("1,600 mm", LENGTH),
        ("пять ярдов", LENGTH),  # user trial 10: a distance in yards was no length
        ("40 centimetres", LENGTH),
        ("12 футов", LENGTH),
        ("415,000 square kilometres", AREA),  # square first: an area, not a length
        ("10 км²", AREA),
        ("120 hectares", AREA),
        ("374 компаниями", None),
        ("5 метрополитенских ареалов", None),  # "метр" is a whole word
    ],
)
def test_the_measure_a_unit_names(text, measure):
    assert measure_of(text) == measure


def test_a_quantity_is_asked_by_the_word_that_asks_it():
    assert asked_measure("Сколько весит паровая турбина?") == MASS
    assert asked_measure("How much does the engine weigh?") == MASS
    assert asked_measure("Какая площадь Южной Калифорнии?") == AREA
    assert (
        asked_measure("How tall is the tower?")
        == LENGTH
        == asked_measure("Какова общая протяжённость дорог?")
    )
    assert asked_measure("Сколько фонтанов на площади?") is None  # a square counted in, no area asked
    assert asked_measure("How high was unemployment?") is None  # a rate, perhaps


def test_words_that_name_a_measure_in_other_words():
    assert kin("сумм") == MONEY == kin("invest")
    assert kin("населен") == PEOPLE
