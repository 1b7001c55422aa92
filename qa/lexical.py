"""Stage 5: lexical BM25 (bm25s) over the chunks. Words are lower-cased and stemmed with the
Snowball stemmer of their own script (Russian for Cyrillic, English for Latin), so a mixed
corpus or question is handled word by word. Document frequencies are kept for scoring
sentences inside the passages the retriever returns."""

from __future__ import annotations

import array
import functools
import json
import logging
import math
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import numpy as np

# bm25s ships only 33 English stop words; question and function words are added so that "how
# many" or "сколько" do not count as evidence that a sentence answers.
_EXTRA_STOP = """a about after all also am an any are as at be been before being between both but by can could
did do does doing during each for from had has have having he her here his how i if in into is it its just
many me more most much my no nor not now of on only or other our out over own she should so some such than
that the their them then there these they this those through to too under until up very was we were what
when where which while who whom whose why will with would you your
сколько скока скоко почему зачем каком какие каких каким какое какую который которая которое которые""".split()
WORD = re.compile(r"\w+", re.UNICODE)  # a word, as every stage cuts them
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-z]", re.I)
_CYRILLIC_WORD = re.compile(r"[\u0400-\u04ff]+")
_LATIN_WORD = re.compile(r"[a-z]+", re.I)
# A text with this many times more words in one script is in it (a Russian chunk naming "Восход-Oriel").
CLEAR = 4
_SURNAME_STEM = 6  # shorter stems ending in -ов/-ев are mostly common words ("слов", "готов" stay)


@functools.cache
def _bm25s():
    import bm25s

    logging.getLogger("bm25s").setLevel(
        logging.WARNING
    )  # bm25s sets DEBUG on import; its lines reach the console
    return bm25s


@functools.cache
def _stemmers():
    import Stemmer
    from bm25s.stopwords import STOPWORDS_EN, STOPWORDS_RUSSIAN

    stop = {w.replace("ё", "е") for w in (*STOPWORDS_EN, *STOPWORDS_RUSSIAN, *_EXTRA_STOP)}
    return Stemmer.Stemmer("russian"), Stemmer.Stemmer("english"), frozenset(stop)


def cyrillic(text: str) -> bool:
    """Is the text in Cyrillic script? Where both scripts are in it (names and terms are often
    written in the other one), the script of most of its words decides when it has CLEAR times
    more of them; else its function words do ("Что такое machine learning?" and "Кто такой
    Kairat Bekenov?" are Russian, "Who is Бекенов?" English), then its words in lower case, then
    its letters."""
    letter = _CYRILLIC.search(text)
    if not (letter and _LATIN.search(text)):
        return bool(letter)
    ru, en = _CYRILLIC_WORD.findall(text), _LATIN_WORD.findall(text)
    if max(len(ru), len(en)) >= CLEAR * min(len(ru), len(en)):
        return len(ru) > len(en)
    stop = _stemmers()[2]
    counts = (
        (sum(w.lower().replace("ё", "е") in stop for w in ru), sum(w.lower() in stop for w in en)),
        (sum(w[0].islower() for w in ru), sum(w[0].islower() for w in en)),
        (sum(map(len, ru)), sum(map(len, en))),
    )
    n_ru, n_en = next((c for c in counts if c[0] != c[1]), counts[-1])
    return n_ru > n_en


def latin(text: str) -> bool:
    """Does the text hold Latin letters?"""
    return bool(_LATIN.search(text))


def language(text: str | None) -> str:
    """The language qa answers text in: "ru" when it is in Cyrillic script (cyrillic), else "en"."""
    return "ru" if cyrillic(text or "") else "en"


@functools.lru_cache(maxsize=200_000)
def _stem(word: str) -> str | None:
    ru, en, stop = _stemmers()
    if word in stop:
        return None
    if _CYRILLIC.search(word):
        s = ru.stemWord(word)
        # Snowball takes a surname's -ов/-ев for an ending in one case and not in another
        # ("Бекенов" -> бекен, "БЕКЕНОВА" -> бекенов): cut it in every case.
        return s[:-2] if len(s) >= _SURNAME_STEM and s.endswith(("ов", "ев")) else s
    if _LATIN.search(word):
        return en.stemWord(word)
    return word


def forms(text: str) -> list[str]:
    """The word forms of text as they are compared: lower case, ё read as е."""
    return WORD.findall(text.lower().replace("ё", "е"))


def tokenize(text: str) -> list[str]:
    """Stemmed content words of text, stop words removed, in order."""
    return [s for w in forms(text) if (s := _stem(w))]


# Words across scripts. A name ("Bekenov", "БЕКЕНОВА"; "Luther", "Лютера") or a borrowed word
# ("modernised", "модернизировано"; "export", "экспорт") keeps its consonant skeleton once the
# Cyrillic is spelt in Latin letters: vowels, h, y and doubled letters dropped, c/q/ch/kh -> k,
# z/zh/ts -> s, a first w -> v and any other dropped (Warsaw: Варшава, Newton: Ньютон), ph -> f.
# The only lexical bridge between an English question and a Russian text (and back).
_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i i k l m n o p r s t u f kh ts ch sh shch _ y _ e yu ya".split(),
        strict=True,
    )
)
_SPELLING = (("ph", "f"), ("ck", "k"), ("c", "k"), ("q", "k"), ("x", "ks"), ("sh", "s"), ("zh", "s"))
_SPELLING += (("kh", "k"), ("ch", "k"), ("ts", "s"), ("z", "s"))
_SKELETON_DROP = re.compile(r"[aeiouyh_]")
_CAPITALISED = re.compile(r"\b[A-ZА-ЯЁ][\w'’-]*")
_POSSESSIVE = re.compile(r"['’]s?$")
MIN_SKELETON = 3  # shorter skeletons match too much ("Ли", "Lee")
# Consonants two words must open with alike to be one word in two scripts. English questions on
# the Russian XQuAD articles 0-11 (COGNATE_WEIGHT .1, retrieve/fusion.py), rank-1 hits / first-quote hits:
# 3 .870/.773, 4 .873/.764, 5 .870/.742.
COGNATE = 4


# Latin letters that no accent makes ("Łódź": "Лодзь"); "ç" is French ("Besançon": "Безансон").
_LATIN_LETTERS = {
    "ł": "l",
    "ø": "o",
    "æ": "ae",
    "œ": "oe",
    "ß": "ss",
    "đ": "d",
    "ð": "d",
    "þ": "th",
    "ç": "s",
}


def romanised(word: str) -> str:
    """A word spelt in Latin letters, lower case and without accents ("акима": "akima", "Maizière":
    "maiziere", which Russian spells "Мезьер")."""
    w = "".join(_TRANSLIT.get(ch, _LATIN_LETTERS.get(ch, ch)) for ch in word.lower().replace("дж", "j"))
    if w.isascii():
        return w
    return "".join(ch for ch in unicodedata.normalize("NFKD", w) if not unicodedata.combining(ch))


@functools.lru_cache(maxsize=200_000)
def skeleton(word: str) -> str:
    """A word's consonant skeleton, alike in its Latin and Cyrillic spellings ("" when too short)."""
    w = romanised(word)
    for a, b in _SPELLING:
        w = w.replace(a, b)
    w = ("v" if w[:1] == "w" else w[:1]) + w[1:].replace("w", "")
    out = re.sub(r"(.)\1+", r"\1", _SKELETON_DROP.sub("", w))
    return out if len(out) >= MIN_SKELETON and out.isalpha() else ""


def _name_key(word: str) -> str:
    """A capitalised word's skeleton, its possessive aside ("Tesla's" is "tsl")."""
    return skeleton(_POSSESSIVE.sub("", word))


def capitalised(text: str) -> list[str]:
    """The capitalised words of text: its names (and the first word of each sentence)."""
    return _CAPITALISED.findall(text)


def names(text: str) -> frozenset[str]:
    """Skeletons of the names (capitalised content words) in text."""
    return frozenset(
        k for m in _CAPITALISED.finditer(text) if tokenize(m.group()) and (k := _name_key(m.group()))
    )


def question_names(question: str) -> frozenset[str]:
    """Skeletons of the names a question mentions (its capitalised first word aside: "During")."""
    rest = question.split(maxsplit=1)[1:]
    return names(rest[0]) if rest else frozenset()


def same_name(a: str, b: str) -> bool:
    """Are two name skeletons one name, whatever its ending ("bknv" is "bknvm")?"""
    return a.startswith(b) or b.startswith(a)


def name_share(asked: frozenset[str], text: str) -> float:
    """Share of the asked names that text names, in any script and case ("bknv" is "bknvm")."""
    found = name_keys(text)
    return sum(any(same_name(a, f) for f in found) for a in asked) / len(asked) if asked else 0.0


def name_keys(text: str) -> set[str]:
    """The skeletons of every capitalised word of text (name_share's side of the match)."""
    return {k for m in _CAPITALISED.finditer(text) if (k := _name_key(m.group()))}


@functools.lru_cache(maxsize=200_000)
def _cognate_key(word: str) -> str:
    """The opening of the word's skeleton ("" for a short or function word): kept per word, as a
    question reads the same passages' words again (English questions on the Russian XQuAD
    articles: 2.8 -> 1.9 ms per question's candidates)."""
    k = skeleton(word)
    return k[:COGNATE] if len(k) >= COGNATE and tokenize(word) else ""


def cognate_keys(text: str) -> frozenset[str]:
    """The openings of the skeletons of text's longer content words."""
    return frozenset(k for w in WORD.findall(text) if (k := _cognate_key(w)))


def cognates(asked: frozenset[str], text: str) -> float:
    """Share of the question's cognate_keys that text holds, in any script."""
    return len(asked & cognate_keys(text)) / len(asked) if asked else 0.0


class Lexical:
    """BM25 over chunk texts plus the document frequency of every stem."""

    def __init__(self, bm25, df: dict[str, int], n: int):
        self.bm25, self.df, self.n = bm25, df, n

    @classmethod
    def build(cls, texts: Iterable[str]) -> Lexical:
        """texts may be a generator: each is kept only as its stems' ids, 4 bytes a word (lists
        of stems took 2.5x the memory: at 1M chunks the build's peak)."""
        bm25s = _bm25s()
        vocab: dict[str, int] = {}
        corpus = [array.array("i", [vocab.setdefault(s, len(vocab)) for s in tokenize(t)]) for t in texts]
        if not vocab:  # bm25s cannot index an empty vocabulary (a corpus of stop words only)
            vocab["\x00"], corpus[0] = 0, array.array("i", [0])
        stems = list(vocab)
        bm25 = bm25s.BM25()
        bm25.index((corpus, vocab), show_progress=False)
        # A stem's column in the score matrix has one entry per chunk that contains it.
        df = np.diff(bm25.scores["indptr"])
        return cls(bm25, {s: int(n) for s, n in zip(stems, df, strict=True)}, len(corpus))

    def save(self, path: Path) -> None:
        self.bm25.save(str(path / "bm25"), show_progress=False)
        (path / "bm25" / "df.json").write_text(json.dumps({"n": self.n, "df": self.df}, ensure_ascii=False))

    @classmethod
    def load(cls, path: Path) -> Lexical:
        bm25s = _bm25s()
        # Memory-mapped: a large corpus's BM25 matrix is paged in only where queries touch it.
        bm25 = bm25s.BM25.load(str(path / "bm25"), mmap=True, show_progress=False, verbosity=0)
        meta = json.loads((path / "bm25" / "df.json").read_text())
        return cls(bm25, meta["df"], meta["n"])

    def idf(self, stem: str) -> float:
        df = self.df.get(stem, 0)
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk for the query (zeros when no word of it is indexed)."""
        return self.stem_scores(tokenize(query))

    def stem_scores(self, stems: list[str]) -> np.ndarray:
        """BM25 score of every chunk for these stems."""
        toks = [t for t in stems if t in self.bm25.vocab_dict]
        if not toks or self.n == 0:
            return np.zeros(self.n, np.float32)
        return np.asarray(self.bm25.get_scores(toks), dtype=np.float32)
