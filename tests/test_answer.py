import qa
from qa.answer import answer_text
from qa.chunking import sentences
from tests.conftest import assert_exact


def test_quotes_are_sentences_sliced_from_the_source(retriever):
    a = qa.Assistant(retriever).ask("Сколько книг хранится в новой библиотеке?")
    assert a.found
    # The answering sentence is short, so it comes with the neighbour that introduces it.
    assert a.quotes[0].text == "Весной в городе открыли новую библиотеку. В ней хранится сорок тысяч книг."
    assert a.quotes[0].source == "ru.txt"
    for q in a.quotes:
        assert_exact(q, retriever)
    assert "[1]" in a.text and "ru.txt, line 2, 2021-03-04" in a.text


def test_short_sentence_is_joined_with_its_neighbour(retriever):
    a = qa.Assistant(retriever).ask("How many paintings does the museum hold?")
    # "It holds twelve thousand paintings." is short; the sentence before gives it meaning.
    assert a.quotes[0].text == "The museum opened in 1999. It holds twelve thousand paintings."
    assert_exact(a.quotes[0], retriever)


def test_answer_text_format():
    q = qa.Quote("Текст.", "a.txt", 0, 6, 1, 1, 0.9, "2020-01-01")
    assert answer_text("Что?", [q]) == "> Текст. [1]\n\nИсточники:\n[1] a.txt, line 1, 2020-01-01"
    assert answer_text("What?", [q]).endswith("Sources:\n[1] a.txt, line 1, 2020-01-01")


def test_line_breaks_end_sentences():
    text = "date 2021-03-04\nПервое. Второе"
    assert [text[a:b] for a, b in sentences(text)] == ["date 2021-03-04", "Первое.", "Второе"]


def test_sentences_know_russian_abbreviations():
    text = "Сумма 6 млрд тенге, т.е. много. Второе предложение."
    assert [text[a:b] for a, b in sentences(text)] == [
        "Сумма 6 млрд тенге, т.е. много.",
        "Второе предложение.",
    ]


def _assistant(tmp_path, fake, files: dict[str, str]) -> qa.Assistant:
    seeds = tmp_path / "s"
    seeds.mkdir()
    for name, text in files.items():
        (seeds / name).write_text(text, encoding="utf-8")
    qa.build_index(seeds, tmp_path / "i", embedder=fake)
    return qa.Assistant(qa.Retriever.load(tmp_path / "i", embedder=fake))


def test_a_short_follow_up_leans_on_the_previous_question(tmp_path, fake):
    assistant = _assistant(
        tmp_path,
        fake,
        {
            "plant.txt": "В 2020 году завод выпустил сто тракторов.\n\nВ 2021 году завод выпустил полторы сотни тракторов.",
            "school.txt": "В следующем году в посёлке откроется новая школа.",
        },
    )
    assert assistant.ask("а в следующем году?").quotes[0].source == "school.txt"
    follow = assistant.ask("а в следующем году?", history=["Сколько тракторов выпустил завод в 2020 году?"])
    assert follow.quotes[0].source == "plant.txt"
    assert follow.question == "а в следующем году?"


def test_a_follow_up_s_own_words_weigh_more(tmp_path, fake):
    text = "В первом полугодии модернизировано 10 предприятий. До конца года модернизируют ещё 5 предприятий."
    assistant = _assistant(tmp_path, fake, {"plant.txt": text})
    ev = assistant.evidence("а до конца года?", ["Сколько предприятий модернизировано в первом полугодии?"])
    coverage = {ev.text(i)[:2]: s.coverage for i, s in enumerate(ev.sentences)}
    assert coverage["До"] > coverage["В "]  # both hold two of the four words; the follow-up asks two
