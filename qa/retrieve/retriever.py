"""Stage 6: hybrid retrieval. Dense FAISS inner product (normalised vectors) and BM25 each
propose candidates; their scores are fused into one ranking (fusion.py). The Retriever also
serves the document texts that quotes are cut from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import store
from ..bilingual import shared, translate
from ..embedding import Embedder, load_embedder
from ..errors import IndexMismatch
from ..lexical import Lexical, cognate_keys, cognates, cyrillic, latin, question_names
from ..settings import Settings, load_settings
from ..store import dense
from ..types import Chunk, Document, Hit
from .fusion import (
    COGNATE_TOP,
    COGNATE_WEIGHT,
    CROSS_DENSE_WEIGHT,
    CROSS_SENTENCE_SHARE,
    DENSE_WEIGHT,
    POOL,
    SHARED_TOP,
    SHARED_WEIGHT,
    fuse,
    top_k,
)
from .query import clean_question, model_form


@dataclass(frozen=True, eq=False)
class Candidate:
    """One fused chunk with the evidence behind its rank."""

    index: int  # position in the chunk table
    score: float  # fused
    dense: float  # cosine of the chunk's best sentence to the question (across scripts, see CROSS_SENTENCE_SHARE)
    lexical: float  # BM25 score (of the question translated, for a chunk in the other script)
    sentence_sims: np.ndarray  # cosine similarity of each of the chunk's sentences to the question
    prior: float  # its score before the question's words reweighed the best few (SHARED_WEIGHT)


class Retriever:
    def __init__(self, stored: store.Stored, lexical: Lexical, embedder: Embedder, settings: Settings):
        self.stored, self.lexical, self.embedder, self.settings = stored, lexical, embedder, settings
        self._script: np.ndarray | None = None  # per chunk: 1 Cyrillic, 0 not, -1 not looked at yet

    @classmethod
    def load(
        cls,
        index: str | Path = "index",
        model: str | None = None,
        *,
        embedder: Embedder | None = None,
        settings: Settings | None = None,
    ) -> Retriever:
        """Load the current index version; `model` (or embedder) must match the one it was built with."""
        settings = settings or load_settings(index=index)
        stored = store.load(index, model or (embedder.name if embedder else None))
        stored.read_ahead()
        try:
            lexical = Lexical.load(stored.path)
        except Exception as e:  # files that pass their checksums and still do not parse were forged
            raise IndexMismatch(
                f"index {stored.path}: the lexical index cannot be read ({type(e).__name__}); "
                "rebuild it with `qa index`"
            ) from e
        if embedder is None:
            embedder = load_embedder(stored.manifest["model"], settings=settings)
        return cls(stored, lexical, embedder, settings)

    @property
    def version(self) -> str:
        return self.stored.version

    @property
    def chunks(self) -> Sequence[Chunk]:
        """Every chunk, made as it is read (the table is memory-mapped)."""
        return self.stored.chunks

    def chunk(self, i: int) -> Chunk:
        return self.stored.chunk(i)

    def document(self, source: str) -> Document:
        return self.stored.document(source)

    def dense_top(self, qvec: np.ndarray) -> np.ndarray:
        """The POOL chunks nearest to the query vector. Exact index: one matrix product over
        FAISS's own storage (10x faster than asking it for all n neighbours). IVF: its search."""
        index = self.stored.vectors
        n = index.ntotal
        if hasattr(index, "get_xb"):
            import faiss

            return top_k(faiss.rev_swig_ptr(index.get_xb(), n * index.d).reshape(n, index.d) @ qvec, POOL)
        ids = index.search(qvec.reshape(1, -1), POOL)[1][0]
        return ids[ids >= 0]

    def _cyrillic(self, pool: np.ndarray) -> np.ndarray:
        """Which pooled chunks are in Cyrillic script, looked at once per chunk and remembered."""
        if self._script is None:
            self._script = np.full(self.stored.n_chunks, -1, np.int8)
        for i in pool[self._script[pool] < 0]:
            self._script[i] = cyrillic(self.stored.chunk(int(i)).text)
        return self._script[pool] == 1

    def in_cyrillic(self, i: int) -> bool:
        """Is chunk i in Cyrillic script (lexical.cyrillic, looked at once per chunk)?"""
        return bool(self._cyrillic(np.array([i]))[0])

    def sentence_sims(
        self, pool: np.ndarray, qvec: np.ndarray, chunks: bool = True
    ) -> tuple[list[np.ndarray], np.ndarray | None]:
        """Cosine of each sentence of each pooled chunk, and (when `chunks`) of each chunk's vector
        (the normalised mean of its sentences', as the FAISS index holds it), from one gather of
        the memory map. Only chunks in the question's other script use the latter; the means cost
        0.5 ms a question over XQuAD's pools, the sentence cosines 0.01 ms."""
        first = self.stored.sentence_first
        counts = first[pool + 1] - first[pool]
        starts = np.cumsum(counts) - counts
        idx = np.repeat(first[pool] - starts, counts) + np.arange(counts.sum())
        vectors = np.asarray(self.stored.sentence_vectors[idx], np.float32)
        return np.split(vectors @ qvec, starts[1:]), dense.means(vectors, starts) @ qvec if chunks else None

    def candidates(self, question: str, qvec: np.ndarray | None = None) -> list[Candidate]:
        """Fused candidates, best first."""
        q = clean_question(question)
        if qvec is None:
            qvec = self.embedder.embed_queries([model_form(q)])[0]
        if self.stored.vectors.ntotal == 0:
            return []
        top = self.dense_top(qvec)
        self.stored.prefetch(top)  # read from disk while BM25 scores
        lexical = self.lexical.scores(q)
        best = top_k(lexical, POOL) if lexical.any() else np.zeros(0, np.int64)
        self.stored.prefetch(best)
        # the question's words in the other script score the chunks written in it
        translated = self.lexical.stem_scores(translate(q))
        other = top_k(translated, POOL) if translated.any() else np.zeros(0, np.int64)
        ru = cyrillic(q)
        other = other[self._cyrillic(other) != ru]
        pool = np.union1d(np.union1d(top, best), other).astype(np.int64)
        # A chunk is as relevant as its best sentence: a long paragraph's one answering sentence
        # is diluted in the paragraph vector (+2-3 points of rank-1 hits, see DENSE_WEIGHT).
        cross = self._cyrillic(pool) != ru
        sims, chunk = self.sentence_sims(pool, qvec, chunks=bool(cross.any()))
        dense = np.array([s.max() for s in sims])  # every chunk has at least one sentence
        if chunk is not None:
            dense = np.where(cross, CROSS_SENTENCE_SHARE * dense + (1 - CROSS_SENTENCE_SHARE) * chunk, dense)
        words = np.where(cross, translated[pool], lexical[pool])
        fused = fuse(dense, words, np.where(cross, CROSS_DENSE_WEIGHT, DENSE_WEIGHT))
        asked = cognate_keys(q) if cross.any() else frozenset()
        for i in np.argsort(-fused)[:COGNATE_TOP] if asked else ():
            if cross[i]:
                fused[i] += COGNATE_WEIGHT * cognates(asked, self.stored.chunk(int(pool[i])).text)
        order = np.argsort(-fused, kind="stable")
        prior, head = fused.copy(), order[:SHARED_TOP]
        texts = {i: self.stored.chunk(int(pool[i])).text for i in head} if cross[head].any() else {}
        # a chunk of digits alone has no script: only letters of the other one call for this
        if any(cross[i] and (not ru or latin(texts[i])) for i in head):
            names = question_names(q)
            for i in head:
                fused[i] += SHARED_WEIGHT * shared(q, texts[i], self.lexical.idf, names)
            order = np.argsort(-fused, kind="stable")
        return [
            Candidate(
                int(pool[i]), float(fused[i]), float(dense[i]), float(words[i]), sims[i], float(prior[i])
            )
            for i in order
        ]

    def hit(self, c: Candidate) -> Hit:
        ch = self.stored.chunk(c.index)
        doc = self.stored.document(ch.source)
        return Hit(
            ch.text,
            ch.source,
            ch.start,
            ch.end,
            ch.line_start,
            ch.line_end,
            round(c.score, 4),
            ch.id,
            doc.date,
            doc.section_at(ch.start),
            doc.page_at(ch.start),
        )

    def search(self, query: str, k: int | None = None) -> list[Hit]:
        """The k best chunks for the query."""
        k = k or self.settings.k
        return [self.hit(c) for c in self.candidates(query)[:k]]

    def search_many(self, queries: Sequence[str], k: int | None = None) -> list[list[Hit]]:
        """search for many queries, embedding them in one batch."""
        cleaned = [clean_question(q) for q in queries]
        vecs = self.embedder.embed_queries([model_form(q) for q in cleaned]) if cleaned else []
        k = k or self.settings.k
        return [[self.hit(c) for c in self.candidates(q, v)[:k]] for q, v in zip(cleaned, vecs, strict=True)]
