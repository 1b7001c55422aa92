from hypothesis import given, settings
from hypothesis import strategies as st

from qa.chunking import chunk_document, split_text
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


def test_ids_are_stable_and_distinct():
    doc = _doc("Один. Два. Три.\n\nЧетыре.")
    a, b = chunk_document(doc, 50), chunk_document(doc, 50)
    assert a == b
    assert len({c.id for c in a}) == len(a)
