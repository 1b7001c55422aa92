"""Shared fixtures: small Russian and English documents and indexes built with the fast
deterministic HashEmbedder (the real model has its own tests, marked `model`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import qa

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_f178607ead7f680c.txt"

RU = (
    "date 2021-03-04\n"
    "Весной в городе открыли новую библиотеку. В ней хранится сорок тысяч книг.\n\n"
    "Осенью построили мост через реку. Его длина составила триста метров.\n"
)
EN = (
    "The museum opened in 1999. It holds twelve thousand paintings.\n\n"
    "A new bridge was built over the river in autumn. It is three hundred metres long.\n"
)


@pytest.fixture
def fake():
    return qa.HashEmbedder(64)


@pytest.fixture
def seeds(tmp_path) -> Path:
    d = tmp_path / "seeds"
    d.mkdir()
    (d / "ru.txt").write_text(RU, encoding="utf-8")
    (d / "en.md").write_text(EN, encoding="utf-8")
    return d


@pytest.fixture
def index(tmp_path, seeds, fake) -> Path:
    out = tmp_path / "index"
    qa.build_index(seeds, out, embedder=fake)
    return out


@pytest.fixture
def retriever(index, fake) -> qa.Retriever:
    return qa.Retriever.load(index, embedder=fake)


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory) -> Path:
    """The real seed article indexed with the real default model (built once per session)."""
    base = tmp_path_factory.mktemp("seed")
    shutil.copy(SEED, base / SEED.name)
    qa.build_index(base, base.parent / "seed-index")
    return base.parent / "seed-index"


def assert_exact(quote_or_hit, retriever: qa.Retriever) -> None:
    """The promise of the product: the quote is exactly the source text at its offsets."""
    text = retriever.document(quote_or_hit.source).text
    assert text[quote_or_hit.start : quote_or_hit.end] == quote_or_hit.text
