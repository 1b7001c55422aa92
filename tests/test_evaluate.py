import json
import re
from pathlib import Path

import pytest

import qa
from qa.cli import main
from qa.evaluate import evaluate, judge

SQUAD = {
    "data": [
        {
            "title": "Bridges",
            "paragraphs": [
                {
                    "context": "The old bridge was built in 1888. It is made of stone.",
                    "qas": [
                        {
                            "id": "1",
                            "question": "When was the old bridge built?",
                            "answers": [{"text": "1888", "answer_start": 28}],
                        }
                    ],
                },
                {
                    "context": "The new bridge opened in 2015 and carries six lanes.",
                    "qas": [
                        {
                            "id": "2",
                            "question": "How many lanes does the new bridge carry?",
                            "answers": [{"text": "six", "answer_start": 41}],
                        }
                    ],
                },
            ],
        },
        {
            "title": "Музеи",
            "paragraphs": [
                {
                    "context": "Городской музей хранит двенадцать тысяч картин.",
                    "qas": [
                        {
                            "id": "3",
                            "question": "Сколько картин хранит городской музей?",
                            "answers": [{"text": "двенадцать тысяч", "answer_start": 23}],
                        }
                    ],
                },
            ],
        },
    ]
}


def test_squad_file_is_indexed_and_scored(tmp_path):
    f = tmp_path / "q.json"
    f.write_text(json.dumps(SQUAD, ensure_ascii=False), encoding="utf-8")
    res = evaluate(f, qa.load_settings(model="hash-64"))
    assert res["questions"] == 3 and res["model"] == "hash-64"
    assert res["span_hit@1"] == 1.0 and res["span_hit@5"] == 1.0 and res["mrr@10"] == 1.0
    assert 0 <= res["quote_hit@1"] <= 1 and res["search_ms_p50"] > 0


def test_jsonl_questions_against_an_existing_index(index, tmp_path, capsys):
    f = tmp_path / "q.jsonl"
    rows = [
        {"question": "Сколько книг хранится в библиотеке?", "answer": "сорок тысяч книг", "source": "ru.txt"},
        {"question": "How long is the bridge?", "answer": "three hundred metres"},
    ]
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert main(["eval", str(f), "--index", str(index), "--json"]) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["questions"] == 2 and res["span_hit@5"] == 1.0


def test_bad_question_files_are_one_clear_error(tmp_path):
    f = tmp_path / "q.jsonl"
    f.write_text('{"question": "no answer key"}\n', encoding="utf-8")
    with pytest.raises(qa.QAError, match="needs 'question' and 'answer'"):
        evaluate(f, qa.load_settings())
    with pytest.raises(qa.QAError, match="does not exist"):
        evaluate(tmp_path / "missing.json", qa.load_settings())


def test_natural_rows_absent_follow_ups_and_parts(index, tmp_path):
    rows = [
        # several acceptable quotes; a follow-up read with its previous question
        {"question": "Сколько книг в библиотеке?", "answer": ["сорок тысяч книг", "40 000"], "part": "a"},
        {
            "question": "а длина моста?",
            "previous": "Когда построили мост через реку?",
            "answer": "триста метров",
        },
        # the documents do not say: must be declined
        {"question": "Сколько стоит билет в музей?", "absent": True, "part": "a"},
    ]
    f = tmp_path / "natural.jsonl"
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    res = evaluate(f, qa.load_settings(model="hash-64"), index=index)
    assert res["questions"] == 3 and res["absent"] == 1
    assert res["quote_hit@1"] == 1.0 and res["answer_hit@1"] == 1.0 and res["declined"] == 1.0
    assert res["part=a"]["questions"] == 2 and res["part=a"]["declined"] == 1.0


@pytest.mark.parametrize(
    "row",
    [
        {"question": "no answer key"},
        {"question": "q", "answer": []},
        {"question": "q", "absent": "yes"},
        ["q"],
    ],
)
def test_rows_without_an_answer_or_absent_are_refused(tmp_path, row):
    f = tmp_path / "q.jsonl"
    f.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with pytest.raises(qa.QAError, match="line 1 needs 'question'"):
        evaluate(f, qa.load_settings())


def test_readme_jsonl_example_runs(index, tmp_path):
    text = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    f = tmp_path / "readme.jsonl"
    f.write_text(re.search(r"```jsonl\n(.*?)```", text, re.S).group(1), encoding="utf-8")
    res = evaluate(f, qa.load_settings(model="hash-64"), index=index)
    assert res["questions"] == 3 and res["quote_hit@1"] == 1.0 and res["declined"] == 1.0
    assert res["part=held"]["questions"] == 1


def test_eval_searches_like_the_assistant_a_full_question_without_the_previous_one(tmp_path, fake):
    seeds = tmp_path / "s"
    seeds.mkdir()
    (seeds / "plant.txt").write_text("В 2020 году завод выпустил сто тракторов.", encoding="utf-8")
    (seeds / "school.txt").write_text("В следующем году в посёлке откроется новая школа.", encoding="utf-8")
    qa.build_index(seeds, tmp_path / "i", embedder=fake)
    retriever = qa.Retriever.load(tmp_path / "i", embedder=fake)
    row = {
        "question": "Когда в посёлке откроется новая школа?",
        # a long previous question on the other document: searched with it, the school ranks second
        "previous": "Сколько тракторов выпустил завод в 2020 году? Завод, тракторы, заводы.",
        "answer": "В следующем году",
        "source": "school.txt",
    }
    assert judge(retriever, qa.Assistant(retriever), row)["rank"] == 0
