"""The evidence behind an answer. Every sentence of the passages read is scored against the
question (the idf share of its words found in the sentence, overlap.py; the sentence vector's
similarity; the passage's fused score); a neighbour joins a sentence in its quote when it scores
nearly as well or holds the kind of answer asked for. Whether there is an answer at all is
verdict.py's to say, from what this gathers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .. import lexical
from ..bilingual import shared, translations
from ..chunking import dateline
from ..lexical import cognate_keys, cyrillic, forms, name_share, skeleton, tokenize
from ..retrieve import Candidate, Retriever
from . import events, header, overlap, spans
from .kinds import YEAR_DIGITS
from .measures import kin
from .question import FUTURE, PERSON, Question, analyse, search_query

# Fitted on the fitting part of the development data (XQuAD dev articles 0-11 in Russian,
# English and English questions on the Russian text, plus bench/natural's fitting rows) and
# reported on the held-back part (articles 12-23, bench/natural held rows); bench/quality.py.
#
# Sentence score = the weights below over (idf share of the question's words found in it, its
# vector similarity scaled over the sentences read, its passage's fused score). Grid over the
# fitting part, first-quote hits ru / en / en-on-ru / natural, median chars: (.5/.3/.2, the
# previous weights) .848/.857/.727/.711, 212; (.3/.4/.3) .848/.863/.739/.771, 227; (.3/.2/.5)
# .860/.885/.745/.747 but 236-313 characters. Held back with (.3/.4/.3): .839/.848/.745/.719.
WEIGHTS = (0.3, 0.4, 0.3)
# Added per idf share of the question's Russian words found in the very form asked: stems make
# "модернизировано" (done) and "будут модернизированы" (to come) one word. Fitting part, first-quote
# hits ru, natural ru: 0 .829/.688; .1 .835/.708; .2 .854/.708; .3 .848/.708. English forms carry
# less (en .876 -> .863 at .2 on all words), so only Cyrillic ones count.
EXACT = 0.2
# Added when a sentence holds an answer of the asked kind (a number for "how many", a date for
# "when"). Fitting part, first-quote hits en / en-on-ru / natural ru / natural en, absent natural
# questions declined ru / en: 0 .876/.758/.750/.829, .53/.8; .05 .879/.761/.771/.800, .53/.8; .1
# .882/.764/.771/.800, .53/.8; .2 .882/.767/.771/.800, .33/.7.
TYPED = 0.1
# Taken off a sentence about the future when the question asks about the past ("How many plants
# were modernised?" is not answered by "будут модернизированы еще 10"). Fitting part, first-quote
# hits ru / en / en-on-ru / natural ru / natural en: 0 .857/.879/.770/.771/.800; .05 the same; .1
# .857/.879/.764/.792/.800; .2 .854/.879/.761/.792/.800.
TENSE = 0.1
# A neighbour in the same passage that scores within this share of the best sentence joins the
# quote: the answer often sits in the sentence after the one that repeats the question
# ("... his last statement. The statement was in Latin"). Fitting part, first-quote hits ru / en /
# en-on-ru, median characters ru / en: .8 .857/.879/.764, 227/213; .75 .863/.882/.773, 231/226;
# .7 .863/.885/.780, 237/237; .65 .866/.885/.786, 250/248 (each point of hits costs length).
PAIR_SHARE = 0.75
# Two sentences that together fit in SHORT_PAIR characters are quoted together when the neighbour
# scores at least SHORT_PAIR_SHARE of the best: a short quote loses nothing by its context. Fitting
# part: (250, .5) .839/.876/.771 at 226/214 chars; (300, .6) .839/.866/.771 at 232/225; none .829/.857/.747.
SHORT_PAIR = 250
SHORT_PAIR_SHARE = 0.5
# A follow-up's own words ("and in nuclear plants?") weigh this many times the words it takes from
# the question it leans on: they are what it asks. Follow-ups of bench/natural's fitting rows and of
# two user trials on the seed and XQuAD articles 0-11 (13), first-quote / answer-span hits: 1
# 12/5, 2 13/6 (13/9 with the answer span nearest the own words), 3 13/6; no other fitting-part
# figure moves.
OWN = 2.0
# A sentence opening on a pronoun ("Он ...", "He ...", "Большинство из них ...") speaks of what the
# sentence before it names: its coverage counts that sentence's words as its own. Its capitalised
# words alone: fitting part, first-quote hits en / near-absent en +1 question each, nothing else
# moved; held back ru / en / near-absent ru / en .819/.839/.825/.836 -> .823/.842/.831/.841. All its
# words ("It was routinely used by engineers" after "The steam engine indicator ...", user trial
# 9): first quotes ru .863 -> .866, near-absent ru .837 -> .842, natural en .843 -> .852, answer
# precision en .776 -> .786, nothing else moved. Across scripts too: first quotes English on Russian
# .823 -> .829, near-absent both ways .816 -> .821, answer precision natural en .750 -> .722.
_PRONOUN = re.compile(
    r"\W*(?:Он|Она|Оно|Они|Его|Её|Ее|Их|Ему|Ей|Им|He|She|It|They|His|Her|Its|Their"
    r"|(?:Большинство|Многие|Некоторые|Часть|Все|Most|Many|Some|All)\s+(?:из\s+них|of\s+them))\b(?![-.])"
)
_YEAR = re.compile(rf"(?<!\d){YEAR_DIGITS}(?!\d)")
MIN_QUOTE_CHARS = 60  # a shorter best sentence always takes a neighbour ("10 предприятий." alone says little)


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    score: float
    passage: int  # rank of its passage among those read
    coverage: float  # idf share of the question's words found in it
    cosine: float  # its vector's cosine similarity to the question
    typed: bool = False  # holds an answer of the asked kind (only looked for when a kind is asked)


@dataclass(frozen=True)
class Evidence:
    question: Question
    sentences: tuple[Sentence, ...]
    order: tuple[int, ...]  # sentence indices, best first
    passages: tuple[int, ...]  # chunk index of each passage read, best first
    texts: tuple[str, ...]  # the document text of each passage read
    # Whether there is an answer is judged on the passage best before the retriever reweighed the
    # best few by the question's words (Candidate.prior): the passage judged.
    cosine: float  # the best sentence cosine of the passage judged (datelines and credits aside)
    cross: bool  # the question is in another script than the passage judged
    across: float  # across scripts: idf share of the question's words that passage holds (bilingual.shared)
    published: bool = False  # it asks only when the text came out, and the first sentence is its dateline

    def text(self, i: int) -> str:
        s = self.sentences[i]
        return self.texts[s.passage][s.start : s.end]

    def typed(self, i: int) -> bool:
        """Does sentence i hold an answer of the asked kind?"""
        return self.sentences[i].typed

    def attribute_missing(self) -> bool:
        """Is the asked attribute (the "детей" of "Сколько детей было у Теслы?", the "директор" of
        "Кто директор завода?") named nowhere in the best sentence's passage? The passage is
        about the topic; the fact asked for is not there. Across scripts it is asked only of an
        attribute whose kin names it in both languages (measures._KIN: "salary" is found in
        "зарплата"): looking for other attributes translated declined fewer absent questions
        than it lost answers (fitting part, the grid behind verdict.CALIBRATIONS)."""
        q = self.question
        if not q.attribute or q.define or (self.cross and not kin(q.attribute)):
            return False
        key = overlap.key(q.attribute)
        return not any(key in overlap.stems(t) for t in self._best_passage())

    def event_missing(self) -> bool:
        """Is the event a "when", "where" or "who" question asks of (a death, a founding) named
        nowhere in the best sentence's passage, in either language?"""
        event = self.question.event
        return bool(event) and not any(events.named(event, t) for t in self._best_passage())

    def another_year(self) -> bool:
        """Does the question ask of a year ("С кем сотрудничал Тесла в 1886 году?") that the best
        sentence's passage never names, while its quote names other years: a quote of another time?"""
        asked = {w for w in self.question.stems if _YEAR.fullmatch(w)}
        if not asked or any(asked & set(_YEAR.findall(t)) for t in self._best_passage()):
            return False
        i = self.order[0]
        quoted = [i] if (j := self.partner(i)) is None else [i, j]
        return any(_YEAR.search(self.text(k)) for k in quoted)

    def _best_passage(self) -> list[str]:
        """The texts of the sentences read in the best sentence's passage."""
        p = self.sentences[self.order[0]].passage
        return [self.text(i) for i, s in enumerate(self.sentences) if s.passage == p]

    def neighbours(self, i: int) -> list[int]:
        p = self.sentences[i].passage
        return [j for j in (i - 1, i + 1) if 0 <= j < len(self.sentences) and self.sentences[j].passage == p]

    def holders(self, i: int) -> list[int]:
        """Sentence i's neighbours holding an answer of the asked kind that sentence i lacks. A
        neighbour counts when it shares a word with the question (across scripts any does:
        requiring a translated one there cost answers on the fitting part): "It consisted of 402
        people" answers "how many people came", but the sums of money around the sentence naming
        a plant do not answer "what do its workers earn"."""
        q = self.question
        if not q.kind or q.define or self.typed(i):
            return []
        return [
            j for j in self.neighbours(i) if (self.cross or self.sentences[j].coverage > 0) and self.typed(j)
        ]

    def antecedent(self, i: int) -> int | None:
        """For "who": the sentence before sentence i when i speaks of its person by a pronoun ("Он
        ... издал Эдикт Фонтенбло" answers "кто издал" only with the sentence naming him). Fitting
        part, first-quote hits Russian on English .817 -> .820, its near-absent .811 -> .816,
        natural ru .826 -> .835; median characters en 221 -> 226."""
        if self.question.kind == PERSON and i - 1 in self.neighbours(i) and _PRONOUN.match(self.text(i)):
            return i - 1
        return None

    def partner(self, i: int) -> int | None:
        """The neighbour that joins sentence i in its quote, if any: one holding the answer
        sentence i lacks, else one scoring nearly as well."""
        score = lambda j: self.sentences[j].score  # noqa: E731
        if holding := self.holders(i):
            return max(holding, key=score)
        if (j := self.antecedent(i)) is not None:
            return j
        nbrs, s = self.neighbours(i), self.sentences[i]
        if not nbrs:
            return None
        j = max(nbrs, key=score)
        short = max(s.end, self.sentences[j].end) - min(s.start, self.sentences[j].start) <= SHORT_PAIR
        share = SHORT_PAIR_SHARE if short else PAIR_SHARE
        return j if score(j) >= share * s.score or s.end - s.start < MIN_QUOTE_CHARS else None


def read(
    retriever: Retriever, question: str, cands: Sequence[Candidate], judged: Candidate, previous: str = ""
) -> Evidence | None:
    """Score every sentence of the candidate passages against the question, read with the
    previous one when it is a follow-up (None: nothing but datelines and credits); whether
    there is an answer is judged on `judged`."""
    query = search_query(question, previous)
    st, lex = retriever.stored, retriever.lexical
    q = analyse(question, previous)
    stems = {overlap.key(s): lex.idf(s) * (OWN if s in q.own else 1.0) for s in tokenize(query)}
    spelt = {
        overlap.key(t[0]): k for w in lexical.capitalised(query) if (t := tokenize(w)) and (k := skeleton(w))
    }
    asked = {w: lex.idf(t[0]) for w in forms(query) if cyrillic(w) and (t := tokenize(w))}
    cognates = cognate_keys(query)
    credited, dated = header.asks_credit(question), header.asks_date(q, question)
    bridge = {overlap.key(s): frozenset(translations(s)) for s in tokenize(query)}
    ru = cyrillic(query)
    sims = np.concatenate([c.sentence_sims for c in cands])
    lo, span = sims.min(), max(float(sims.max() - sims.min()), 1e-9)
    top = cands[0].score or 1.0
    wl, wd, wp = WEIGHTS
    out, texts, sources, k = [], [], [], 0
    for rank, c in enumerate(cands):
        sources.append(retriever.chunk(c.index).source)
        text = retriever.document(sources[-1]).text
        texts.append(text)
        before = ""  # the sentence before, in this passage
        for j in st.sentences_of(c.index):
            a, b = (int(x) for x in st.sentence_spans[j])
            k += 1
            sentence = text[a:b]
            if not header.readable(sentence, credited, dated):
                continue  # a dateline or photo credit is no answer, unless it is what is asked for
            seen = " ".join([before, sentence]) if _PRONOUN.match(sentence) else sentence
            if cyrillic(sentence) != ru:
                # Across scripts: the mean of the question's borrowed words and names the sentence
                # holds (lexical.cognates) and of its words the sentence holds translated
                # (bilingual.py). Fitting part, first-quote hits, English questions on Russian
                # XQuAD / Russian on English / the same near-absent / natural ru / natural en:
                # cognates alone .770/.807/.795/.789/.792/.800; the larger of the two .798/.814/
                # .811/.816/.771/.800; their mean .798/.826/.805/.816/.812/.800.
                # "Кто такой Бекенов?" is matched on its names; "Что такое повет?" names none (no
                # capital) and is matched on its words like any question: by the names alone no
                # sentence held any of it (user trial 11). Fitting part: near-absent Russian on
                # English first quotes .821 -> .826, nothing else moved.
                cov = (
                    name_share(q.names, sentence)
                    if q.define and q.names
                    else (lexical.cognates(cognates, seen) + overlap.translated(stems, bridge, seen)) / 2
                )
            else:
                cov = overlap.coverage(stems, seen, spelt)
            before = sentence
            score = wl * cov + wd * (sims[k - 1] - lo) / span + wp * c.score / top
            score += EXACT * overlap.exact(asked, sentence) if asked else 0.0
            typed = bool(q.kind) and not q.define and spans.typed(q, text, a, b)
            if typed:
                score += TYPED
            if q.past and FUTURE.search(text, a, b):
                score -= TENSE
            out.append(Sentence(a, b, float(score), rank, cov, float(sims[k - 1]), typed))
    if not out:
        return None
    order = sorted(range(len(out)), key=lambda i: -out[i].score)
    if q.define:
        order.insert(0, order.pop(order.index(_introduction(out, sources, order[0]))))
    published = False
    if dated and (datelines := [i for i in order if _dateline_of(out, sources, texts, i, order[0])]):
        order.insert(0, order.pop(order.index(datelines[0])))
        published = header.only_date(question)
    cosine, top_text = _judged(retriever, judged, credited)
    cross = ru != retriever.in_cyrillic(judged.index)
    passages = tuple(c.index for c in cands)
    # a follow-up's words include the question it leans on, and so do its names
    names = q.names | lexical.question_names(previous) if previous else q.names
    across = shared(query, top_text, lex.idf, names, overlap.stems(top_text), overlap.key) if cross else 0.0
    return Evidence(q, tuple(out), tuple(order), passages, tuple(texts), cosine, cross, across, published)


def _dateline_of(sents: list[Sentence], sources: list[str], texts: list[str], i: int, best: int) -> bool:
    """Is sentence i the dateline of the best sentence's document ("Когда опубликовал свою статью
    Тесла?" is about Tesla's article, not the date of another text read)?"""
    s = sents[i]
    return sources[s.passage] == sources[sents[best].passage] and dateline(texts[s.passage][s.start : s.end])


def _judged(retriever: Retriever, c: Candidate, credited: bool = False) -> tuple[float, str]:
    """A passage's best sentence cosine (datelines and credits aside, unless a credit is asked
    for) and its text."""
    chunk, st = retriever.chunk(c.index), retriever.stored
    text = retriever.document(chunk.source).text
    spans = (st.sentence_spans[j] for j in st.sentences_of(c.index))
    sims = (
        float(x)
        for x, (a, b) in zip(c.sentence_sims, spans, strict=True)
        if header.readable(text[int(a) : int(b)], credited)
    )
    return max(sims, default=c.dense), chunk.text


def _introduction(sents: list[Sentence], sources: list[str], best: int) -> int:
    """For "кто такой X" / "what is X": the earliest sentence read, in the best sentence's
    document, that names X as fully as the best does; a text introduces a person or a thing
    at the first mention ("заместителя акима области Кайрата БЕКЕНОВА" before "- отметил
    Кайрат БЕКЕНОВ")."""
    b = sents[best]
    same = [
        i
        for i, s in enumerate(sents)
        if sources[s.passage] == sources[b.passage] and s.coverage >= b.coverage
    ]
    return min(same, key=lambda i: sents[i].start) if b.coverage > 0 else best
