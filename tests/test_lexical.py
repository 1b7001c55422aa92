from qa.lexical import Lexical, cyrillic, tokenize


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
