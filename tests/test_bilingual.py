"""The English-Russian word bridge: what a question's words become in the other language, and
that chunks in the other script are ranked and covered by them."""

import numpy as np
import pytest

import qa
from qa.bilingual import translate


def test_words_are_translated_both_ways():
    assert {"зарплат", "рабоч"} <= set(translate("What is the average salary of the workers?"))
    assert {"salari", "worker"} <= set(translate("Какая средняя зарплата рабочих?"))
    assert translate("what is the") == []  # function words have no translation
    assert "popul" in translate("население")  # "population", stemmed


class Flat(qa.HashEmbedder):
    """One vector for every text: the dense side ties, so the words alone decide."""

    def embed_documents(self, texts, progress=False):
        return np.ones((len(texts), self.dim), np.float32) / np.sqrt(self.dim)


def flat_index(tmp_path, texts: dict[str, str], embedder=None) -> qa.Retriever:
    """An index of these texts (name -> text), built with `embedder` (Flat by default)."""
    seeds = tmp_path / "s"
    seeds.mkdir(exist_ok=True)
    for name, text in texts.items():
        (seeds / name).write_text(text, "utf-8")
    embedder = embedder or Flat(16)
    qa.build_index(seeds, tmp_path / "i", embedder=embedder)
    return qa.Retriever.load(tmp_path / "i", embedder=embedder)


SALARY = {
    "a.txt": "Завод выпускает ферросплавы и отправляет их в пятьдесят стран.",
    "b.txt": "Средняя зарплата рабочих завода составляет двести тысяч тенге.",
}
# By the translated words alone "жена", "супруг" win; the chunk naming Luther, Wittenberg and 1525
# holds more of the question (retrieve.fusion.SHARED_WEIGHT).
MARRIAGE = {
    "a.txt": "Лютер обвенчался с Катариной фон Бора в Виттенберге в 1525 году.",
    "b.txt": "Жена и супруг: в эпоху Реформации супруги венчались в церкви.",
}


@pytest.mark.parametrize(
    ("texts", "question", "first"),
    [
        (SALARY, "What is the average salary of the workers?", "b.txt"),
        (MARRIAGE, "Whom did Luther marry in Wittenberg in 1525?", "a.txt"),
    ],
)
def test_an_english_question_ranks_the_russian_chunk_holding_its_words_first(
    tmp_path, texts, question, first
):
    assert flat_index(tmp_path, texts).search(question)[0].source == first


def test_an_english_question_covers_the_russian_sentence_through_its_words(tmp_path):
    ev = qa.Assistant(flat_index(tmp_path, SALARY)).evidence("What is the average salary of the workers?")
    coverage = {ev.texts[s.passage][s.start : s.start + 1]: s.coverage for s in ev.sentences}
    assert coverage["С"] > coverage["З"] == 0


def test_shared_counts_words_translated_spelt_alike_or_named():
    from qa.answer.question import analyse
    from qa.bilingual import shared

    one = lambda stem: 1.0  # noqa: E731
    # "Лютер" has too short a skeleton to be a borrowed word; as one of the question's names it
    # is found in "Luther's"
    question, text = "Кто такой Лютер?", "Luther's writings circulated widely."
    assert shared(question, text, one, analyse(question).names) == 1.0
    assert shared(question, text, one) == 0.0
    # a found name does not carry the words too short to be names ("age") or numbers with it
    question = "What age was Luther in 1517?"
    assert shared(question, "Лютер написал это.", one, analyse(question).names) == 1 / 3
    # Latin letters in a Russian text, and a word translated
    assert shared("When was Chivas USA suspended?", "Клуб Чивас USA приостановил игры.", one) == 2 / 3


def test_a_chunk_of_digits_alone_is_in_no_other_script(tmp_path):
    # A table of years beside Russian texts does not make a Russian question cross-script: the
    # best chunks are not reweighed (retrieve.fusion.SHARED_WEIGHT) and rank as without it.
    texts = {
        "a.txt": "Завод выпускает ферросплавы. Средняя зарплата рабочих составляет двести тысяч тенге.",
        "b.txt": "Зарплата рабочих завода выросла, сообщил директор завода.",
    }
    fake, question = qa.HashEmbedder(64), "Какая средняя зарплата рабочих завода?"
    alone = [h.source for h in flat_index(tmp_path, texts, fake).search(question)]
    table = {"c.txt": "2019 2020 2021\n120 130 140"}
    hits = [h.source for h in flat_index(tmp_path, texts | table, fake).search(question)]
    assert [s for s in hits if s != "c.txt"] == alone
