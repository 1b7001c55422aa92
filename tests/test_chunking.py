import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.chunking import boilerplate, chunk_document, sentences, split_text
from qa.types import Document

ALPHABET = st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.sampled_from(list("\n\n .!?абвгд"))


def _doc(text: str) -> Document:
    return Document("d.txt", text, "0" * 64)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=ALPHABET, max_size=1500), st.integers(50, 400), st.integers(0, 40))
def test_chunks_map_back_and_cover_everything(text, size, overlap):
    chunks = chunk_document(_doc(text), size, overlap)
    covered = set()
    for c in chunks:
        assert text[c.start : c.end] == c.text
        assert c.line_start == text.count("\n", 0, c.start) + 1
        assert c.line_end == text.count("\n", 0, max(c.start, c.end - 1)) + 1
        covered.update(range(c.start, c.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())


def test_paragraphs_then_sentences():
    para = "Первое предложение здесь. Второе предложение тут! Третье? "
    text = para * 3 + "\n\n" + "Short one."
    spans = split_text(text, 80, 0)
    pieces = [text[a:b] for a, b in spans]
    assert pieces[-1] == "Short one."
    assert all(p.endswith((".", "!", "?")) for p in pieces)


def test_a_chunk_ends_where_a_sentence_ends():
    # "the U.S. government": a stop before a lower-case word ends no sentence, so no chunk either
    # (a chunk's quotes would stop at "against the U.S.").
    claim = "He tried to void a World War I claim against the U.S. government by the Marconi Company."
    text = f"The patents were restored in 1943. {claim} The court ruled."
    pieces = [text[a:b] for a, b in split_text(text, len(claim) + 5, 0)]
    assert pieces == ["The patents were restored in 1943.", claim, "The court ruled."]


def test_ids_are_stable_and_distinct():
    doc = _doc("Один. Два. Три.\n\nЧетыре.")
    a, b = chunk_document(doc, 50), chunk_document(doc, 50)
    assert a == b
    assert len({c.id for c in a}) == len(a)


SEED_HEAD = (
    " date 2017-08-08 Фото предоставлено пресс-службой акимата Актюбинской области По данным заместителя"
    " акима области Кайрата БЕКЕНОВА, модернизировано 10 предприятий. Второе предложение."
)


def test_dateline_and_photo_credit_are_their_own_segments():
    spans = sentences(SEED_HEAD)
    assert [SEED_HEAD[a:b] for a, b in spans] == [
        "date 2017-08-08",
        "Фото предоставлено пресс-службой акимата Актюбинской области",
        "По данным заместителя акима области Кайрата БЕКЕНОВА, модернизировано 10 предприятий.",
        "Второе предложение.",
    ]
    assert boilerplate("date 2017-08-08") and boilerplate(SEED_HEAD[spans[1][0] : spans[1][1]])
    assert not boilerplate(SEED_HEAD[spans[2][0] : spans[2][1]])


@pytest.mark.parametrize(
    ("text", "pieces"),
    [
        ("Photo: Reuters The minister said so.", ["Photo: Reuters", "The minister said so."]),
        ("2020-01-01 Text here.", ["2020-01-01", "Text here."]),
        ("Фото В. Иванова висят в музее.", ["Фото В. Иванова висят в музее."]),  # an initial is no opener
        ("Источник данных неизвестен. Дальше.", ["Источник данных неизвестен.", "Дальше."]),  # a sentence
    ],
)
def test_only_boilerplate_is_split_off(text, pieces):
    assert [text[a:b] for a, b in sentences(text)] == pieces
    assert not boilerplate(pieces[-1])


PIECES = st.sampled_from(["date 2021-03-04 ", "Фото ", "Photo: ", " По ", " The ", "Мост. ", "\n"]) | st.text(
    ALPHABET, max_size=12
)


@settings(max_examples=150, deadline=None)
@given(st.lists(PIECES, max_size=30).map("".join))
def test_sentences_are_ordered_disjoint_and_inside_the_text(text):
    spans = sentences(text)
    assert all(0 <= a < b <= len(text) and text[a:b].strip() for a, b in spans)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(spans, spans[1:], strict=False))
