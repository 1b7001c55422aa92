from qa.answer.kinds import candidates
from qa.answer.question import DATE, NUMBER, analyse
from qa.answer.spans import answer_span, fits, typed

TEXT = (
    "Tesla died on 7 January 1943. In 1348–50 over 60% of Norway's population died. "
    "В регионе модернизировано 10 предприятий на общую сумму 6 млрд тенге. "
    "Его длина составила триста метров, а бюджет — $230,000."
)


def holds(question: str, text: str) -> bool:
    """Does the whole text hold a span that could answer the question?"""
    return typed(analyse(question), text, 0, len(text))


def test_the_span_nearest_the_question_words_answers():
    q = analyse("Сколько предприятий модернизировано?")
    a = TEXT.index("В регионе")
    b = TEXT.index("Его длина")
    assert TEXT[slice(*answer_span(q, TEXT, a, b))] == "10 предприятий"
    q = analyse("На какую сумму модернизированы предприятия?")
    assert TEXT[slice(*answer_span(q, TEXT, a, b))] == "6 млрд тенге"


def test_a_number_that_restates_the_question_or_measures_something_else_does_not_answer():
    text = "В 2020 году бюджет города составил 300 млн рублей на 12 месяцев."
    s = "В зоопарке живут три жирафа."
    assert s[slice(*answer_span(analyse("Сколько жирафов в зоопарке?"), s, 0, len(s)))] == "три жирафа"
    people = analyse("Сколько человек живёт в городе в 2020 году?")
    assert not typed(people, text, 0, len(text))  # 2020 restates; roubles and months are no people
    assert holds("Каков бюджет города?", text)


def test_how_many_counts_things_and_signs_name_their_measure():
    assert analyse("Сколько предприятий модернизировано?").count
    assert analyse("How many plants were modernised?").count
    assert not analyse("Во сколько обошлась модернизация?").count  # how much, not how many
    assert not analyse("Сколько стоит билет?").count
    s = "Производительность выросла на 9%, модернизировано 10 предприятий."
    assert (
        s[slice(*answer_span(analyse("How many plants were modernised?"), s, 0, len(s)))] == "10 предприятий"
    )
    # "per year" is a rate: the question asks for money, not a duration
    assert analyse("How much are the channels paid per year?").measure is None
    t = "The agreements include fees of £30m for the channels."
    assert t[slice(*answer_span(analyse("How much are the channels paid per year?"), t, 0, len(t)))] == "£30m"


def test_multiplicative_number_words_count():
    s = "Шестикратный обладатель Грэмми Леди Гага исполнила гимн."
    assert s[slice(*answer_span(analyse("Сколько премий Грэмми у Леди Гаги?"), s, 0, len(s)))].startswith(
        "Шестикратный"
    )
    t = "Six-time Grammy winner Lady Gaga performed the anthem."
    assert t[slice(*answer_span(analyse("How many Grammys has Lady Gaga won?"), t, 0, len(t)))] == "Six-time"


def test_a_range_is_one_number():
    s = "производительность выросла с 9 до 9,8 тысячи долларов США"
    assert [s[a:b] for a, b in candidates(NUMBER, s)] == ["9 до 9,8 тысячи долларов США"]


def test_the_span_nearest_the_question_words_after_them():
    # distance from the end of "enacted", not its start; the number word beats a farther digit
    s = "Victoria has a written constitution enacted in 1975, but based on the 1855 colonial constitution."
    assert (
        s[slice(*answer_span(analyse("When did Victoria enact its constitution?"), s, 0, len(s)))] == "1975"
    )
    t = "Denver's offense was kept out of the end zone for three plays, giving Denver a 24–10 lead."
    q = analyse("How many plays was Denver kept out of the end zone?")
    assert t[slice(*answer_span(q, t, 0, len(t)))] == "three plays"
    u = "Налог снизили на 5%, а пошлины на 7%."
    assert u[slice(*answer_span(analyse("На сколько снизили налог?"), u, 0, len(u)))] == "5%"
    v = "Модернизация позволила повысить выработку на 9% и снизить риск травм на 5%."
    assert v[slice(*answer_span(analyse("На сколько снизился риск травм?"), v, 0, len(v)))] == "5%"


def test_no_span_when_nothing_tells_two_apart():
    s = "He was born in 1856 and in 1884 he emigrated."
    assert answer_span(analyse("When did Tesla travel overseas?"), s, 0, len(s)) is None  # no word in common
    t = "Он родился в 1856 году, а в 1884 году переехал в США."
    assert t[slice(*answer_span(analyse("When did he move to America?"), t, 0, len(t)))] == "1884 году"
    one = "В 1884 году он переехал в США."
    assert one[slice(*answer_span(analyse("When did he move to America?"), one, 0, len(one)))] == "1884 году"


def test_a_question_word_inside_two_spans_leaves_the_words_outside_to_decide():
    # "году" is in both dates and "тракторов" in both counts: "открыли" and "выпустил" pick one
    s = "Рынок открыли в 2015 году, а в 2018 году его расширили."
    assert s[slice(*answer_span(analyse("В каком году открыли рынок?"), s, 0, len(s)))] == "2015 году"
    t = "Завод выпустил 100 тракторов, а сосед 80 тракторов."
    assert (
        t[slice(*answer_span(analyse("Сколько тракторов выпустил завод?"), t, 0, len(t)))] == "100 тракторов"
    )
    u = "Apples: 5, apples: five."
    assert u[slice(*answer_span(analyse("How many apples?"), u, 0, len(u)))] == "5"  # digits first


def test_a_time_of_day_answers_when():
    s = "With 4:51 left in regulation, Carolina got the ball on their own 24-yard line."
    assert holds("When did Carolina get the ball on their 24-yard line?", s)
    assert [s[a:b] for a, b in candidates(DATE, s)] == ["4:51"]
    t = "The doors opened at 4:51pm, not at 99:99."
    assert [t[a:b] for a, b in candidates(DATE, t)] == ["4:51pm"]


def test_a_time_relative_to_now_answers_when():
    s = "До конца этого года будут модернизированы еще не менее 10 предприятий."
    assert holds("Когда закончат модернизацию следующих предприятий?", s)
    t = "The plant will close by the end of next year, and two more in the coming five years."
    assert [t[a:b] for a, b in candidates(DATE, t)] == ["by the end of next year", "in the coming five years"]


def test_a_time_ahead_of_now_answers_no_question_about_the_past():
    s = "Стадион примет финал кубка страны в следующем году."
    assert not holds("Когда был построен стадион?", s)
    assert holds("Когда стадион примет финал?", s)
    t = "Стадион построен в прошлом году."
    assert holds("Когда был построен стадион?", t)


def test_a_year_is_no_count_with_or_without_its_word():
    s = "Зелёные впервые получили места в парламенте в 2014 году."
    assert not holds("Сколько мест у зелёных в парламенте?", s)


def test_years_are_no_count_but_say_how_long():
    s = "В 1038–40 гг норманны воевали на Сицилии."
    assert not holds("Сколько норманнов воевало на Сицилии?", s)
    t = "Летний театр работал с 1870 по 1939 гг."
    assert (
        t[slice(*answer_span(analyse("How long was the Summer Theatre in operation?"), t, 0, len(t)))]
        == "1939 гг"
    )


def test_a_figure_dated_long_ago_answers_nothing_about_now():
    q = analyse("Сколько сейчас жителей в Варшаве?")
    old = "Согласно переписи 1901 года, в Варшаве было 711 988 жителей."
    assert q.now and not typed(q, old, 0, len(old))
    assert holds("Сколько жителей было в Варшаве?", old)
    new = "По переписи 1901 года в Варшаве было 711 988 жителей, а в 2014 году 1 735 442 жителя."
    assert typed(q, new, 0, len(new))
    en = "Roughly 500,000 Huguenots had fled France by the early 18th century."
    assert not holds("How many Huguenots live in France today?", en)
    for question, text in [  # a number like a year, a present century
        ("Сколько сотрудников сейчас работает на заводе?", "На заводе работает 1800 сотрудников."),
        (
            "How many Protestants live in France now?",
            "In the 21st century one million Protestants live there.",
        ),
    ]:
        assert holds(question, text)
    for question in ["How many Normans settled in what is now Italy?", "Now, how many lived there in 1901?"]:
        assert not analyse(question).now


def test_pounds_are_a_sum_or_a_weight():
    steam, fee = "около 4 кг (8,8 фунтов) пара на кВт", "The contract cost 30 million pounds."
    assert not holds("Сколько стоит паровой двигатель?", steam)
    assert holds("How many pounds of steam does it use?", steam)
    assert holds("How much did the contract cost?", fee)
    rights = "BSkyB paid £1.3bn for the rights."
    assert holds("How many pounds did BSkyB pay for the rights?", rights)


def test_one_of_many_is_no_count():
    s = "Одной из причин беспокойства являются нападения на учителей в школах Уэльса."
    assert not holds("Сколько учителей работает в Уэльсе?", s)
    t = "Телесные наказания были одной из самых распространенных форм дисциплины."
    assert holds("Насколько были распространены телесные наказания?", t)


def test_a_currency_code_is_the_unit_of_its_number():
    s = "The ticket cost 100 EUR."
    assert s[slice(*answer_span(analyse("How much did the ticket cost?"), s, 0, len(s)))] == "100 EUR"
    t = "In 2018 GW Pharmaceuticals treated 120 patients; the plant gives 50 MW."
    assert [t[a:b] for a, b in candidates(NUMBER, t)] == ["2018", "120 patients", "50 MW"]  # a name, no unit


def test_a_year_like_number_with_a_unit_counts():
    s = "In nuclear power applications the turbines run at 1800 RPM."
    q = analyse("At what speed do nuclear turbines run?")
    assert s[slice(*answer_span(q, s, 0, len(s)))] == "1800 RPM"


def test_a_follow_up_is_answered_nearest_its_own_words():
    s = "There are 1.4 million elementary school teachers and 674,000 middle school teachers."
    first = "How many elementary school teachers are there?"
    assert s[slice(*answer_span(analyse(first), s, 0, len(s)))] == "1.4 million elementary"
    assert s[slice(*answer_span(analyse("and middle school?", first), s, 0, len(s)))] == "674,000 middle"


def test_a_month_is_a_whole_word():
    s = "The Mayor of Marchington opened it with Augustine Junes."
    assert candidates(DATE, s) == []
    t = "Мартина Лютера встретил майор у маяка."
    assert candidates(DATE, t) == []


def test_across_scripts_the_translated_question_words_place_the_answer():
    s = "Зарплата рабочих составляет 200 тысяч тенге, а новый цех обошёлся в 5 млрд тенге."
    q = analyse("What is the salary of the workers?")
    assert s[slice(*answer_span(q, s, 0, len(s)))] == "200 тысяч тенге"


def test_how_many_people_is_not_answered_by_a_count_of_other_things():
    q = analyse("How many people live in the region?")
    for span, ok in [
        ("10 предприятий", False),
        ("50 странах", False),
        ("three companies", False),  # in words too
        ("две трети", True),  # a share of them
        ("десять предприятий", False),
        ("402 people", True),
        ("5 million", True),
    ]:
        assert fits(q, span, 0, len(span)) is ok, span
    # what it counts may be a name the number's span leaves out (user trial 9)
    s = "Southern California consists of one Combined Statistical Area and eight Statistical Areas."
    assert not holds("How many people live in Southern California?", s)
    assert holds("How many people were naturalised?", "The act naturalised the 148 Huguenot refugees.")


def test_a_time_or_a_duration_counts_no_things():
    """User trial 9: "в десяти минутах ходьбы" answered how many seats the stadium has."""
    s = "Стадион находится в десяти минутах ходьбы от центра."
    assert not holds("How many seats does the stadium have?", s)
    assert not holds("Сколько мест на стадионе?", "Стадион строили 5 лет.")
    assert holds("How many seconds were left?", "It ended with 17 seconds left.")


def test_a_weight_a_length_or_an_area_is_said_with_its_unit():
    """User trial 9: "одного или нескольких роторов" answered how much a steam turbine weighs."""
    assert not holds("Сколько весит паровая турбина?", "Турбина состоит из одного или нескольких роторов.")
    assert holds("Сколько весит паровая турбина?", "Турбина весит 12 тонн.")
    assert not holds("Какая площадь Южной Калифорнии?", "В регионе 8 городов и 5 округов.")
    assert holds("What is the area of the park?", "The park covers 120 hectares.")
    assert not holds("How tall is the tower?", "The tower has 3 floors.")
    assert holds("How tall is the tower?", "The tower is 324 m high.")
    assert holds("Сколько фонтанов на площади?", "На площади 5 фонтанов.")  # a square, no area asked


def test_a_share_is_said_with_its_sign_or_word():
    """User trial 11: "50 странах" answered what share of exports goes to China."""
    sent = "Экспорт продукции, которая сегодня поставляется в 50 странах мира, вырастет."
    assert not holds("What share of Aktobe's exports goes to China?", sent)
    assert not holds("На сколько процентов вырастет выпуск продукции?", sent)
    assert holds("На сколько процентов вырастет выпуск продукции?", "Выпуск вырастет на 12%.")
    assert holds("What percentage of the inhabitants were Catholics?", "56.2 per cent were Catholics.")
    half = "The Amazon represents over half of the planet's remaining rainforests."
    assert holds("What percentage of the rainforests does the Amazon represent?", half)
    assert answer_span(analyse("What share of them is in the Amazon?"), half, 0, len(half)) == (27, 31)
    assert holds("Какую долю лесов составляет Амазония?", "Амазония содержит более половины лесов.")
    assert not holds("How many points were scored?", "Denver led in the third quarter.")


def test_today_is_no_answer_to_when_something_was_done():
    s = "Today, the Warsaw Stock Exchange is the largest market in the region."
    assert not holds("When did the Warsaw Stock Exchange reopen?", s)
    assert holds("When does the exchange open?", "The exchange opens today.")


def test_the_unit_counted_is_the_measure_asked():
    """Found by their loss on the held-back part: "In the year 2000 how many square kilometres ..."
    took the year's duration for its measure, and gigatons were no mass."""
    q = "In the year 2000 how many square kilometres of the forest had been lost?"
    assert holds(q, "It lost 415,000 to 587,000 square kilometres.")
    assert holds("How many tons of carbon does it absorb?", "It absorbs 1.5 gigatons of carbon dioxide.")
    # a count of units is answered in any unit (user trial 10: "На сколько метров Уард вернул мяч?")
    assert holds("На сколько метров Уард вернул мяч?", "Уард вернул мяч на пять ярдов.")
    assert holds("На линии скольких ярдов начинала Каролина?", "Каролина начинала с 24-ярдовой линии.")
