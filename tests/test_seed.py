"""The real default model on the real seed article: the issue's own acceptance checks."""

import re
from pathlib import Path

import numpy as np
import pytest

import qa
from tests.conftest import ROOT, SEED, assert_exact

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def seed_retriever(seed_index):
    return qa.Retriever.load(seed_index)


def test_russian_question_quotes_10_enterprises(seed_retriever):
    a = qa.Assistant(seed_retriever).ask("Сколько предприятий модернизировано в первом полугодии?")
    assert a.found
    q = a.quotes[0]
    assert "10 предприятий" in q.text and q.source == SEED.name and q.date == "2017-08-08"
    assert SEED.read_text(encoding="utf-8")[q.start : q.end] == q.text
    assert len(q.text) <= 300


def test_english_question_finds_the_russian_answer(seed_retriever):
    a = qa.Assistant(seed_retriever).ask(
        "How many enterprises were modernized in the first half of the year?"
    )
    assert a.found and "10 предприятий" in a.quotes[0].text
    for q in a.quotes:
        assert_exact(q, seed_retriever)


def test_every_quote_and_hit_is_exact(seed_retriever):
    for question in [
        "На сколько выросла производительность труда?",
        "Кто такой Бердыбек Сапарбаев?",
        "What will the region modernize in the next five years?",
    ]:
        for h in seed_retriever.search(question, k=5):
            assert_exact(h, seed_retriever)
        for q in qa.Assistant(seed_retriever).ask(question).quotes:
            assert_exact(q, seed_retriever)


def test_default_model_is_multilingual_and_uses_e5_prompts():
    e = qa.load_embedder()
    assert (e.name, e.dim) == ("multilingual-e5-small-q4", 384)
    q = e.embed_queries(["Сколько предприятий модернизировано?"])[0]
    docs = e.embed_documents(["В первом полугодии модернизировано 10 предприятий.", "Сегодня идёт дождь."])
    assert docs[0] @ q > docs[1] @ q
    assert abs(np.linalg.norm(q) - 1) < 1e-4
    # query and passage prompts give different vectors for the same text
    assert not np.allclose(e.embed_queries(["текст"])[0], e.embed_documents(["текст"])[0])


def test_bundled_minilm_loads_offline():
    e = qa.load_embedder("all-MiniLM-L6-v2")
    v = e.embed_queries(["a bridge over the river"])
    assert v.shape == (1, 384)


def test_readme_quickstart_runs(tmp_path, monkeypatch):
    code = re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S).group(1)
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / SEED.name).write_bytes(SEED.read_bytes())
    monkeypatch.chdir(tmp_path)
    env: dict = {}
    exec(compile(code, "README.md", "exec"), env)
    assert env["report"].documents == 1 and Path("index/CURRENT").is_file()
    assert env["answer"].found and "10 предприятий" in env["answer"].quotes[0].text
    assert env["hits"][0].source == SEED.name


def test_dateline_and_photo_credit_are_segments_of_their_own(seed_retriever):
    st = seed_retriever.stored
    text = SEED.read_text(encoding="utf-8")
    first = [text[a:b] for a, b in (st.sentence_spans[j] for j in st.sentences_of(0))][:3]
    assert first[0] == "date 2017-08-08"
    assert first[1] == "Фото предоставлено пресс-службой акимата Актюбинской области"
    assert first[2].startswith("По данным заместителя акима области Кайрата БЕКЕНОВА")
    for question in ["Сколько предприятий модернизировано?", "Кто такой Бекенов?"]:
        q = qa.Assistant(seed_retriever).ask(question).quotes[0]
        assert not q.text.startswith(("date", "Фото")) and q.date == "2017-08-08"
    # unless the credit is what is asked (user trial 10)
    a = qa.Assistant(seed_retriever).ask("Кто предоставил фото?")
    assert a.found and a.quotes[0].text.startswith("Фото предоставлено пресс-службой")
    # and the dateline, when the question asks when the text came out (user trial 11)
    for question in ["Когда опубликована эта статья?", "When was this article published?"]:
        q = qa.Assistant(seed_retriever).ask(question).quotes[0]
        assert q.text.startswith("date 2017-08-08") and text[q.answer_start : q.answer_end] == "2017-08-08"


def test_the_answer_is_marked_inside_the_quote(seed_retriever):
    text = SEED.read_text(encoding="utf-8")
    q = qa.Assistant(seed_retriever).ask("Сколько предприятий модернизировано в первом полугодии?").quotes[0]
    assert q.start <= q.answer_start < q.answer_end <= q.end
    assert text[q.answer_start : q.answer_end] == "10 предприятий"
    q = qa.Assistant(seed_retriever).ask("Кто такой Бекенов?").quotes[0]
    assert q.text.startswith("По данным заместителя акима области Кайрата БЕКЕНОВА")
    assert text[q.answer_start : q.answer_end] == "заместителя акима области Кайрата БЕКЕНОВА"


def test_questions_from_the_issue(seed_retriever):
    assistant = qa.Assistant(seed_retriever)
    # "модернизировано 10 предприятий" (done), not "будут модернизированы еще не менее 10" (to come)
    for question in ["Сколько предприятий модернизировано?", "How many plants were modernised?"]:
        a = assistant.ask(question)
        assert a.found and "модернизировано 10 предприятий" in a.quotes[0].text, question
    # "на общую сумму 400 млрд тенге": in English the sum is found by the measure "invested" names
    for question in ["Какой объем инвестиций планируется?", "How much will be invested?"]:
        q = assistant.ask(question).quotes[0]
        assert q.text[q.answer_start - q.start : q.answer_end - q.start] == "400 млрд тенге", question
    for question in [
        "Кто такой Бекенов?",
        "Who is Kairat Bekenov?",
        "Who is Bekenov?",
        "Who is Бекенов?",
        "who is bekenov",
    ]:
        q = assistant.ask(question).quotes[0]
        assert q.text.startswith("По данным заместителя акима области Кайрата БЕКЕНОВА"), question
        assert q.text[q.answer_start - q.start : q.answer_end - q.start].startswith("заместителя акима")
    # The plant, the region and the plant's city are named; salary, population and founding date are not.
    for absent in [
        "Какая зарплата у рабочих завода ферросплавов?",
        "Сколько человек живёт в Актюбинской области?",
        "When was the Aktobe ferroalloy plant founded?",
        "How many people live in Aktobe region?",  # not "10 предприятий": enterprises are no people
        "What is the salary of the workers?",  # not the productivity in dollars: no salary is named
        "How many workers does the region have?",  # workers are people, "10 предприятий" are not
    ]:
        assert not assistant.ask(absent).found, absent


def test_who_is_someone_the_article_never_names(seed_retriever):
    assistant = qa.Assistant(seed_retriever)
    for question in ["Who is Ivanov?", "Who is Sergey Ivanov?", "Кто такой Иванов?"]:
        assert not assistant.ask(question).found, question
    assert assistant.ask("Кто такой Сапарбаев?").found  # named: "Бердыбек САПАРБАЕВ"


def test_the_deputy_akim_is_no_answer_to_who_the_akim_is(seed_retriever):
    # the article names the deputy akim ("заместителя акима области Кайрата БЕКЕНОВА"), not the akim
    assistant = qa.Assistant(seed_retriever)
    for question in ["Who is the akim of Aktobe region?", "Кто является акимом области?"]:
        assert not assistant.ask(question).found, question
    for question in ["Who is the deputy akim?", "Кто заместитель акима области?"]:
        a = assistant.ask(question)
        assert a.found and "Кайрата БЕКЕНОВА" in a.quotes[0].text, question


def test_an_english_question_naming_a_place_in_russian_is_english(seed_retriever):
    # read as Russian it found none of its English words in the Russian text, and was declined
    a = qa.Assistant(seed_retriever).ask("How many countries buy products from Актобе?")
    assert a.found and "50 странах" in a.quotes[0].text


def test_by_how_much_is_answered_in_other_words(seed_retriever):
    # "выросла" is no attribute the passage must name: "позволила повысить производительность"
    q = qa.Assistant(seed_retriever).ask("на сколько выросла производительность").quotes[0]
    assert q.text[q.answer_start - q.start : q.answer_end - q.start] == "9%"


def test_a_question_typed_in_lower_case_without_a_mark_reads_as_written(seed_retriever):
    # typed so, it read nearer to the sentence about the 10 plants still to come
    assistant = qa.Assistant(seed_retriever)
    typed, written = (
        assistant.ask(q) for q in ("how many plants were modernised", "How many plants were modernised?")
    )
    assert typed.quotes[0] == written.quotes[0] and "модернизировано 10 предприятий" in typed.quotes[0].text


def test_a_per_cent_sign_is_the_percent_asked_for(seed_retriever):
    # no word of the question but "percent" is in the sentence, as "%": it was declined
    a = qa.Assistant(seed_retriever).ask("What percent did injuries drop?")
    assert a.found and "травматизма на 5%" in a.quotes[0].text
