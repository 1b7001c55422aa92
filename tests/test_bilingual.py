"""The English-Russian word bridge: what a question's words become in the other language, and
that chunks in the other script are ranked and covered by them."""

import numpy as np

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


def test_an_english_question_finds_the_russian_chunk_through_its_words(tmp_path):
    seeds = tmp_path / "s"
    seeds.mkdir()
    (seeds / "a.txt").write_text("Завод выпускает ферросплавы и отправляет их в пятьдесят стран.", "utf-8")
    (seeds / "b.txt").write_text("Средняя зарплата рабочих завода составляет двести тысяч тенге.", "utf-8")
    flat = Flat(16)
    qa.build_index(seeds, tmp_path / "i", embedder=flat)
    retriever = qa.Retriever.load(tmp_path / "i", embedder=flat)
    assert retriever.search("What is the average salary of the workers?")[0].source == "b.txt"
    ev = qa.Assistant(retriever).evidence("What is the average salary of the workers?")
    coverage = {ev.texts[s.passage][s.start : s.start + 1]: s.coverage for s in ev.sentences}
    assert coverage["С"] > coverage["З"] == 0
