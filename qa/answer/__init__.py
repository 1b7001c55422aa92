"""Stage 7: extractive answers, no LLM. The assistant reads what a question asks for
(question.py), scores the sentences of the best passages (evidence.py), decides whether they
answer it at all (verdict.py), marks the short answer inside a quote (kinds.py, spans.py) and
formats quotes with their citations (text.py). Every Quote.text is exactly
document_text[start:end]."""

from .assistant import Assistant
from .text import answer_dict, answer_text, cite, not_found_text, quote_dict

__all__ = ["Assistant", "answer_dict", "answer_text", "cite", "not_found_text", "quote_dict"]
