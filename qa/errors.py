"""Errors the user can act on. Every stage raises one of these; the CLI and the web chat show
the message as one line. Each message names the file or value and says what to do."""


class QAError(Exception):
    """Base of every error qa raises on purpose."""


class SeedsNotFound(QAError):
    """The documents folder does not exist."""


class IndexNotFound(QAError):
    """No built index in the given folder."""


class IndexMismatch(QAError):
    """The index was built with another model, format or chunker, or its files are damaged."""


class IndexLocked(QAError):
    """Another build holds the index lock."""


class DiskFull(QAError):
    """A build ran out of disk space; the previous index version stays in use."""


class ReadOnly(QAError):
    """The server is read-only: uploads, rebuilds and deletions are turned off."""


class BadQuestion(QAError):
    """The question is empty or unusable."""


class ModelLoadError(QAError):
    """The embedding model could not be loaded."""


class LLMUnavailable(QAError):
    """The LLM server could not be reached, failed, or was too slow (the extractive answer stands)."""


def one_line(e: BaseException) -> str:
    """What the CLI, the web and the API show for a failure: a QAError's own message; for
    anything else its type and the first line of its message (the caller logs the details)."""
    if isinstance(e, QAError):
        return str(e)
    first = (str(e).splitlines() or [""])[0][:200]
    return f"unexpected error ({type(e).__name__}: {first})"
