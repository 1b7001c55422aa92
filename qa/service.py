"""What the REST API and the MCP tools do, in one place, on top of the public qa API: ask,
search, status, documents, rebuild. Each call takes the index version current when it starts
(LiveRetriever) and reports it. The typed results (pydantic, over the Quote and Hit dataclasses)
are the REST responses' OpenAPI schemas and the MCP tools' output schemas; an answer has the
fields of `qa ask --json`."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from . import background
from .answer import Assistant
from .build import index_status
from .llm import Chat, grounded, llm_dict
from .retrieve import LiveRetriever
from .settings import Settings
from .types import BuildReport, Hit, Quote

Question = Annotated[str, Field(description="the question, in Russian or English")]
K = Annotated[int | None, Field(description="how many passages (default: the server's setting)", ge=1, le=50)]
History = Annotated[
    list[str], Field(description="the conversation's previous questions, oldest first (for follow-ups)")
]


class ClaimOut(BaseModel):
    text: str = Field(description="one sentence of the LLM's reply, without its citation markers")
    cites: list[int] = Field(description="numbers of the quotes it cites (1-based, into quotes)")
    supported: bool = Field(description="false: the sentence cites no quote it was given")


class LLMOut(BaseModel):
    model: str | None
    claims: list[ClaimOut]
    dropped: list[int] = Field(description="citation numbers the model invented (removed)")
    notice: str | None = Field(description="why the extractive answer is shown instead, if it is")


class AskResult(BaseModel):
    answer: str = Field(description="the quotes with [n] markers and their sources, or 'not found'")
    found: bool = Field(description="false: the documents do not answer the question")
    quotes: list[Quote] = Field(description="verbatim sentences: text == document_text[start:end]")
    closest: Quote | None = Field(None, description="when not found: the closest passage, not an answer")
    version: str = Field(description="index version that answered")
    llm: LLMOut | None = Field(None, description="the LLM's checked reply, when LLM answers are on")


class SearchResult(BaseModel):
    hits: list[Hit] = Field(description="passages (chunks), best first, with their location")
    version: str = Field(description="index version searched")


class DocumentOut(BaseModel):
    source: str = Field(description="file path relative to the documents folder")
    chars: int = Field(description="length of its extracted text")
    date: str | None = Field(None, description="date stated near the top of the text")
    sha256: str


class DocumentList(BaseModel):
    documents: list[DocumentOut]
    version: str


class Status(BaseModel):
    built: bool
    version: str | None = Field(None, description="index version answering questions now")
    latest: str | None = Field(None, description="newest built version")
    documents: int = 0
    chunks: int = 0
    model: str | None = None
    built_at: str | None = None
    stale: bool = Field(description="the documents folder changed since the build")
    skipped: dict[str, str] = Field(default_factory=dict, description="files left out, with the reason")
    llm: str | None = Field(None, description="LLM server used for answers, if any")


class Service:
    def __init__(self, settings: Settings, live: LiveRetriever, chat: Chat | None = None):
        self.settings, self.live, self.chat = settings, live, chat

    def ask(
        self, question: str, k: int | None = None, history: list[str] | None = None, llm: bool = True
    ) -> AskResult:
        """The extractive answer; with an LLM configured (and llm=True) its checked reply instead,
        with the quotes it cites. Quotes go out whole (every Quote field)."""
        retriever = self.live.get()  # this call stays on this version, even if a build lands meanwhile
        a = Assistant(retriever, passages=k).ask(question, history or ())
        out = AskResult(
            answer=a.text, found=a.found, quotes=a.quotes, closest=a.closest, version=retriever.version
        )
        if not llm or self.chat is None:
            return out
        *_, r = grounded(a, self.chat, self.settings.llm_timeout)
        return out.model_copy(
            update={"answer": r.text, "quotes": list(r.quotes), "llm": LLMOut(**llm_dict(r)["llm"])}
        )

    def search(self, question: str, k: int | None = None) -> SearchResult:
        retriever = self.live.get()
        hits = retriever.search(question, k or self.settings.k)
        return SearchResult(hits=hits, version=retriever.version)

    def documents(self) -> DocumentList:
        retriever = self.live.get()
        files = retriever.stored.manifest["files"]
        return DocumentList(
            documents=[DocumentOut(source=s, **f) for s, f in sorted(files.items())],
            version=retriever.version,
        )

    def status(self) -> Status:
        st = index_status(self.settings.seeds, self.settings.index)
        in_use = self.live.get().version if st["built"] else None
        llm = self.chat.name if self.chat else None
        if not st["built"]:
            return Status(built=False, stale=True, llm=llm)
        st["latest"] = st.pop("version")
        return Status(**st, version=in_use, llm=llm)

    def rebuild(self) -> BuildReport:
        """In a lower-priority process with its own model (qa.background): questions go on."""
        return background.build(self.settings)
