"""LLM answers with the deterministic ScriptedChat: citation checking, renumbering, drafts,
fallbacks. The real server's tests are in test_llm_server.py."""

from __future__ import annotations

import pytest

import qa
from qa.answer import answer_text
from qa.llm import Claim, OpenAIChat, ScriptedChat, _api_base, check, grounded, llm_dict, prompt
from tests.conftest import LIBRARY_Q as Q
from tests.conftest import assert_exact


def final(a: qa.Answer, chat) -> object:
    *drafts, last = grounded(a, chat, timeout=5)
    assert last.final and not any(d.final for d in drafts)
    return last


def test_check_splits_sentences_drops_invented_numbers_and_moves_leading_citations():
    claims, dropped = check(
        "В ней сорок тысяч книг [1]. Это много. [2] Мост построили осенью [1, 7].", given=2
    )
    assert claims == [("В ней сорок тысяч книг.", [1]), ("Это много.", [2]), ("Мост построили осенью.", [1])]
    assert dropped == [7]
    assert check("Ответ [0] [3].", given=2) == ([("Ответ.", [])], [0, 3])


def test_reply_is_checked_renumbered_and_quotes_are_the_extractive_ones(extractive, retriever):
    chat = ScriptedChat(
        "Там хранится сорок тысяч книг [2]. Библиотеку открыли весной [2][1]. Это рекорд [9]."
    )
    r = final(extractive, chat)
    assert r.claims == (
        Claim("Там хранится сорок тысяч книг.", (1,)),
        Claim("Библиотеку открыли весной.", (1, 2)),
        Claim("Это рекорд.", ()),
    )
    assert r.dropped == (9,)
    # Cited quotes in order of first citation, the same objects the extractive answer found.
    assert r.quotes == (extractive.quotes[1], extractive.quotes[0])
    for q in r.quotes:
        assert_exact(q, retriever)
    assert r.text == (
        "Там хранится сорок тысяч книг. [1] Библиотеку открыли весной. [1][2] Это рекорд. (нет в источниках)"
        "\n\n" + answer_text(Q, r.quotes)
    )
    assert not r.claims[2].supported and r.notice is None and r.model == "scripted"


def test_prompt_numbers_the_quotes_and_names_the_language(extractive):
    chat = ScriptedChat("Сорок тысяч [1].")
    final(extractive, chat)
    (message,) = chat.sent[0]
    assert message["role"] == "user"
    for i, q in enumerate(extractive.quotes, 1):
        assert f"[{i}] {q.text}" in message["content"]
    assert "in Russian" in message["content"] and Q in message["content"]
    assert "the language of the question" in prompt("How many books?", extractive.quotes)[0]["content"]


def test_drafts_stream_already_checked(extractive):
    chat = ScriptedChat("Сорок тысяч книг [5]. В библиотеке [1].", piece=3)
    drafts = list(grounded(extractive, chat, timeout=5))
    assert len(drafts) > 5  # arrived in pieces
    assert all("[5]" not in d.text for d in drafts)
    # The unfinished last sentence is not yet called unsupported: its citation may be coming.
    assert any(d.text == "Сорок тысяч книг. (нет в источниках) В библиотеке" for d in drafts)
    assert drafts[-1].dropped == (5,)


def test_not_found_is_never_sent(retriever):
    a = qa.Assistant(retriever).ask("Какая погода на Марсе зимой?")
    assert not a.found
    chat = ScriptedChat("Холодно [1].")
    r = final(a, chat)
    assert chat.sent == [] and r.text == a.text and not r.found and r.notice is None


@pytest.mark.parametrize(
    ("chat", "notice"),
    [
        (ScriptedChat(error="cannot reach the LLM server at http://x/v1"), "cannot reach the LLM server"),
        (ScriptedChat("Сорок тысяч книг."), "cited none of the quotes"),
        (ScriptedChat("Сорок тысяч книг [4]."), "cited none of the quotes"),
    ],
)
def test_failures_give_the_extractive_answer_with_a_notice(extractive, chat, notice):
    r = final(extractive, chat)
    assert notice in r.notice and "\n" not in r.notice
    assert r.text == f"{r.notice}\n\n{extractive.text}"
    assert r.quotes == extractive.quotes and r.claims == () and r.found


def test_closed_port_is_unavailable(extractive):
    r = final(extractive, OpenAIChat("http://127.0.0.1:9"))  # discard port: nothing listens
    assert "cannot reach the LLM server at http://127.0.0.1:9/v1" in r.notice


def test_json_shape_keeps_qa_ask_json_and_adds_llm(extractive):
    r = final(extractive, ScriptedChat("Сорок тысяч книг [1]. Лишнее."))
    d = llm_dict(r)
    assert set(d) == {"answer", "found", "quotes", "closest", "llm"}
    assert d["quotes"][0]["text"] == extractive.quotes[0].text
    assert d["llm"] == {
        "model": "scripted",
        "claims": [
            {"text": "Сорок тысяч книг.", "cites": [1], "supported": True},
            {"text": "Лишнее.", "cites": [], "supported": False},
        ],
        "dropped": [],
        "notice": None,
    }


@pytest.mark.parametrize(
    ("url", "base"),
    [
        ("http://127.0.0.1:11434", "http://127.0.0.1:11434/v1"),
        ("http://127.0.0.1:11434/v1/", "http://127.0.0.1:11434/v1"),
        ("http://h:8000/v1/chat/completions", "http://h:8000/v1"),
    ],
)
def test_api_base(url, base):
    assert _api_base(url) == base


def test_chat_streams_the_checked_reply_then_links_its_citations(index, fake):
    from qa.llm import grounded
    from qa.retrieve import LiveRetriever
    from qa.web.chat import Conversation, answer_html, answer_loop

    conv, live = Conversation(), LiveRetriever(index, qa.load_settings(index=index), fake)
    chat = ScriptedChat("В библиотеке сорок тысяч книг [1]. Мост построили осенью [4].", piece=4)
    turn = conv.ask(Q)
    shown = [answer_html(turn) for _ in answer_loop(conv, live, lambda a: grounded(a, chat, 5))]
    drafts = [h for h in shown if "qa-written" in h and "qa-sources" not in h]
    assert len(drafts) > 5 and all("[4]" not in h for h in shown)  # streamed, invented [4] never shown
    assert any("В библиотеке сорок тысяч книг" in h and "qa-cite" not in h for h in drafts)
    final = answer_html(turn)
    written, quotes = final.split("</p>", 1)
    assert "В библиотеке сорок тысяч книг. <a class='qa-cite' href='#qa-cite-1-1'" in written
    assert "Мост построили осенью. <span class='qa-unsupported'>(нет в источниках)</span>" in written
    assert turn.cited[0].quote == turn.written.quotes[0] and "qa-sources" in quotes
    assert chat.sent and turn.written.dropped == (4,)


def test_chat_shows_the_notice_and_the_quotes_when_the_llm_fails(index, fake):
    from qa.llm import grounded
    from qa.retrieve import LiveRetriever
    from qa.web.chat import Conversation, answer_html, answer_loop

    conv, live = Conversation(), LiveRetriever(index, qa.load_settings(index=index), fake)
    chat = ScriptedChat(error="cannot reach the LLM server at http://127.0.0.1:9/v1")
    turn = conv.ask(Q)
    list(answer_loop(conv, live, lambda a: grounded(a, chat, 5)))
    html = answer_html(turn)
    assert "<p class='qa-notice'>⚠ cannot reach the LLM server" in html
    assert [c.quote for c in turn.cited] == list(turn.answer.quotes) and "qa-sources" in html
