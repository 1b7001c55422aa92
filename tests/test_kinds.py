"""What an answer of each kind looks like (kinds.py): dates, numbers with their unit, names."""

from qa.answer.kinds import candidates
from qa.answer.question import DATE, NUMBER, PERSON

TEXT = (
    "Tesla died on 7 January 1943. In 1348–50 over 60% of Norway's population died. "
    "В регионе модернизировано 10 предприятий на общую сумму 6 млрд тенге. "
    "Его длина составила триста метров, а бюджет — $230,000."
)


def test_candidates_of_each_kind():
    assert [TEXT[a:b] for a, b in candidates(DATE, TEXT)] == ["7 January 1943", "1348–50"]
    s = "Весной в городе открыли библиотеку, а in spring 2021 the museum."
    assert [s[a:b] for a, b in candidates(DATE, s)] == ["Весной", "spring", "2021"]
    numbers = [TEXT[a:b] for a, b in candidates(NUMBER, TEXT)]
    assert {"10 предприятий", "6 млрд тенге", "триста метров", "$230,000", "60%"} <= set(numbers)
    # A lone capitalised word opening a sentence ("Soon") is not taken for a name.
    s = "Soon after, Tesla met Thomas Edison."
    assert [s[a:b] for a, b in candidates(PERSON, s)] == ["Tesla", "Thomas Edison"]


def test_a_day_before_its_month_is_no_number():
    t = "On May 12, 1705 the assembly naturalised 148 settlers."
    assert [t[a:b] for a, b in candidates(NUMBER, t)] == ["1705", "148 settlers"]
    s = "12 мая 1705 года ассамблея натурализовала 148 гугенотов; 7 January brought 12 more."
    assert [s[a:b] for a, b in candidates(NUMBER, s)] == ["148 гугенотов", "12"]


def test_pounds_take_their_sterling():
    s = "Контракт в размере 30 миллионов фунтов стерлингов; около 4 кг (8,8 фунтов) пара."
    assert [s[a:b] for a, b in candidates(NUMBER, s)] == [
        "30 миллионов фунтов стерлингов",
        "4 кг",
        "8,8 фунтов",
    ]


def test_a_season_that_opens_a_name_is_no_date():
    """User trial 9: "the Summer Theatre" was marked as when the Saxon Garden was laid out."""
    s = "The Summer Theatre opened in summer 1870."
    assert [s[a:b] for a, b in candidates(DATE, s)] == ["summer", "1870"]


def test_digits_glued_to_letters_are_no_number():
    """User trial 9: the typo "Лос0Анджелес" answered how many passengers the airport serves."""
    s = "Аэропорт Лос0Анджелес и A380 принимают 500 пассажиров."
    assert [s[a:b] for a, b in candidates(NUMBER, s)] == ["500 пассажиров"]
    # or to a capital after them (user trial 10: "Astra 2A" answered a speed)
    t = "Astra 2A and the 747B carry 5 channels and 10m cables."
    assert [t[a:b] for a, b in candidates(NUMBER, t)] == ["5 channels", "10m cables"]
