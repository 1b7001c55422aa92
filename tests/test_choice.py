"""The query path chosen per machine (qa/e5/choice.py), with a fake model and a fake clock: the
faster path wins whichever it is, a path that disagrees with fp32 is never taken, the setting
forces one, and the measurement is kept per machine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.e5 import choice


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class FakeTokens:
    def windows(self, texts):
        return {"input_ids": np.zeros((len(texts), 4), np.int64)}, np.arange(len(texts)), np.ones(len(texts))


class FakeModel:
    """Each path costs `cost[path]` seconds of the fake clock and returns `vectors[path]`."""

    def __init__(self, clock: Clock, cost: dict[str, float], vectors: dict[str, np.ndarray] | None = None):
        self.clock, self.cost, self.calls = clock, cost, 0
        self.vectors = vectors or {p: np.ones((1, 4), np.float32) for p in cost}
        self.folder, self.tokens = Path("/models/e5-test"), FakeTokens()

    def means(self, inputs, path):
        self.calls += 1
        self.clock.now += self.cost[path]
        return self.vectors[path]


@pytest.mark.parametrize(("fp32", "int8", "winner"), [(0.010, 0.020, "fp32"), (0.020, 0.010, "int8")])
def test_the_faster_path_wins(tmp_path, fp32, int8, winner):
    clock = Clock()
    chosen = choice.query_path(FakeModel(clock, {"fp32": fp32, "int8": int8}), "auto", tmp_path, 0, clock)
    assert chosen.name == winner
    assert chosen.ms == {"fp32": 2 * fp32 * 1000, "int8": 2 * int8 * 1000}  # two probe questions per round
    assert "fastest here" in chosen.reason


def test_a_path_that_disagrees_with_fp32_is_not_taken(tmp_path):
    clock = Clock()
    v = {"fp32": np.array([[1.0, 0, 0, 0]]), "int8": np.array([[0.9, 0.1, 0, 0]])}  # cosine 0.994
    model = FakeModel(clock, {"fp32": 0.020, "int8": 0.001}, v)
    assert choice.query_path(model, "auto", tmp_path, 0, clock).name == "fp32"


def test_the_setting_forces_a_path_without_measuring(tmp_path):
    clock = Clock()
    model = FakeModel(clock, {"fp32": 0.001, "int8": 0.020})
    chosen = choice.query_path(model, "int8", tmp_path, 0, clock)
    assert (chosen.name, chosen.reason, model.calls) == ("int8", "set by query_path=int8", 0)


def test_the_choice_is_measured_once_per_machine(tmp_path):
    clock = Clock()
    model = FakeModel(clock, {"fp32": 0.020, "int8": 0.010})
    first = choice.query_path(model, "auto", tmp_path, 0, clock)
    calls = model.calls
    model.cost = {"fp32": 0.001, "int8": 0.020}  # would now lose, but the machine was measured
    again = choice.query_path(model, "auto", tmp_path, 0, clock)
    assert model.calls == calls and again.name == first.name == "int8"
    assert again.reason.endswith("measured at first use")
    # another thread count is another configuration: measured again
    assert choice.query_path(model, "auto", tmp_path, 1, clock).name == "fp32"


def test_cpu_names_the_instruction_sets():
    name = choice.cpu()
    assert name.endswith("]") and "[" in name


def test_an_unknown_query_path_setting_is_one_clear_error(monkeypatch):
    import qa

    monkeypatch.setenv("QA_QUERY_PATH", "fast")
    with pytest.raises(qa.QAError, match="query_path='fast': use one of auto, fp32, int8"):
        qa.load_settings()
