"""Stage 6: hybrid retrieval, a small package. query.py cleans a question and puts it in the
model's form; fusion.py holds how dense and BM25 scores become one ranking; retriever.py finds
the candidates and serves the documents quotes are cut from; live.py follows an index that a
build updates while questions are asked."""

from .live import LiveRetriever
from .query import clean_question, model_form
from .retriever import Candidate, Retriever

__all__ = ["Candidate", "LiveRetriever", "Retriever", "clean_question", "model_form"]
