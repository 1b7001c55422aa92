"""Questions about a text's header: its photo credit and its dateline."""

from qa.answer.header import asks_credit, asks_date, only_date, readable
from qa.answer.question import analyse


def test_the_date_of_the_text_is_asked_by_the_text_and_its_coming_out():
    for question in ["Когда опубликована эта статья?", "When was this article published?"]:
        assert asks_date(analyse(question), question) and only_date(question)
    topic = "Когда вышла статья про модернизацию?"
    assert asks_date(analyse(topic), topic) and not only_date(topic)  # it names a topic too
    work = "Когда Тесла опубликовал свою теорию?"
    assert not asks_date(analyse(work), work)  # a theory, not a text read


def test_a_header_is_read_only_when_asked_for():
    assert readable("По данным акимата, модернизировано 10 предприятий.", credited=False)
    assert not readable("date 2017-08-08", credited=False)
    assert readable("date 2017-08-08", credited=False, dated=True)
    credit = "Фото предоставлено пресс-службой акимата"
    assert not readable(credit, credited=False) and readable(
        credit, credited=asks_credit("Кто предоставил фото?")
    )
