from qa.answer.overlap import coverage, exact, key, stems, translated


def test_a_name_is_covered_however_it_is_spelt_or_inflected():
    """User trials 9 and 10: "Дэниел Вудриф" is "Дениэла Вудрифа", "Патриотс" is "Пэтриотс"."""
    stems = {"дэниел": 1.0, "вудриф": 1.0}
    spelt = {"дэниел": "dnl", "вудриф": "vdrf"}
    s = "Корабль шёл под командованием капитана Дениэла Вудрифа."
    assert coverage(stems, s) == 0.5 < coverage(stems, s, spelt)  # "Вудрифа" stems alike


def test_a_stem_stands_for_the_measure_it_names():
    """The seed's "Какой объем инвестиций планируется?" finds "на общую сумму 400 млрд тенге"."""
    assert key("инвестиц") == key("сумм") != "инвестиц"
    assert key("инвестиц") in stems("на общую сумму 400 млрд тенге")
    assert key("процент") in stems("травматизм снизился на 5%")
    assert key("завод") == "завод"


def test_exact_counts_the_very_form_asked():
    words = {"модернизировано": 2.0, "предприятий": 1.0}
    assert exact(words, "модернизировано 10 предприятий") == 1.0
    assert exact(words, "будут модернизированы еще 10 предприятий") == 1 / 3


def test_translated_counts_the_words_found_in_the_other_language():
    bridge = {"salari": frozenset({"зарплат"}), "plant": frozenset({"завод"})}
    assert translated({"salari": 1.0, "plant": 3.0}, bridge, "Рабочие завода получили премию.") == 0.75
    assert translated({}, bridge, "Завод.") == 0.0


def test_a_number_in_words_is_found_as_digits_and_the_reverse():
    """User trial 11: "the two point conversion pass" is "a 2-point conversion"."""
    q = {key(s): 1.0 for s in ("two", "point", "convers")}
    assert coverage(q, "Manning completed a pass to Bennie Fowler for a 2-point conversion.") == 1.0
    assert (
        coverage({key("3"): 1.0}, "Он обыграл трёх защитников.")
        == coverage({key("трех"): 1.0}, "3 goals")
        == 1.0
    )
    assert key("one") == "one"  # a pronoun as often as a number
    assert key("сем") == "сем"  # "семья" (a family) is no seven
