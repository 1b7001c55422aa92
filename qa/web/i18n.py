"""The web chat's words in English and Russian. UI holds the labels the browser translates itself
(gr.I18n picks them by the browser's language); TEXT holds what the server writes into answers
and panels: answers in the language of their question, panels in the browser's language."""

from __future__ import annotations

LANGUAGES = ("en", "ru")  # the first is the fallback
_FORMATS = {
    "md": "Markdown",
    "markdown": "Markdown",
    "html": "HTML",
    "htm": "HTML",
    "pdf": "PDF",
    "docx": "Word",
}

UI = {
    "en": {
        "title": "qa: answers quoted word for word from your documents",
        "chat": "Chat",
        "chat_placeholder": "Ask about your documents in Russian or English: every answer is quoted word for word, with its source.",
        "ask_placeholder": "Ask a question…",
        "ask": "Ask",
        "examples": "Examples",
        "documents": "Documents",
        "update": "Update index",
        "add": "Add documents",
        "delete": "Delete",
        "cancel": "Cancel",
    },
    "ru": {
        "title": "qa: ответы дословными цитатами из ваших документов",
        "chat": "Чат",
        "chat_placeholder": "Спросите о ваших документах по-русски или по-английски: каждый ответ — дословная цитата с источником.",
        "ask_placeholder": "Задайте вопрос…",
        "ask": "Спросить",
        "examples": "Примеры",
        "documents": "Документы",
        "update": "Обновить индекс",
        "add": "Добавить документы",
        "delete": "Удалить",
        "cancel": "Отмена",
    },
}

TEXT = {
    "en": {
        "searching": "Searching the documents…",
        "sources": "Sources",
        "not_found": "Not found.",
        "not_found_text": "The documents do not say.",
        "closest": "Closest passage, not an answer",
        "empty_question": "Type a question with at least one word.",
        "no_index": "There is no index yet: open Documents and press Update index.",
        "failed": "Something went wrong: {error}",
        "viewer_empty": "Choose a citation such as [1] in an answer to see it in its document.",
        "page": "page {n}",
        "line": "line {n}",
        "lines": "lines {a}–{b}",
        "relevance": "relevance {s}",
        "file": "file {name}",
        "date": "dated {date}",
        "start_of_document": "beginning of the document",
        "version": "index version {v}",
        "summary": "{documents}, {passages}, last updated {when}",
        "document": ("document", "documents"),
        "passage": ("passage", "passages"),
        "no_documents": "No documents yet: add some.",
        "stale": "Documents changed since the last update: press Update index.",
        "skipped": "Skipped files",
        "details": "index version {version} · model {model}",
        "open": "Open",
        "delete_doc": "Delete",
        "confirm_delete": "Delete “{title}” ({name})? It is removed from the documents folder and from the index.",
        "deleted": "Deleted {name}.",
        "added": "{name}: added",
        "exists": "{name}: already there",
        "rejected": "{name}: not added ({why})",
        "updated": "Index updated: {documents}.",
        "unchanged": "The index is up to date.",
        "types": {"txt": "Text", **_FORMATS},
        "size": ("{n} B", "{n} KB", "{n} MB"),
    },
    "ru": {
        "searching": "Ищу в документах…",
        "sources": "Источники",
        "not_found": "Не найдено.",
        "not_found_text": "В документах нет ответа на этот вопрос.",
        "closest": "Ближайший фрагмент, не ответ",
        "empty_question": "Напишите вопрос хотя бы из одного слова.",
        "no_index": "Индекса ещё нет: откройте «Документы» и нажмите «Обновить индекс».",
        "failed": "Что-то пошло не так: {error}",
        "viewer_empty": "Нажмите на ссылку вида [1] в ответе, чтобы увидеть цитату в документе.",
        "page": "стр. {n}",
        "line": "строка {n}",
        "lines": "строки {a}–{b}",
        "relevance": "релевантность {s}",
        "file": "файл {name}",
        "date": "дата {date}",
        "start_of_document": "начало документа",
        "version": "версия индекса {v}",
        "summary": "{documents}, {passages}, обновлено {when}",
        "document": ("документ", "документа", "документов"),
        "passage": ("фрагмент", "фрагмента", "фрагментов"),
        "no_documents": "Документов пока нет: добавьте их.",
        "stale": "Документы изменились после обновления индекса: нажмите «Обновить индекс».",
        "skipped": "Пропущенные файлы",
        "details": "версия индекса {version} · модель {model}",
        "open": "Открыть",
        "delete_doc": "Удалить",
        "confirm_delete": "Удалить «{title}» ({name})? Файл будет удалён из папки документов и из индекса.",
        "deleted": "{name} удалён.",
        "added": "{name}: добавлен",
        "exists": "{name}: уже есть",
        "rejected": "{name}: не добавлен ({why})",
        "updated": "Индекс обновлён: {documents}.",
        "unchanged": "Индекс актуален.",
        "types": {"txt": "Текст", **_FORMATS},
        "size": ("{n} Б", "{n} КБ", "{n} МБ"),
    },
}


def browser_language(accept_language: str | None) -> str:
    """The first of LANGUAGES the browser asks for (Accept-Language, by preference), else English."""
    tags = []
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        tags.append((-weight, i, tag.split("-")[0].lower()))
    return next((t for _, _, t in sorted(tags) if t in LANGUAGES), LANGUAGES[0])


def t(lang: str, key: str, **values) -> str:
    text = TEXT.get(lang, TEXT["en"])[key]
    return text.format(**values) if values else text


def count(lang: str, n: int, key: str) -> str:
    """'1 document', '3 документа', '5 документов': the number with its word in the right form."""
    forms = TEXT.get(lang, TEXT["en"])[key]
    if lang == "ru":
        tail = n % 100
        i = 0 if tail % 10 == 1 and tail != 11 else 1 if 2 <= tail % 10 <= 4 and not 12 <= tail <= 14 else 2
    else:
        i = 0 if n == 1 else 1
    return f"{n:,} {forms[i]}".replace(",", "\u202f")


def size(lang: str, n: int) -> str:
    b, kb, mb = TEXT.get(lang, TEXT["en"])["size"]
    if n < 1000:
        return b.format(n=n)
    if n < 1_000_000:
        return kb.format(n=f"{n / 1000:.0f}" if n >= 10_000 else f"{n / 1000:.1f}")
    return mb.format(n=f"{n / 1_000_000:.1f}")
