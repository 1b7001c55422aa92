from qa.lexical import (
    Lexical,
    cognate_keys,
    cognates,
    cyrillic,
    name_share,
    question_names,
    skeleton,
    tokenize,
)


def test_stems_each_word_in_its_own_language():
    assert tokenize("Предприятия модернизированы") == tokenize("предприятий модернизировано")
    assert tokenize("running bridges") == ["run", "bridg"]
    # Mixed scripts in one text: each word goes to its own stemmer; stop words drop out.
    assert tokenize("the мосты and bridges") == ["мост", "bridg"]


def test_yo_folds_to_ye():
    assert tokenize("ещё") == tokenize("еще")


def test_scores_rank_the_matching_text_first(tmp_path):
    lex = Lexical.build(["Мост через реку построили осенью.", "The museum holds paintings.", "Погода."])
    scores = lex.scores("Когда построили мост?")
    assert scores.argmax() == 0
    lex.save(tmp_path)
    again = Lexical.load(tmp_path)
    assert (again.scores("museum paintings") == lex.scores("museum paintings")).all()
    assert again.idf("мост") > 0
    assert not again.scores("слово которого нет").any()


def test_a_surname_has_one_stem_in_every_case():
    # Snowball stems "Бекенов" to бекен but "БЕКЕНОВА" to бекенов; both must meet.
    assert tokenize("Бекенов") == tokenize("БЕКЕНОВА") == tokenize("Бекенову")
    assert tokenize("Сапарбаев") == tokenize("САПАРБАЕВА")
    # Short stems ending in -ов are common words and keep it.
    assert tokenize("готовый") == ["готов"] and tokenize("слова") == ["слов"]


def test_cyrillic_script_is_recognised():
    assert cyrillic("Какой объём?") and cyrillic("Tesla и Эдисон") and not cyrillic("Tesla 1943")
    # names are often typed in the other script: the words in lower case say the language
    assert not cyrillic("Who is Бекенов?") and cyrillic("Кто такой Kairat Bekenov?")
    assert not cyrillic("The novel «Война и мир» was published in 1869.")
    assert cyrillic("БЕКЕНОВ") and not cyrillic("Industry 4.0") and not cyrillic("")
    # terms in English inside a Russian question: its function words say Russian
    assert cyrillic("Что такое machine learning?") and cyrillic("Сколько стоит iPhone 15 Pro Max?")


def test_names_and_borrowed_words_are_matched_across_scripts():
    assert skeleton("Bekenov") == skeleton("БЕКЕНОВА") and skeleton("Luther") == skeleton("Лютера")
    assert skeleton("Warsaw") == skeleton("Варшава")[:3] and skeleton("Ли") == ""  # too short to tell
    assert skeleton("Maizière") == skeleton("Мезьер") and skeleton("Lefèvre") == skeleton("Лефевр")  # accents
    names = question_names("Who is Kairat Bekenov?")
    assert name_share(names, "По данным Кайрата БЕКЕНОВА, ...") == 1.0
    assert name_share(names, "- отметил Бердыбек САПАРБАЕВ.") == 0.0
    asked = cognate_keys("How many plants were modernised?")
    assert cognates(asked, "в регионе модернизировано 10 предприятий") == 0.5  # "plants" is no cognate
    assert cognates(asked, "Сегодня идёт дождь.") == 0.0
