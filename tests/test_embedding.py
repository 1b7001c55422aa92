"""Token-budget batching: every text once, shortest first, and no batch padded past the budget
(a lone text longer than the budget gets its own batch). The question batcher: questions that
arrive while the model is busy go together in the next call, each gets its own vectors."""

from __future__ import annotations

import threading
import time

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from qa.embedding import Batcher, token_batches


@given(st.lists(st.integers(1, 60), max_size=80), st.integers(8, 200))
def test_batches_cover_every_text_within_the_budget(lengths, budget):
    batches = token_batches(lengths, budget)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    order = [lengths[i] for b in batches for i in b]
    assert order == sorted(order)
    for b in batches:
        assert len(b) == 1 or len(b) * max(lengths[i] for i in b) <= budget


def test_batches_group_short_texts():
    assert token_batches([10] * 10 + [90], 100) == [list(range(10)), [10]]


class _Slow:
    """An embed function that blocks its first call until released, recording each call."""

    def __init__(self):
        self.calls: list[list[str]] = []
        self.release = threading.Event()

    def __call__(self, texts):
        self.calls.append(list(texts))
        if len(self.calls) == 1:
            self.release.wait(5)
        if "boom" in texts:
            raise ValueError("boom")
        return np.array([[float(t[1:])] for t in texts])


def _ask_all(batcher, texts):
    out, errors = {}, {}

    def ask(t):
        try:
            out[t] = batcher([t])
        except ValueError as e:
            errors[t] = e

    threads = [threading.Thread(target=ask, args=(t,)) for t in texts]
    for t in threads:
        t.start()
    return threads, out, errors


def test_questions_that_arrive_during_a_call_share_the_next_one():
    slow = _Slow()
    batcher = Batcher(slow)
    first, out, _ = _ask_all(batcher, ["q0"])
    while not slow.calls:  # the first call is running
        time.sleep(0.001)
    rest, out2, _ = _ask_all(batcher, [f"q{i}" for i in range(1, 9)])
    time.sleep(0.05)  # all eight are waiting
    slow.release.set()
    for t in first + rest:
        t.join(5)
    assert slow.calls[0] == ["q0"] and sorted(slow.calls[1]) == sorted(f"q{i}" for i in range(1, 9))
    assert len(slow.calls) == 2
    results = {**out, **out2}
    assert all(results[f"q{i}"].tolist() == [[float(i)]] for i in range(9))


def test_a_failed_call_fails_each_of_its_questions_and_not_the_next():
    slow = _Slow()
    batcher = Batcher(slow)
    first, _, _ = _ask_all(batcher, ["q0"])
    while not slow.calls:
        time.sleep(0.001)
    rest, out, errors = _ask_all(batcher, ["q1", "boom"])
    time.sleep(0.05)
    slow.release.set()
    for t in first + rest:
        t.join(5)
    assert set(errors) == {"q1", "boom"} and not out
    assert batcher(["q7"]).tolist() == [[7.0]]  # the batcher is not stuck
